"""skus.batches: the batch codes a brand produced of a product. A claim naming a batch the
brand does not list is told to the adjudicator (a counterfeit, or a code mistyped) and never
approved automatically.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("skus") as batch:
        batch.add_column(sa.Column("batches", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("skus") as batch:
        batch.drop_column("batches")
