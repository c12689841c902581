"""An index on claims.order_ref: an adjudicator finds the claims of an order by its number

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_claims_order_ref", "claims", ["order_ref"])


def downgrade() -> None:
    op.drop_index("ix_claims_order_ref", table_name="claims")
