"""Our log, checked by an implementation nobody here wrote: Go's sumdb/note and sumdb/tlog;
and a ledger the service made, receipts with and without a banner build, walked and hashed by
Go (its own RFC 8785) against that log's entries.

Needs ``go`` and the module source from Debian's golang-go and golang-golang-x-mod-dev;
skipped without them, unless ``CONSENT_REQUIRE_GO=1`` (then it fails).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from consent import create_app
from consent.core.merkle import leaf_hash
from consent.core.notes import (
    Checkpoint,
    generate_signer_key,
    open_checkpoint,
    parse_signer_key,
    parse_verifier_key,
    sign_checkpoint,
    sign_note,
)
from consent.core.tiles import (
    ENTRIES,
    consistency_proof,
    entry_bundle,
    inclusion_proof,
    tile_path,
    tree_root,
)
from consent.core.tree_edge import append_leaves
from consent.extensions import db
from consent.sites.owner import create_site
from tests.conftest import ORIGIN as SITE_ORIGIN
from tests.conftest import VENDORS, base_config
from tests.helpers import Visitor
from tests.http.auditing import Auditor, make_token
from tests.http.scanning import fake_crawl

HERE = Path(__file__).resolve().parent
GO_MODULE = Path("/usr/share/gocode/src/golang.org/x/mod")
GO_MOD = f"""module tlogcheck

go 1.19

require golang.org/x/mod v0.0.0

