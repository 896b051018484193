"""The ledger: chain verification, tampering, concurrency, append-only, retention, erasure."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from consent.extensions import db
from consent.ledger.erasure import erase_subject, purge_contexts
from consent.ledger.reads import verify_chain
from consent.models import Site, utcnow
from tests.helpers import Visitor


def site_id(app: Flask, site_key: str) -> int:
    with app.app_context():
        return db.session.query(Site).filter_by(site_key=site_key).one().id


def verify(app: Flask, site_key: str) -> dict:  # type: ignore[type-arg]
    with app.app_context():
        return verify_chain(site_id(app, site_key)).as_dict()


def record(client: FlaskClient, site_key: str, n: int) -> list[dict]:  # type: ignore[type-arg]
    visitor = Visitor(client, site_key)
    actions = ["accept_all", "reject_all", "custom", "withdraw"]
    return [
        visitor.choose(actions[i % 4], categories={"performance": True} if i % 4 == 2 else None)
        for i in range(n)
    ]


def run_sql(app: Flask, statement: str, **params: object) -> None:
    """Write to the database as an attacker with direct access would (triggers dropped)."""
    with app.app_context(), db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # For this transaction only: the schema is shared by the PostgreSQL tests.
            conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        else:
            conn.execute(sa.text("DROP TRIGGER IF EXISTS receipts_no_update"))
            conn.execute(sa.text("DROP TRIGGER IF EXISTS receipts_no_delete"))
        conn.execute(sa.text(statement), params)


def test_empty_ledger_verifies(app: Flask, site: str) -> None:
    assert verify(app, site) == {"ok": True, "receipts": 0, "head": None}


def test_chain_verifies(app: Flask, client: FlaskClient, site: str) -> None:
    receipts = record(client, site, 6)
    assert verify(app, site) == {"ok": True, "receipts": 6, "head": receipts[-1]["hash"]}


def _altered(column: str, value: object) -> object:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1000
    if isinstance(value, dict):
        return json.dumps({**value, next(iter(value)): not next(iter(value.values()))})
    text = str(value)
    return text[:-1] + ("0" if text[-1] != "0" else "1")


@pytest.mark.parametrize(
    "column",
    [
        "receipt_id",
        "site_key",
        "subject_id",
        "created_at",
        "policy_version",
        "policy_hash",
        "language",
        "action",
        "categories",
        "vendors",
        "signals",
        "context_digest",
        "prev_hash",
        "hash",
    ],
)
def test_any_altered_field_is_found(
    app: Flask, client: FlaskClient, site: str, column: str
) -> None:
    receipts = record(client, site, 5)
    value = receipts[2][column] if column != "language" else "nl"
    run_sql(
        app,
        f"UPDATE receipts SET {column} = :value WHERE seq = 3",
        value=_altered(column, value) if column != "language" else value,
    )
    result = verify(app, site)
    assert result == {"ok": False, "first_bad_seq": 3, "reason": "hash_mismatch"}


def test_deleted_row_is_a_gap(app: Flask, client: FlaskClient, site: str) -> None:
    record(client, site, 5)
    run_sql(
        app,
        "DELETE FROM receipt_contexts WHERE receipt_pk IN (SELECT id FROM receipts WHERE seq = 2)",
    )
    run_sql(app, "DELETE FROM receipts WHERE seq = 2")
    assert verify(app, site) == {"ok": False, "first_bad_seq": 2, "reason": "gap"}


def test_recomputed_hash_breaks_the_link(app: Flask, client: FlaskClient, site: str) -> None:
    from consent.core.chain import receipt_hash

    receipts = record(client, site, 4)
    forged = {
        **receipts[1],
        "action": "accept_all",
        "categories": {**receipts[1]["categories"], "targeting": True},
    }
    new_hash = receipt_hash(forged)
    run_sql(
        app,
        "UPDATE receipts SET action = 'accept_all', categories = :cats, hash = :h WHERE seq = 2",
        cats=json.dumps(forged["categories"]),
        h=new_hash,
    )
    assert verify(app, site) == {"ok": False, "first_bad_seq": 3, "reason": "broken_link"}


@pytest.mark.parametrize(
    "statement", ["UPDATE receipts SET action = 'accept_all'", "DELETE FROM receipts"]
)
def test_receipts_are_append_only(
    app: Flask, client: FlaskClient, site: str, statement: str
) -> None:
    record(client, site, 2)
    with app.app_context(), pytest.raises(sa.exc.DBAPIError), db.engine.begin() as conn:
        conn.execute(sa.text(statement))
    assert verify(app, site)["receipts"] == 2


def test_concurrent_appends_do_not_fork(app: Flask, site: str) -> None:
    threads, each = 16, 8
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads)

    def worker() -> None:
        try:
            visitor = Visitor(app.test_client(), site)
            body = visitor.consent_body("accept_all")
            barrier.wait()
            for _ in range(each):
                response = visitor.post(body)
                assert response.status_code == 201, response.json
        except BaseException as error:  # reported below
            errors.append(error)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    assert errors == []
    with app.app_context():
        seqs = db.session.execute(sa.text("SELECT seq FROM receipts ORDER BY seq")).scalars().all()
        links = db.session.execute(
            sa.text("SELECT count(DISTINCT prev_hash) FROM receipts")
        ).scalar_one()
    assert seqs == list(range(1, threads * each + 1))
    assert links == threads * each
    assert verify(app, site)["ok"] is True


def test_purge_deletes_only_old_context(app: Flask, client: FlaskClient, site: str) -> None:
    record(client, site, 3)
    with app.app_context():
        sid = site_id(app, site)
        assert purge_contexts(sid, utcnow() - timedelta(days=1)) == 0
        assert purge_contexts(sid, utcnow() + timedelta(seconds=1)) == 3
        assert db.session.execute(sa.text("SELECT count(*) FROM receipts")).scalar_one() == 3
    assert verify(app, site)["ok"] is True


def test_erasure_keeps_the_chain(app: Flask, client: FlaskClient, site: str) -> None:
    visitor = Visitor(client, site)
    visitor.choose("accept_all")
    visitor.choose("withdraw")
    other = Visitor(client, site)
    other.choose("reject_all")
    with app.app_context():
        erasure = erase_subject(
            site_id(app, site),
            visitor.token and _subject(client, site, visitor.token),
            "dpo@example.com",
        )
        assert erasure.receipts == 2
    mine = client.get(f"/api/v1/sites/{site}/me", query_string={"token": visitor.token}).json
    assert [item["context"] for item in mine["items"]] == [None, None]
    theirs = client.get(f"/api/v1/sites/{site}/me", query_string={"token": other.token}).json
    assert theirs["items"][0]["context"] is not None
    assert verify(app, site)["ok"] is True


def _subject(client: FlaskClient, site: str, token: str) -> str:
    return client.get(f"/api/v1/sites/{site}/me", query_string={"token": token}).json["subject_id"]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("subject_id", 'é"\\\u2028\u00ff😀\t</x>'),
        ("language", "\u001f\u007f"),
        ("categories", '{"social": false,  "necessary": true, "performance": true}'),
        ("signals", '{"gpc":true,"dnt":false,"extra":["ü",null,1]}'),
    ],
)
def test_verify_hashes_stored_values_exactly_as_rfc8785(
    app: Flask, client: FlaskClient, site: str, column: str, value: str
) -> None:
    """The fast stored-row hasher agrees with the reference RFC 8785 serialiser."""
    from consent.core.chain import receipt_hash_rfc8785

    receipts = record(client, site, 3)
    last = {**receipts[2], column: json.loads(value) if column in JSON_COLUMNS else value}
    new_hash = receipt_hash_rfc8785(last)
    run_sql(app, f"UPDATE receipts SET {column} = :v, hash = :h WHERE seq = 3", v=value, h=new_hash)
    assert verify(app, site) == {"ok": True, "receipts": 3, "head": new_hash}
    run_sql(app, "UPDATE receipts SET hash = :h WHERE seq = 3", h=receipt_hash_rfc8785(receipts[2]))
    assert verify(app, site) == {"ok": False, "first_bad_seq": 3, "reason": "hash_mismatch"}


JSON_COLUMNS = ("categories", "vendors", "signals")


def test_a_confirmed_receipt_is_on_disk(app: Flask) -> None:
    # A 201 is sent after COMMIT; the commit must reach the disk before it returns.
    with app.app_context(), db.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        else:
            assert conn.exec_driver_sql("SHOW synchronous_commit").scalar() == "on"
