"""Indexes on claims.photo_sha256 and claims.baseline_sha256: erasing a claim's photos looks
for the other claims sharing the file, and stripping a file's metadata for the claims using
it; each was a scan of every claim (36 ms with 20 000, once for each claim the purge erases).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_claims_photo_sha256", "claims", ["photo_sha256"])
    op.create_index("ix_claims_baseline_sha256", "claims", ["baseline_sha256"])


def downgrade() -> None:
    op.drop_index("ix_claims_baseline_sha256", table_name="claims")
    op.drop_index("ix_claims_photo_sha256", table_name="claims")
