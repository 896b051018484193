"""Keep, with each banner build, the code it loads when first needed (``later``).

The first layer's code names the later part's sha256 (the script's integrity), so a build's
hash covers both. Builds served before the split hold all their code in ``code``: null. Adding
a nullable column rewrites no row, so 0009's append-only triggers have nothing to refuse.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("banner_builds", sa.Column("later", sa.Text(), nullable=True))


def downgrade():
    # ALTER TABLE … DROP COLUMN in place (SQLite 3.35+): a rebuilt table would lose 0009's
    # triggers.
    with op.batch_alter_table("banner_builds", recreate="never") as batch:
        batch.drop_column("later")
