"""Receipts are append-only: the database refuses UPDATE and DELETE on them.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION receipts_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'receipts are append-only';
            END $$
            """
        )
        op.execute(
            "CREATE TRIGGER receipts_append_only BEFORE UPDATE OR DELETE ON receipts "
            "FOR EACH ROW EXECUTE FUNCTION receipts_append_only()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER receipts_no_{event.lower()} BEFORE {event} ON receipts "
                "BEGIN SELECT RAISE(ABORT, 'receipts are append-only'); END"
            )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER receipts_append_only ON receipts")
        op.execute("DROP FUNCTION receipts_append_only()")
    else:
        op.execute("DROP TRIGGER receipts_no_update")
        op.execute("DROP TRIGGER receipts_no_delete")
