"""One error hierarchy for the whole transparency log: Merkle proofs, tiles and signed notes.

A caller that only needs to know "the log input was unusable" catches :class:`TlogError`;
the subclasses carry what went wrong as attributes.
"""

from __future__ import annotations

from collections.abc import Sequence


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
