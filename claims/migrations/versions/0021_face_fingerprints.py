"""images.face_fingerprint, images.face_printed and face_matches: a photo's face has its own
fingerprint, taken upright and at one size by the face's landmarks, which finds the photo
cropped around the face or turned by any angle (vision.fingerprint.face_fingerprint); two
pictures whose faces are near and whose fine detail is alike once laid on each other are one
picture's face (face_matches). A claim's analysis takes it. A migration does not read files:
every stored picture not erased is marked to be read again for its face (an erased one has no
file: none), and every claim linked is marked linked by the search before (2: its links kept,
those found by faces added), so that it is searched again once its pictures' faces are
fingerprinted; both by the service beside its start or `hueproof claims link`.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "face_matches",
        sa.Column("sha256", sa.String(64), sa.ForeignKey("images.sha256"), nullable=False),
        sa.Column("other_sha256", sa.String(64), sa.ForeignKey("images.sha256"), nullable=False),
        sa.Column("distance", sa.SmallInteger(), nullable=False),
        sa.Column("mirrored", sa.Boolean(), nullable=False),
        sa.Column("correlation", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("sha256", "other_sha256"),
    )
    with op.batch_alter_table("images") as batch:
        batch.add_column(sa.Column("face_fingerprint", sa.BigInteger()))
        batch.add_column(sa.Column("face_printed", sa.Boolean(), nullable=False,
                                   server_default=sa.true()))  # fmt: skip
    op.execute("UPDATE images SET face_printed = FALSE WHERE erased_at IS NULL")
    # linked before, without faces: searched again once their pictures' faces are printed
    op.execute("UPDATE claims SET links_version = 2 WHERE links_version > 2")


def downgrade() -> None:
    op.drop_table("face_matches")
    op.execute("DELETE FROM image_bands WHERE band >= 5")
    with op.batch_alter_table("images") as batch:
        batch.drop_column("face_printed")
        batch.drop_column("face_fingerprint")
