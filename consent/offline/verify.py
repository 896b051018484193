"""verify-export for auditors: an NDJSON export against a signed checkpoint, with no server.

Imports neither Flask nor SQLAlchemy, so an auditor can run ``python -m consent.offline.verify``
alone. The export is read once, line by line; the Merkle root is accumulated as a stack
of subtree roots, so memory stays flat however long the export is.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from consent.core.chain import HASHED_FIELDS, Verification, receipt_hash, walk_chain, walk_hashed
from consent.core.merkle import MerkleAccumulator, leaf_hash
from consent.core.notes import Checkpoint, Verifier, open_note, parse_checkpoint, parse_verifier_key
from consent.core.tlog_errors import BadSignature, TlogError, UnknownKey

_HEX64 = re.compile(r"[0-9a-f]{64}", re.ASCII)

#: What each failure means, for the human-readable line.
REASONS = {
    "bad_signature": "the checkpoint's signature by this key does not verify",
    "unknown_key": "the checkpoint is not signed by the given key",
    "malformed": "the line is not a receipt (JSON object with every hashed field)",
    "gap": "this seq is missing or out of order",
    "hash_mismatch": "the receipt's fields do not hash to its hash",
    "broken_link": "prev_hash is not the hash of the receipt before",
    "missing": "the export ends before the checkpoint's tree size",
    "wrong_site": "the checkpoint is for another site's log",
    "root_mismatch": "the receipts up to the checkpoint's size do not hash to its root",
}


@dataclass(frozen=True)
class ExportVerification:
    """The outcome of verify-export: ok, or the first bad or missing seq and why."""

    ok: bool
    receipts: int = 0
    checkpoint: Checkpoint | None = None
    signed_by: str | None = None
    first_bad_seq: int | None = None
    reason: str | None = None
    detail: str = field(default="", compare=False)

    def as_dict(self) -> dict[str, Any]:
        """The ``--json`` shape."""
        if not self.ok:
            return {
                "ok": False,
                "first_bad_seq": self.first_bad_seq,
                "reason": self.reason,
                "message": self.describe(),
            }
        assert self.checkpoint is not None
        return {
            "ok": True,
            "receipts": self.receipts,
            "checkpoint": {
                "origin": self.checkpoint.origin,
                "tree_size": self.checkpoint.size,
                "root": self.checkpoint.text.split("\n")[2],
                "signed_by": self.signed_by,
            },
        }

    def describe(self) -> str:
        """One human-readable line."""
        if self.ok:
            assert self.checkpoint is not None
            return (
                f"OK: {self.receipts} receipts, chain intact; receipts 1..{self.checkpoint.size} "
                f"match checkpoint {self.checkpoint.origin} signed by {self.signed_by}"
            )
        where = f" at seq {self.first_bad_seq}" if self.first_bad_seq is not None else ""
        why = REASONS.get(self.reason or "", self.reason)
        return f"FAIL{where}: {why}" + (f" ({self.detail})" if self.detail else "")


class _BadLine(Exception):
    """A line that is not a receipt; carries the seq it should have held."""

    def __init__(self, seq: int, detail: str) -> None:
        super().__init__(detail)
        self.seq, self.detail = seq, detail


def _no_floats(text: str) -> Any:
    """Receipts hold no floats (nor NaN or Infinity); one in an export is an alteration."""
    raise ValueError(f"a number receipts never hold: {text}")


_DECODER = json.JSONDecoder(parse_float=_no_floats, parse_constant=_no_floats)
_REQUIRED = frozenset((*HASHED_FIELDS, "hash"))


def _parse(line: bytes | str, seq: int) -> dict[str, Any]:
    """One export line as a receipt body, or ``_BadLine`` naming the expected seq."""
    try:
        text = line.decode("utf-8-sig") if isinstance(line, bytes) else line.removeprefix("\ufeff")
        body = _DECODER.decode(text)
    except ValueError as e:  # JSONDecodeError, UnicodeDecodeError and _no_floats alike
        raise _BadLine(seq, f"not JSON: {e}") from e
    if not isinstance(body, dict):
        raise _BadLine(seq, "not a JSON object")
    if not _REQUIRED.issubset(body):
        raise _BadLine(seq, f"no {', '.join(sorted(_REQUIRED.difference(body)))}")
    if not isinstance(body["hash"], str) or not _HEX64.fullmatch(body["hash"]):
        raise _BadLine(seq, "hash is not 64 lower-case hex digits")
    if type(body["seq"]) is not int:
        raise _BadLine(seq, "seq is not an integer")
    return body


class _Reading:
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
            body = _parse(line, self.count + 1)
            self.count += 1
            if self.count == 1:
                self.site_key = body["site_key"]
            if self.tree.size < self.tree_size:
                self.tree.append(leaf_hash(bytes.fromhex(body["hash"])))
            yield body


#: Parallel verification: lines per task, tasks in flight per worker, and the file size
#: from which the workers pay for themselves.
CHUNK, AHEAD, PARALLEL_FROM = 1000, 2, 32 * 1024 * 1024


def _check_lines(
    first: int, lines: list[bytes | str]
) -> tuple[list[tuple[int, str, str, bool]], tuple[int, str] | None, Any]:
    """Parse and hash a run of lines in a worker: ``(seq, prev_hash, hash, hash_ok)`` each,
    the first line that is not a receipt as ``(its seq, why)``, and the first site key."""
    rows: list[tuple[int, str, str, bool]] = []
    site_key = None
    for number, line in enumerate(lines, first):
        try:
            body = _parse(line, number)
            ok = receipt_hash(body) == body["hash"]
        except _BadLine as e:
            return rows, (e.seq, e.detail), site_key
        except ValueError as e:  # e.g. a lone surrogate: the receipt cannot be hashed at all
            return rows, (number, str(e)), site_key
        if site_key is None:
            site_key = body["site_key"]
        rows.append((body["seq"], body["prev_hash"], body["hash"], ok))
    return rows, None, site_key


class _ParallelReading(_Reading):
    """The same pass with parsing and hashing spread over worker processes, in order.

    The reader keeps at most ``AHEAD`` tasks of ``CHUNK`` lines per worker in flight, so
    memory stays flat; links, seqs and the Merkle tree are checked here, in seq order.
    """

    def __init__(self, lines: Iterable[bytes | str], tree_size: int, workers: int) -> None:
        super().__init__(lines, tree_size)
        self.workers = workers

    def rows(self) -> Iterator[tuple[int, str, str, bool]]:
        """Yield ``(seq, prev_hash, hash, hash_ok)``; raise ``_BadLine`` where a line is not
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
            if len(chunk) == CHUNK:
                yield first, chunk
                first, chunk = first + CHUNK, []
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
            raise _BadLine(*bad)


