"""Add the banner's theme to policy versions: null for every version that exists now.

A version without a theme shows today's look and keeps its ``policy_hash`` (the hash
covers a theme only when the version has one). Adding a nullable column rewrites no row,
so the immutability triggers of 0005 have nothing to refuse.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("policy_versions", sa.Column("theme", sa.JSON(), nullable=True))


def downgrade():
    # ALTER TABLE … DROP COLUMN in place (SQLite 3.35+): a rebuilt table would lose 0005's
    # triggers.
    with op.batch_alter_table("policy_versions", recreate="never") as batch:
        batch.drop_column("theme")
