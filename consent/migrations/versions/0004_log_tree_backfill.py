"""Build the transparency log's Merkle tiles for receipts that already exist.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from consent.core.merkle import leaf_hash
from consent.core.tree_edge import append_leaves

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BATCH = 10_000


def upgrade():
    conn = op.get_bind()
    tiles = sa.table(
        "log_tiles",
        sa.column("site_id", sa.Integer),
        sa.column("level", sa.Integer),
        sa.column("idx", sa.BigInteger),
        sa.column("hashes", sa.LargeBinary),
    )
    sites = conn.execute(sa.text("SELECT id FROM sites ORDER BY id")).scalars().all()
    for site_id in sites:
        if conn.execute(
            sa.text("SELECT 1 FROM log_tiles WHERE site_id = :s LIMIT 1"), {"s": site_id}
        ).first():
            continue  # already logged
        stored: dict[tuple[int, int], bytes] = {}
        size = 0
        rows = conn.execute(
            sa.text("SELECT hash FROM receipts WHERE site_id = :s ORDER BY seq"), {"s": site_id}
        ).scalars()
        batch = []
        for value in rows:
            batch.append(leaf_hash(bytes.fromhex(value)))
            if len(batch) == BATCH:
                size = _apply(stored, size, batch)
                batch = []
        _apply(stored, size, batch)
        if stored:
            conn.execute(
                tiles.insert(),
                [
                    {"site_id": site_id, "level": lv, "idx": ix, "hashes": data}
                    for (lv, ix), data in stored.items()
                ],
            )


def _apply(stored, size, leaves):
    for write in append_leaves(lambda lv, ix: stored.get((lv, ix), b""), size, leaves):
        stored[write.level, write.index] = write.data
    return size + len(leaves)


def downgrade():
    op.execute("DELETE FROM log_tiles")
