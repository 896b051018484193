"""Database down (DESIGN.md): visitors' writes and the auditor/owner APIs answer 503
``unavailable`` without hanging; the gate, config and embed answer from the worker's cache
for a site it holds; /readyz says not ready; the service recovers on its own.

The browser side (the page stays usable and loads no tracker while the service or its
consents endpoint is down) is tests/browser/test_recording.py::
test_service_down_keeps_page_usable_and_loads_nothing and test_loader_unreachable_keeps_page_usable.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from flask.testing import FlaskClient
from sqlalchemy.engine import make_url

from consent import create_app
from consent.extensions import db
from tests.conftest import ORIGIN, PG_URL, base_config

from .conftest import FAULTS
from .load import Answer, Prepared, body_from_config, consent_body, prepare, request
from .servers import Gunicorn, Link, wait_until

pytestmark = FAULTS

CACHED = "cached"


def probes(ledger: Prepared, token: str) -> dict[str, tuple[str, str, Any, dict[str, str]]]:
    """Every kind of request, against the cached site (and one site the worker never saw)."""
    site, site_path = ledger.sites[0], f"/api/v1/sites/{ledger.sites[0]}"
    auditor = {"Authorization": f"Bearer {ledger.auditor}"}
    owner = {"Authorization": f"Bearer {ledger.owner}"}
    return {
        "consents POST": ("POST", f"{site_path}/consents", CACHED, {"Origin": ORIGIN}),
        "audit receipts": ("GET", f"/api/v1/audit/sites/{site}/receipts", None, auditor),
        "audit verify": ("GET", f"/api/v1/audit/sites/{site}/verify", None, auditor),
        "owner site": ("GET", f"/api/v1/admin/sites/{site}", None, owner),
        "owner publish": ("POST", f"/api/v1/admin/sites/{site}/publish", {}, owner),
        "uncached config": ("GET", f"/api/v1/sites/{ledger.sites[1]}/config", None, {}),
        "gate": ("GET", f"{site_path}/gate?vendors=google-analytics&token={token}", None, {}),
        "config": ("GET", f"{site_path}/config?lang=nl", None, {}),
        "embed": ("GET", f"/embed/{site}.js", None, {}),
        "readyz": ("GET", "/readyz", None, {}),
        "healthz": ("GET", "/healthz", None, {}),
    }


#: What each probe must answer while the database is down.
EXPECTED_DOWN = {
    "consents POST": 503,
    "audit receipts": 503,
    "audit verify": 503,
    "owner site": 503,
    "owner publish": 503,
    "uncached config": 503,
    "gate": 200,
    "config": 200,
    "embed": 200,
    "readyz": 503,
    "healthz": 200,
}


def check_down(ask: Callable[[str, str, Any, dict[str, str]], Answer], table: dict) -> dict:  # type: ignore[type-arg]
    """Ask every probe; assert the contract; return the answers for the figures."""
    answers = {name: ask(*probe) for name, probe in table.items()}
    assert {name: a.status for name, a in answers.items()} == EXPECTED_DOWN
    for name, answer in answers.items():
        if EXPECTED_DOWN[name] == 503 and name != "readyz":
            assert answer.body["error"]["code"] == "unavailable", (name, answer.body)
    assert answers["readyz"].body == {"status": "unavailable", "database": False}
    gate = answers["gate"].body["decisions"]["google-analytics"]
    assert gate == {"allowed": True, "category": "performance", "reason": "consented"}
    assert answers["config"].body["language"] == "nl"
    return answers


@pytest.fixture
def link() -> Iterator[Link]:
    """A cuttable TCP link to the test PostgreSQL."""
    if not PG_URL:
        pytest.skip("CONSENT_TEST_DATABASE_URL is not set")
    relay = Link(make_url(PG_URL).port or 5432)
    yield relay
    relay.close()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("failure", ["refuse", "blackhole"])
def test_postgresql_unreachable_through_gunicorn(
    database_url: str, serve: Callable[..., Gunicorn], link: Link, failure: str
) -> None:
    ledger = prepare(database_url, sites=2)
    via_link = make_url(database_url).set(host="127.0.0.1", port=link.port)
    # One worker, so the cache the test warms is the cache that answers.
    server = serve(via_link.render_as_string(hide_password=False), workers=1)
    body = consent_body(server.base, ledger.sites[0])
    posted = request(
        server.base, "POST", f"/api/v1/sites/{ledger.sites[0]}/consents", body, {"Origin": ORIGIN}
    )
    assert posted.status == 201
    table = probes(ledger, posted.body["token"])

    def ask(method: str, path: str, payload: Any, headers: dict[str, str]) -> Answer:
        return request(server.base, method, path, body if payload == CACHED else payload, headers)

    assert ask(*table["embed"]).status == 200  # the worker now holds the site
    link.set(failure)
    answers = check_down(ask, table)
    attempts = link.accepted[failure]
    if failure == "blackhole":
        # After one timed-out connect the worker stops trying for a while: far fewer
        # attempts than requests that needed the database, so no request after the first
        # sits out the connect timeout.
        needing = sum(1 for name in table if name not in ("embed", "healthz"))
        assert attempts < needing / 2
    link.set("up")
    down_until = time.monotonic()
    # After a timed-out connect the workers wait a few seconds before trying again.
    wait_until(lambda: ask(*table["readyz"]).status == 200, what="ready again")
    recovered = time.monotonic() - down_until
    assert ask(*table["consents POST"]).status == 201  # recovered without a restart
    slowest = max(a.seconds for a in answers.values())
    print(f"\n[figures] PostgreSQL {failure}: slowest {slowest:.2f} s, ready {recovered:.1f} s"
          f" after the link came back, {attempts} connect attempts;", end=" ")  # fmt: skip
    print({name: f"{a.status} {a.seconds:.2f}s" for name, a in answers.items()})


@pytest.fixture
def sqlite_client(tmp_path: Path) -> Iterator[tuple[FlaskClient, Prepared, Path]]:
    """The app in-process on a SQLite file of its own."""
    path = tmp_path / "ledger.sqlite3"
    ledger = prepare(f"sqlite:///{path}", sites=2)
    app = create_app(base_config(ledger.url))
    yield app.test_client(), ledger, path
    with app.app_context():
        db.engine.dispose()


def test_sqlite_file_gone(sqlite_client: tuple[FlaskClient, Prepared, Path]) -> None:
    client, ledger, path = sqlite_client
    app = client.application
    body: dict[str, Any] = {}

    def ask(method: str, path: str, payload: Any, headers: dict[str, str]) -> Answer:
        response = client.open(
            path, method=method, json=body if payload == CACHED else payload, headers=headers
        )
        return Answer(response.status_code, response.json)

    site_path = f"/api/v1/sites/{ledger.sites[0]}"
    config = client.get(f"{site_path}/config").json
    body.update(body_from_config(config))
    posted = client.post(f"{site_path}/consents", json=body, headers={"Origin": ORIGIN})
    assert posted.status_code == 201
    # The file disappears under the running app; the pool's open connections go with it.
    with app.app_context():
        db.engine.dispose()
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{path}{suffix}").exists():
            os.rename(f"{path}{suffix}", f"{path}{suffix}.away")
    path.mkdir()  # "unable to open database file"
    check_down(ask, probes(ledger, posted.json["token"]))
    path.rmdir()
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{path}{suffix}.away").exists():
            os.rename(f"{path}{suffix}.away", f"{path}{suffix}")
    assert (
        client.post(f"{site_path}/consents", json=body, headers={"Origin": ORIGIN}).status_code
        == 201
    )
    assert sqlite3.connect(path).execute("SELECT count(*) FROM receipts").fetchone() == (2,)


def test_a_raw_driver_error_is_a_503(
    client: FlaskClient, site: str, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A driver error SQLAlchemy did not wrap (psycopg's pipeline mode) is still no 500."""
    sqlite = db_url.startswith("sqlite")
    error = sqlite3.OperationalError("disk I/O error") if sqlite else psycopg.OperationalError()

    def fails(*_args: object) -> None:
        raise error

    monkeypatch.setattr("consent.visitor.api.append_receipt", fails)
    config = client.get(f"/api/v1/sites/{site}/config").json
    answer = client.post(
        f"/api/v1/sites/{site}/consents", json=body_from_config(config), headers={"Origin": ORIGIN}
    )
    assert answer.status_code == 503 and answer.json["error"]["code"] == "unavailable"