def _open(note: str | bytes, verifiers: Sequence[Verifier]) -> ExportVerification:
    """The checkpoint, verified; ``Malformed`` propagates (the caller cannot read it)."""
    try:
        opened = open_note(note, verifiers)
    except BadSignature as e:
        return ExportVerification(False, reason="bad_signature", detail=str(e))
    except UnknownKey as e:
        return ExportVerification(False, reason="unknown_key", detail=str(e))
    checkpoint = parse_checkpoint(opened.text)
    return ExportVerification(True, checkpoint=checkpoint, signed_by=opened.signed_by[0].name)


def verify_export(
    lines: Iterable[bytes | str],
    checkpoint: str | bytes,
    verifiers: Sequence[Verifier],
    workers: int = 1,
) -> ExportVerification:
    """Check every receipt's hash, link and seq, then the first N against the checkpoint.

    Raises ``Malformed`` when the checkpoint cannot be read at all; everything else,
    including a bad signature, is an answer. With ``workers`` > 1, lines are parsed and
    hashed in that many processes; the answer is the same.
    """
    signed = _open(checkpoint, verifiers)
    if not signed.ok or signed.checkpoint is None:
        return signed
    cp = signed.checkpoint
    reading: _Reading
    try:
        chain: Verification
        if workers > 1:
            reading = _ParallelReading(lines, cp.size, workers)
            chain = walk_hashed(reading.rows())
        else:
            reading = _Reading(lines, cp.size)
            chain = walk_chain(reading.receipts())
    except _BadLine as e:
        return ExportVerification(False, first_bad_seq=e.seq, reason="malformed", detail=e.detail)
    except ValueError as e:  # e.g. a lone surrogate: the receipt cannot be hashed at all
        return ExportVerification(
            False, first_bad_seq=reading.count, reason="malformed", detail=str(e)
        )
    if not chain.ok:
        return ExportVerification(False, first_bad_seq=chain.first_bad_seq, reason=chain.reason)
    if reading.count < cp.size:
        return ExportVerification(False, first_bad_seq=reading.count + 1, reason="missing")
    if reading.count and not cp.origin.endswith(f"/log/{reading.site_key}"):
        return ExportVerification(False, reason="wrong_site", detail=cp.origin)
    if reading.tree.root() != cp.root:
        return ExportVerification(False, reason="root_mismatch", detail=f"size {cp.size}")
    return ExportVerification(True, reading.count, cp, signed.signed_by)


def verify_files(export: str, checkpoint: str, keys: Sequence[str]) -> ExportVerification:
    """verify-export on files (``-``: stdin); ``OSError`` or ``TlogError`` when unreadable."""
    verifiers = [parse_verifier_key(key) for key in keys]
    note = Path(checkpoint).read_bytes()
    if export == "-":
        return verify_export(sys.stdin.buffer, note, verifiers)
    path = Path(export)
    workers = min(os.cpu_count() or 1, 4) if path.stat().st_size >= PARALLEL_FROM else 1
    with path.open("rb") as lines:
        return verify_export(lines, note, verifiers, workers)


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: exit 0 when the export checks out, 1 when not, 2 when unreadable."""
    parser = argparse.ArgumentParser(
        prog="consent verify-export",
        description="Verify a Consent Ledger NDJSON export against a signed checkpoint, offline.",
    )
    parser.add_argument("export", help="the NDJSON export, one receipt a line ('-': stdin)")
    parser.add_argument("--checkpoint", required=True, help="file with the signed checkpoint")
    parser.add_argument(
        "--key", required=True, action="append", help="verifier key (repeat for retired keys)"
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    try:
        result = verify_files(args.export, args.checkpoint, args.key)
    except (OSError, TlogError) as e:
        print(f"verify-export: cannot read the input: {e}", file=sys.stderr)
        return 2
    print(json.dumps(result.as_dict()) if args.json else result.describe())
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
