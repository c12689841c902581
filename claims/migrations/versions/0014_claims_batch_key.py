"""claims.batch_key: the batch as compared (claims.catalog.batch_key), indexed with the SKU.
Shoppers copy a batch code off a pack as they read it ("b2026 11", "B2026-11"): the
statistics' batch cells, the claims an adjudicator sees beside one and the redness cluster
alert took each spelling for another batch. Claims filed before get theirs.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def batch_key(code: str) -> str:
    """claims.catalog.batch_key as this migration computed it (frozen here: a later change
    of the rule comes with its own migration)."""
    return re.sub(r"[\s\-_./]", "", code).upper()


def upgrade() -> None:
    with op.batch_alter_table("claims") as batch:
        batch.add_column(sa.Column("batch_key", sa.String(100), nullable=False,
                                   server_default=""))  # fmt: skip
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, batch FROM claims WHERE batch != ''")).all()
    for claim_id, typed in rows:
        conn.execute(sa.text("UPDATE claims SET batch_key = :k WHERE id = :id"),
                     {"k": batch_key(typed), "id": claim_id})  # fmt: skip
    op.create_index("ix_claims_sku_batch_key", "claims", ["sku_id", "batch_key"])


def downgrade() -> None:
    op.drop_index("ix_claims_sku_batch_key", table_name="claims")
    with op.batch_alter_table("claims") as batch:
        batch.drop_column("batch_key")
