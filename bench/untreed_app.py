"""The transparency baseline: the real app with the Merkle tree and the signature switched off.

Bench only. Every consents POST still validates, takes the per-site lock, reads the chain's
head, chains, hashes and inserts the receipt and its context, and issues the token; what is
stubbed is exactly the transparency step of :func:`consent.ledger.append._append`:

- ``open_head``: the head from the newest receipts that the lock's read gives both apps,
  no catch-up, no tile reads and no tree edge;
- ``add_leaf`` and ``save``: no leaf hashes, no proof, no root and no tile writes;
- ``keep``: no cached edge;
- ``newest_proof``: no Ed25519 signature (an empty proof of the same shape).

Use it on a site of its own: the sites it appends to have no tiles.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection

from consent import create_app
from consent.core.chain import GENESIS
from consent.core.tree_edge import TreeEdge
from consent.ledger import transparency


def _open_head(
    conn: Connection, site_id: int, recent: Sequence[tuple[int, str]]
) -> transparency.LogHead:
    edge = TreeEdge()
    if not recent:
        return transparency.LogHead(GENESIS, edge)
    edge.size, value = recent[0]
    return transparency.LogHead(value, edge)


def _add_leaf(head: transparency.LogHead, value: str) -> tuple[list[bytes], bytes]:
    head.hash, head.edge.size = value, head.edge.size + 1
    return [], b""


def _save(conn: Connection, site_id: int, head: transparency.LogHead) -> None:
    pass


def _keep(site_id: int, head: transparency.LogHead) -> None:
    pass


def _newest_proof(site_key: str, size: int, path: list[bytes], root: bytes) -> dict[str, Any]:
    return transparency._proof(size, size, path, "")


transparency.open_head = _open_head
transparency.add_leaf = _add_leaf
transparency.save = _save
transparency.keep = _keep
transparency.newest_proof = _newest_proof

app = create_app()
