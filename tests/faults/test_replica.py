"""CONSENT_READ_DATABASE_URL: the auditor's reads come from the replica and say how fresh
they are; writes, auth and the visitor API use the primary; a replica that is down falls
back to the primary at once."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from consent import create_app
from consent.extensions import db
from consent.sites.owner import create_site
from tests.conftest import ORIGIN, VENDORS, base_config
from tests.helpers import Visitor
from tests.owners import mint

from .conftest import FAULTS

pytestmark = FAULTS
DOWN = "postgresql+psycopg://nobody@127.0.0.1:1/none"


def _app(primary: str, replica: str) -> Flask:
    return create_app({**base_config(primary), "CONSENT_READ_DATABASE_URL": replica})


@pytest.fixture
def made(tmp_path: Path) -> Iterator[list[Flask]]:
    apps: list[Flask] = []
    yield apps
    for app in apps:
        with app.app_context():
            db.engine.dispose()
        replica = app.extensions.get("consent_replica")
        if replica is not None:
            replica.engine.dispose()


def _consents(app: Flask, site: str, count: int) -> None:
    visitor = Visitor(app.test_client(), site)
    for _ in range(count):
        assert visitor.post(visitor.consent_body("accept_all")).status_code == 201


def _audit(app: Flask, site: str, token: str, path: str) -> Any:
    answer = app.test_client().get(
        f"/api/v1/audit/sites/{site}/{path}", headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    return answer


def _count(url: str, table: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())
    finally:
        engine.dispose()


def test_auditor_reads_come_from_the_replica(
    sqlite_template: Path, tmp_path: Path, made: list[Flask]
) -> None:
    """A stale copy of a SQLite file as the replica: what the auditor sees is the copy's,
    what is written goes to the primary."""
    primary = tmp_path / "primary.sqlite3"
    shutil.copy(sqlite_template, primary)
    db_url = f"sqlite:///{primary}"
    app = create_app(base_config(db_url))
    made.append(app)
    with app.app_context():
        site = create_site(
            name="Shop", origins=[ORIGIN], vendors=VENDORS, privacy_url=f"{ORIGIN}/p"
        ).site_key
        db.session.commit()
    _consents(app, site, 1)
    copy = tmp_path / "replica.sqlite3"
    with app.app_context():
        db.engine.dispose()
    shutil.copy(primary, copy)
    _consents(app, site, 2)  # the "replica" has not replayed these yet

    routed = _app(db_url, f"sqlite:///{copy}")
    made.append(routed)
    token = mint(routed, site, "auditor")  # after the copy: auth reads the primary
    answer = _audit(routed, site, token, "receipts")
    assert answer.headers["X-Consent-Read-From"] == "replica"
    assert answer.headers["X-Consent-Replica-Lag"] == "0.000"
    assert len(answer.json["items"]) == 1
    assert _audit(routed, site, token, "verify").json["receipts"] == 1
    exported = _audit(routed, site, token, "export?format=ndjson").get_data(as_text=True)
    assert len(exported.splitlines()) == 1

    # The visitor API and its writes use the primary, and so does the access log.
    _consents(routed, site, 1)
    config = routed.test_client().get(f"/api/v1/sites/{site}/config")
    assert config.status_code == 200 and "X-Consent-Read-From" not in config.headers
    assert _count(db_url, "receipts") == 4 and _count(f"sqlite:///{copy}", "receipts") == 1
    assert _count(db_url, "access_log") >= 3
    assert _count(f"sqlite:///{copy}", "access_log") == 0


def test_the_replica_engine_runs_selects_of_ledger_tables_only(
    db_url: str, site: str, made: list[Flask]
) -> None:
    """The primary's own URL as the replica: every statement the replica engine ran is a
    SELECT of ledger tables (or the lag query); the answers carry the lag."""
    routed = _app(db_url, db_url)
    made.append(routed)
    seen: list[str] = []
    engine = routed.extensions["consent_replica"].engine
    sa.event.listen(engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    _consents(routed, site, 3)
    token = mint(routed, site, "auditor")
    for path in ("receipts", "verify", "stats", "export?format=ndjson", "access-log"):
        answer = _audit(routed, site, token, path)
        assert answer.headers["X-Consent-Read-From"] == "replica", path
        assert float(answer.headers["X-Consent-Replica-Lag"]) == 0.0
    assert any("FROM receipts" in statement for statement in seen)
    for statement in seen:
        head = statement.lstrip().split(None, 1)[0].upper()
        assert head in ("SELECT", "BEGIN", "SHOW", "SET"), statement
        assert "FOR UPDATE" not in statement and "api_tokens" not in statement


def test_a_replica_that_is_down_falls_back_to_the_primary(
    app: Flask, db_url: str, site: str, made: list[Flask]
) -> None:
    routed = _app(db_url, DOWN)
    made.append(routed)
    _consents(routed, site, 2)
    token = mint(routed, site, "auditor")
    started = time.monotonic()
    for _ in range(5):
        answer = _audit(routed, site, token, "receipts")
        assert answer.headers["X-Consent-Read-From"] == "primary"
        assert "X-Consent-Replica-Lag" not in answer.headers
        assert len(answer.json["items"]) == 2
    assert time.monotonic() - started < 10
    # Within the re-check window the replica is not asked again.
    replica = routed.extensions["consent_replica"]
    asked: list[int] = []
    replica.engine = _Refusing(asked)
    _audit(routed, site, token, "stats")
    assert asked == []


class _Refusing:
    def __init__(self, asked: list[int]) -> None:
        self.asked = asked

    def connect(self) -> None:
        self.asked.append(1)
        raise AssertionError("the replica was asked while marked down")

    def dispose(self) -> None:
        """Nothing to close."""
