"""claims.stats_key: each claim's random record key, from which the brand statistics'
perturbation is drawn (claims/stats.py, the cell key method). Comparing the figures before and
after one claim was filed, or withdrawn, told that claim's verdict and whether the shopper's
skin was flagged; the same claims now always give the same figures, and one claim more or less
gives others. Claims filed before get a random key each.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

import claims.models

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("claims") as batch:
        batch.add_column(sa.Column("stats_key", sa.Integer(), nullable=False, server_default="0"))
    conn = op.get_bind()
    ids = conn.execute(sa.text("SELECT id FROM claims")).scalars().all()
    for claim_id in ids:
        conn.execute(sa.text("UPDATE claims SET stats_key = :k WHERE id = :id"),
                     {"k": claims.models.new_stats_key(), "id": claim_id})  # fmt: skip
    with op.batch_alter_table("claims") as batch:
        batch.alter_column("stats_key", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("claims") as batch:
        batch.drop_column("stats_key")
