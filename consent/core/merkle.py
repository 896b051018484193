"""RFC 6962 / RFC 9162 Merkle trees: leaf and node hashes, roots, proofs and their checks.

Nothing here knows where hashes are stored: proofs are built from a ``range_hash(lo, hi)``
callable (the tiles in :mod:`consent.core.tiles` supply one), and checking a proof needs
only the hashes themselves, so a visitor or auditor can do it with this module alone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence

from consent.core.tlog_errors import Malformed, OutOfRange, ProofFailed

HASH_SIZE = 32
#: The root of the empty tree: SHA-256 of nothing (RFC 9162 §2.1.1).
EMPTY_ROOT = hashlib.sha256(b"").digest()

#: The Merkle Tree Hash of leaves [lo, hi), where lo is a multiple of a power of two ≥ hi - lo.
RangeHash = Callable[[int, int], bytes]


def leaf_hash(data: bytes) -> bytes:
    """RFC 6962 leaf hash: SHA-256(0x00 ‖ data)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 6962 interior node hash: SHA-256(0x01 ‖ left ‖ right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_of_subtrees(subtrees: Sequence[bytes]) -> bytes:
    """The root over perfect subtrees of decreasing size, left to right."""
    if not subtrees:
        return EMPTY_ROOT
    root = subtrees[-1]
    for left in reversed(subtrees[:-1]):
        root = node_hash(left, root)
    return root


def perfect_root(hashes: bytes | bytearray) -> bytes:
    """The root of a perfect subtree whose 2^k bottom hashes are concatenated in ``hashes``."""
    level = [bytes(hashes[i : i + HASH_SIZE]) for i in range(0, len(hashes), HASH_SIZE)]
    while len(level) > 1:
        level = [node_hash(level[i], level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


def check_hash(value: bytes, what: str) -> None:
    """Raise ``Malformed`` unless ``value`` is one hash long."""
    if len(value) != HASH_SIZE:
        raise Malformed(f"{what} must be {HASH_SIZE} bytes, not {len(value)}")


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
        return root_of_subtrees(self._subtrees)


def merkle_root(leaf_hashes: Iterable[bytes]) -> bytes:
    """The RFC 6962 Merkle Tree Hash of a sequence of leaf hashes."""
    tree = MerkleAccumulator()
    for leaf in leaf_hashes:
        tree.append(leaf)
    return tree.root()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n ≥ 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def inclusion_path(range_hash: RangeHash, index: int, size: int) -> list[bytes]:
    """RFC 9162 §2.1.3.1 PATH(index, D[size]): sibling hashes from the leaf up."""
    if not 0 <= index < size:
        raise OutOfRange(f"leaf {index} is not in a tree of size {size}")
    lo, hi, path = 0, size, []
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            path.append(range_hash(lo + k, hi))
            hi = lo + k
        else:
            path.append(range_hash(lo, lo + k))
            lo += k
    return path[::-1]


def consistency_path(range_hash: RangeHash, old_size: int, new_size: int) -> list[bytes]:
    """RFC 9162 §2.1.4.1 PROOF(old_size, D[new_size]); empty when the sizes are equal."""
    if not 0 < old_size <= new_size:
        raise OutOfRange(f"no consistency proof from size {old_size} to {new_size}")
    lo, hi, m, whole, tail = 0, new_size, old_size, True, []
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:
            tail.append(range_hash(lo + k, hi))
            hi = lo + k
        else:
            tail.append(range_hash(lo, lo + k))
            lo, m, whole = lo + k, m - k, False
    head = [] if whole else [range_hash(lo, hi)]
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
        check_hash(value, "every hash")
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
        check_hash(value, "every hash")
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
