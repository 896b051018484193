"""The transparency log core: RFC 6962 vectors, tiles, proofs and signed checkpoints."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consent.core.merkle import (
    EMPTY_ROOT,
    leaf_hash,
    merkle_root,
    node_hash,
    verify_consistency,
    verify_inclusion,
)
from consent.core.notes import (
    Checkpoint,
    generate_signer_key,
    open_checkpoint,
    open_note,
    parse_checkpoint,
    parse_signer_key,
    parse_verifier_key,
    sign_checkpoint,
    sign_note,
)
from consent.core.tiles import (
    ENTRIES,
    TILE_WIDTH,
    TileCoords,
    TileWrite,
    consistency_proof,
    entry_bundle,
    inclusion_proof,
    overlay,
    parse_entry_bundle,
    parse_tile_path,
    subtree_hash,
    tile_path,
    tile_width,
    tree_root,
)
from consent.core.tlog_errors import (
    BadSignature,
    Malformed,
    OutOfRange,
    ProofFailed,
    TileCorrupt,
    TlogError,
    UnknownKey,
    WrongOrigin,
)
from consent.core.tree_edge import TreeEdge, append_leaves

# The RFC 6962 reference tree that Certificate Transparency implementations test against
# (transparency-dev/merkle proof/verify_test.go, certificate-transparency-go).
LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
]
ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
# (leaf index, tree size, proof): the vectors number leaves from 1, these from 0.
INCLUSION = [
    (0, 1, []),
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]  # fmt: skip
CONSISTENCY = [
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]  # fmt: skip
# golang.org/x/mod/sumdb/note's example key and signed note (Ed25519 is deterministic).
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT + "\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXg"
    "KvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
ORIGIN = "consent.example/log/site1"


class Store:
    """Tile slices in a dict, as the ledger keeps them in ``log_tiles``; counts reads."""

    def __init__(self) -> None:
        self.slices: dict[tuple[int, int], dict[int, bytes]] = {}
        self.size = 0
        self.reads: list[tuple[int, int]] = []

    @property
    def tiles(self) -> dict[tuple[int, int], bytes]:
        """Each tile: its slices joined in order."""
        return {
            key: b"".join(part for _, part in sorted(s.items())) for key, s in self.slices.items()
        }

    def read(self, level: int, index: int) -> bytes:
        self.reads.append((level, index))
        return self.tiles.get((level, index), b"")

    def store(self, writes: Sequence[TileWrite]) -> None:
        """A partial tile gains the new slice; a full tile becomes one slice."""
        for write in writes:
            slices = self.slices.setdefault((write.level, write.index), {})
            if write.width == TILE_WIDTH:
                slices.clear()
                slices[0] = write.data
            else:
                assert write.start not in slices
                slices[write.start] = write.new

    def append(self, leaf_hashes: Sequence[bytes]) -> None:
        self.store(append_leaves(self.read, self.size, leaf_hashes))
        self.size += len(leaf_hashes)


def naive_root(hashes: Sequence[bytes]) -> bytes:
    """RFC 6962 §2.1's recursive definition of MTH, over leaf hashes."""
    if not hashes:
        return hashlib.sha256(b"").digest()
    if len(hashes) == 1:
        return hashes[0]
    k = 1 << ((len(hashes) - 1).bit_length() - 1)
    return node_hash(naive_root(hashes[:k]), naive_root(hashes[k:]))


def hashes_of(n: int, salt: str = "") -> list[bytes]:
    return [leaf_hash(hashlib.sha256(f"{salt}receipt {i}".encode()).digest()) for i in range(n)]


