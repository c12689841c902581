"""claims.held_by, claims.held_until: the adjudicator deciding a claim, until then (an
advisory hold, so that reviewers working one queue at a peak do not decide one claim twice)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

import claims.models

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("claims") as batch:
        batch.add_column(sa.Column("held_by", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("held_until", claims.models.UTCDateTime(), nullable=True))
        batch.create_foreign_key("fk_claims_held_by_users", "users", ["held_by"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("claims") as batch:
        batch.drop_constraint("fk_claims_held_by_users", type_="foreignkey")
        batch.drop_column("held_until")
        batch.drop_column("held_by")
