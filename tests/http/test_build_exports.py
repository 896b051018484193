"""Exports carry each receipt's banner build, and an auditor checks them offline against the
builds the service publishes (DESIGN "Contract: the banner build in every receipt")."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from hashlib import sha256
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from consent import create_app
from consent.extensions import db
from consent.ledger.exports import CSV_COLUMNS
from consent.visitor.api import PROOF_COLUMNS
from tests.conftest import base_config
from tests.helpers import Visitor
from tests.http.auditing import Auditor, make_token
from tests.http.test_banner_builds import served_build, swapped_bundle

Receipt = dict[str, Any]


@pytest.fixture
def later(db_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The next release: another process serving another bundle, on the same database."""
    app = create_app({**base_config(db_url), "CONSENT_BANNER_DIR": str(swapped_bundle(tmp_path))})
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def ledger(client: FlaskClient, later: Flask, site: str) -> tuple[list[Receipt], Visitor]:
    """Receipts without a build (made by a caller other than the banner, or before the
    field), with the first release's build, then with the next release's; and the visitor
    who made one of each."""
    first = served_build(client, site)
    second = served_build(later.test_client(), site)
    assert first != second
    visitor = Visitor(client, site)
    made = [
        Visitor(client, site).choose("accept_all"),
        visitor.choose("reject_all"),
        Visitor(client, site).choose("accept_all", build=first),
        visitor.choose("custom", build=first, categories={"performance": True}),
        Visitor(later.test_client(), site).choose("reject_all", build=second),
        Visitor(later.test_client(), site).choose("accept_all", build=second),
        Visitor(client, site).choose("withdraw"),
    ]
    visitor.client = later.test_client()
    made.append(visitor.choose("accept_all", build=second))
    return made, visitor


def _builds(receipts: list[Receipt]) -> list[str | None]:
    return [r.get("banner_build") for r in receipts]


def test_exports_show_each_receipts_build_as_the_api_does(
    app: Flask, client: FlaskClient, site: str, ledger: tuple[list[Receipt], Visitor]
) -> None:
    made, visitor = ledger
    first, second = made[2]["banner_build"], made[4]["banner_build"]
    assert _builds(made) == [None, None, first, first, second, second, None, second]
    auditor = Auditor(client, site, make_token(app, site))
    ndjson = auditor.get("export", format="ndjson").get_data(as_text=True)
    shown = [json.loads(line) for line in ndjson.splitlines()]
    assert shown == made  # the key present only when set, as the API shows each receipt
    assert ["banner_build" in r for r in shown] == [b is not None for b in _builds(made)]
    text = auditor.get("export", format="csv").get_data().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [row["banner_build"] for row in rows] == [b or "" for b in _builds(made)]
    # The visitor's own download: the same columns, then the proofs.
    mine = client.get(
        f"/api/v1/sites/{site}/me", query_string={"token": visitor.token, "format": "csv"}
    )
    (header, *own) = list(csv.reader(io.StringIO(mine.get_data(as_text=True), newline="")))
    assert tuple(header) == (*CSV_COLUMNS, *PROOF_COLUMNS)
    column = header.index("banner_build")
    assert [row[column] for row in own] == ["", first, second]


def download_builds(client: FlaskClient, folder: Path) -> list[str]:
    """What the README tells an auditor to do: list the builds, fetch each one's code."""
    folder.mkdir()
    listed = [item["build"] for item in client.get("/embed/builds").get_json()["items"]]
    for build in listed:
        (folder / f"{build}.js").write_bytes(client.get(f"/embed/builds/{build}.js").get_data())
    return listed


@pytest.mark.parametrize("form", ["ndjson", "csv"])
def test_an_auditor_verifies_an_export_and_its_builds_offline(
    app: Flask,
    client: FlaskClient,
    site: str,
    ledger: tuple[list[Receipt], Visitor],
    tmp_path: Path,
    form: str,
) -> None:
    made, _visitor = ledger
    auditor = Auditor(client, site, make_token(app, site))
    export = tmp_path / f"receipts.{form}"
    export.write_bytes(auditor.get("export", format=form).get_data())
    checkpoint = tmp_path / "checkpoint.txt"
    checkpoint.write_bytes(client.get(f"/log/{site}/checkpoint").get_data())
    key = client.get("/log/key").get_data(as_text=True).splitlines()[0]
    folder = tmp_path / "builds"
    listed = download_builds(client, folder)
    assert listed == [made[2]["banner_build"], made[4]["banner_build"]]
    for build in listed:
        assert sha256((folder / f"{build}.js").read_bytes()).hexdigest() == build

    def verify(*extra: str) -> Any:
        args = [str(export), "--checkpoint", str(checkpoint), "--key", key, *extra]
        return app.test_cli_runner().invoke(args=["verify-export", *args])

    done = verify("--builds", str(folder))
    assert done.exit_code == 0, done.output
    assert done.output.startswith("OK: 8 receipts")
    assert "5 receipt(s) name a build found in" in done.output
    assert "3 receipt(s) name no build" in done.output
    # The first release's code is not among the files: its first receipt is named.
    (folder / f"{listed[0]}.js").unlink()
    done = verify("--builds", str(folder), "--json")
    assert done.exit_code == 1
    answer = json.loads(done.output)
    assert (answer["first_bad_seq"], answer["reason"]) == (3, "build_missing")
    assert answer["builds"]["missing"] == [{"build": listed[0], "first_seq": 3, "receipts": 2}]
    # Another file under that build's name: reported, and still not that build.
    (folder / f"{listed[0]}.js").write_bytes(b"(function(){})")
    done = verify("--builds", str(folder))
    assert done.exit_code == 1 and done.output.startswith("FAIL at seq 3: ")
    assert f"{listed[0]}.js does not hash to its name" in done.output
