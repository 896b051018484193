"""Each site's receipts as a transparency log: tiles in the database, signed checkpoints.

The pure rules live in :mod:`consent.core.merkle`, :mod:`consent.core.tiles` and
:mod:`consent.core.tree_edge` (Merkle tree, tiles, proofs) and :mod:`consent.core.notes`
(signed notes); this module stores tiles inside the append's transaction and signs
checkpoints and proofs from them, reading O(log n) rows. The signing key is
:mod:`consent.ledger.log_keys`; the log's readers go through :mod:`consent.ledger.log_reads`.
"""

from __future__ import annotations

import base64
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from sqlalchemy import Connection, bindparam, delete, func, select
from sqlalchemy.exc import IntegrityError

from consent.core.chain import GENESIS
from consent.core.merkle import HASH_SIZE, leaf_hash
from consent.core.notes import sign_checkpoint as _sign
from consent.core.tiles import TILE_WIDTH, TileReader, TileWrite, inclusion_proof, tree_root
from consent.core.tlog_errors import TileCorrupt
from consent.core.tree_edge import TreeEdge
from consent.ledger.log_keys import load_keys, log_keys, origin
from consent.models import LogTile, Receipt

_T = LogTile.__table__
_R = Receipt.__table__
#: How many of a site's newest receipts an append reads with its lock: a worker's cached
#: head among them catches up on the newer ones, which other workers appended.
RECENT = 8
#: How many sites' edges a worker keeps (each holds a few partial tiles, ≤ 8 KiB a level).
EDGES_KEPT = 256


def init_app(app: Flask) -> None:
    """Load the log key (refusing to start on a wrong one); start this worker's head cache."""
    load_keys(app)
    app.extensions["consent_log_heads"] = _Heads()


def reader(conn: Connection, site_id: int) -> TileReader:
    """Read a site's tiles (``b""`` when absent), each at most once per reader.

    A partial tile is stored as the slices its appends added; they are read in order and
    must follow each other without a gap or an overlap.
    """
    cache: dict[tuple[int, int], bytes] = {}

    def read(level: int, index: int) -> bytes:
        if (level, index) not in cache:
            rows = conn.execute(_TILE, {"site": site_id, "level": level, "idx": index}).all()
            data = bytearray()
            for start, hashes in rows:
                if start * HASH_SIZE != len(data):
                    problem = f"has a slice at {start} after {len(data)} bytes"
                    raise TileCorrupt(level, index, problem)
                data += hashes
            cache[level, index] = bytes(data)
        return cache[level, index]

    return read


#: One tile's slices in order.
_TILE = (
    select(_T.c.start, _T.c.hashes)
    .where(_T.c.site_id == bindparam("site"), _T.c.level == bindparam("level"))
    .where(_T.c.idx == bindparam("idx"))
    .order_by(_T.c.start)
)


@dataclass
class LogHead:
    """A site's log at its newest receipt: the chain's head hash and the tree's right edge."""

    hash: str
    edge: TreeEdge

    @property
    def size(self) -> int:
        """The tree size, which is the newest receipt's ``seq``."""
        return self.edge.size


class _Heads:
    """This worker's recent log heads per site; a head is taken out while one append uses it.

    An entry is only a hint: :func:`open_head` checks it against the receipts under the
    site's lock, so appends by other workers or instances are never missed.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._heads: OrderedDict[int, LogHead] = OrderedDict()

    def take(self, site_id: int) -> LogHead | None:
        with self._lock:
            return self._heads.pop(site_id, None)

    def keep(self, site_id: int, head: LogHead) -> None:
        with self._lock:
            known = self._heads.get(site_id)
            if known is None or known.size < head.size:
                self._heads[site_id] = head
                self._heads.move_to_end(site_id)
            while len(self._heads) > EDGES_KEPT:
                self._heads.popitem(last=False)


def open_head(conn: Connection, site_id: int, recent: Sequence[tuple[int, str]]) -> LogHead:
    """The site's current log head, given its newest receipts (``seq``, ``hash``), newest first.

    Call it holding the site's append lock, with the receipts read under it
    (:func:`consent.ledger.append.lock_chain`). A worker's cached head among them catches up on
    the newer ones; otherwise the edge is rebuilt from the tiles.
    """
    head = current_app.extensions["consent_log_heads"].take(site_id)
    if head is not None and _caught_up(head, recent):
        return head
    if not recent:
        return LogHead(GENESIS, TreeEdge())
    seq, value = recent[0]
    return LogHead(value, TreeEdge.from_tiles(reader(conn, site_id), seq))


def _caught_up(head: LogHead, recent: Sequence[tuple[int, str]]) -> bool:
    """Bring a cached head up to the newest receipts; False when it is not among them."""
    if head.size and (head.size, head.hash) not in recent:
        return False  # too far behind, or a head the receipts do not have: another history
    newer = [row for row in reversed(recent) if row[0] > head.size]
    for seq, (stored, value) in enumerate(newer, head.size + 1):
        if stored != seq:
            return False
        head.edge.append(leaf_hash(bytes.fromhex(value)))
        head.hash = value
    head.edge.take_writes()  # those tiles are stored already, by whoever appended
    return True


def add_leaf(head: LogHead, value: str) -> tuple[list[bytes], bytes]:
    """Log a receipt hash after ``head`` (in memory): its inclusion proof and the new root."""
    path = head.edge.append(leaf_hash(bytes.fromhex(value)))
    head.hash = value
    return path, head.edge.root()


def add_leaves(head: LogHead, values: Sequence[str]) -> None:
    """Log receipt hashes after ``head`` in memory, without proofs or roots (a bulk append)."""
    for value in values:
        head.edge.append(leaf_hash(bytes.fromhex(value)))
    if values:
        head.hash = values[-1]


def save(conn: Connection, site_id: int, head: LogHead) -> None:
    """Store the tiles that leaves added to ``head`` changed, inside the caller's transaction."""
    _store(conn, site_id, head.edge.take_writes())


