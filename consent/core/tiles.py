"""C2SP tlog-tiles: where each hash of the Merkle tree is stored, and reading the tree back.

Interior hashes live in tiles of height 8 (``TILE_WIDTH`` hashes each); entries in entry
bundles. Storage stays outside: tiles are read through a ``read_tile(level, index)``
callable, so the ledger reads them from its database and tests from a dict.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from consent.core.merkle import (
    HASH_SIZE,
    consistency_path,
    inclusion_path,
    perfect_root,
    root_of_subtrees,
)
from consent.core.tlog_errors import Malformed, OutOfRange, TileCorrupt

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
#: The level of entry bundles (``tile/entries/…``) in tile coordinates, as in Go's tlog.
ENTRIES = -1
MAX_LEVEL = 63

#: Reads one stored tile: its hashes concatenated, possibly partial; ``b""`` when absent.
TileReader = Callable[[int, int], bytes]


@dataclass(frozen=True, slots=True)
class TileCoords:
    """A tile's place: level (``ENTRIES`` for an entry bundle), index and width in hashes."""

    level: int
    index: int
    width: int = TILE_WIDTH

    @property
    def path(self) -> str:
        """The C2SP tlog-tiles path of this tile."""
        return tile_path(self.level, self.index, self.width)


_TILE_PATH = re.compile(
    r"tile/(entries|0|[1-9][0-9]*)/((?:x[0-9]{3}/)*[0-9]{3})(?:\.p/([1-9][0-9]*))?", re.ASCII
)


def tile_path(level: int, index: int, width: int = TILE_WIDTH) -> str:
    """C2SP path ``tile/<L>/<N>[.p/<W>]``: N in 3-digit groups, ``x`` before all but the last."""
    if not (ENTRIES <= level <= MAX_LEVEL and index >= 0 and 1 <= width <= TILE_WIDTH):
        raise OutOfRange(f"no tile at level {level}, index {index}, width {width}")
    groups = [f"{index % 1000:03d}"]
    while index >= 1000:
        index //= 1000
        groups.append(f"x{index % 1000:03d}")
    name = "entries" if level == ENTRIES else str(level)
    partial = "" if width == TILE_WIDTH else f".p/{width}"
    return f"tile/{name}/{'/'.join(reversed(groups))}{partial}"


def parse_tile_path(path: str) -> TileCoords:
    """Read a C2SP tile path; anything but the one canonical spelling is ``Malformed``."""
    match = _TILE_PATH.fullmatch(path)
    if match is None:
        raise Malformed(f"not a tile path: {path!r}")
    level = ENTRIES if match[1] == "entries" else int(match[1])
    index = int(match[2].replace("x", "").replace("/", ""))
    width = int(match[3]) if match[3] else TILE_WIDTH
    if level > MAX_LEVEL or width > TILE_WIDTH or tile_path(level, index, width) != path:
        raise Malformed(f"not a canonical tile path: {path!r}")
    return TileCoords(level, index, width)


def tile_width(level: int, index: int, size: int) -> int:
    """How many hashes (or entries) tile (level, index) holds in a tree of ``size`` leaves."""
    count = size >> (TILE_HEIGHT * max(level, 0))
    return max(0, min(TILE_WIDTH, count - index * TILE_WIDTH))


def entry_bundle(entries: Iterable[bytes]) -> bytes:
    """A C2SP entry bundle: each entry after its big-endian uint16 length."""
    return b"".join(len(entry).to_bytes(2, "big") + entry for entry in entries)


def parse_entry_bundle(data: bytes) -> list[bytes]:
    """The entries of a C2SP entry bundle."""
    entries, at = [], 0
    while at < len(data):
        end = at + 2 + int.from_bytes(data[at : at + 2], "big")
        if at + 2 > len(data) or end > len(data):
            raise Malformed("entry bundle ends inside an entry")
        entries.append(data[at + 2 : end])
        at = end
    return entries


@dataclass(frozen=True, slots=True)
class TileWrite:
    """A tile's complete new contents at (level, index), of which ``start`` hashes are stored.

    Only ``data[start * HASH_SIZE:]`` is new: a store may append that slice instead of
    rewriting the whole tile (up to 8 KiB) on every append.
    """

    level: int
    index: int
    data: bytes
    start: int = 0

    @property
    def new(self) -> bytes:
        """The hashes added since the tile was last stored."""
        return self.data[self.start * HASH_SIZE :]

    @property
    def width(self) -> int:
        """How many hashes the tile holds; ``TILE_WIDTH`` means it is full and final."""
        return len(self.data) // HASH_SIZE


def overlay(read_tile: TileReader, writes: Iterable[TileWrite]) -> TileReader:
    """A reader that sees ``writes`` over ``read_tile``: the tree after an append, before commit."""
    written = {(write.level, write.index): write.data for write in writes}

    def read(level: int, index: int) -> bytes:
        data = written.get((level, index))
        return read_tile(level, index) if data is None else data

    return read


class _Tiles:
    """The tiles of one call, each read at most once."""

    def __init__(self, read_tile: TileReader) -> None:
        self._read = read_tile
        self._tiles: dict[tuple[int, int], bytes] = {}

    def get(self, level: int, index: int) -> bytes:
        """The tile's hashes, read once."""
        if (level, index) not in self._tiles:
            data = self._read(level, index)
            if len(data) % HASH_SIZE or len(data) > TILE_WIDTH * HASH_SIZE:
                raise TileCorrupt(level, index, f"is {len(data)} bytes long")
            self._tiles[level, index] = data
        return self._tiles[level, index]

    def subtree(self, height: int, index: int) -> bytes:
        """Node (height, index): a perfect subtree's root, from the one tile holding its base."""
        level, k = divmod(height, TILE_HEIGHT)
        tile_index, position = divmod(index << k, TILE_WIDTH)
        data = self.get(level, tile_index)
        if len(data) < (position + (1 << k)) * HASH_SIZE:
            raise TileCorrupt(
                level, tile_index, f"is {len(data)} bytes, too short for node {index}"
            )
        return perfect_root(data[position * HASH_SIZE : (position + (1 << k)) * HASH_SIZE])

    def range_hash(self, lo: int, hi: int) -> bytes:
        """MTH of leaves [lo, hi), where lo is a multiple of a power of two ≥ hi - lo."""
        subtrees = []
        while lo < hi:
            height = (hi - lo).bit_length() - 1
            subtrees.append(self.subtree(height, lo >> height))
            lo += 1 << height
        return root_of_subtrees(subtrees)


def subtree_hash(read_tile: TileReader, height: int, index: int) -> bytes:
    """The hash of the complete subtree over leaves [index·2^height, (index+1)·2^height)."""
    return _Tiles(read_tile).subtree(height, index)


def tree_root(read_tile: TileReader, size: int) -> bytes:
    """The Merkle Tree Hash of the first ``size`` leaves (any size the tiles cover)."""
    if size < 0:
        raise OutOfRange(f"tree size {size} is negative")
    return _Tiles(read_tile).range_hash(0, size)


def inclusion_proof(read_tile: TileReader, index: int, size: int) -> list[bytes]:
    """RFC 9162 PATH(index, D[size]) from the tiles: O(log n) reads, never all leaves."""
    return inclusion_path(_Tiles(read_tile).range_hash, index, size)


def consistency_proof(read_tile: TileReader, old_size: int, new_size: int) -> list[bytes]:
    """RFC 9162 PROOF(old_size, D[new_size]) from the tiles; empty when the sizes are equal."""
    return consistency_path(_Tiles(read_tile).range_hash, old_size, new_size)
