"""verify-export: an NDJSON export against a signed checkpoint, with no server and no database."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from consent.core.chain import GENESIS, receipt_hash
from consent.core.merkle import leaf_hash, merkle_root
from consent.core.notes import (
    generate_signer_key,
    parse_signer_key,
    parse_verifier_key,
    sign_checkpoint,
)
from consent.offline import verify as offline
from consent.offline.verify import main, verify_export

SKEY, VKEY = generate_signer_key("consent.example")
SIGNER = parse_signer_key(SKEY)
VERIFIER = parse_verifier_key(VKEY)
ORIGIN = "consent.example/log/site1"
ROOT_DIR = Path(__file__).resolve().parents[2]

Receipt = dict[str, Any]


def receipt(seq: int, prev: str, site_key: str = "site1") -> Receipt:
    """A receipt as the API shows it, hashed with the ledger's own rule."""
    body: Receipt = {
        "receipt_id": str(uuid.UUID(int=seq)),
        "site_key": site_key,
        "seq": seq,
        "subject_id": f"subject-{seq % 7}",
        "created_at": f"2026-11-23T09:{seq // 60 % 60:02d}:{seq % 60:02d}.000Z",
        "policy_version": 2,
        "policy_hash": "a" * 64,
        "language": "nl",
        "action": ["accept_all", "reject_all", "custom"][seq % 3],
        "categories": {"necessary": True, "performance": seq % 2 == 0, "targeting": False},
        "vendors": {"matomo": seq % 2 == 0, "café-ads": False},
        "signals": {"gpc": False, "dnt": seq % 5 == 0},
        "context_digest": "b" * 64,
        "prev_hash": prev,
    }
    body["hash"] = receipt_hash(body)
    body["context"] = {"page_url": "https://shop.example/", "ip_prefix": None, "user_agent": "UA"}
    return body


def chain(n: int, site_key: str = "site1") -> list[Receipt]:
    receipts, prev = [], GENESIS
    for seq in range(1, n + 1):
        receipts.append(receipt(seq, prev, site_key))
        prev = receipts[-1]["hash"]
    return receipts


def rehash_from(receipts: list[Receipt], index: int) -> None:
    """What an operator who rewrites history does: recompute every hash and link after it."""
    prev = receipts[index - 1]["hash"] if index else GENESIS
    for body in receipts[index:]:
        body["prev_hash"] = prev
        body["hash"] = prev = receipt_hash(body)


def checkpoint(receipts: list[Receipt], size: int | None = None, origin: str = ORIGIN) -> str:
    size = len(receipts) if size is None else size
    root = merkle_root(leaf_hash(bytes.fromhex(r["hash"])) for r in receipts[:size])
    return sign_checkpoint(origin, size, root, SIGNER)


def lines(receipts: list[Receipt]) -> list[str]:
    return [json.dumps(r, ensure_ascii=False) + "\n" for r in receipts]


RECEIPTS = chain(40)
CHECKPOINT = checkpoint(RECEIPTS)


def test_an_intact_export_verifies(workers: int) -> None:
    result = verify_export(lines(RECEIPTS), CHECKPOINT, [VERIFIER], workers)
    assert result.ok and result.receipts == 40
    assert result.as_dict()["checkpoint"]["tree_size"] == 40
    assert result.describe().startswith("OK: 40 receipts")
    as_bytes = [line.encode() for line in lines(RECEIPTS)]
    assert verify_export(as_bytes, CHECKPOINT.encode(), [VERIFIER], workers).ok


def test_receipts_after_the_checkpoint_are_chain_checked(workers: int) -> None:
    assert verify_export(lines(RECEIPTS), checkpoint(RECEIPTS, 25), [VERIFIER], workers).ok
    altered = lines(RECEIPTS)
    altered[32] = altered[32].replace('"nl"', '"en"')
    result = verify_export(altered, checkpoint(RECEIPTS, 25), [VERIFIER], workers)
    assert (result.ok, result.first_bad_seq, result.reason) == (False, 33, "hash_mismatch")


def _set(index: int, field: str, value: Any) -> Callable[[list[Receipt]], list[str]]:
    def change(receipts: list[Receipt]) -> list[str]:
        receipts[index][field] = value
        return lines(receipts)

    return change


def _rewrite(receipts: list[Receipt]) -> list[str]:
    receipts[9]["action"] = "withdraw"
    rehash_from(receipts, 9)
    return lines(receipts)


def _relinked(receipts: list[Receipt]) -> list[str]:
    receipts[9]["action"] = "withdraw"
    receipts[9]["hash"] = receipt_hash(receipts[9])
    return lines(receipts)


