"""images.metadata_stripped: files stored before metadata was stripped on upload

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # every file already stored may still carry its metadata (location, owner, serial numbers):
    # false until claims/upkeep.py's strip_stored_metadata has rewritten it
    with op.batch_alter_table("images") as batch:
        batch.add_column(sa.Column("metadata_stripped", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))  # fmt: skip


def downgrade() -> None:
    with op.batch_alter_table("images") as batch:
        batch.drop_column("metadata_stripped")
