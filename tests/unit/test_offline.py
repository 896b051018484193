"""verify-export: an NDJSON or CSV export against a signed checkpoint, with no server and no
database; with ``--builds``, every receipt's banner build against the downloaded builds."""

from __future__ import annotations

import csv
import hashlib
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

from consent.core.catalog import CATEGORIES
from consent.core.chain import GENESIS, receipt_hash
from consent.core.merkle import leaf_hash, merkle_root
from consent.core.notes import (
    generate_signer_key,
    parse_signer_key,
    parse_verifier_key,
    sign_checkpoint,
)
from consent.ledger.exports import CSV_COLUMNS, UTF8_BOM, csv_row
from consent.offline import verify as offline
from consent.offline.builds import read_builds
from consent.offline.verify import main, verify_export

SKEY, VKEY = generate_signer_key("consent.example")
SIGNER = parse_signer_key(SKEY)
VERIFIER = parse_verifier_key(VKEY)
ORIGIN = "consent.example/log/site1"
ROOT_DIR = Path(__file__).resolve().parents[2]

Receipt = dict[str, Any]


def receipt(seq: int, prev: str, site_key: str = "site1", build: str | None = None) -> Receipt:
    """A receipt as the API shows it, hashed with the ledger's own rule (``banner_build``
    only when given, as the API shows it)."""
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
        "categories": {
            c: c == "necessary" or (c == "performance" and seq % 2 == 0) for c in CATEGORIES
        },
        "vendors": {"matomo": seq % 2 == 0, "café-ads": False},
        "signals": {"gpc": False, "dnt": seq % 5 == 0},
        "context_digest": "b" * 64,
        "prev_hash": prev,
    }
    if build is not None:
        body["banner_build"] = build
    body["hash"] = receipt_hash(body)
    body["context"] = {"page_url": "https://shop.example/", "ip_prefix": None, "user_agent": "UA"}
    return body


def chain(
    n: int, site_key: str = "site1", build: Callable[[int], str | None] = lambda _seq: None
) -> list[Receipt]:
    receipts, prev = [], GENESIS
    for seq in range(1, n + 1):
        receipts.append(receipt(seq, prev, site_key, build(seq)))
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


def memory_peaks() -> list[int]:
    """Peak bytes verify_export allocates for 200 and for 2,000 receipts."""
    peaks = []
    for n in (200, 2000):
        receipts = list(_export_stream(n))
        note = checkpoint([json.loads(line) for line in receipts])
        tracemalloc.start()
        baseline = tracemalloc.get_traced_memory()[0]
        assert verify_export(iter(receipts), note, [VERIFIER]).ok
        peaks.append(tracemalloc.get_traced_memory()[1] - baseline)
        tracemalloc.stop()
    return peaks


def test_memory_stays_flat() -> None:
    # tracemalloc counts every thread of its process: measured in a fresh one, so that threads
    # earlier tests of this worker left running (servers, subscribers) cannot add to the peak.
    script = (
        "import json; from tests.unit.test_offline import memory_peaks as m; print(json.dumps(m()))"
    )
    run = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    small, large = json.loads(run.stdout)
    assert large < small * 2 + 50_000


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


# --- Receipts with and without the banner build, from NDJSON and CSV ---------------------

#: Two builds of the banner code, as /embed/builds/<build>.js serves them.
CODES = [b"(function(c){/* release 1 */})", b"(function(c){/* release 2 */})"]
BUILD_1, BUILD_2 = (hashlib.sha256(code).hexdigest() for code in CODES)


def _build_of(seq: int) -> str | None:
    """Receipts 1..12 were made before builds were recorded; then both releases alternate."""
    return None if seq <= 12 else BUILD_1 if seq % 2 else BUILD_2


def mixed() -> list[Receipt]:
    return chain(40, build=_build_of)


MIXED = mixed()
MIXED_CHECKPOINT = checkpoint(MIXED)