def _replace(index: int, text: str) -> Callable[[list[Receipt]], list[str]]:
    def change(receipts: list[Receipt]) -> list[str]:
        out = lines(receipts)
        out[index] = text
        return out

    return change


# (what is done to the export, first bad seq, reason)
TAMPERING: list[tuple[str, Callable[[list[Receipt]], list[str]], int | None, str]] = [
    ("field altered", _set(9, "action", "withdraw"), 10, "hash_mismatch"),
    ("hash altered", _set(9, "hash", "c" * 64), 10, "hash_mismatch"),
    ("seq altered", _set(9, "seq", 11), 10, "gap"),
    ("hash recomputed, next link broken", _relinked, 11, "broken_link"),
    ("chain rewritten and recomputed", _rewrite, None, "root_mismatch"),
    ("line deleted", lambda r: lines(r[:9] + r[10:]), 10, "gap"),
    ("lines swapped", lambda r: lines([*r[:9], r[10], r[9], *r[11:]]), 10, "gap"),
    ("line repeated", lambda r: lines(r[:10] + r[9:]), 11, "gap"),
    ("newest receipts cut", lambda r: lines(r[:30]), 31, "missing"),
    ("empty export", lambda r: [], 1, "missing"),
    ("not JSON", _replace(9, "{not json\n"), 10, "malformed"),
    ("not an object", _replace(9, "[1, 2]\n"), 10, "malformed"),
    ("field missing", _replace(9, '{"seq": 10, "hash": "' + "c" * 64 + '"}\n'), 10, "malformed"),
    ("NaN in a field", _set(9, "policy_version", float("nan")), 10, "malformed"),
    ("a float in a field", _set(9, "policy_version", 2.0), 10, "malformed"),
    ("a lone surrogate", _set(9, "subject_id", "\ud800"), 10, "malformed"),
    ("seq as a string", _set(9, "seq", "10"), 10, "malformed"),
    ("hash not hex", _set(9, "hash", "z" * 64), 10, "malformed"),
]


