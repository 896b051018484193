"""Store partial log tiles as the slices their appends add, keyed by their first hash.

An append used to rewrite its partial level-0 tile (up to 8 KiB) in place; now it adds
one slice row, and the slices are folded into one row when the tile is full.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

KEY = ["site_id", "level", "idx"]


def upgrade():
    # Batch mode rebuilds the table on SQLite, which cannot alter a primary key in place.
    with op.batch_alter_table("log_tiles") as batch:
        batch.add_column(sa.Column("start", sa.Integer(), nullable=False, server_default="0"))
        batch.drop_constraint("pk_log_tiles", type_="primary")
        batch.create_primary_key("pk_log_tiles", [*KEY, "start"])


def downgrade():
    conn = op.get_bind()
    tiles = sa.table(
        "log_tiles",
        sa.column("site_id", sa.Integer),
        sa.column("level", sa.Integer),
        sa.column("idx", sa.BigInteger),
        sa.column("start", sa.Integer),
        sa.column("hashes", sa.LargeBinary),
    )
    sliced = conn.execute(
        sa.text("SELECT site_id, level, idx FROM log_tiles WHERE start > 0 GROUP BY 1, 2, 3")
    ).all()
    for site_id, level, idx in sliced:  # fold each sliced tile into one row
        where = sa.and_(tiles.c.site_id == site_id, tiles.c.level == level, tiles.c.idx == idx)
        rows = conn.execute(sa.select(tiles.c.hashes).where(where).order_by(tiles.c.start))
        data = b"".join(bytes(hashes) for (hashes,) in rows)
        conn.execute(sa.delete(tiles).where(where))
        conn.execute(
            tiles.insert().values(site_id=site_id, level=level, idx=idx, start=0, hashes=data)
        )
    with op.batch_alter_table("log_tiles") as batch:
        batch.drop_constraint("pk_log_tiles", type_="primary")
        batch.drop_column("start")
        batch.create_primary_key("pk_log_tiles", KEY)
