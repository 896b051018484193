"""Keep every banner build served, and name it in each new receipt (``banner_build``).

``banner_builds`` holds each build's code, public and immutable (no UPDATE or DELETE);
``receipts.banner_build`` is null for the receipts made before, whose hashes do not cover it.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_IMMUTABLE_PG = """
CREATE OR REPLACE FUNCTION banner_builds_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'banner_builds is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER banner_builds_no_update BEFORE UPDATE OR DELETE ON banner_builds
    FOR EACH ROW EXECUTE FUNCTION banner_builds_immutable();
"""
_IMMUTABLE_SQLITE = (
    """CREATE TRIGGER banner_builds_no_update BEFORE UPDATE ON banner_builds
    BEGIN SELECT RAISE(ABORT, 'banner_builds is append-only'); END""",
    """CREATE TRIGGER banner_builds_no_delete BEFORE DELETE ON banner_builds
    BEGIN SELECT RAISE(ABORT, 'banner_builds is append-only'); END""",
)


def upgrade():
    op.create_table(
        "banner_builds",
        sa.Column("build", sa.String(64), primary_key=True),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("first_served_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.add_column("receipts", sa.Column("banner_build", sa.String(64), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_IMMUTABLE_PG)
    else:
        for statement in _IMMUTABLE_SQLITE:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER banner_builds_no_update ON banner_builds")
        op.execute("DROP FUNCTION banner_builds_immutable()")
    with op.batch_alter_table("receipts", recreate="never") as batch:
        batch.drop_column("banner_build")
    op.drop_table("banner_builds")