def flip(data: bytes, bit: int) -> bytes:
    bit %= len(data) * 8
    return data[: bit // 8] + bytes([data[bit // 8] ^ (1 << bit % 8)]) + data[bit // 8 + 1 :]


@pytest.fixture(scope="module")
def reference() -> Store:
    store = Store()
    for leaf in LEAVES:
        store.append([leaf_hash(leaf)])
    return store


BIG = 3000
BIG_HASHES = hashes_of(BIG)
BIG_STORE = Store()
BIG_STORE.append(BIG_HASHES[:1])
for start, stop in [(1, 255), (255, 257), (257, 700), (700, 701), (701, 2048), (2048, BIG)]:
    BIG_STORE.append(BIG_HASHES[start:stop])


# --- RFC 6962 reference vectors: the hashing core on arbitrary leaf data ---------------


@pytest.mark.parametrize("size", range(1, 9))
def test_reference_roots(reference: Store, size: int) -> None:
    hashes = [leaf_hash(leaf) for leaf in LEAVES[:size]]
    assert merkle_root(hashes).hex() == ROOTS[size - 1]
    assert naive_root(hashes).hex() == ROOTS[size - 1]
    assert tree_root(reference.read, size).hex() == ROOTS[size - 1]


def test_empty_tree(reference: Store) -> None:
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert merkle_root([]) == tree_root(reference.read, 0) == EMPTY_ROOT


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION)
def test_reference_inclusion(reference: Store, index: int, size: int, proof: list[str]) -> None:
    assert [p.hex() for p in inclusion_proof(reference.read, index, size)] == proof
    leaf, root = leaf_hash(LEAVES[index]), bytes.fromhex(ROOTS[size - 1])
    verify_inclusion(index, size, leaf, [bytes.fromhex(p) for p in proof], root)


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY)
def test_reference_consistency(reference: Store, old: int, new: int, proof: list[str]) -> None:
    assert [p.hex() for p in consistency_proof(reference.read, old, new)] == proof
    roots = bytes.fromhex(ROOTS[old - 1]), bytes.fromhex(ROOTS[new - 1])
    verify_consistency(old, new, [bytes.fromhex(p) for p in proof], *roots)


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION[1:])
def test_corrupted_inclusion_fails(index: int, size: int, proof: list[str]) -> None:
    path = [bytes.fromhex(p) for p in proof]
    leaf, root, other = leaf_hash(LEAVES[index]), bytes.fromhex(ROOTS[size - 1]), EMPTY_ROOT
    probes = [
        (index - 1, size, leaf, path, root),
        (index + 1, size, leaf, path, root),
        (index ^ 2, size, leaf, path, root),
        (index, size * 2, leaf, path, root),
        (index, size // 2, leaf, path, root),
        (index, size, leaf_hash(b"WrongLeaf"), path, root),
        (index, size, leaf, path, other),
        (index, size, leaf, [*path, root], root),
        (index, size, leaf, [root, *path], root),
        (index, size, leaf, path[:-1], root),
        (index, size, leaf, [*path, b""], root),
    ]
    for probe in probes:
        with pytest.raises(TlogError):
            verify_inclusion(*probe)


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY[1:])
def test_corrupted_consistency_fails(old: int, new: int, proof: list[str]) -> None:
    path = [bytes.fromhex(p) for p in proof]
    r1, r2 = bytes.fromhex(ROOTS[old - 1]), bytes.fromhex(ROOTS[new - 1])
    probes = [
        (old - 1, new, path, r1, r2),
        (old + 1, new, path, r1, r2),
        (old ^ 2, new, path, r1, r2),
        (old, new * 2, path, r1, r2),
        (old, new // 2, path, r1, r2),
        (old, new, path, EMPTY_ROOT, r2),
        (old, new, path, r1, EMPTY_ROOT),
        (old, new, path, r2, r1),
        (old, new, [], r1, r2),
        (old, new, [*path, r1], r1, r2),
        (old, new, [r2, *path], r1, r2),
        (old, new, [path[0], *path], r1, r2),
        (old, new, path[:-1], r1, r2),
    ]
    for probe in probes:
        with pytest.raises(TlogError):
            verify_consistency(*probe)


@pytest.mark.parametrize(
    ("old", "new", "proof", "roots", "ok"),
    [
        (0, 0, [], ("a", "a"), True),
        (0, 5, [], ("a", "b"), True),  # the empty tree is a prefix of every tree
        (3, 3, [], ("a", "a"), True),
        (3, 3, [], ("a", "b"), False),  # two heads for one size
        (3, 3, ["a"], ("a", "a"), False),
        (0, 5, ["a"], ("a", "b"), False),
        (2, 1, [], ("a", "b"), False),
        (1, 2, [], ("a", "b"), False),
    ],
)
def test_consistency_edge_cases(
    old: int, new: int, proof: list[str], roots: tuple[str, str], ok: bool
) -> None:
    def h(name: str) -> bytes:
        return hashlib.sha256(name.encode()).digest()

    args = (old, new, [h(p) for p in proof], h(roots[0]), h(roots[1]))
    if ok:
        verify_consistency(*args)
    else:
        with pytest.raises(TlogError):
            verify_consistency(*args)


# --- Tiles: append, read, prove -------------------------------------------------------


def test_batched_and_single_appends_store_the_same_tiles() -> None:
    one_by_one = Store()
    for leaf in BIG_HASHES[:700]:
        one_by_one.append([leaf])
    batched = Store()
    batched.append(BIG_HASHES[:700])
    assert one_by_one.tiles == batched.tiles
    assert sorted(batched.tiles) == [(0, 0), (0, 1), (0, 2), (1, 0)]
    assert [len(batched.tiles[key]) // 32 for key in sorted(batched.tiles)] == [256, 256, 188, 2]
    # Stored as slices: one per append into a partial tile, one for each full tile.
    slices = {key: sorted(parts) for key, parts in one_by_one.slices.items()}
    assert slices == {(0, 0): [0], (0, 1): [0], (0, 2): list(range(188)), (1, 0): [0, 1]}
    assert {key: sorted(parts) for key, parts in batched.slices.items()} == {
        key: [0] for key in slices
    }


def test_writes_carry_only_the_new_hashes_of_a_partial_tile() -> None:
    store = Store()
    store.append(BIG_HASHES[:300])
    edge = TreeEdge.from_tiles(store.read, 300)
    edge.append(BIG_HASHES[300])
    edge.append(BIG_HASHES[301])
    (write,) = edge.take_writes()
    assert (write.level, write.index, write.start, write.width) == (0, 1, 44, 46)
    assert write.new == b"".join(BIG_HASHES[300:302])
    for leaf in BIG_HASHES[302:512]:
        edge.append(leaf)
    writes = {(w.level, w.index): (w.start, w.width) for w in edge.take_writes()}
    assert writes == {(0, 1): (46, 256), (1, 0): (1, 2)}


def test_append_reads_the_edge_tiles_once_and_refuses_inconsistent_tiles() -> None:
    store = Store()
    store.append(BIG_HASHES[:300])
    store.reads.clear()
    store.append(BIG_HASHES[300:320])
    assert store.reads == [(0, 1), (1, 0)]  # one rightmost tile per level
    with pytest.raises(TileCorrupt):  # the tree has 320 leaves, not 319
        append_leaves(store.read, 319, [BIG_HASHES[320]])
    with pytest.raises(Malformed):
        append_leaves(store.read, 320, [b"short"])


@given(st.integers(0, 1200), st.integers(1, 300))
def test_the_edge_appends_as_the_tiles_do(start: int, count: int) -> None:
    """An edge rebuilt from the tiles at any size writes the same tiles, roots and proofs."""
    hashes = BIG_HASHES[: start + count]
    store = Store()
    store.append(hashes[:start])
    edge = TreeEdge.from_tiles(store.read, start)
    assert edge.size == start and edge.root() == naive_root(hashes[:start])
    for size, leaf in enumerate(hashes[start:], start + 1):
        proof = edge.append(leaf)
        verify_inclusion(size - 1, size, leaf, proof, edge.root())
    writes = edge.take_writes()
    assert writes == append_leaves(store.read, start, hashes[start:]) and edge.take_writes() == []
    store.store(writes)
    assert edge.root() == naive_root(hashes) == tree_root(store.read, len(hashes))
    assert proof == inclusion_proof(store.read, len(hashes) - 1, len(hashes))


def test_the_edge_of_three_levels() -> None:
    hashes = hashes_of((1 << 16) + 3, salt="edge")
    store = Store()
    store.append(hashes[:65535])
    store.reads.clear()
    edge = TreeEdge.from_tiles(store.read, 65535)
    assert store.reads == [(0, 255), (1, 0)]
    for leaf in hashes[65535:]:
        edge.append(leaf)
    writes = {(w.level, w.index): w.width for w in edge.take_writes()}
    assert writes == {(0, 255): 256, (0, 256): 3, (1, 0): 256, (2, 0): 1}
    assert edge.root() == naive_root(hashes)


def test_the_edge_refuses_inconsistent_tiles() -> None:
    with pytest.raises(TileCorrupt):  # BIG_STORE holds 3000 leaves, not 2999
        TreeEdge.from_tiles(BIG_STORE.read, BIG - 1)
    with pytest.raises(OutOfRange):
        TreeEdge.from_tiles(BIG_STORE.read, -1)
    with pytest.raises(Malformed):
        TreeEdge().append(b"short")


def test_overlay_shows_the_tree_before_commit() -> None:
    store = Store()
    store.append(BIG_HASHES[:255])
    writes = append_leaves(store.read, 255, BIG_HASHES[255:260])
    assert {(w.level, w.index, w.width) for w in writes} == {(0, 0, 256), (0, 1, 4), (1, 0, 1)}
    assert tree_root(overlay(store.read, writes), 260) == naive_root(BIG_HASHES[:260])
    assert tree_root(store.read, 255) == naive_root(BIG_HASHES[:255])


def test_subtree_hash_reads_one_tile() -> None:
    for height, index in [(0, 2999), (3, 100), (8, 5), (9, 2), (11, 0)]:
        BIG_STORE.reads.clear()
        expected = naive_root(BIG_HASHES[index << height : (index + 1) << height])
        assert subtree_hash(BIG_STORE.read, height, index) == expected
        assert len(BIG_STORE.reads) == 1


def test_two_tile_levels_and_a_third() -> None:
    """Past 65,536 leaves the level-1 tile fills and level 2 begins."""
    n = (1 << 16) + 300
    hashes = hashes_of(n, salt="big")
    store = Store()
    store.append(hashes)
    assert len(store.tiles[1, 0]) == 256 * 32 and len(store.tiles[2, 0]) == 32
    assert subtree_hash(store.read, 16, 0) == store.tiles[2, 0]
    for size in (65535, 65536, 65537, n):
        root = tree_root(store.read, size)
        assert root == naive_root(hashes[:size])
        store.reads.clear()
        proof = inclusion_proof(store.read, size - 1, size)
        assert len(set(store.reads)) == len(store.reads) <= 6  # O(log n) rows, cached
        verify_inclusion(size - 1, size, hashes[size - 1], proof, root)
    proof = consistency_proof(store.read, 65535, n)
    verify_consistency(65535, n, proof, naive_root(hashes[:65535]), naive_root(hashes))


def test_proofs_refuse_out_of_range_and_missing_tiles() -> None:
    for call in (
        lambda: inclusion_proof(BIG_STORE.read, 5, 5),
        lambda: inclusion_proof(BIG_STORE.read, -1, 5),
        lambda: consistency_proof(BIG_STORE.read, 0, 5),
        lambda: consistency_proof(BIG_STORE.read, 6, 5),
        lambda: tree_root(BIG_STORE.read, -1),
    ):
        with pytest.raises(OutOfRange):
            call()
    with pytest.raises(TileCorrupt):
        tree_root(BIG_STORE.read, BIG + 1)


def test_every_proof_in_small_trees() -> None:
    """Exhaustive for all sizes up to 40: every inclusion and consistency proof verifies."""
    for size in range(1, 41):
        root = naive_root(BIG_HASHES[:size])
        for index in range(size):
            proof = inclusion_proof(BIG_STORE.read, index, size)
            verify_inclusion(index, size, BIG_HASHES[index], proof, root)
        for old in range(1, size + 1):
            proof = consistency_proof(BIG_STORE.read, old, size)
            verify_consistency(old, size, proof, naive_root(BIG_HASHES[:old]), root)


sizes = st.integers(1, BIG)


@given(sizes, st.data())
def test_roots_and_proofs_from_tiles(size: int, data: st.DataObject) -> None:
    root = tree_root(BIG_STORE.read, size)
    assert root == naive_root(BIG_HASHES[:size])
    index = data.draw(st.integers(0, size - 1), label="index")
    proof = inclusion_proof(BIG_STORE.read, index, size)
    verify_inclusion(index, size, BIG_HASHES[index], proof, root)
    old = data.draw(st.integers(1, size), label="old")
    old_root = tree_root(BIG_STORE.read, old)
    verify_consistency(old, size, consistency_proof(BIG_STORE.read, old, size), old_root, root)


@given(sizes, st.data(), st.integers(0, 255))
def test_a_flipped_bit_fails_inclusion(size: int, data: st.DataObject, bit: int) -> None:
    index = data.draw(st.integers(0, size - 1), label="index")
    root, leaf = tree_root(BIG_STORE.read, size), BIG_HASHES[index]
    proof = inclusion_proof(BIG_STORE.read, index, size)
    probes = [(flip(leaf, bit), proof, root), (leaf, proof, flip(root, bit))]
    if proof:
        at = data.draw(st.integers(0, len(proof) - 1), label="element")
        probes.append((leaf, [*proof[:at], flip(proof[at], bit), *proof[at + 1 :]], root))
    for bad_leaf, bad_proof, bad_root in probes:
        with pytest.raises(ProofFailed):
            verify_inclusion(index, size, bad_leaf, bad_proof, bad_root)


@given(st.integers(2, BIG), st.data(), st.integers(0, 255))
def test_a_flipped_bit_fails_consistency(size: int, data: st.DataObject, bit: int) -> None:
    old = data.draw(st.integers(1, size - 1), label="old")
    roots = tree_root(BIG_STORE.read, old), tree_root(BIG_STORE.read, size)
    proof = consistency_proof(BIG_STORE.read, old, size)
    at = data.draw(st.integers(0, len(proof) - 1), label="element")
    probes = [
        ([*proof[:at], flip(proof[at], bit), *proof[at + 1 :]], *roots),
        (proof, flip(roots[0], bit), roots[1]),
        (proof, roots[0], flip(roots[1], bit)),
    ]
    for bad_proof, old_root, new_root in probes:
        with pytest.raises(ProofFailed):
            verify_consistency(old, size, bad_proof, old_root, new_root)


# --- Tile paths and entry bundles -------------------------------------------------------


@pytest.mark.parametrize(
    ("coords", "path"),
    [
        (TileCoords(0, 0), "tile/0/000"),
        (TileCoords(0, 1234067), "tile/0/x001/x234/067"),
        (TileCoords(1, 1234067, 5), "tile/1/x001/x234/067.p/5"),
        (TileCoords(2, 1000), "tile/2/x001/000"),
        (TileCoords(3, 999, 255), "tile/3/999.p/255"),
        (TileCoords(63, 1_000_000), "tile/63/x001/x000/000"),
        (TileCoords(ENTRIES, 0, 1), "tile/entries/000.p/1"),
        (TileCoords(ENTRIES, 48), "tile/entries/048"),
    ],
)
def test_tile_paths(coords: TileCoords, path: str) -> None:
    assert coords.path == tile_path(coords.level, coords.index, coords.width) == path
    assert parse_tile_path(path) == coords


@pytest.mark.parametrize(
    "path",
    [
        "tile/0/0",
        "tile/00/000",
        "tile/01/000",
        "tile/64/000",
        "tile/-1/000",
        "tile/data/000",
        "tile/0/x000/001",
        "tile/0/1234",
        "tile/0/x001",
        "tile/0/000/",
        "/tile/0/000",
        "tile/0/001.p/0",
        "tile/0/001.p/256",
        "tile/0/001.p/01",
        "tile/0/001.p/",
        "tile/0/001.p",
        "tile/entries/000.p/256",
        "tile/0/\uff10\uff10\uff10",
        "tile/8/0/000",
    ],
)
def test_malformed_tile_paths(path: str) -> None:
    with pytest.raises(Malformed):
        parse_tile_path(path)


@given(st.integers(ENTRIES, 63), st.integers(0, 10**15), st.integers(1, 256))
def test_tile_paths_round_trip(level: int, index: int, width: int) -> None:
    assert parse_tile_path(tile_path(level, index, width)) == TileCoords(level, index, width)


@pytest.mark.parametrize(
    ("level", "index", "size", "width"),
    [
        (0, 0, 0, 0),
        (0, 0, 1, 1),
        (0, 0, 300, 256),
        (0, 1, 300, 44),
        (0, 2, 300, 0),
        (1, 0, 300, 1),
        (1, 0, 255, 0),
        (1, 1, 65536 + 256, 1),
        (2, 0, 65536, 1),
        (ENTRIES, 1, 300, 44),
    ],
)
def test_tile_width(level: int, index: int, size: int, width: int) -> None:
    assert tile_width(level, index, size) == width


def test_entry_bundles() -> None:
    entries = [bytes([i]) * 32 for i in range(3)]
    bundle = entry_bundle(entries)
    assert bundle[:2] == b"\x00\x20" and len(bundle) == 3 * 34
    assert parse_entry_bundle(bundle) == entries
    for cut in (1, 33, 35):
        with pytest.raises(Malformed):
            parse_entry_bundle(bundle[:cut])


# --- Keys, signed notes and checkpoints -----------------------------------------------


def test_go_note_vector() -> None:
    signer = parse_signer_key(GO_SKEY)
    assert signer.verifier.vkey == GO_VKEY and signer.skey == GO_SKEY
    assert sign_note(GO_TEXT, signer) == GO_NOTE
    note = open_note(GO_NOTE, [parse_verifier_key(GO_VKEY)])
    assert note.text == GO_TEXT and note.signed_by == (signer.verifier,)
    assert "AYEK" not in repr(signer)


def test_generated_keys() -> None:
    skey, vkey = generate_signer_key("consent.example:8443")
    signer, verifier = parse_signer_key(skey), parse_verifier_key(vkey)
    assert signer.verifier == verifier and verifier.name == "consent.example:8443"
    digest = hashlib.sha256(b"consent.example:8443\n" + b"\x01" + verifier.public_key).digest()
    assert vkey.split("+")[1] == digest[:4].hex() == f"{verifier.key_id:08x}"
    assert skey.startswith("PRIVATE+KEY+consent.example:8443+")


@pytest.mark.parametrize("name", ["", "a b", "a+b", "tab\there", "nl\n", "nbsp\u00a0"])
def test_bad_key_names(name: str) -> None:
    with pytest.raises(Malformed):
        generate_signer_key(name)


@pytest.mark.parametrize(
    "vkey",
    [
        GO_VKEY.replace("c74f20a3", "c74f20a4"),  # key id does not match
        GO_VKEY.replace("c74f20a3", "c74f20a"),
        GO_VKEY.replace("ARpc", "Apc"),
        GO_VKEY + "=",
        GO_VKEY[:-1] + "X",  # non-zero padding bits: not canonical base64
        "PeterNeumann+c74f20a3",
        "PeterNeumann",
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # algorithm 0x65
        GO_SKEY,
    ],
)
def test_malformed_verifier_keys(vkey: str) -> None:
    with pytest.raises(Malformed):
        parse_verifier_key(vkey)


@pytest.mark.parametrize(
    "skey",
    [GO_VKEY, GO_SKEY.replace("c74f20a3", "c74f20a4"), GO_SKEY[:-2], "PRIVATE+KEY+x+00000000+AQ=="],
)
def test_malformed_signer_keys(skey: str) -> None:
    with pytest.raises(Malformed):
        parse_signer_key(skey)


SIGNER = parse_signer_key(GO_SKEY)
OTHER = parse_signer_key(generate_signer_key("other.example")[0])
ROOT = bytes(range(32))


def test_checkpoint_text_and_round_trip() -> None:
    note = sign_checkpoint(ORIGIN, 1234, ROOT, SIGNER)
    text = f"{ORIGIN}\n1234\n{base64.b64encode(ROOT).decode()}\n"
    assert note.startswith(text + "\n— PeterNeumann ")
    assert note.endswith("\n") and note.count("\n") == 5
    expected = Checkpoint(ORIGIN, 1234, ROOT)
    assert open_checkpoint(note, [SIGNER.verifier], origin=ORIGIN) == expected
    assert open_checkpoint(note.encode(), [OTHER.verifier, SIGNER.verifier]) == expected
    with pytest.raises(WrongOrigin):
        open_checkpoint(note, [SIGNER.verifier], origin="consent.example/log/site2")


def test_signature_outcomes() -> None:
    both = sign_note(Checkpoint(ORIGIN, 7, ROOT).text, OTHER, SIGNER)
    assert open_checkpoint(both, [SIGNER.verifier]).size == 7  # unknown signatures are ignored
    with pytest.raises(UnknownKey) as unknown:
        open_checkpoint(sign_checkpoint(ORIGIN, 7, ROOT, OTHER), [SIGNER.verifier])
    assert unknown.value.signers == (("other.example", OTHER.verifier.key_id),)
    forged = sign_checkpoint(ORIGIN, 8, ROOT, SIGNER).replace("\n8\n", "\n9\n")
    with pytest.raises(BadSignature):
        open_checkpoint(forged, [SIGNER.verifier])


def test_extension_lines_are_allowed() -> None:
    text = Checkpoint(ORIGIN, 3, ROOT).text + "— extension\n"
    assert parse_checkpoint(text) == Checkpoint(ORIGIN, 3, ROOT)


@pytest.mark.parametrize(
    "text",
    [
        f"{ORIGIN}\n5\n{base64.b64encode(ROOT).decode()}",
        f"{ORIGIN}\n05\n{base64.b64encode(ROOT).decode()}\n",
        f"{ORIGIN}\n-5\n{base64.b64encode(ROOT).decode()}\n",
        f"{ORIGIN}\n+5\n{base64.b64encode(ROOT).decode()}\n",
        f"{ORIGIN}\n 5\n{base64.b64encode(ROOT).decode()}\n",
        f"{ORIGIN}\n\u0665\n{base64.b64encode(ROOT).decode()}\n",
        f"{ORIGIN}\n{1 << 63}\n{base64.b64encode(ROOT).decode()}\n",
        f"{ORIGIN}\n5\n{base64.b64encode(ROOT[:31]).decode()}\n",
        f"{ORIGIN}\n5\n{base64.b64encode(ROOT).decode().rstrip('=')}\n",
        f"{ORIGIN}\n5\n{base64.urlsafe_b64encode(bytes([251]) * 32).decode()}\n",
        f"\n5\n{base64.b64encode(ROOT).decode()}\n",
        f"{ORIGIN}\n5\n{base64.b64encode(ROOT).decode()}\n\nextension\n",
        f"{ORIGIN}\n5\n",
    ],
)
def test_malformed_checkpoints(text: str) -> None:
    with pytest.raises(Malformed):
        parse_checkpoint(text)


@pytest.mark.parametrize(
    "note",
    [
        GO_TEXT,
        GO_NOTE[:-1],
        GO_NOTE.replace("— ", "-- "),
        GO_NOTE.replace("\n\n", "\n"),
        GO_NOTE.replace("problem,", "problem,\x01"),
        GO_NOTE.encode().replace(b"problem,", b"problem,\xff"),
        GO_NOTE.replace("x08go", "x08go!"),
        GO_NOTE.replace(" x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZ", " x08go"),
        GO_NOTE + "\n",
    ],
)
def test_malformed_notes(note: str | bytes) -> None:
    with pytest.raises(Malformed):
        open_note(note, [SIGNER.verifier])


def test_every_bit_of_a_checkpoint_matters() -> None:
    """Exhaustive: flipping any single bit of a signed checkpoint makes it fail to open."""
    note = sign_checkpoint(ORIGIN, 300, ROOT, SIGNER).encode()
    for bit in range(len(note) * 8):
        with pytest.raises(TlogError):
            open_checkpoint(flip(note, bit), [SIGNER.verifier])


@given(
    st.text(st.characters(min_codepoint=0x21, max_codepoint=0x2FFF), min_size=1, max_size=40),
    st.integers(0, (1 << 63) - 1),
    st.binary(min_size=32, max_size=32),
    st.integers(0, 10**6),
)
def test_flipped_checkpoints_fail(origin: str, size: int, root: bytes, bit: int) -> None:
    note = sign_checkpoint(origin, size, root, SIGNER).encode()
    assert open_checkpoint(note, [SIGNER.verifier]) == Checkpoint(origin, size, root)
    with pytest.raises(TlogError):
        open_checkpoint(flip(note, bit), [SIGNER.verifier])
