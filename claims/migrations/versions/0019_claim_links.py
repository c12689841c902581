"""claim_links and claims.linked: related claims (claims/related.py) written down as each
claim is filed, both ways, so that the review queue marks the claims that have some without
finding them again for each (4-50 ms a claim). Claims filed before are linked by the service
as it starts (ClaimsService.link_stored_claims): the fingerprints' rule is the application's.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "claim_links",
        sa.Column("claim_id", sa.String(32), sa.ForeignKey("claims.id"), nullable=False),
        sa.Column("other_id", sa.String(32), sa.ForeignKey("claims.id"), nullable=False),
        sa.Column("same_order", sa.Boolean(), nullable=False),
        sa.Column("same_picture", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("claim_id", "other_id"),
    )
    with op.batch_alter_table("claims") as batch:
        batch.add_column(sa.Column("linked", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))  # fmt: skip


def downgrade() -> None:
    with op.batch_alter_table("claims") as batch:
        batch.drop_column("linked")
    op.drop_table("claim_links")
