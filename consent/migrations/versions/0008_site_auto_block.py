"""Add the site setting ``auto_block``: off for every site that exists now.

Auto-blocking changes what runs on an owner's pages, so a site that existed before the
feature keeps today's behaviour until its owner turns it on; new sites get it on from the
application (``Site.auto_block`` defaults to true).

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    # A plain "0" (false on both databases), not sa.false(): an SQL expression as default
    # would make batch mode rebuild ``sites`` on SQLite, and dropping the old table there
    # cascades to the tables that point at it.
    op.add_column(
        "sites", sa.Column("auto_block", sa.Boolean(), nullable=False, server_default="0")
    )


def downgrade():
    # ALTER TABLE … DROP COLUMN in place (SQLite 3.35+), for the same reason.
    with op.batch_alter_table("sites", recreate="never") as batch:
        batch.drop_column("auto_block")
