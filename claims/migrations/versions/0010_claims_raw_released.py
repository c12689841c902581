"""claims.raw_released_at: when a claim stopped needing its raw photos (consent withdrawn, or
its retention period over). A photo two claims share was kept for ever once one of them was
decided and its consent withdrawn (that claim's status stays 'decided', so it still counted
as using the file), and the hourly purge erased a decided claim's shared photo again and again
(an audit entry each time) while the other claim kept it.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

import claims.models

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("claims") as batch:
        batch.add_column(sa.Column("raw_released_at", claims.models.UTCDateTime(), nullable=True))
    # claims released before: consent withdrawn, or their photo erased
    op.execute(
        "UPDATE claims SET raw_released_at = (SELECT withdrawn_at FROM consents"
        " WHERE consents.id = claims.consent_id) WHERE consent_id IN"
        " (SELECT id FROM consents WHERE withdrawn_at IS NOT NULL)"
    )
    op.execute(
        "UPDATE claims SET raw_released_at = (SELECT erased_at FROM images"
        " WHERE images.sha256 = claims.photo_sha256) WHERE raw_released_at IS NULL AND"
        " photo_sha256 IN (SELECT sha256 FROM images WHERE erased_at IS NOT NULL)"
    )


def downgrade() -> None:
    with op.batch_alter_table("claims") as batch:
        batch.drop_column("raw_released_at")
