"""images.metadata_stripped: files stored before metadata was stripped on upload; an index
on audit_entries.action (the start's clean-up reads one action's entries)

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
    # false until ClaimsService.strip_stored_metadata (claims/service.py) has rewritten it
    with op.batch_alter_table("images") as batch:
        batch.add_column(sa.Column("metadata_stripped", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))  # fmt: skip
    op.create_index("ix_audit_entries_action", "audit_entries", ["action"])


def downgrade() -> None:
    op.drop_index("ix_audit_entries_action", table_name="audit_entries")
    with op.batch_alter_table("images") as batch:
        batch.drop_column("metadata_stripped")
