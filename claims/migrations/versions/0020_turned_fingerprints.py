"""images.fingerprint_turned and claims.links_version: a picture's second fingerprint, down its
columns, finds a copy of it turned a quarter (vision/fingerprint.py), and both are now taken
without a plain frame around the picture (a screenshot's, a letterbox's). A migration does
not read files: every stored picture not erased is marked to be fingerprinted again (its
fingerprint kept meanwhile, so that nothing found before is missed). claims.linked gives way
to the search a claim's links were found by: 1 for those linked before (their links kept,
those found added when each is searched again), 0 for the others; both by the service beside
its start (ClaimsService.fingerprint_stored_photos, link_stored_claims) or `hueproof claims
link`.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("images") as batch:
        batch.add_column(sa.Column("fingerprint_turned", sa.BigInteger()))
    with op.batch_alter_table("claims") as batch:
        batch.add_column(sa.Column("links_version", sa.SmallInteger(), nullable=False,
                                   server_default="0"))  # fmt: skip
    op.execute("UPDATE images SET fingerprinted = FALSE WHERE erased_at IS NULL")
    op.execute("UPDATE claims SET links_version = 1 WHERE linked")
    # both databases drop a column in place (SQLite since 3.35), where a batch would copy the
    # table of claims, which the tables naming them refuse with their keys on
    op.execute("ALTER TABLE claims DROP COLUMN linked")


def downgrade() -> None:
    with op.batch_alter_table("claims") as batch:
        batch.add_column(sa.Column("linked", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))  # fmt: skip
    op.execute("UPDATE claims SET linked = TRUE WHERE links_version > 0")
    op.execute("ALTER TABLE claims DROP COLUMN links_version")
    with op.batch_alter_table("images") as batch:
        batch.drop_column("fingerprint_turned")
