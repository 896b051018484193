"""Appending to a tiled Merkle tree: its right edge, and the tile writes an append makes.

Appends return the tile writes as data (:class:`~consent.core.tiles.TileWrite`), so the
ledger can apply them inside the same transaction as the receipts they log.
"""

from __future__ import annotations

from collections.abc import Iterable

from consent.core.merkle import HASH_SIZE, check_hash, node_hash, perfect_root, root_of_subtrees
from consent.core.tiles import TILE_HEIGHT, TILE_WIDTH, TileReader, TileWrite
from consent.core.tlog_errors import OutOfRange, TileCorrupt


class TreeEdge:
    """The right edge of a tiled tree: all that appending needs, in O(log n) memory.

    It holds each level's rightmost (partial) tile and the roots of the complete subtrees
    left to right, one per set bit of ``size`` (as
    :class:`~consent.core.merkle.MerkleAccumulator` does), so an append costs one node hash
    amortised and no tile reads; the changed tiles are kept until :meth:`take_writes`.
    """

    def __init__(self) -> None:
        self.size = 0
        self._subtrees: list[bytes] = []
        self._tiles: list[bytearray] = []
        #: Tiles changed since the last :meth:`take_writes`: hashes stored then, contents now.
        self._changed: dict[tuple[int, int], tuple[int, bytearray]] = {}

    @classmethod
    def from_tiles(cls, read_tile: TileReader, size: int) -> TreeEdge:
        """The edge of the stored tree of ``size`` leaves: one tile read per level."""
        if size < 0:
            raise OutOfRange(f"tree size {size} is negative")
        edge, levels = cls(), []
        edge.size, level = size, 0
        while count := size >> (TILE_HEIGHT * level):
            index, width = divmod(count, TILE_WIDTH)
            data = read_tile(level, index) if width else b""
            if len(data) != width * HASH_SIZE:
                raise TileCorrupt(level, index, f"is {len(data)} bytes, not {width} hashes")
            edge._tiles.append(bytearray(data))
            levels.append(_edge_roots(data, width))
            level += 1
        edge._subtrees = [root for roots in reversed(levels) for root in roots]
        return edge

    def append(self, leaf: bytes) -> list[bytes]:
        """Add the next leaf hash; return its inclusion proof in the tree it ends."""
        check_hash(leaf, "a leaf hash")
        proof = self._subtrees[::-1]
        node, n, height = leaf, self.size, 0
        self.size += 1
        self._push(0, node)
        while n & 1:
            node = node_hash(self._subtrees.pop(), node)
            n, height = n >> 1, height + 1
            if height % TILE_HEIGHT == 0:  # a full tile's root begins the next level up
                self._push(height // TILE_HEIGHT, node)
        self._subtrees.append(node)
        return proof

    def _push(self, level: int, node: bytes) -> None:
        if level == len(self._tiles):
            self._tiles.append(bytearray())
        tile = self._tiles[level]
        if len(tile) == TILE_WIDTH * HASH_SIZE:
            tile = self._tiles[level] = bytearray()
        index = ((self.size >> (TILE_HEIGHT * level)) - 1) // TILE_WIDTH
        self._changed.setdefault((level, index), (len(tile) // HASH_SIZE, tile))
        tile += node  # in place: the entry above sees it

    def root(self) -> bytes:
        """The Merkle Tree Hash of the tree so far."""
        return root_of_subtrees(self._subtrees)

    def take_writes(self) -> list[TileWrite]:
        """The tiles changed since the last call: complete contents, and what was stored."""
        writes = [
            TileWrite(lv, ix, bytes(data), start)
            for (lv, ix), (start, data) in self._changed.items()
        ]
        self._changed = {}
        return writes


def _edge_roots(tile: bytes, width: int) -> list[bytes]:
    """The complete subtrees in a partial tile of ``width`` hashes, largest first."""
    roots = []
    for k in reversed(range(TILE_HEIGHT)):
        if width >> k & 1:  # a subtree of 2^k hashes, after the larger ones
            start = (width >> (k + 1)) << (k + 1)
            roots.append(perfect_root(tile[start * HASH_SIZE : (start + (1 << k)) * HASH_SIZE]))
    return roots


def append_leaves(
    read_tile: TileReader, size: int, leaf_hashes: Iterable[bytes]
) -> list[TileWrite]:
    """The tile writes that append leaf hashes to a tree of ``size`` leaves, each tile once."""
    edge = TreeEdge.from_tiles(read_tile, size)
    for leaf in leaf_hashes:
        edge.append(leaf)
    return edge.take_writes()
