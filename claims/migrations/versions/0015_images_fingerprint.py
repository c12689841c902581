"""images.fingerprint: a stored picture's perceptual fingerprint (vision/fingerprint.py). A
claim whose photo is the same picture as another claim's, the file re-saved, made smaller or
recoloured, is shown beside it to the adjudicator and never approved automatically
(claims/related.py). Files stored before are fingerprinted by ``hueproof serve`` as it
starts (ClaimsService.fingerprint_stored_photos): a migration does not read the files.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("images") as batch:
        batch.add_column(sa.Column("fingerprint", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("images") as batch:
        batch.drop_column("fingerprint")
