"""claims.order_key: the order number as compared (claims.catalog.order_key), indexed in place
of the number as typed. Claims on the same order are related however the shopper typed its
number ("o 2026-77", "O2026-77"), and an adjudicator's search by order finds them all.
Claims filed before get theirs.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def order_key(ref: str) -> str:
    """claims.catalog.order_key as this migration computed it (frozen here: a later change
    of the rule comes with its own migration)."""
    return re.sub(r"[\s\-_./]", "", ref).upper()


def upgrade() -> None:
    with op.batch_alter_table("claims") as batch:
        batch.add_column(sa.Column("order_key", sa.String(100), nullable=False,
                                   server_default=""))  # fmt: skip
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, order_ref FROM claims WHERE order_ref != ''")).all()
    for claim_id, typed in rows:
        conn.execute(sa.text("UPDATE claims SET order_key = :k WHERE id = :id"),
                     {"k": order_key(typed), "id": claim_id})  # fmt: skip
    op.drop_index("ix_claims_order_ref", table_name="claims")
    op.create_index("ix_claims_order_key", "claims", ["order_key"])


def downgrade() -> None:
    op.drop_index("ix_claims_order_key", table_name="claims")
    op.create_index("ix_claims_order_ref", "claims", ["order_ref"])
    with op.batch_alter_table("claims") as batch:
        batch.drop_column("order_key")
