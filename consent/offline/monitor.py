"""``monitor``: watch a site's log from outside and prove it was never rewritten.

It keeps every checkpoint it has seen in its state folder, pins the log's verifier key on
first use, and checks each new checkpoint's signature and its consistency with the last
one. Exit 0: consistent; 1: the log was rewritten, truncated or shows two heads for one
size (both signed checkpoints are printed as evidence); 2: unreachable or malformed.
Imports neither Flask nor SQLAlchemy: a third party runs it with the package alone.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from consent.core.merkle import verify_consistency
from consent.core.notes import Checkpoint, Verifier, open_checkpoint, parse_verifier_key
from consent.core.tlog_errors import TlogError

TIMEOUT = 10.0


class Unreachable(Exception):
    """The log cannot be read, or answers something that is not a log."""


@dataclass(frozen=True)
class Outcome:
    """What one monitoring round found."""

    code: int
    message: str
    evidence: tuple[str, ...] = ()


def _get(url: str) -> bytes:
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise Unreachable(f"not an http(s) URL: {url}")
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response:  # noqa: S310 (checked above)
            return bytes(response.read(1 << 20))
    except OSError as error:
        raise Unreachable(f"{url}: {error}") from error


def _verifier(state: Path, key: str | None, base: str) -> Verifier:
    """The given key, else the one pinned in ``state``, else the log's first, pinned now."""
    pinned = state / "key"
    if key:
        return parse_verifier_key(key)
    if pinned.exists():
        return parse_verifier_key(pinned.read_text().strip())
    lines = _get(f"{base}/log/key").decode("utf-8", "replace").splitlines()
    if not lines:
        raise Unreachable("the log publishes no verifier key")
    verifier = parse_verifier_key(lines[0])
    pinned.write_text(verifier.vkey + "\n")
    return verifier


def check(base: str, site_key: str, state: Path, key: str | None = None) -> Outcome:
    """One round: fetch, verify, compare with what was seen, remember."""
    base = base.rstrip("/")
    state.mkdir(parents=True, exist_ok=True)
    try:
        verifier = _verifier(state, key, base)
        note = _get(f"{base}/log/{site_key}/checkpoint").decode("utf-8")
        new = open_checkpoint(note, [verifier], origin=_origin(state, note, verifier, site_key))
    except (Unreachable, TlogError, UnicodeError) as error:
        return Outcome(2, f"cannot read a valid checkpoint: {error}")
    seen = state / "checkpoints"
    seen.mkdir(exist_ok=True)
    same_size = seen / f"{new.size}.note"
    if same_size.exists() and _root(same_size, verifier) != new.root:
        return Outcome(1, f"two different heads for size {new.size}", (same_size.read_text(), note))
    last = _latest(seen)
    if last is not None:
        old_note = last.read_text()
        old = open_checkpoint(old_note, [verifier])
        if new.size < old.size:
            return Outcome(1, f"the log shrank from {old.size} to {new.size}", (old_note, note))
        if new.size > old.size and not _consistent(base, site_key, old, new):
            return Outcome(1, f"size {new.size} does not extend size {old.size}", (old_note, note))
    same_size.write_text(note)
    return Outcome(0, f"ok: {site_key} at size {new.size} extends every checkpoint seen")


def _origin(state: Path, note: str, verifier: Verifier, site_key: str) -> str:
    """The log's origin, pinned on first use like the key (a proxy may serve it elsewhere)."""
    pinned = state / "origin"
    if pinned.exists():
        return pinned.read_text().strip()
    origin = open_checkpoint(note, [verifier]).origin
    if not origin.endswith(f"/log/{site_key}"):
        raise Unreachable(f"the checkpoint is for {origin!r}, not site {site_key}")
    pinned.write_text(origin + "\n")
    return origin


def _root(path: Path, verifier: Verifier) -> bytes:
    return open_checkpoint(path.read_text(), [verifier]).root


def _latest(folder: Path) -> Path | None:
    notes = [(int(p.stem), p) for p in folder.glob("*.note") if p.stem.isdigit()]
    return max(notes)[1] if notes else None


def _consistent(base: str, site_key: str, old: Checkpoint, new: Checkpoint) -> bool:
    query = urllib.parse.urlencode({"from": old.size, "to": new.size})
    try:
        answer = json.loads(_get(f"{base}/api/v1/sites/{site_key}/log/consistency?{query}"))
        proof = [base64.b64decode(node, validate=True) for node in answer["proof"]]
        verify_consistency(old.size, new.size, proof, old.root, new.root)
    except (TlogError, ValueError, KeyError, TypeError, Unreachable):
        return False
    return True


def main(argv: Sequence[str] | None = None) -> int:
    """The command line; see the module docstring for the exit codes."""
    parser = argparse.ArgumentParser(prog="consent monitor", description=__doc__)
    parser.add_argument(
        "--url", required=True, help="the service, e.g. https://consent.example.com"
    )
    parser.add_argument("--site", required=True, help="the site key")
    parser.add_argument("--state", required=True, help="folder for the pinned key and checkpoints")
    parser.add_argument(
        "--key", default=None, help="the log's verifier key (else pinned on first use)"
    )
    args = parser.parse_args(argv)
    return report(check(args.url, args.site, Path(args.state), args.key))


def report(outcome: Outcome) -> int:
    """Print the outcome (and evidence) and return its exit code."""
    stream = sys.stdout if outcome.code == 0 else sys.stderr
    print(outcome.message, file=stream)
    for number, note in enumerate(outcome.evidence, 1):
        print(f"--- signed checkpoint {number} ---\n{note}", end="", file=stream)
    return outcome.code


if __name__ == "__main__":
    sys.exit(main())
