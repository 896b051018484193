"""Tampering that tests/http/test_ledger.py does not cover: reordered rows, a cut tail.

A cut tail leaves a chain that verifies on its own: what catches it is what was signed
before the cut (the visitor's 201 checkpoint, a monitor's saved checkpoint) and the
Merkle tiles, which still hold more leaves than there are receipts.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from consent.extensions import db
from consent.offline.monitor import check
from tests.helpers import Visitor
from tests.http.test_ledger import run_sql, verify

#: Columns that identify a receipt's place, not its content.
PLACE = ("id", "site_id", "seq")


def swap(app: Flask, a: int, b: int, columns: list[str]) -> None:
    """Swap ``columns`` between receipts ``a`` and ``b`` (unique values parked first)."""
    with app.app_context():
        rows = {
            row["seq"]: {k: json.dumps(v) if isinstance(v, dict) else v for k, v in row.items()}
            for row in db.session.execute(
                sa.text("SELECT * FROM receipts WHERE seq IN (:a, :b)"), {"a": a, "b": b}
            ).mappings()
        }
    unique = {"seq": -1, "receipt_id": "parked", "prev_hash": "parked"}
    parked = {c: unique[c] for c in columns if c in unique}
    statement = "UPDATE receipts SET {} WHERE id = :id"
    run_sql(app, statement.format(", ".join(f"{c} = :{c}" for c in parked)), id=rows[a]["id"],
            **parked)  # fmt: skip
    assignments = ", ".join(f"{c} = :{c}" for c in columns)
    for target, source in ((b, a), (a, b)):
        run_sql(app, statement.format(assignments), id=rows[target]["id"],
                **{c: rows[source][c] for c in columns})  # fmt: skip


@pytest.mark.parametrize("what", ["payloads", "positions"])
def test_reordered_receipts_are_found(
    app: Flask, client: FlaskClient, site: str, what: str
) -> None:
    visitor = Visitor(client, site)
    for action in ("accept_all", "reject_all", "withdraw", "accept_all", "reject_all", "withdraw"):
        visitor.choose(action)
    with app.app_context():
        names = list(db.session.execute(sa.text("SELECT * FROM receipts")).keys())
    # payloads: the two receipts trade everything but their place; positions: their seq.
    columns = [c for c in names if c not in PLACE] if what == "payloads" else ["seq"]
    swap(app, 3, 4, columns)
    assert verify(app, site) == {"ok": False, "first_bad_seq": 3, "reason": "hash_mismatch"}


def test_a_cut_tail_is_caught_by_what_was_signed_before(
    app: Flask,
    served: str,
    site: str,
    tmp_path: Path,
) -> None:
    visitor = Visitor(app.test_client(), site)
    answers = []
    for _ in range(10):
        response = visitor.post(visitor.consent_body("accept_all"))
        assert response.status_code == 201
        answers.append(response.json)
    assert check(served, site, tmp_path).code == 0  # a monitor saw size 10
    run_sql(app, "DELETE FROM receipt_contexts WHERE receipt_pk IN "
                 "(SELECT id FROM receipts WHERE seq > 7)")  # fmt: skip
    run_sql(app, "DELETE FROM receipts WHERE seq > 7")
    # The chain alone cannot see it: seven intact receipts still verify.
    assert verify(app, site)["ok"] is True and verify(app, site)["receipts"] == 7
    # The tiles still commit to ten leaves: tree size 10 > 7 receipts.
    with app.app_context():
        tiles = db.session.execute(sa.text("SELECT hashes FROM log_tiles WHERE level = 0")).all()
    assert sum(len(bytes(row.hashes)) for row in tiles) // 32 == 10
    # The visitor of seq 10 holds a checkpoint signed at size 10 that the log can no longer
    # extend: its consistency proof and the receipt's inclusion proof are gone.
    signed = answers[-1]["checkpoint"].splitlines()
    assert signed[1] == "10"
    log = app.test_client()
    consistency = log.get(f"/api/v1/sites/{site}/log/consistency?from=7&to=10")
    assert consistency.status_code == 422 and consistency.json["error"]["field"] == "to"
    receipt_id = answers[-1]["receipt"]["receipt_id"]
    assert log.get(f"/api/v1/sites/{site}/receipts/{receipt_id}/proof").status_code == 404
    # A monitor compares with the checkpoint it kept: exit 1, both signed notes as evidence.
    outcome = check(served, site, tmp_path)
    assert outcome.code == 1 and "shrank from 10 to 7" in outcome.message
    assert len(outcome.evidence) == 2
    # Appending onto the cut log would sign a tree that contradicts what was signed before:
    # refused with a JSON 503, nothing stored.
    refused = visitor.post(visitor.consent_body("accept_all"))
    assert refused.status_code == 503 and refused.json["error"]["code"] == "unavailable"
    assert verify(app, site)["receipts"] == 7
