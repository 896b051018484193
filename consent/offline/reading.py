"""verify-export's one pass over an export: lines to receipts, and the Merkle leaves on the way.

The pass runs in this process (:class:`Reading`) or spreads parsing and hashing over worker
processes (:class:`ParallelReading`); either way each line is read once and the Merkle root
is accumulated as a stack of subtree roots, so memory stays flat however long the export is.
An item of the export is an NDJSON line (:func:`parse_line`) or a CSV record
(:mod:`consent.offline.csv_export`); each receipt's ``banner_build`` is tallied on the way
(:class:`~consent.offline.builds.BuildTally`).
"""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from consent.core.chain import HASHED_FIELDS, receipt_hash
from consent.core.merkle import MerkleAccumulator, leaf_hash
from consent.offline.builds import BuildTally

_HEX64 = re.compile(r"[0-9a-f]{64}", re.ASCII)
#: Tasks in flight per worker: enough to keep each busy, few enough to keep memory flat.
AHEAD = 2

#: One item of an export (an NDJSON line, or a CSV record as a list of cells) and the
#: function that turns it into a receipt body, given the seq it should hold.
Item = Any
Parse = Callable[[Item, int], dict[str, Any]]


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
    check_build(body, seq)
    return body


def check_build(body: dict[str, Any], seq: int) -> None:
    """``banner_build``, when the receipt has one (absent or null: none), is a build's hash."""
    build = body.get("banner_build")
    if build is not None and (not isinstance(build, str) or not _HEX64.fullmatch(build)):
        raise BadLine(seq, "banner_build is not 64 lower-case hex digits")


def blank(item: Item) -> bool:
    """An empty line (NDJSON) or record (CSV), skipped."""
    if isinstance(item, bytes | str):
        return not item.strip()
    return isinstance(item, list) and not item


class Reading:
    """The streaming pass: receipts for the chain walk, leaves for the Merkle root."""

    def __init__(self, lines: Iterable[Item], tree_size: int, parse: Parse = parse_line) -> None:
        self.lines, self.tree_size, self.parse = lines, tree_size, parse
        self.tree = MerkleAccumulator()
        self.builds = BuildTally()
        self.count = 0
        self.site_key: Any = None

    def receipts(self) -> Iterator[dict[str, Any]]:
        """Yield each receipt body; the first ``tree_size`` feed the Merkle tree."""
        for line in self.lines:
            if blank(line):
                continue
            body = self.parse(line, self.count + 1)
            self.count += 1
            if self.count == 1:
                self.site_key = body["site_key"]
            if self.tree.size < self.tree_size:
                self.tree.append(leaf_hash(bytes.fromhex(body["hash"])))
            self.builds.add(body["seq"], body.get("banner_build"))
            yield body


#: What a worker makes of a receipt: ``(seq, prev_hash, hash, hash_ok, banner_build)``.
Row = tuple[int, str, str, bool, str | None]


def _check_lines(
    first: int, lines: list[Item], parse: Parse = parse_line
) -> tuple[list[Row], tuple[int, str] | None, Any]:
    """Parse and hash a run of lines in a worker: a :data:`Row` each, the first line that
    is not a receipt as ``(its seq, why)``, and the first site key."""
    rows: list[Row] = []
    site_key = None
    for number, line in enumerate(lines, first):
        try:
            body = parse(line, number)
            ok = receipt_hash(body) == body["hash"]
        except BadLine as e:
            return rows, (e.seq, e.detail), site_key
        except ValueError as e:  # e.g. a lone surrogate: the receipt cannot be hashed at all
            return rows, (number, str(e)), site_key
        if site_key is None:
            site_key = body["site_key"]
        build = body.get("banner_build")
        rows.append((body["seq"], body["prev_hash"], body["hash"], ok, build))
    return rows, None, site_key


class ParallelReading(Reading):
    """The same pass with parsing and hashing spread over worker processes, in order.

    The reader keeps at most ``AHEAD`` tasks of ``chunk`` lines per worker in flight, so
    memory stays flat; links, seqs and the Merkle tree are checked here, in seq order.
    """

    def __init__(
        self,
        lines: Iterable[Item],
        tree_size: int,
        workers: int,
        chunk: int,
        parse: Parse = parse_line,
    ) -> None:
        super().__init__(lines, tree_size, parse)
        self.workers, self.chunk = workers, chunk

    def rows(self) -> Iterator[tuple[int, str, str, bool]]:
        """Yield ``(seq, prev_hash, hash, hash_ok)``; raise ``BadLine`` where a line is not
        a receipt, after the rows before it."""
        with ProcessPoolExecutor(self.workers) as pool:
            pending: deque[Future[Any]] = deque()
            try:
                for first, chunk in self._chunks():
                    pending.append(pool.submit(_check_lines, first, chunk, self.parse))
                    if len(pending) >= self.workers * AHEAD:
                        yield from self._take(pending.popleft())
                while pending:
                    yield from self._take(pending.popleft())
            finally:
                for future in pending:
                    future.cancel()

    def _chunks(self) -> Iterator[tuple[int, list[Item]]]:
        chunk: list[Item] = []
        first = 1
        for line in self.lines:
            if blank(line):
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
        for seq, prev_hash, stored, ok, build in rows:
            self.count += 1
            if self.tree.size < self.tree_size:
                self.tree.append(leaf_hash(bytes.fromhex(stored)))
            self.builds.add(seq, build)
            yield seq, prev_hash, stored, ok
        if bad is not None:
            raise BadLine(*bad)
