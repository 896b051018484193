"""PostgreSQL: ``receipt_contexts`` partitioned by month (RANGE on ``created_at``), so that
retention drops a month's partition instead of deleting its rows one by one.

The existing table is renamed, a partitioned one with the same columns takes its name, with
a partition for every month that has rows, this month and the next three, and a DEFAULT
partition so that an append never fails for want of its month; the rows are copied and the
old table dropped. PostgreSQL requires the partition key in the primary key, so it becomes
(receipt_pk, created_at): still an index led by receipt_pk for every join and erasure. One
context per receipt holds by construction (the one write path inserts it in the receipt's
own statement; the app role cannot UPDATE contexts). The copy holds the table's lock until
the migration commits: appends wait for it, so migrate a large table in a quiet hour.
``purge`` run as the owner role creates later months and drops expired ones
(``consent.ledger.partitions``). Run docs/postgres-grants.sql afterwards, as after every
migration: the app role's rights are on the parent, which is all it queries.

SQLite has no partitioning: the embedded default keeps the plain table, with the same
columns, and ``purge`` deletes its expired rows (one machine's volume, where that is cheap).

Revision ID: 0015
Revises: 0014
"""

from datetime import UTC, datetime

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

AHEAD = 3


def _next(month):
    return month.replace(year=month.year + month.month // 12, month=month.month % 12 + 1)


def _columns(table, key):
    return f"""
        CREATE TABLE {table} (
            receipt_pk BIGINT NOT NULL,
            salt BYTEA NOT NULL,
            page_url TEXT NOT NULL,
            ip_prefix VARCHAR(64),
            user_agent TEXT NOT NULL,
            created_at TIMESTAMP WITH TIME ZONE NOT NULL,
            CONSTRAINT pk_receipt_contexts PRIMARY KEY ({key}),
            CONSTRAINT fk_receipt_contexts_receipt_pk_receipts
                FOREIGN KEY (receipt_pk) REFERENCES receipts (id)
        )"""


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE receipt_contexts RENAME TO receipt_contexts_plain")
    op.execute("ALTER INDEX pk_receipt_contexts RENAME TO pk_receipt_contexts_plain")
    op.execute("ALTER INDEX ix_receipt_contexts_created_at RENAME TO ix_receipt_contexts_plain")
    partitioned = _columns("receipt_contexts", "receipt_pk, created_at")
    op.execute(f"{partitioned} PARTITION BY RANGE (created_at)")
    op.execute("CREATE INDEX ix_receipt_contexts_created_at ON receipt_contexts (created_at)")
    op.execute("CREATE TABLE receipt_contexts_default PARTITION OF receipt_contexts DEFAULT")
    found = bind.exec_driver_sql(
        "SELECT DISTINCT date_trunc('month', created_at AT TIME ZONE 'UTC') "
        "FROM receipt_contexts_plain"
    ).scalars()
    months = {moment.replace(tzinfo=UTC) for moment in found}
    now = datetime.now(UTC)
    month = datetime(now.year, now.month, 1, tzinfo=UTC)
    for _ in range(AHEAD + 1):
        months.add(month)
        month = _next(month)
    for month in sorted(months):
        op.execute(
            f"CREATE TABLE receipt_contexts_{month.year:04d}_{month.month:02d} "
            f"PARTITION OF receipt_contexts FOR VALUES FROM ('{month.isoformat()}') "
            f"TO ('{_next(month).isoformat()}')"
        )
    op.execute(
        "INSERT INTO receipt_contexts (receipt_pk, salt, page_url, ip_prefix, user_agent, "
        "created_at) SELECT receipt_pk, salt, page_url, ip_prefix, user_agent, created_at "
        "FROM receipt_contexts_plain"
    )
    op.execute("DROP TABLE receipt_contexts_plain")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE receipt_contexts RENAME TO receipt_contexts_by_month")
    op.execute("ALTER INDEX pk_receipt_contexts RENAME TO pk_receipt_contexts_by_month")
    op.execute("ALTER INDEX ix_receipt_contexts_created_at RENAME TO ix_receipt_contexts_by_month")
    op.execute(_columns("receipt_contexts", "receipt_pk"))
    op.execute("CREATE INDEX ix_receipt_contexts_created_at ON receipt_contexts (created_at)")
    op.execute(
        "INSERT INTO receipt_contexts (receipt_pk, salt, page_url, ip_prefix, user_agent, "
        "created_at) SELECT receipt_pk, salt, page_url, ip_prefix, user_agent, created_at "
        "FROM receipt_contexts_by_month"
    )
    op.execute("DROP TABLE receipt_contexts_by_month")  # and its partitions
