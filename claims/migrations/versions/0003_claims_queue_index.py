"""An index on claims (status, created_at): the review queue reads one status in order of
filing, oldest first

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_claims_status_created_at", "claims", ["status", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_claims_status_created_at", table_name="claims")
