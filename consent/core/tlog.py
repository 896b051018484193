"""The transparency log's pure core: RFC 6962/9162 Merkle hashing and proofs over C2SP tlog-tiles.

Imports neither Flask nor SQLAlchemy. Storage stays outside: tiles are read through a
``read_tile(level, index)`` callable and appends return the tile writes as data, so the
ledger can apply them inside its own transaction. Signed checkpoints live in ``notes``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

HASH_SIZE = 32
TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
#: The level of entry bundles (``tile/entries/…``) in tile coordinates, as in Go's tlog.
ENTRIES = -1
MAX_LEVEL = 63
#: The root of the empty tree: SHA-256 of nothing (RFC 9162 §2.1.1).
EMPTY_ROOT = hashlib.sha256(b"").digest()

#: Reads one stored tile: its hashes concatenated, possibly partial; ``b""`` when absent.
TileReader = Callable[[int, int], bytes]


class TlogError(Exception):
    """Base of every transparency-log error: bad input, a failed proof or inconsistent tiles."""


class Malformed(TlogError, ValueError):
    """Text or bytes that are not a valid key, note, checkpoint, tile path or hash."""


class OutOfRange(TlogError, ValueError):
    """A leaf index or tree size that the tree or the proof does not cover."""


class ProofFailed(TlogError):
    """An inclusion or consistency proof does not lead to the expected root."""


class TileCorrupt(TlogError):
    """A stored tile does not hold the number of hashes the tree size implies."""

    def __init__(self, level: int, index: int, problem: str) -> None:
        super().__init__(f"tile {level}/{index} {problem}")
        self.level, self.index = level, index


class BadSignature(TlogError):
    """A note carries a signature by a known key that does not verify."""

    def __init__(self, name: str, key_id: int) -> None:
        super().__init__(f"invalid signature by key {name}+{key_id:08x}")
        self.name, self.key_id = name, key_id


class UnknownKey(TlogError):
    """No signature on a note is by one of the known keys."""

    def __init__(self, signers: Sequence[tuple[str, int]]) -> None:
        found = ", ".join(f"{name}+{key_id:08x}" for name, key_id in signers) or "none"
        super().__init__(f"not signed by a known key (signatures by: {found})")
        self.signers = tuple(signers)


class WrongOrigin(TlogError):
    """A checkpoint is for another log than the one expected."""

    def __init__(self, expected: str, found: str) -> None:
        super().__init__(f"checkpoint is for {found!r}, expected {expected!r}")
        self.expected, self.found = expected, found


def leaf_hash(data: bytes) -> bytes:
    """RFC 6962 leaf hash: SHA-256(0x00 ‖ data)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 6962 interior node hash: SHA-256(0x01 ‖ left ‖ right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _fold(subtrees: Sequence[bytes]) -> bytes:
    """The root over perfect subtrees of decreasing size, left to right."""
    if not subtrees:
        return EMPTY_ROOT
    root = subtrees[-1]
    for left in reversed(subtrees[:-1]):
        root = node_hash(left, root)
    return root


def _perfect_root(hashes: bytes | bytearray) -> bytes:
    """The root of a perfect subtree whose 2^k bottom hashes are concatenated in ``hashes``."""
    level = [bytes(hashes[i : i + HASH_SIZE]) for i in range(0, len(hashes), HASH_SIZE)]
    while len(level) > 1:
        level = [node_hash(level[i], level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


class MerkleAccumulator:
    """The root of a stream of leaves in O(log n) memory: one subtree root per set bit of n."""

    def __init__(self) -> None:
        self.size = 0
        self._subtrees: list[bytes] = []

    def append(self, leaf: bytes) -> None:
        """Add the next leaf hash, merging the equal-height subtrees it completes."""
        node, n = leaf, self.size
        while n & 1:
            node = node_hash(self._subtrees.pop(), node)
            n >>= 1
        self._subtrees.append(node)
        self.size += 1

    def root(self) -> bytes:
        """The Merkle Tree Hash of the leaves appended so far."""
        return _fold(self._subtrees)


def merkle_root(leaf_hashes: Iterable[bytes]) -> bytes:
    """The RFC 6962 Merkle Tree Hash of a sequence of leaf hashes."""
    tree = MerkleAccumulator()
    for leaf in leaf_hashes:
        tree.append(leaf)
    return tree.root()


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
        return _perfect_root(data[position * HASH_SIZE : (position + (1 << k)) * HASH_SIZE])

    def range_hash(self, lo: int, hi: int) -> bytes:
        """MTH of leaves [lo, hi), where lo is a multiple of a power of two ≥ hi - lo."""
        subtrees = []
        while lo < hi:
            height = (hi - lo).bit_length() - 1
            subtrees.append(self.subtree(height, lo >> height))
            lo += 1 << height
        return _fold(subtrees)


def _check_hash(value: bytes, what: str) -> None:
    if len(value) != HASH_SIZE:
        raise Malformed(f"{what} must be {HASH_SIZE} bytes, not {len(value)}")


class TreeEdge:
    """The right edge of a tiled tree: all that appending needs, in O(log n) memory.

    It holds each level's rightmost (partial) tile and the roots of the complete subtrees
    left to right, one per set bit of ``size`` (as :class:`MerkleAccumulator` does), so an
    append costs one node hash amortised and no tile reads; the changed tiles are kept
    until :meth:`take_writes`.
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
        _check_hash(leaf, "a leaf hash")
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
        return _fold(self._subtrees)

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
            roots.append(_perfect_root(tile[start * HASH_SIZE : (start + (1 << k)) * HASH_SIZE]))
    return roots


def append_leaves(
    read_tile: TileReader, size: int, leaf_hashes: Iterable[bytes]
) -> list[TileWrite]:
    """The tile writes that append leaf hashes to a tree of ``size`` leaves, each tile once."""
    edge = TreeEdge.from_tiles(read_tile, size)
    for leaf in leaf_hashes:
        edge.append(leaf)
    return edge.take_writes()


def overlay(read_tile: TileReader, writes: Iterable[TileWrite]) -> TileReader:
    """A reader that sees ``writes`` over ``read_tile``: the tree after an append, before commit."""
    written = {(write.level, write.index): write.data for write in writes}

    def read(level: int, index: int) -> bytes:
        data = written.get((level, index))
        return read_tile(level, index) if data is None else data

    return read


def subtree_hash(read_tile: TileReader, height: int, index: int) -> bytes:
    """The hash of the complete subtree over leaves [index·2^height, (index+1)·2^height)."""
    return _Tiles(read_tile).subtree(height, index)


def tree_root(read_tile: TileReader, size: int) -> bytes:
    """The Merkle Tree Hash of the first ``size`` leaves (any size the tiles cover)."""
    if size < 0:
        raise OutOfRange(f"tree size {size} is negative")
    return _Tiles(read_tile).range_hash(0, size)


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n ≥ 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def inclusion_proof(read_tile: TileReader, index: int, size: int) -> list[bytes]:
    """RFC 9162 §2.1.3.1 PATH(index, D[size]): sibling hashes from the leaf up."""
    if not 0 <= index < size:
        raise OutOfRange(f"leaf {index} is not in a tree of size {size}")
    tiles, lo, hi, path = _Tiles(read_tile), 0, size, []
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            path.append(tiles.range_hash(lo + k, hi))
            hi = lo + k
        else:
            path.append(tiles.range_hash(lo, lo + k))
            lo += k
    return path[::-1]


def consistency_proof(read_tile: TileReader, old_size: int, new_size: int) -> list[bytes]:
    """RFC 9162 §2.1.4.1 PROOF(old_size, D[new_size]); empty when the sizes are equal."""
    if not 0 < old_size <= new_size:
        raise OutOfRange(f"no consistency proof from size {old_size} to {new_size}")
    tiles, lo, hi, m, whole, tail = _Tiles(read_tile), 0, new_size, old_size, True, []
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:
            tail.append(tiles.range_hash(lo + k, hi))
            hi = lo + k
        else:
            tail.append(tiles.range_hash(lo, lo + k))
            lo, m, whole = lo + k, m - k, False
    head = [] if whole else [tiles.range_hash(lo, hi)]
    return head + tail[::-1]


def _climb(fn: int, sn: int) -> tuple[int, int]:
    """Shift both node numbers right until fn's low bit is set or fn is zero."""
    while fn and not fn & 1:
        fn, sn = fn >> 1, sn >> 1
    return fn, sn


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """Check an inclusion proof per RFC 9162 §2.1.3.2; raise ``ProofFailed`` when it fails."""
    if not 0 <= index < size:
        raise OutOfRange(f"leaf {index} is not in a tree of size {size}")
    for value in (leaf, root, *proof):
        _check_hash(value, "every hash")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofFailed("inclusion proof is too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            fn, sn = _climb(fn, sn)
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofFailed("inclusion proof is too short")
    if r != root:
        raise ProofFailed(f"leaf {index} is not in the tree of size {size} with this root")


def verify_consistency(
    old_size: int, new_size: int, proof: Sequence[bytes], old_root: bytes, new_root: bytes
) -> None:
    """Check a consistency proof per RFC 9162 §2.1.4.2; raise ``ProofFailed`` when it fails."""
    if not 0 <= old_size <= new_size:
        raise OutOfRange(f"no consistency proof from size {old_size} to {new_size}")
    for value in (old_root, new_root, *proof):
        _check_hash(value, "every hash")
    if old_size in (0, new_size):
        if proof:
            raise ProofFailed(f"a proof from size {old_size} to {new_size} must be empty")
        if old_size == new_size and old_root != new_root:
            raise ProofFailed(f"two different roots for tree size {new_size}")
        return
    _run_consistency(old_size, new_size, proof, old_root, new_root)


def _run_consistency(
    old_size: int, new_size: int, proof: Sequence[bytes], old_root: bytes, new_root: bytes
) -> None:
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    if not path:
        raise ProofFailed("consistency proof is empty")
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofFailed("consistency proof is too long")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            fn, sn = _climb(fn, sn)
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofFailed("consistency proof is too short")
    if fr != old_root or sr != new_root:
        raise ProofFailed(f"tree of size {old_size} is not a prefix of the tree of size {new_size}")