def keep(site_id: int, head: LogHead) -> None:
    """Remember a head for this worker's next append to the site (a hint, checked on use)."""
    current_app.extensions["consent_log_heads"].keep(site_id, head)


def _store(conn: Connection, site_id: int, writes: list[TileWrite]) -> None:
    """Store tile writes: a partial tile gains a slice, a full one becomes one row.

    Appending a slice of one hash costs a small insert where rewriting the partial tile
    would write up to 8 KiB; the tile's slices are folded into one row when it is full.
    A slice is never overwritten: one already there means the tile is not what the
    receipts imply, and the append fails (a 503 either way; inside PostgreSQL's pipeline
    the conflict surfaces at COMMIT, as a database error rather than ``TileCorrupt``).
    """
    # A slice goes straight to the driver (the append's hot path; its statement is trivial,
    # and SQLAlchemy's work per execute would cost about as much as running it).
    raw = conn.connection.dbapi_connection
    slice_sql = _PG_SLICE if conn.dialect.name == "postgresql" else _SQLITE_SLICE
    conflict = (IntegrityError, conn.dialect.dbapi.IntegrityError)  # type: ignore[union-attr]
    for w in writes:  # one execute each (a few at most), which the ledger can pipeline
        key = {"site_id": site_id, "level": w.level, "idx": w.index}
        try:
            if w.width == TILE_WIDTH and w.start:
                conn.execute(_FOLD, key)
                conn.execute(_INSERT, {**key, "start": 0, "hashes": w.data})
            else:
                raw.execute(slice_sql, (site_id, w.level, w.index, w.start, w.new))  # type: ignore[union-attr]
        except conflict as error:
            raise TileCorrupt(w.level, w.index, f"has a slice at {w.start} already") from error


#: A tile slice; built once (building a statement costs more than running it).
_INSERT = _T.insert()
_PG_SLICE = "INSERT INTO log_tiles (site_id, level, idx, start, hashes) VALUES (%s, %s, %s, %s, %s)"
_SQLITE_SLICE = _PG_SLICE.replace("%s", "?")
#: All of a tile's slices, before it is stored whole.
_FOLD = delete(_T).where(
    _T.c.site_id == bindparam("site_id"),
    _T.c.level == bindparam("level"),
    _T.c.idx == bindparam("idx"),
)


def checkpoint(site_key: str, size: int, read: TileReader) -> str:
    """The signed checkpoint of a site's log at ``size``."""
    return _sign(origin(site_key), size, tree_root(read, size), log_keys().signer)


def proof(
    site_key: str, seq: int, size: int, read: TileReader, signed: str | None = None
) -> dict[str, Any]:
    """Receipt ``seq``'s inclusion proof in the tree of ``size``, with that checkpoint."""
    path = inclusion_proof(read, seq - 1, size)
    return _proof(seq, size, path, signed or checkpoint(site_key, size, read))


def newest_proof(site_key: str, size: int, path: list[bytes], root: bytes) -> dict[str, Any]:
    """The newest receipt's proof from :func:`extend`, signed at its size (after commit)."""
    return _proof(size, size, path, _sign(origin(site_key), size, root, log_keys().signer))


def _proof(seq: int, size: int, path: list[bytes], signed: str) -> dict[str, Any]:
    return {
        "leaf_index": seq - 1,
        "tree_size": size,
        "inclusion": [b64(node) for node in path],
        "checkpoint": signed,
    }


def b64(node: bytes) -> str:
    """A hash as proofs carry it: standard base64 with padding."""
    return base64.b64encode(node).decode()


def size(conn: Connection, site_id: int) -> int:
    """The current tree size: the site's newest seq."""
    return int(
        conn.execute(select(func.max(_R.c.seq)).where(_R.c.site_id == site_id)).scalar() or 0
    )
