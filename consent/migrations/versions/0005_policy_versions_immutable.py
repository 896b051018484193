"""Published policy versions are immutable: the database refuses UPDATE and DELETE on them.

Revision ID: 0005_owner
Revises: 0003
"""

from alembic import op

revision = "0005_owner"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION policy_versions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'published policy versions are immutable';
            END $$
            """
        )
        op.execute(
            "CREATE TRIGGER policy_versions_immutable BEFORE UPDATE OR DELETE ON policy_versions "
            "FOR EACH ROW EXECUTE FUNCTION policy_versions_immutable()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER policy_versions_no_{event.lower()} BEFORE {event} "
                "ON policy_versions "
                "BEGIN SELECT RAISE(ABORT, 'published policy versions are immutable'); END"
            )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER policy_versions_immutable ON policy_versions")
        op.execute("DROP FUNCTION policy_versions_immutable()")
    else:
        op.execute("DROP TRIGGER policy_versions_no_update")
        op.execute("DROP TRIGGER policy_versions_no_delete")
