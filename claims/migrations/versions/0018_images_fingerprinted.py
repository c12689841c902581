"""images.fingerprinted: whether a stored picture was fingerprinted, its fingerprint None when
it has too little structure. Without it, the service read such a picture's file again at each
start of each process, taking its missing fingerprint for one never taken. Pictures with a
fingerprint are marked; the others are read once more, then marked.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("images") as batch:
        batch.add_column(sa.Column("fingerprinted", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))  # fmt: skip
    op.execute("UPDATE images SET fingerprinted = TRUE WHERE fingerprint IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("images") as batch:
        batch.drop_column("fingerprinted")
