"""verify-export for auditors: an export against a signed checkpoint, with no server.

Imports neither Flask nor SQLAlchemy, so an auditor can run ``python -m consent.offline.verify``
alone. The export, NDJSON or CSV (:mod:`consent.offline.csv_export`), is read once, line by
line (:mod:`consent.offline.reading`), in worker processes when the file is large enough for
them to pay off. With ``--builds DIR``, every receipt's banner build must be one of the
downloaded builds in DIR (:mod:`consent.offline.builds`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from consent.core.chain import Verification, walk_chain, walk_hashed
from consent.core.notes import Checkpoint, Verifier, open_note, parse_checkpoint, parse_verifier_key
from consent.core.tlog_errors import BadSignature, TlogError, UnknownKey
from consent.offline.builds import BuildFiles, BuildsCheck, check_builds, read_builds
from consent.offline.csv_export import open_export
from consent.offline.reading import BadLine, ParallelReading, Reading

#: Parallel verification: lines per worker task, and the file size from which the workers
#: pay for themselves.
CHUNK, PARALLEL_FROM = 1000, 32 * 1024 * 1024

#: What each failure means, for the human-readable line.
REASONS = {
    "bad_signature": "the checkpoint's signature by this key does not verify",
    "unknown_key": "the checkpoint is not signed by the given key",
    "malformed": "the line is not a receipt (JSON object or CSV record with every hashed field)",
    "gap": "this seq is missing or out of order",
    "hash_mismatch": "the receipt's fields do not hash to its hash",
    "broken_link": "prev_hash is not the hash of the receipt before",
    "missing": "the export ends before the checkpoint's tree size",
    "wrong_site": "the checkpoint is for another site's log",
    "root_mismatch": "the receipts up to the checkpoint's size do not hash to its root",
    "build_missing": "the receipt's banner_build is none of the builds given (--builds)",
    "build_mismatch": "a file given as a build (--builds) does not hash to its name",
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
    #: What ``--builds`` found, once the export itself checked out.
    builds: BuildsCheck | None = field(default=None, compare=False)

    def as_dict(self) -> dict[str, Any]:
        """The ``--json`` shape."""
        out: dict[str, Any]
        if not self.ok:
            out = {
                "ok": False,
                "first_bad_seq": self.first_bad_seq,
                "reason": self.reason,
                "message": self.describe(),
            }
        else:
            assert self.checkpoint is not None
            out = {
                "ok": True,
                "receipts": self.receipts,
                "checkpoint": {
                    "origin": self.checkpoint.origin,
                    "tree_size": self.checkpoint.size,
                    "root": self.checkpoint.text.split("\n")[2],
                    "signed_by": self.signed_by,
                },
            }
        if self.builds is not None:
            out["builds"] = self.builds.as_dict()
        return out

    def describe(self) -> str:
        """A human-readable line (more with ``--builds``: each problem, then the counts)."""
        builds = self.builds.lines() if self.builds is not None else []
        if self.checkpoint is not None and (self.ok or self.builds is not None):
            export = (
                f"{self.receipts} receipts, chain intact; receipts 1..{self.checkpoint.size} "
                f"match checkpoint {self.checkpoint.origin} signed by {self.signed_by}"
            )
            if self.ok:
                return "\n".join([f"OK: {export}", *builds])
            builds.insert(0, f"the export itself checks out: {export}")
        where = f" at seq {self.first_bad_seq}" if self.first_bad_seq is not None else ""
        why = REASONS.get(self.reason or "", self.reason)
        first = f"FAIL{where}: {why}" + (f" ({self.detail})" if self.detail else "")
        return "\n".join([first, *builds])


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
    builds: BuildFiles | None = None,
) -> ExportVerification:
    """Check every receipt's hash, link and seq, then the first N against the checkpoint,
    then (given ``builds``) that each receipt's banner build is one of them.

    Raises ``Malformed`` when the checkpoint cannot be read at all; everything else,
    including a bad signature, is an answer. With ``workers`` > 1, lines are parsed and
    hashed in that many processes; the answer is the same.
    """
    signed = _open(checkpoint, verifiers)
    if not signed.ok or signed.checkpoint is None:
        return signed
    cp = signed.checkpoint
    reading = Reading((), cp.size)
    try:
        items, parse = open_export(lines)
        chain: Verification
        if workers > 1:
            reading = ParallelReading(items, cp.size, workers, CHUNK, parse)
            chain = walk_hashed(reading.rows())
        else:
            reading = Reading(items, cp.size, parse)
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
    verified = ExportVerification(True, reading.count, cp, signed.signed_by)
    if builds is None:
        return verified
    return _with_builds(verified, check_builds(reading.builds, builds))


def _with_builds(verified: ExportVerification, check: BuildsCheck) -> ExportVerification:
    """A verified export's outcome once its receipts' builds are held against the folder."""
    if check.ok:
        return replace(verified, builds=check)
    failed = replace(verified, ok=False, builds=check)
    if check.missing:
        build, seq, _count = check.missing[0]
        return replace(failed, first_bad_seq=seq, reason="build_missing", detail=f"build {build}")
    return replace(failed, reason="build_mismatch")


def verify_files(
    export: str, checkpoint: str, keys: Sequence[str], builds: str | None = None
) -> ExportVerification:
    """verify-export on files (``-``: stdin) and, given ``builds``, a folder of downloaded
    builds; ``OSError`` or ``TlogError`` when unreadable."""
    verifiers = [parse_verifier_key(key) for key in keys]
    note = Path(checkpoint).read_bytes()
    files = read_builds(builds) if builds is not None else None
    if export == "-":
        return verify_export(sys.stdin.buffer, note, verifiers, builds=files)
    path = Path(export)
    workers = min(os.cpu_count() or 1, 4) if path.stat().st_size >= PARALLEL_FROM else 1
    with path.open("rb") as lines:
        return verify_export(lines, note, verifiers, workers, files)


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: exit 0 when the export checks out, 1 when not, 2 when unreadable."""
    parser = argparse.ArgumentParser(
        prog="consent verify-export",
        description="Verify a Consent Ledger export (NDJSON or CSV) against a signed checkpoint, "
        "offline; with --builds, also that every receipt's banner build is one of those given.",
    )
    parser.add_argument(
        "export", help="the NDJSON export (one receipt a line) or the CSV export ('-': stdin)"
    )
    parser.add_argument("--checkpoint", required=True, help="file with the signed checkpoint")
    parser.add_argument(
        "--key", required=True, action="append", help="verifier key (repeat for retired keys)"
    )
    parser.add_argument(
        "--builds",
        metavar="DIR",
        default=None,
        help="folder of the builds downloaded from /embed/builds/<build>.js, named <build>.js: "
        "each must hash to its name, and each receipt's banner_build must be one of them",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    try:
        result = verify_files(args.export, args.checkpoint, args.key, args.builds)
    except (OSError, TlogError) as e:
        print(f"verify-export: cannot read the input: {e}", file=sys.stderr)
        return 2
    print(json.dumps(result.as_dict()) if args.json else result.describe())
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
