"""The seeder is the ledger's bulk append: what it writes is what an append writes."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from consent.core.canonical import salted_digest
from consent.core.chain import HASHED_FIELDS, JSON_FIELDS, receipt_hash, receipt_hash_rfc8785
from consent.core.merkle import leaf_hash, merkle_root, verify_consistency, verify_inclusion
from consent.core.notes import open_checkpoint, parse_verifier_key
from consent.core.times import iso_ms
from consent.ledger import append as ledger
from consent.ledger import seeding
from consent.offline.verify import verify_export
from tests.helpers import Visitor
from tests.http.auditing import make_token


def seed(runner: FlaskCliRunner, site: str, count: int) -> None:
    result = runner.invoke(args=["seed-receipts", "--site", site, "--count", str(count), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"site_key": site, "added": count}


def stored(app: Flask) -> list[dict[str, Any]]:
    """Every receipt row with its context row's columns (``context_…``), in seq order.

    JSON columns as their stored text (PostgreSQL's driver would parse them).
    """
    texts = ", ".join(f"CAST(r.{name} AS TEXT) AS {name}_text" for name in sorted(JSON_FIELDS))
    query = (
        f"SELECT r.*, {texts}, c.salt AS context_salt, c.page_url AS context_page_url, "
        "c.ip_prefix AS context_ip_prefix, c.user_agent AS context_user_agent, "
        "c.created_at AS context_created_at "
        "FROM receipts r JOIN receipt_contexts c ON c.receipt_pk = r.id ORDER BY r.seq"
    )
    with app.app_context(), app.extensions["sqlalchemy"].engine.connect() as conn:
        rows = [dict(row._mapping) for row in conn.execute(sa.text(query))]
    for row in rows:
        row.update({name: row.pop(f"{name}_text") for name in JSON_FIELDS})
        row["context_salt"] = bytes(row["context_salt"])
    return rows


def shape(row: dict[str, Any]) -> dict[str, Any]:
    """What a stored row is made of: each column's type, and each JSON column's keys."""
    parsed = {name: json.loads(row[name]) for name in JSON_FIELDS}
    return {
        "types": {name: type(value).__name__ for name, value in row.items() if name != "id"},
        "keys": {name: sorted(value) for name, value in parsed.items()},
        "json_as_dumped": all(json.dumps(v) == row[n] for n, v in parsed.items()),
    }


def hashed_body(row: dict[str, Any]) -> dict[str, Any]:
    """The receipt a stored row holds, JSON columns parsed."""
    body = {name: row[name] for name in HASHED_FIELDS}
    body.update({name: json.loads(row[name]) for name in JSON_FIELDS})
    return body


def test_seeded_receipts_are_stored_and_hashed_like_appended_ones(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner, site: str
) -> None:
    visitor = Visitor(client, site)
    posted = [visitor.choose("custom", categories={"performance": True})]
    seed(runner, site, 300)
    posted.append(visitor.choose("withdraw"))  # after the seeder: its cached log head
    rows = stored(app)
    assert [row["seq"] for row in rows] == list(range(1, 303))
    appended, seeded = [rows[0], rows[-1]], rows[1:-1]
    for row in rows:
        body = hashed_body(row)
        assert receipt_hash(body) == receipt_hash_rfc8785(body) == row["hash"]
        context = {
            "page_url": row["context_page_url"],
            "ip_prefix": row["context_ip_prefix"],
            "user_agent": row["context_user_agent"],
        }
        assert salted_digest(row["context_salt"], context) == row["context_digest"]
        assert len(row["context_salt"]) == 16
    assert {json.dumps(shape(row)) for row in rows} == {json.dumps(shape(appended[0]))}
    times = [row["created_at"] for row in rows]
    assert times == sorted(times)  # time follows seq
    assert all(iso_ms(datetime.fromisoformat(time)) == time for time in times)
    assert [row["hash"] for row in appended] == [receipt["hash"] for receipt in posted]

    auditor = {"Authorization": f"Bearer {make_token(app, site)}"}
    base = f"/api/v1/audit/sites/{site}/receipts"
    shown = [
        client.get(f"{base}/{row['receipt_id']}", headers=auditor).json["receipt"]
        for row in (seeded[0], seeded[-1], *appended)
    ]
    assert {tuple(sorted(receipt)) for receipt in shown} == {tuple(sorted(posted[0]))}
    assert shown[-1] == posted[-1]
    verified = json.loads(runner.invoke(args=["verify-ledger", "--json"]).stdout)["sites"]
    assert verified == [{"site_key": site, "ok": True, "receipts": 302, "head": rows[-1]["hash"]}]


def test_the_log_of_a_seeded_ledger_verifies(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner, site: str, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(seeding, "BATCH", 100)  # several transactions, tiles across them
    visitor = Visitor(client, site)
    first = visitor.choose("accept_all")
    seed(runner, site, 250)
    keys = [parse_verifier_key(v) for v in client.get("/log/key").text.splitlines()]
    early = open_checkpoint(client.get(f"/log/{site}/checkpoint").text, keys)
    seed(runner, site, 270)
    last = visitor.post(visitor.consent_body("reject_all")).json
    signed = open_checkpoint(last["checkpoint"], keys, origin=f"consent.test/log/{site}")
    hashes = [bytes.fromhex(row["hash"]) for row in stored(app)]
    assert early.size == 251 and signed.size == len(hashes) == 522
    assert signed.root == merkle_root(leaf_hash(h) for h in hashes)
    assert early.root == merkle_root(leaf_hash(h) for h in hashes[:251])
    proof = [base64.b64decode(node) for node in last["inclusion"]["inclusion"]]
    verify_inclusion(521, 522, leaf_hash(hashes[-1]), proof, signed.root)
    consistency = client.get(
        f"/api/v1/sites/{site}/log/consistency", query_string={"from": 251, "to": 522}
    ).json
    path = [base64.b64decode(node) for node in consistency["proof"]]
    verify_consistency(251, 522, path, early.root, signed.root)
    auditor = {"Authorization": f"Bearer {make_token(app, site)}"}
    export = client.get(f"/api/v1/audit/sites/{site}/export", headers=auditor)
    result = verify_export(export.data.splitlines(), last["checkpoint"], keys)
    assert result.ok and result.receipts == 522
    assert hashes[0] == bytes.fromhex(first["hash"])


@pytest.mark.parametrize("builder", ["receipt_draft", "chained"])
def test_the_seeder_builds_receipts_with_the_ledgers_own_functions(
    app: Flask,
    client: FlaskClient,
    runner: FlaskCliRunner,
    site: str,
    monkeypatch: pytest.MonkeyPatch,
    builder: str,
) -> None:
    """A change to the body builder reaches seeded receipts: there is no second copy."""
    real, calls = getattr(ledger, builder), []

    def changed(*args: Any, **kwargs: Any) -> dict[str, Any]:
        calls.append(1)
        body = real(*args, **kwargs)
        body["subject_id"] = f"changed-{len(calls)}"
        if "hash" in body:  # a changed hash input, hashed as the builder would
            body["hash"] = receipt_hash(body)
        return body

    monkeypatch.setattr(ledger, builder, changed)
    Visitor(client, site).choose("accept_all")
    seed(runner, site, 40)
    subjects = [row["subject_id"] for row in stored(app)]
    assert len(calls) == 41 and subjects == [f"changed-{n}" for n in range(1, 42)]
    verified = json.loads(runner.invoke(args=["verify-ledger", "--json"]).stdout)["sites"]
    assert verified[0]["ok"] is True and verified[0]["receipts"] == 41


def test_the_seeder_stores_rows_with_the_ledgers_own_function(
    app: Flask, runner: FlaskCliRunner, site: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = seeding.receipt_rows.row

    def marked(*args: Any) -> dict[str, Any]:
        params = real(*args)
        params["context_user_agent"] = "from the one row definition"
        return params

    monkeypatch.setattr(seeding.receipt_rows, "row", marked)
    seed(runner, site, 30)
    agents = {row["context_user_agent"] for row in stored(app)}
    assert agents == {"from the one row definition"}
