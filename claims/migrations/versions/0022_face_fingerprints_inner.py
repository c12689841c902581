"""A face's fingerprint is taken of its inner 5/8, brows to mouth and cheek to cheek
(vision.fingerprint.FACE_HASHED), which a crop around the face leaves whole: taken of the
face's whole square, a copy cropped to the face's landmarks was up to 13 bits from the photo's
and not looked at. A migration does not read files: every stored picture with a face's
fingerprint of the old kind loses it and its bands (another kind: no fingerprint of the new
kind is near it); one not erased is marked to be read again for its face, an erased one has
no file (and is never a candidate). The faces' matches stay (their detail was compared).
Pictures without a face stay as they are (no face either way). Every claim linked is marked
linked by the search before (3), so that it is searched again once its pictures' faces are
fingerprinted anew; both by the service beside its start or `hueproof claims link`.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-08
"""

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def _fingerprint_faces_again(links_version: int) -> None:
    op.execute("DELETE FROM image_bands WHERE band >= 5")
    op.execute("UPDATE images SET face_printed = FALSE "
               "WHERE face_fingerprint IS NOT NULL AND erased_at IS NULL")  # fmt: skip
    op.execute("UPDATE images SET face_fingerprint = NULL WHERE face_fingerprint IS NOT NULL")
    op.execute(f"UPDATE claims SET links_version = {links_version} "
               f"WHERE links_version > {links_version}")  # fmt: skip


def upgrade() -> None:
    _fingerprint_faces_again(3)


def downgrade() -> None:  # the old kind's code reads them again the old way
    _fingerprint_faces_again(2)
