"""Reading a site's transparency log: signed checkpoints, tiles, entry bundles and proofs.

Every reader goes through here: the public log endpoints (:mod:`consent.visitor.log`), the
auditor's verify page and the visitor's own receipts. A read takes one connection of its
own and O(log n) rows (an entry bundle: one tile's receipts).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.exc import SQLAlchemyError

from consent.core.merkle import HASH_SIZE
from consent.core.tiles import ENTRIES, TILE_WIDTH, TileCoords, consistency_proof, entry_bundle
from consent.core.tiles import tile_width as available_width
from consent.errors import InvalidField, NotFound, Unavailable
from consent.extensions import db
from consent.ledger import transparency
from consent.models import Receipt

_R = Receipt.__table__


class SiteLog:
    """One site's log read over one connection; its size is read when first asked for."""

    def __init__(self, conn: Connection, site_key: str, site_id: int) -> None:
        self._conn = conn
        self.site_key = site_key
        self.site_id = site_id
        self.read = transparency.reader(conn, site_id)

    @cached_property
    def size(self) -> int:
        """The current tree size: the site's newest seq."""
        return transparency.size(self._conn, self.site_id)

    def checkpoint(self, size: int) -> str:
        """The checkpoint signed at ``size``."""
        return transparency.checkpoint(self.site_key, size, self.read)

    def tile(self, coords: TileCoords) -> bytes:
        """A tile or entry bundle at the current size; 404 when the log is not that big (yet)."""
        level = 0 if coords.level == ENTRIES else coords.level
        if coords.width > available_width(level, coords.index, self.size):
            raise NotFound("this tile does not exist (yet) at the log's current size")
        if coords.level == ENTRIES:
            return self._entries(coords.index, coords.width)
        return self.read(coords.level, coords.index)[: coords.width * HASH_SIZE]

    def _entries(self, index: int, width: int) -> bytes:
        first = index * TILE_WIDTH + 1
        hashes = self._conn.execute(
            select(_R.c.hash)
            .where(_R.c.site_id == self.site_id, _R.c.seq >= first, _R.c.seq < first + width)
            .order_by(_R.c.seq)
        ).scalars()
        return entry_bundle(bytes.fromhex(h) for h in hashes)

    def receipt_seq(self, receipt_id: str) -> int:
        """A receipt's place in the log (its ``seq``); 404 for a receipt the site lacks."""
        seq = self._conn.execute(
            select(_R.c.seq).where(_R.c.site_id == self.site_id, _R.c.receipt_id == receipt_id)
        ).scalar()
        if seq is None:
            raise NotFound("unknown receipt")
        return int(seq)

    def proof(self, seq: int, size: int) -> dict[str, Any]:
        """Receipt ``seq``'s inclusion proof in the tree of ``size``, with that checkpoint."""
        return transparency.proof(self.site_key, seq, size, self.read)

    def consistency(self, old: int, new: int) -> list[str]:
        """The proof that the tree of size ``new`` extends that of ``old``, base64 hashes."""
        return [transparency.b64(node) for node in consistency_proof(self.read, old, new)]


@contextmanager
def site_log(site_key: str, site_id: int) -> Iterator[SiteLog]:
    """A site's log over a connection of its own; 503 when the database is unavailable."""
    try:
        conn = db.engine.connect()
    except SQLAlchemyError as error:
        raise Unavailable("the consent database is unavailable") from error
    with conn:
        yield SiteLog(conn, site_key, site_id)


def signed_checkpoint(site_key: str, site_id: int, size: int | None = None) -> tuple[str, int]:
    """The site's checkpoint signed at ``size`` (default: now), and that size."""
    with site_log(site_key, site_id) as log:
        if size is None:
            size = log.size
        elif size > log.size:
            raise InvalidField("tree_size", f"must be a whole number from 0 to {log.size}")
        return log.checkpoint(size), size


def current_proofs(site_key: str, site_id: int, seqs: list[int]) -> dict[int, dict[str, Any]]:
    """Inclusion proofs of several receipts against the current checkpoint, signed once."""
    with site_log(site_key, site_id) as log:
        signed = log.checkpoint(log.size)
        return {seq: transparency.proof(site_key, seq, log.size, log.read, signed) for seq in seqs}
