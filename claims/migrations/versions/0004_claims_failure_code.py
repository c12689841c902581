"""claims.failure_code: why an analysis failed, as a code the pages say in their language
(claims/analysis.py FAILURE_CODES); claims that failed before it keep their English reason

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("claims") as batch:
        batch.add_column(sa.Column("failure_code", sa.String(32), nullable=False,
                                   server_default=""))  # fmt: skip


def downgrade() -> None:
    with op.batch_alter_table("claims") as batch:
        batch.drop_column("failure_code")