replace golang.org/x/mod => {GO_MODULE}
"""
SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
ORIGIN = "consent.example/log/site1"
SIZE = 700
SIZES = [1, 2, 3, 255, 256, 257, 511, 512, 600, SIZE]
INCLUSION = [(0, 1), (0, SIZE), (1, 3), (255, 256), (256, 257), (300, 512), (511, 600),
             (123, 600), (699, SIZE), (640, SIZE)]  # fmt: skip
CONSISTENCY = [(1, SIZE), (2, 3), (255, 256), (256, 257), (257, SIZE), (300, 512),
               (512, SIZE), (600, SIZE), (SIZE, SIZE)]  # fmt: skip
PATHS = [(0, 0, 256), (0, 1234067, 256), (1, 1234067, 5), (2, 1000, 256), (3, 999, 255),
         (ENTRIES, 0, 1), (ENTRIES, 1_000_000, 17), (63, 7, 128)]  # fmt: skip


def _go() -> str:
    go = shutil.which("go")
    if go and (GO_MODULE / "sumdb" / "tlog" / "tile.go").is_file():
        return go
    reason = "needs go and golang.org/x/mod (apt-get install golang-go golang-golang-x-mod-dev)"
    if os.environ.get("CONSENT_REQUIRE_GO") == "1":
        pytest.fail(f"CONSENT_REQUIRE_GO=1 but this {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def tlogcheck(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Go checker, built offline once per test session."""
    go, build = _go(), tmp_path_factory.mktemp("tlogcheck")
    shutil.copy(HERE / "tlogcheck" / "main.go", build / "main.go")
    (build / "go.mod").write_text(GO_MOD)
    env = {**os.environ, "GOPROXY": "off", "GOFLAGS": "-mod=mod", "GOTOOLCHAIN": "local"}
    env.update(GOSUMDB="off", GO111MODULE="on")
    if not os.environ.get("HOME") and not os.environ.get("XDG_CACHE_HOME"):
        env.setdefault("GOCACHE", str(build / "cache"))
        env.setdefault("GOPATH", str(build / "gopath"))
    binary = build / "tlogcheck"
    done = subprocess.run(
        [go, "build", "-o", str(binary), "."],
        cwd=build,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode:
        pytest.fail(f"go build failed:\n{done.stderr}")
    return binary


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _write(root: Path, path: str, data: bytes) -> None:
    """One tile under its C2SP path and under Go's (``tile/8/L/…``, entries as ``data``)."""
    go_path = "tile/8/" + path.removeprefix("tile/").replace("entries/", "data/", 1)
    for name in (f"c2sp/{path}", f"go/{go_path}"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)


def write_log(root: Path) -> dict[str, Any]:
    """A log of ``SIZE`` receipt hashes as tiles, checkpoints and proofs, for the Go checker."""
    entries = [hashlib.sha256(f"receipt {i}".encode()).digest() for i in range(SIZE)]
    tiles: dict[tuple[int, int], bytes] = {}

    def read(level: int, index: int) -> bytes:
        return tiles.get((level, index), b"")

    for start, stop in [(0, 1), (1, 255), (255, 600), (600, SIZE)]:
        for w in append_leaves(read, start, [leaf_hash(e) for e in entries[start:stop]]):
            tiles[w.level, w.index] = w.data
    for (level, index), hashes in tiles.items():
        _write(root, tile_path(level, index, len(hashes) // 32), hashes)
    for index in range(0, SIZE, 256):
        bundle = entries[index : index + 256]
        _write(root, tile_path(ENTRIES, index // 256, len(bundle)), entry_bundle(bundle))
    signer = parse_signer_key(SKEY)
    data: dict[str, Any] = {
        "origin": ORIGIN,
        "skey": SKEY,
        "vkey": signer.verifier.vkey,
        "checkpoints": [
            {
                "note": sign_checkpoint(ORIGIN, n, tree_root(read, n), signer),
                "size": n,
                "root": _b64(tree_root(read, n)),
            }
            for n in SIZES
        ],
        "inclusion": [
            {"index": i, "size": n, "proof": [_b64(h) for h in inclusion_proof(read, i, n)]}
            for i, n in INCLUSION
        ],
        "consistency": [
            {"old": m, "new": n, "proof": [_b64(h) for h in consistency_proof(read, m, n)]}
            for m, n in CONSISTENCY
        ],
        "paths": [
            {"level": level, "index": index, "width": width, "path": tile_path(level, index, width)}
            for level, index, width in PATHS
        ],
    }
    (root / "input.json").write_text(json.dumps(data))
    return data


def test_go_verifies_our_checkpoints_tiles_and_proofs(tlogcheck: Path, tmp_path: Path) -> None:
    data = write_log(tmp_path)
    done = subprocess.run(
        [str(tlogcheck), str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    counts = [report[k] for k in ("checkpoints", "inclusion", "consistency", "paths")]
    assert counts == [len(SIZES), len(INCLUSION), len(CONSISTENCY), len(PATHS)]
    assert report["tiles_read"] >= len(INCLUSION)  # leaves came from the entry bundles
    # And the other way round: Go's own key and signature, opened and reproduced here.
    final = data["checkpoints"][-1]
    expected = Checkpoint(ORIGIN, SIZE, base64.b64decode(final["root"]))
    go_note = report["go_note"]
    assert open_checkpoint(go_note, [parse_verifier_key(report["go_vkey"])]) == expected
    assert sign_note(expected.text, parse_signer_key(report["go_skey"])) == go_note


def test_go_rejects_an_altered_tile(tlogcheck: Path, tmp_path: Path) -> None:
    write_log(tmp_path)
    for name in ("c2sp/tile/0/001", "go/tile/8/0/001"):
        tile = bytearray((tmp_path / name).read_bytes())
        tile[100] ^= 1
        (tmp_path / name).write_bytes(bytes(tile))
    done = subprocess.run(
        [str(tlogcheck), str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1 and "FAIL" in done.stderr


# --- A ledger the service made: receipts with and without a banner build -----------------


@pytest.fixture
def keyed(db_url: str) -> Iterator[tuple[Flask, str, str]]:
    """The service with a log key of our own (Go re-signs its checkpoints), and a site."""
    skey, _vkey = generate_signer_key("consent.test")
    app = create_app({**base_config(db_url), "CONSENT_LOG_KEY": skey})
    with app.app_context():
        created = create_site(
            name="Shop", origins=[SITE_ORIGIN], vendors=VENDORS, privacy_url=f"{SITE_ORIGIN}/p"
        )
        site = created.site_key
        db.session.commit()
    yield app, skey, site
    with app.app_context():
        db.engine.dispose()


def write_service_log(
    root: Path, client: FlaskClient, site: str, skey: str, posted: list[dict[str, Any]]
) -> dict[str, Any]:
    """The input for the Go checker from what the service publishes: the checkpoint and the
    inclusion proof each consents POST answered, proofs and consistency at the final size,
    the final tree's tiles, and the receipts as the auditor's NDJSON export has them."""
    size = len(posted)
    auditor = Auditor(client, site, make_token(client.application, site))
    export = auditor.get("export", format="ndjson").get_data(as_text=True)
    receipts = [json.loads(line) for line in export.splitlines()]
    final = client.get(f"/log/{site}/checkpoint").get_data(as_text=True)
    inclusion = [
        {"index": p["leaf_index"], "size": p["tree_size"], "proof": p["inclusion"]}
        for p in [answer["inclusion"] for answer in posted]
        + [
            client.get(f"/api/v1/sites/{site}/receipts/{r['receipt_id']}/proof").get_json()
            for r in receipts
        ]
    ]
    consistency = []
    for old in range(1, size + 1):
        query = {"from": old, "to": size}
        answer = client.get(f"/api/v1/sites/{site}/log/consistency", query_string=query)
        consistency.append({"old": old, "new": size, "proof": answer.get_json()["proof"]})
    level, count = 0, size
    while count:
        for index in range((count + 255) // 256):
            path = tile_path(level, index, min(256, count - index * 256))
            _write(root, path, client.get(f"/log/{site}/{path}").get_data())
        level, count = level + 1, count // 256
    for index in range((size + 255) // 256):
        path = tile_path(ENTRIES, index, min(256, size - index * 256))
        _write(root, path, client.get(f"/log/{site}/{path}").get_data())
    notes = [answer["checkpoint"] for answer in posted] + [final]
    data: dict[str, Any] = {
        "origin": final.split("\n")[0],
        "skey": skey,
        "vkey": client.get("/log/key").get_data(as_text=True).splitlines()[0],
        "checkpoints": [
            {"note": n, "size": int(n.split("\n")[1]), "root": n.split("\n")[2]} for n in notes
        ],
        "inclusion": inclusion,
        "consistency": consistency,
        "paths": [],
        "receipts": receipts,
    }
    (root / "input.json").write_text(json.dumps(data))
    return data


def test_go_walks_a_ledger_of_receipts_with_and_without_a_build(
    tlogcheck: Path, keyed: tuple[Flask, str, str], tmp_path: Path
) -> None:
    app, skey, site = keyed
    client = app.test_client()
    # The banner's way: load the embed (its build is recorded as served), send the build
    # the site's config names. Other callers send none.
    assert client.get(f"/embed/{site}.js").status_code == 200
    build = Visitor(client, site).config()["build"]
    plan = [None, None, build, build, None, build, build, None]
    posted = []
    for number, given in enumerate(plan):
        visitor = Visitor(client, site)
        extra = {} if given is None else {"build": given}
        body = visitor.consent_body("accept_all" if number % 2 else "reject_all", **extra)
        answer = visitor.post(body)
        assert answer.status_code == 201, answer.get_json()
        posted.append(answer.get_json())
    assert [a["receipt"].get("banner_build") for a in posted] == plan
    data = write_service_log(tmp_path, client, site, skey, posted)
    done = subprocess.run(
        [str(tlogcheck), str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["receipts"], report["with_build"]) == (len(plan), 4)
    assert report["checkpoints"] == len(plan) + 1 and report["inclusion"] == 2 * len(plan)
    assert report["consistency"] == len(plan)
    # A receipt's build swapped, dropped or claimed for an older receipt: Go's hash differs.
    other = "0" * 64
    for seq, value in ((3, other), (4, None), (2, build)):
        receipts = [dict(r) for r in data["receipts"]]
        if value is None:
            del receipts[seq - 1]["banner_build"]
        else:
            receipts[seq - 1]["banner_build"] = value
        (tmp_path / "input.json").write_text(json.dumps({**data, "receipts": receipts}))
        done = subprocess.run(
            [str(tlogcheck), str(tmp_path)], capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 1
        assert f"FAIL: receipt {seq}: its body hashes to" in done.stderr


# --- A site scan's signed report ----------------------------------------------------------


def test_go_verifies_a_scan_reports_hash_and_signature(
    tlogcheck: Path, keyed: tuple[Flask, str, str], tmp_path: Path
) -> None:
    app, skey, site = keyed
    jobs = app.extensions["consent_scans"]
    jobs.crawler = fake_crawl  # the report's data as a browser would have seen it
    client = app.test_client()
    owner = {"Authorization": f"Bearer {make_token(app, site, 'owner')}"}
    base = f"/api/v1/admin/sites/{site}/scans"
    started = client.post(base, json={"max_pages": 2}, headers=owner)
    assert started.status_code == 202
    jobs.shutdown()  # the scan has ended
    report = client.get(f"{base}/{started.json['scan_id']}", headers=owner).get_json()
    assert report["status"] == "done" and report["findings"]

    def go(reports: list[dict[str, Any]]) -> subprocess.CompletedProcess[str]:
        data = {
            "vkey": client.get("/log/key").get_data(as_text=True).splitlines()[0],
            "skey": skey,
            "scans": [{"netloc": "consent.test", "report": r} for r in reports],
        }
        (tmp_path / "input.json").write_text(json.dumps(data))
        return subprocess.run(
            [str(tlogcheck), str(tmp_path)], capture_output=True, text=True, timeout=60
        )

    done = go([report])
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["scans"] == 1
    # A finding dropped, or the note of the report moved to another scan: Go refuses both.
    altered = {**report, "findings": report["findings"][1:]}
    moved = {**report, "scan_id": "another-scan"}
    for bad in (altered, moved):
        refused = go([report, bad])
        assert refused.returncode == 1 and "FAIL: scan 2:" in refused.stderr
