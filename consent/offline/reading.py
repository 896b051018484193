"""verify-export's one pass over an export: lines to receipts, and the Merkle leaves on the way.

The pass runs in this process (:class:`Reading`) or spreads parsing and hashing over worker
processes (:class:`ParallelReading`); either way each line is read once and the Merkle root
is accumulated as a stack of subtree roots, so memory stays flat however long the export is.
"""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from consent.core.chain import HASHED_FIELDS, receipt_hash
from consent.core.merkle import MerkleAccumulator, leaf_hash

_HEX64 = re.compile(r"[0-9a-f]{64}", re.ASCII)
#: Tasks in flight per worker: enough to keep each busy, few enough to keep memory flat.
AHEAD = 2


class BadLine(Exception):
    """A line that is not a receipt; carries the seq it should have held."""

    def __init__(self, seq: int, detail: str) -> None:
        super().__init__(detail)
        self.seq, self.detail = seq, detail


def _no_floats(text: str) -> Any:
    """Receipts hold no floats (nor NaN or Infinity); one in an export is an alteration."""
    raise ValueError(f"a number receipts never hold: {text}")


_DECODER = json.JSONDecoder(parse_float=_no_floats, parse_constant=_no_floats)
_REQUIRED = frozenset((*HASHED_FIELDS, "hash"))


def parse_line(line: bytes | str, seq: int) -> dict[str, Any]:
    """One export line as a receipt body, or ``BadLine`` naming the expected seq."""
    try:
        text = line.decode("utf-8-sig") if isinstance(line, bytes) else line.removeprefix("\ufeff")
        body = _DECODER.decode(text)
    except ValueError as e:  # JSONDecodeError, UnicodeDecodeError and _no_floats alike
        raise BadLine(seq, f"not JSON: {e}") from e
    if not isinstance(body, dict):
        raise BadLine(seq, "not a JSON object")
    if not _REQUIRED.issubset(body):
        raise BadLine(seq, f"no {', '.join(sorted(_REQUIRED.difference(body)))}")
    if not isinstance(body["hash"], str) or not _HEX64.fullmatch(body["hash"]):
        raise BadLine(seq, "hash is not 64 lower-case hex digits")
    if type(body["seq"]) is not int:
        raise BadLine(seq, "seq is not an integer")
    return body


class Reading:
    """The streaming pass: receipts for the chain walk, leaves for the Merkle root."""

    def __init__(self, lines: Iterable[bytes | str], tree_size: int) -> None:
        self.lines, self.tree_size = lines, tree_size
        self.tree = MerkleAccumulator()
        self.count = 0
        self.site_key: Any = None

    def receipts(self) -> Iterator[dict[str, Any]]:
        """Yield each receipt body; the first ``tree_size`` feed the Merkle tree."""
        for line in self.lines:
            if not line.strip():
                continue
            body = parse_line(line, self.count + 1)
            self.count += 1
            if self.count == 1:
                self.site_key = body["site_key"]
            if self.tree.size < self.tree_size:
                self.tree.append(leaf_hash(bytes.fromhex(body["hash"])))
            yield body


def _check_lines(
    first: int, lines: list[bytes | str]
) -> tuple[list[tuple[int, str, str, bool]], tuple[int, str] | None, Any]:
    """Parse and hash a run of lines in a worker: ``(seq, prev_hash, hash, hash_ok)`` each,
    the first line that is not a receipt as ``(its seq, why)``, and the first site key."""
    rows: list[tuple[int, str, str, bool]] = []
    site_key = None
    for number, line in enumerate(lines, first):
        try:
            body = parse_line(line, number)
            ok = receipt_hash(body) == body["hash"]
        except BadLine as e:
            return rows, (e.seq, e.detail), site_key
        except ValueError as e:  # e.g. a lone surrogate: the receipt cannot be hashed at all
            return rows, (number, str(e)), site_key
        if site_key is None:
            site_key = body["site_key"]
        rows.append((body["seq"], body["prev_hash"], body["hash"], ok))
    return rows, None, site_key


class ParallelReading(Reading):
    """The same pass with parsing and hashing spread over worker processes, in order.

    The reader keeps at most ``AHEAD`` tasks of ``chunk`` lines per worker in flight, so
    memory stays flat; links, seqs and the Merkle tree are checked here, in seq order.
    """

    def __init__(
        self, lines: Iterable[bytes | str], tree_size: int, workers: int, chunk: int
    ) -> None:
        super().__init__(lines, tree_size)
        self.workers, self.chunk = workers, chunk

    def rows(self) -> Iterator[tuple[int, str, str, bool]]:
        """Yield ``(seq, prev_hash, hash, hash_ok)``; raise ``BadLine`` where a line is not
        a receipt, after the rows before it."""
        with ProcessPoolExecutor(self.workers) as pool:
            pending: deque[Future[Any]] = deque()
            try:
                for first, chunk in self._chunks():
                    pending.append(pool.submit(_check_lines, first, chunk))
                    if len(pending) >= self.workers * AHEAD:
                        yield from self._take(pending.popleft())
                while pending:
                    yield from self._take(pending.popleft())
            finally:
                for future in pending:
                    future.cancel()

    def _chunks(self) -> Iterator[tuple[int, list[bytes | str]]]:
        chunk: list[bytes | str] = []
        first = 1
        for line in self.lines:
            if not line.strip():
                continue
            chunk.append(line)
            if len(chunk) == self.chunk:
                yield first, chunk
                first, chunk = first + self.chunk, []
        if chunk:
            yield first, chunk

    def _take(self, future: Future[Any]) -> Iterator[tuple[int, str, str, bool]]:
        rows, bad, site_key = future.result()
        if self.count == 0:
            self.site_key = site_key
        for row in rows:
            self.count += 1
            if self.tree.size < self.tree_size:
                self.tree.append(leaf_hash(bytes.fromhex(row[2])))
            yield row
        if bad is not None:
            raise BadLine(*bad)