@pytest.fixture(params=[1, 2], ids=["serial", "2 workers"])
def workers(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    """Verify in this process, or in two workers with small chunks (so many of them)."""
    monkeypatch.setattr(offline, "CHUNK", 7)
    return int(request.param)


@pytest.mark.parametrize(("change", "bad_seq", "reason"), [t[1:] for t in TAMPERING],
                         ids=[t[0] for t in TAMPERING])  # fmt: skip
def test_tampering_names_the_first_bad_seq(
    change: Callable[[list[Receipt]], list[str]], bad_seq: int | None, reason: str, workers: int
) -> None:
    result = verify_export(change(chain(40)), CHECKPOINT, [VERIFIER], workers)
    assert (result.ok, result.first_bad_seq, result.reason) == (False, bad_seq, reason)
    assert result.as_dict()["first_bad_seq"] == bad_seq
    assert result.describe().startswith("FAIL")


def test_a_byte_order_mark_is_ignored() -> None:
    export = lines(RECEIPTS)
    assert verify_export(["\ufeff" + export[0], *export[1:]], CHECKPOINT, [VERIFIER]).ok
    raw = [line.encode() for line in export]
    assert verify_export([b"\xef\xbb\xbf" + raw[0], *raw[1:]], CHECKPOINT, [VERIFIER]).ok


def test_undecodable_line_names_its_seq(workers: int) -> None:
    raw = [line.encode() for line in lines(RECEIPTS)]
    raw[4] = raw[4].replace(b"caf\xc3\xa9", b"caf\xe9")
    result = verify_export(raw, CHECKPOINT, [VERIFIER], workers)
    assert (result.first_bad_seq, result.reason) == (5, "malformed")


@pytest.mark.parametrize(
    ("note", "reason"),
    [
        (checkpoint(RECEIPTS, origin="consent.example/log/site2"), "wrong_site"),
        (sign_checkpoint(ORIGIN, 40, bytes(32), SIGNER), "root_mismatch"),
        (sign_checkpoint(ORIGIN, 40, bytes(32), parse_signer_key(generate_signer_key("x")[0])),
         "unknown_key"),
        (CHECKPOINT.replace("\n40\n", "\n39\n"), "bad_signature"),
    ],
)  # fmt: skip
def test_checkpoint_problems(note: str, reason: str) -> None:
    result = verify_export(lines(RECEIPTS), note, [VERIFIER])
    assert (result.ok, result.first_bad_seq, result.reason) == (False, None, reason)


def test_a_retired_key_still_verifies() -> None:
    current = parse_verifier_key(generate_signer_key("consent.example")[1])
    assert verify_export(lines(RECEIPTS), CHECKPOINT, [current, VERIFIER]).ok


def _export_stream(n: int) -> Iterator[str]:
    prev = GENESIS
    for seq in range(1, n + 1):
        body = receipt(seq, prev)
        prev = body["hash"]
        yield json.dumps(body)


def test_memory_stays_flat() -> None:
    peaks = []
    for n in (200, 2000):
        receipts = list(_export_stream(n))
        note = checkpoint([json.loads(line) for line in receipts])
        tracemalloc.start()
        baseline = tracemalloc.get_traced_memory()[0]
        assert verify_export(iter(receipts), note, [VERIFIER]).ok
        peaks.append(tracemalloc.get_traced_memory()[1] - baseline)
        tracemalloc.stop()
    assert peaks[1] < peaks[0] * 2 + 50_000


# --- The command line ---------------------------------------------------------------


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    paths = {"export": tmp_path / "export.ndjson", "checkpoint": tmp_path / "checkpoint"}
    paths["export"].write_text("".join(lines(RECEIPTS)), encoding="utf-8")
    paths["checkpoint"].write_text(CHECKPOINT, encoding="utf-8")
    return paths


def run(files: dict[str, Path], *extra: str) -> int:
    return main([str(files["export"]), "--checkpoint", str(files["checkpoint"]), *extra])


def test_cli_verifies_a_large_file_in_parallel(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(offline, "PARALLEL_FROM", 0)
    monkeypatch.setattr(offline, "CHUNK", 9)
    calls: list[int] = []
    real = offline.verify_export
    monkeypatch.setattr(offline, "verify_export", lambda *a: calls.append(a[3]) or real(*a))
    assert run(files, "--key", VKEY) == 0
    assert capsys.readouterr().out.startswith("OK: 40 receipts")
    assert (calls and calls[0] > 1) or (os.cpu_count() or 1) == 1
    text = files["export"].read_text(encoding="utf-8").replace('"nl"', '"en"', 1)
    files["export"].write_text(text, encoding="utf-8")
    assert run(files, "--key", VKEY) == 1
    assert "FAIL at seq" in capsys.readouterr().out


def test_cli_ok(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert run(files, "--key", VKEY) == 0
    assert capsys.readouterr().out.startswith("OK: 40 receipts")
    assert run(files, "--key", VKEY, "--json") == 0
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is True and out["checkpoint"]["origin"] == ORIGIN


def test_cli_fails_naming_the_seq(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    text = files["export"].read_text(encoding="utf-8")
    files["export"].write_text(text.replace('"subject-3"', '"subject-4"', 1), encoding="utf-8")
    assert run(files, "--key", VKEY, "--json") == 1
    assert json.loads(capsys.readouterr().out)["first_bad_seq"] == 3
    assert run(files, "--key", VKEY) == 1
    assert capsys.readouterr().out.startswith("FAIL at seq 3: ")


@pytest.mark.parametrize(
    "breakage",
    [
        lambda f: f["export"].unlink(),
        lambda f: f["checkpoint"].unlink(),
        lambda f: f["checkpoint"].write_text("not a note\n"),
        lambda f: f["checkpoint"].write_bytes(b"\xff\xfe"),
    ],
)
def test_cli_unreadable_input(
    files: dict[str, Path], breakage: Callable[[dict[str, Path]], None]
) -> None:
    breakage(files)
    assert run(files, "--key", VKEY) == 2


def test_cli_bad_key_is_unreadable_input(files: dict[str, Path]) -> None:
    assert run(files, "--key", VKEY[:-4]) == 2


def test_cli_reads_stdin(
    files: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = files["export"].read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert main(["-", "--checkpoint", str(files["checkpoint"]), "--key", VKEY]) == 0
    assert capsys.readouterr().out.startswith("OK")


def test_runs_alone_without_flask_or_sqlalchemy(files: dict[str, Path]) -> None:
    probe = (
        "import sys, consent.offline.verify; "
        "assert 'flask' not in sys.modules and 'sqlalchemy' not in sys.modules; "
        "sys.exit(consent.offline.verify.main(sys.argv[1:]))"
    )
    args = [str(files["export"]), "--checkpoint", str(files["checkpoint"]), "--key", VKEY]
    done = subprocess.run(
        [sys.executable, "-c", probe, *args], cwd=ROOT_DIR, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    module = subprocess.run(
        [sys.executable, "-m", "consent.offline.verify", *args], cwd=ROOT_DIR, capture_output=True
    )
    assert module.returncode == 0, module.stderr
