"""PostgreSQL: ``receipts`` and ``log_tiles`` partitioned by hash of ``site_id`` (16
partitions), so that every query of a site's ledger, which always names its site, reads one
sixteenth of the table, and vacuum and index builds work on a sixteenth at a time.

Each table is renamed, a partitioned one with the same columns (in the same order) takes its
name with its 16 partitions (``receipts_p00`` … ``receipts_p15``, modulus 16), the rows are
copied as they are and the old table dropped; then its keys, indexes, foreign keys to
``sites``, the append-only trigger of migration 0002 and the old table's grants are created
on the new one under their old names. Receipts' row ids keep their sequence
(``receipts_id_seq``, re-owned by the new table), so ids go on from where they were.

PostgreSQL requires the partition key in every unique key of a partitioned table:

* ``receipts``' primary key becomes ``(id, site_id)`` (``id`` alone stays the ORM's
  identity, and stays unique: it comes from one sequence); ``(site_id, seq)`` and
  ``(site_id, prev_hash)`` already hold it; ``receipt_id`` is unique per site
  (``uq_receipts_site_id_receipt_id``) instead of across sites: it is a random UUID, and every
  lookup by it names its site.
* ``log_tiles``' key already starts with ``site_id``.
* ``receipt_contexts.receipt_pk`` can no longer reference ``receipts (id)``, which no unique
  key holds alone: its foreign key is dropped. Receipts are never deleted (trigger and
  grants), so no context can lose its receipt; what the database no longer refuses is a
  context inserted under an id no receipt has, and the only inserts of contexts
  (``consent.ledger.rows``) take the id from the receipt inserted in the same transaction.

The copy holds both tables' locks until the migration commits: appends wait for it, so
migrate in a quiet hour (see docs/capacity.md). The old table's grants are given again on
the new one, so the app role keeps working; run docs/postgres-grants.sql afterwards anyway,
as after every migration.

SQLite has no partitioning: the embedded default keeps the plain tables as they are.

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

#: Partitions per table (the hash modulus): ``<table>_p00`` … ``<table>_p15``.
PARTITIONS = 16

RECEIPT_COLUMNS = """
    id BIGINT NOT NULL DEFAULT nextval('receipts_id_seq'::regclass),
    site_id INTEGER NOT NULL,
    seq BIGINT NOT NULL,
    receipt_id VARCHAR(40) NOT NULL,
    site_key VARCHAR(64) NOT NULL,
    subject_id VARCHAR(64) NOT NULL,
    created_at VARCHAR(24) NOT NULL,
    policy_version INTEGER NOT NULL,
    policy_hash VARCHAR(64) NOT NULL,
    language VARCHAR(8) NOT NULL,
    action VARCHAR(16) NOT NULL,
    categories JSON NOT NULL,
    vendors JSON NOT NULL,
    signals JSON NOT NULL,
    context_digest VARCHAR(64) NOT NULL,
    prev_hash VARCHAR(64) NOT NULL,
    hash VARCHAR(64) NOT NULL,
    banner_build VARCHAR(64)"""
TILE_COLUMNS = """
    site_id INTEGER NOT NULL,
    level INTEGER NOT NULL,
    idx BIGINT NOT NULL,
    hashes BYTEA NOT NULL,
    start INTEGER NOT NULL DEFAULT 0"""

#: The filter and time indexes (migrations 0001 and 0006), the same on both shapes.
RECEIPT_INDEXES = {
    "ix_receipts_site_subject_seq": "site_id, subject_id, seq",
    "ix_receipts_site_action_seq": "site_id, action, seq",
    "ix_receipts_site_version_seq": "site_id, policy_version, seq",
    "ix_receipts_site_created": "site_id, created_at",
}
#: Keys of each shape: a plain table's, and the partitioned one's (with the partition key).
RECEIPT_KEYS = {
    "plain": {
        "pk_receipts": "PRIMARY KEY (id)",
        "uq_receipts_receipt_id": "UNIQUE (receipt_id)",
    },
    "partitioned": {
        "pk_receipts": "PRIMARY KEY (id, site_id)",
        "uq_receipts_site_id_receipt_id": "UNIQUE (site_id, receipt_id)",
    },
}
SHARED_RECEIPT_KEYS = {
    "uq_receipts_site_id_seq": "UNIQUE (site_id, seq)",
    "uq_receipts_site_id_prev_hash": "UNIQUE (site_id, prev_hash)",
    "fk_receipts_site_id_sites": "FOREIGN KEY (site_id) REFERENCES sites (id)",
}
TILE_KEYS = {
    "pk_log_tiles": "PRIMARY KEY (site_id, level, idx, start)",
    "fk_log_tiles_site_id_sites": "FOREIGN KEY (site_id) REFERENCES sites (id)",
}
CONTEXT_FK_NAME = "fk_receipt_contexts_receipt_pk_receipts"
CONTEXT_FK = (
    f"ALTER TABLE receipt_contexts ADD CONSTRAINT {CONTEXT_FK_NAME} "
    "FOREIGN KEY (receipt_pk) REFERENCES receipts (id)"
)


def _grants(table):
    """The privileges given on ``table`` to roles other than its owner: (grantee, privilege)."""
    return (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE a.grantee::regrole::text END, "
                "a.privilege_type FROM pg_class c, aclexplode(c.relacl) a "
                "WHERE c.oid = to_regclass(:table) AND a.grantee <> c.relowner"
            ),
            {"table": table},
        )
        .all()
    )


def _rebuild(table, columns, partitioned, keys, copy_from):
    """Create ``table`` (hash-partitioned by site or plain), copy ``copy_from``'s rows into it,
    give it ``copy_from``'s grants, drop ``copy_from``, then add ``keys``.

    Keys and indexes are built after the copy (one bulk build each, not row by row); the old
    table is dropped first, so that they take their old names.
    """
    grants = _grants(copy_from)
    if partitioned:
        op.execute(f"CREATE TABLE {table} ({columns}) PARTITION BY HASH (site_id)")
        for remainder in range(PARTITIONS):
            op.execute(
                f"CREATE TABLE {table}_p{remainder:02d} PARTITION OF {table} "
                f"FOR VALUES WITH (MODULUS {PARTITIONS}, REMAINDER {remainder})"
            )
    else:
        op.execute(f"CREATE TABLE {table} ({columns})")
    names = ", ".join(line.split()[0] for line in columns.strip().splitlines())
    op.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {copy_from}")  # noqa: S608
    for grantee, privilege in grants:
        op.execute(f"GRANT {privilege} ON {table} TO {grantee}")
    op.execute(f"DROP TABLE {copy_from}")  # and its partitions, if it has any
    for name, definition in keys.items():
        op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")


def _receipts(partitioned):
    """Turn ``receipts`` into the partitioned shape (or back into a plain table)."""
    old = "receipts_plain" if partitioned else "receipts_by_site"
    op.execute(f"ALTER TABLE receipt_contexts DROP CONSTRAINT IF EXISTS {CONTEXT_FK_NAME}")
    op.execute(f"ALTER TABLE receipts RENAME TO {old}")
    # The sequence would go with the old table: it is kept, and owned by the new one.
    op.execute("ALTER SEQUENCE receipts_id_seq OWNED BY NONE")
    keys = {**RECEIPT_KEYS["partitioned" if partitioned else "plain"], **SHARED_RECEIPT_KEYS}
    _rebuild("receipts", RECEIPT_COLUMNS, partitioned, keys, old)
    op.execute("ALTER SEQUENCE receipts_id_seq OWNED BY receipts.id")
    for name, columns in RECEIPT_INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON receipts ({columns})")
    # Migration 0002's protection: a row trigger on a partitioned table fires for every
    # partition's rows (PostgreSQL 13 and later), and is cloned onto partitions added later.
    op.execute(
        "CREATE TRIGGER receipts_append_only BEFORE UPDATE OR DELETE ON receipts "
        "FOR EACH ROW EXECUTE FUNCTION receipts_append_only()"
    )
    op.execute("ANALYZE receipts")


def _tiles(partitioned):
    """Turn ``log_tiles`` into the partitioned shape (or back into a plain table)."""
    old = "log_tiles_plain" if partitioned else "log_tiles_by_site"
    op.execute(f"ALTER TABLE log_tiles RENAME TO {old}")
    _rebuild("log_tiles", TILE_COLUMNS, partitioned, TILE_KEYS, old)
    op.execute("ANALYZE log_tiles")


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    # Both tables' locks first, in the order an append takes them (receipts, then tiles).
    op.execute("LOCK TABLE receipts, log_tiles IN ACCESS EXCLUSIVE MODE")
    _receipts(partitioned=True)
    _tiles(partitioned=True)


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("LOCK TABLE receipts, log_tiles IN ACCESS EXCLUSIVE MODE")
    _receipts(partitioned=False)
    op.execute(CONTEXT_FK)
    _tiles(partitioned=False)
