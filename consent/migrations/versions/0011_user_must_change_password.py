"""Add ``users.must_change_password``: false for every user that exists now.

A user an owner adds in /admin/ gets a password the owner sees; the flag makes the UIs ask
that user for their own password at first sign-in. Users created before kept the password
they already had (the CLI's, or the one they were given), so nobody is asked all at once.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    # A plain "0" (false on both databases), as in 0008: no batch rebuild of ``users`` on
    # SQLite, whose drop would cascade to the memberships pointing at it.
    op.add_column(
        "users",
        sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default="0"),
    )


def downgrade():
    with op.batch_alter_table("users", recreate="never") as batch:
        batch.drop_column("must_change_password")
