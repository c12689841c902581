"""image_bands: each stored picture's fingerprint cut into five bands (vision.fingerprint
.fingerprint_bands), keyed by (band, value). The same picture filed for another product by
another shopper is found among every stored photo through them (claims/related.py), where
before only the product's and the shopper's claims were read. Pictures fingerprinted before
get theirs from images.fingerprint (no file is read).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

import itertools

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

#: vision.fingerprint.fingerprint_bands as this migration computed them (frozen here)
EDGES = (0, 13, 26, 38, 51, 64)


def bands(fingerprint: int) -> list[tuple[int, int]]:
    bits = fingerprint & (2**64 - 1)
    return [(i, (bits >> (64 - end)) & ((1 << (end - start)) - 1))
            for i, (start, end) in enumerate(itertools.pairwise(EDGES))]  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "image_bands",
        sa.Column("band", sa.SmallInteger(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), sa.ForeignKey("images.sha256"), nullable=False),
        sa.PrimaryKeyConstraint("band", "value", "sha256"),
    )
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT sha256, fingerprint FROM images "
                                "WHERE fingerprint IS NOT NULL")).all()  # fmt: skip
    for sha, fingerprint in rows:
        conn.execute(sa.text("INSERT INTO image_bands (band, value, sha256) VALUES (:b, :v, :s)"),
                     [{"b": b, "v": v, "s": sha} for b, v in bands(fingerprint)])  # fmt: skip


def downgrade() -> None:
    op.drop_table("image_bands")
