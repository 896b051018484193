"""verify-export for auditors: an NDJSON export against a signed checkpoint, with no server.

Imports neither Flask nor SQLAlchemy, so an auditor can run ``python -m consent.offline.verify``
alone. The export is read once, line by line (:mod:`consent.offline.reading`), in worker
processes when the file is large enough for them to pay off.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from consent.core.chain import Verification, walk_chain, walk_hashed
from consent.core.notes import Checkpoint, Verifier, open_note, parse_checkpoint, parse_verifier_key
from consent.core.tlog_errors import BadSignature, TlogError, UnknownKey
from consent.offline.reading import BadLine, ParallelReading, Reading

#: Parallel verification: lines per worker task, and the file size from which the workers
#: pay for themselves.
CHUNK, PARALLEL_FROM = 1000, 32 * 1024 * 1024

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
    reading: Reading
    try:
        chain: Verification
        if workers > 1:
            reading = ParallelReading(lines, cp.size, workers, CHUNK)
            chain = walk_hashed(reading.rows())
        else:
            reading = Reading(lines, cp.size)
            chain = walk_chain(reading.receipts())
    except BadLine as e:
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