def csv_lines(receipts: list[Receipt]) -> list[bytes]:
    """The CSV export of these receipts (BOM, header, csv_row each), as a file's lines."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    writer.writerows(csv_row(r) for r in receipts)
    return list(io.BytesIO((UTF8_BOM + buffer.getvalue()).encode()))


def export(receipts: list[Receipt], form: str) -> list[Any]:
    return csv_lines(receipts) if form == "csv" else lines(receipts)


@pytest.fixture(params=["ndjson", "csv"])
def form(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_receipts_with_and_without_a_build_verify(form: str, workers: int) -> None:
    assert [r.get("banner_build") for r in MIXED[11:14]] == [None, BUILD_1, BUILD_2]
    result = verify_export(export(MIXED, form), MIXED_CHECKPOINT, [VERIFIER], workers)
    assert result.ok and result.receipts == 40


def test_the_csv_export_of_receipts_without_a_build_verifies(workers: int) -> None:
    assert "banner_build" not in RECEIPTS[0]
    assert verify_export(csv_lines(RECEIPTS), CHECKPOINT, [VERIFIER], workers).ok


def _build_set(index: int, value: str | None) -> Callable[[list[Receipt]], None]:
    def change(receipts: list[Receipt]) -> None:
        if value is None:
            del receipts[index]["banner_build"]
        else:
            receipts[index]["banner_build"] = value

    return change


# (what is done to the receipts, first bad seq, reason): for NDJSON and CSV alike.
BUILD_TAMPERING: list[tuple[str, Callable[[list[Receipt]], None], int, str]] = [
    ("build swapped for the other release", _build_set(20, BUILD_2), 21, "hash_mismatch"),
    ("build removed", _build_set(20, None), 21, "hash_mismatch"),
    ("build added to an older receipt", _build_set(4, BUILD_2), 5, "hash_mismatch"),
    ("build not a hash", _build_set(20, "Z" * 64), 21, "malformed"),
]


@pytest.mark.parametrize(("change", "bad_seq", "reason"), [t[1:] for t in BUILD_TAMPERING],
                         ids=[t[0] for t in BUILD_TAMPERING])  # fmt: skip
def test_a_tampered_build_fails(
    change: Callable[[list[Receipt]], None], bad_seq: int, reason: str, form: str, workers: int
) -> None:
    receipts = mixed()
    change(receipts)
    result = verify_export(export(receipts, form), MIXED_CHECKPOINT, [VERIFIER], workers)
    assert (result.ok, result.first_bad_seq, result.reason) == (False, bad_seq, reason)


def test_a_null_build_in_ndjson_is_no_build() -> None:
    shown = lines(MIXED)
    shown[4] = json.dumps({**MIXED[4], "banner_build": None}) + "\n"
    assert verify_export(shown, MIXED_CHECKPOINT, [VERIFIER]).ok


def test_csv_cells_guarded_against_formulas_are_read_back() -> None:
    # The export prefixes free text that a spreadsheet would evaluate with "'".
    receipts = chain(5)
    receipts[2]["subject_id"] = "=HYPERLINK(1)"
    rehash_from(receipts, 2)
    exported = csv_lines(receipts)
    assert b",'=HYPERLINK(1)," in exported[3]
    assert verify_export(exported, checkpoint(receipts), [VERIFIER]).ok


@pytest.mark.parametrize(
    ("change", "bad_seq", "detail"),
    [
        (lambda r: r.replace(b",true,", b",yes,", 1), 3, "is not true or false"),
        (lambda r: r.replace(b",2,", b",02,", 1), 3, "policy_version is not an integer"),
        (lambda r: r.replace(b"matomo=", b"matomo:", 1), 3, "vendors"),
        (lambda r: r.rstrip(b"\r\n") + b",extra\r\n", 3, "cells where the header has"),
        (lambda r: r.replace(b"nl", b"n\xe9", 1), 3, "not UTF-8"),
        (lambda r: r.replace(b",nl,", b',"nl"x,', 1), 3, "not CSV"),
    ],
)
def test_a_csv_record_that_is_not_a_receipt_names_its_seq(
    change: Callable[[bytes], bytes], bad_seq: int, detail: str, workers: int
) -> None:
    exported = csv_lines(RECEIPTS)
    exported[bad_seq] = change(exported[bad_seq])  # [0] is the header
    result = verify_export(exported, CHECKPOINT, [VERIFIER], workers)
    assert (result.first_bad_seq, result.reason) == (bad_seq, "malformed")
    assert detail in result.detail


def test_a_csv_header_without_a_hashed_column_is_malformed() -> None:
    exported = csv_lines(RECEIPTS)
    exported[0] = exported[0].replace(b",context_digest,", b",digest,")
    result = verify_export(exported, CHECKPOINT, [VERIFIER])
    assert (result.first_bad_seq, result.reason) == (1, "malformed")
    assert "context_digest" in result.detail


# --- --builds DIR: every receipt's build among the downloaded ones ----------------------


def builds_dir(tmp_path: Path, codes: list[bytes]) -> Path:
    """A folder of builds as an auditor downloads them: ``<sha256>.js`` each."""
    folder = tmp_path / "builds"
    folder.mkdir(exist_ok=True)
    for code in codes:
        (folder / f"{hashlib.sha256(code).hexdigest()}.js").write_bytes(code)
    return folder


def test_every_build_present_passes_and_counts_receipts_without_one(
    tmp_path: Path, form: str, workers: int
) -> None:
    folder = builds_dir(tmp_path, CODES)
    (folder / "README.txt").write_text("not a build: ignored")
    result = verify_export(
        export(MIXED, form), MIXED_CHECKPOINT, [VERIFIER], workers, read_builds(folder)
    )
    assert result.ok and result.builds is not None
    assert (result.builds.with_build, result.builds.without_build) == (28, 12)
    text = result.describe()
    assert text.startswith("OK: 40 receipts")
    assert "28 receipt(s) name a build found in" in text and "(2 file(s)" in text
    assert "12 receipt(s) name no build" in text
    assert result.as_dict()["builds"]["receipts_without_build"] == 12


def test_receipts_without_builds_pass_with_an_empty_folder(tmp_path: Path) -> None:
    result = verify_export(lines(RECEIPTS), CHECKPOINT, [VERIFIER], builds=read_builds(tmp_path))
    assert result.ok and result.builds is not None and result.builds.without_build == 40


def test_a_missing_build_names_the_first_receipt_that_ran_it(
    tmp_path: Path, form: str, workers: int
) -> None:
    folder = builds_dir(tmp_path, CODES[:1])  # release 2 not downloaded
    result = verify_export(
        export(MIXED, form), MIXED_CHECKPOINT, [VERIFIER], workers, read_builds(folder)
    )
    assert (result.ok, result.first_bad_seq, result.reason) == (False, 14, "build_missing")
    first, *rest = result.describe().splitlines()
    assert first.startswith("FAIL at seq 14: ") and BUILD_2 in first
    assert any("the export itself checks out: 40 receipts" in line for line in rest)
    assert any(f"build {BUILD_2} is not in" in line and "14 receipt(s)" in line for line in rest)
    missing = result.as_dict()["builds"]["missing"]
    assert missing == [{"build": BUILD_2, "first_seq": 14, "receipts": 14}]


def test_a_build_file_that_is_not_its_code_is_reported(tmp_path: Path) -> None:
    folder = builds_dir(tmp_path, CODES)
    # Release 2's file replaced by other code under the same name: not that build.
    (folder / f"{BUILD_2}.js").write_bytes(CODES[1].replace(b"release", b"Release"))
    result = verify_export(lines(MIXED), MIXED_CHECKPOINT, [VERIFIER], builds=read_builds(folder))
    assert (result.ok, result.first_bad_seq, result.reason) == (False, 14, "build_missing")
    assert f"{BUILD_2}.js does not hash to its name" in result.describe()


def test_a_stray_file_that_does_not_hash_to_its_name_fails(tmp_path: Path) -> None:
    folder = builds_dir(tmp_path, CODES)
    (folder / "latest.js").write_bytes(CODES[0])
    result = verify_export(lines(MIXED), MIXED_CHECKPOINT, [VERIFIER], builds=read_builds(folder))
    assert (result.ok, result.first_bad_seq, result.reason) == (False, None, "build_mismatch")
    assert result.describe().startswith("FAIL: a file given as a build")
    assert f"latest.js does not hash to its name (its SHA-256 is {BUILD_1})" in result.describe()


def test_a_broken_chain_is_reported_before_the_builds(tmp_path: Path) -> None:
    receipts = mixed()
    receipts[2]["action"] = "withdraw"
    folder = builds_dir(tmp_path, [])
    result = verify_export(
        lines(receipts), MIXED_CHECKPOINT, [VERIFIER], builds=read_builds(folder)
    )
    assert (result.first_bad_seq, result.reason) == (3, "hash_mismatch")


def test_cli_builds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "export.ndjson").write_text("".join(lines(MIXED)), encoding="utf-8")
    (tmp_path / "export.csv").write_bytes(b"".join(csv_lines(MIXED)))
    (tmp_path / "checkpoint").write_text(MIXED_CHECKPOINT)
    folder = builds_dir(tmp_path, CODES)
    for name in ("export.ndjson", "export.csv"):
        args = [str(tmp_path / name), "--checkpoint", str(tmp_path / "checkpoint"), "--key", VKEY]
        assert main([*args, "--builds", str(folder)]) == 0
        assert "12 receipt(s) name no build" in capsys.readouterr().out
        assert main([*args, "--builds", str(folder), "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["builds"]["receipts_with_build"] == 28
        (folder / f"{BUILD_1}.js").rename(tmp_path / "kept.js")
        assert main([*args, "--builds", str(folder)]) == 1
        assert capsys.readouterr().out.startswith("FAIL at seq 13: ")
        (tmp_path / "kept.js").rename(folder / f"{BUILD_1}.js")
        assert main([*args, "--builds", str(tmp_path / "nowhere")]) == 2


def test_python_m_consent_offline_checks_builds_alone(tmp_path: Path) -> None:
    (tmp_path / "export.csv").write_bytes(b"".join(csv_lines(MIXED)))
    (tmp_path / "checkpoint").write_text(MIXED_CHECKPOINT)
    folder = builds_dir(tmp_path, CODES)
    probe = (
        "import runpy, sys; sys.argv[0] = 'consent.offline'; "
        "runpy.run_module('consent.offline', run_name='__main__')"
    )
    args = [str(tmp_path / "export.csv"), "--checkpoint", str(tmp_path / "checkpoint")]
    args += ["--key", VKEY, "--builds", str(folder)]
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", probe, *args],
        cwd=ROOT_DIR,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "12 receipt(s) name no build" in done.stdout
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines()}
    assert "consent.offline.builds" in imported
    assert not {"flask", "sqlalchemy"} & imported
    (folder / f"{BUILD_2}.js").unlink()
    done = subprocess.run(
        [sys.executable, "-m", "consent.offline", *args],
        cwd=ROOT_DIR,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1 and done.stdout.startswith("FAIL at seq 14: ")
