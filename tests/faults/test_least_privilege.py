"""The whole application runs as a PostgreSQL role with docs/postgres-grants.sql only,
and that role cannot change or remove a receipt (a permission error, before any trigger)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from consent import create_app
from consent.extensions import db, init_db
from consent.ledger.partitions import month_name, month_start
from consent.models import utcnow
from tests.conftest import ORIGIN, PG_URL, base_config

from .load import body_from_config, prepare

NOT_OWNER = "only the owner role creates and drops partitions"
GRANTS = Path(__file__).resolve().parents[2] / "docs" / "postgres-grants.sql"


@dataclass
class Roles:
    """A schema owned (and migrated) by one role, used by another with the documented grants."""

    owner_url: str
    app_url: str


def _url(user: str, schema: str) -> str:
    assert PG_URL
    url = make_url(PG_URL).set(username=user, password=None)
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(False)


@pytest.fixture
def roles() -> Iterator[Roles]:
    """Create the two roles and the schema; drop all three afterwards."""
    if not PG_URL:
        pytest.skip("CONSENT_TEST_DATABASE_URL is not set")
    tag = uuid.uuid4().hex[:10]
    owner, app_role, schema = f"f_owner_{tag}", f"f_app_{tag}", f"f_lp_{tag}"
    admin = sa.create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f"CREATE ROLE {owner} LOGIN"))
        conn.execute(sa.text(f"CREATE ROLE {app_role} LOGIN"))
        conn.execute(sa.text(f"CREATE SCHEMA {schema} AUTHORIZATION {owner}"))
    try:
        owner_url = _url(owner, schema)
        migrate = create_app(base_config(owner_url))
        with migrate.app_context():
            init_db()
            db.engine.dispose()
        grants = GRANTS.read_text().replace("consent_app", app_role)
        # psycopg itself, as psql would run the file (no parameter parsing of "%I").
        with psycopg.connect(
            make_url(owner_url).set(drivername="postgresql").render_as_string(False)
        ) as conn:
            conn.execute(grants.encode())
        yield Roles(owner_url, _url(app_role, schema))
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            conn.execute(sa.text(f"DROP OWNED BY {app_role}"))
            conn.execute(sa.text(f"DROP ROLE IF EXISTS {app_role}"))
            conn.execute(sa.text(f"DROP ROLE IF EXISTS {owner}"))
        admin.dispose()


def test_the_app_runs_with_least_privilege(roles: Roles) -> None:
    ledger = prepare(roles.app_url, sites=1, migrate=False)  # create-site as the app role
    app = create_app(base_config(roles.app_url))
    client = app.test_client()
    site = ledger.sites[0]
    visitor_api, audit, admin = (
        f"/api/v1/sites/{site}",
        f"/api/v1/audit/sites/{site}",
        f"/api/v1/admin/sites/{site}",
    )
    auditor = {"Authorization": f"Bearer {ledger.auditor}"}
    owner = {"Authorization": f"Bearer {ledger.owner}"}
    body = body_from_config(client.get(f"{visitor_api}/config").json)
    receipts = []
    for action in ("accept_all", "reject_all", "accept_all"):
        previous = {"token": receipts[-1]["token"]} if receipts else {}
        answer = client.post(
            f"{visitor_api}/consents",
            json={**body, "action": action, **previous},
            headers={"Origin": ORIGIN},
        )
        assert answer.status_code == 201, answer.json
        receipts.append(answer.json)
    gate = client.get(f"{visitor_api}/gate?vendors=google-analytics&token={receipts[-1]['token']}")
    assert gate.json["decisions"]["google-analytics"]["allowed"] is True
    for path in ("receipts", "export?format=ndjson", "stats", "access-log"):
        assert client.get(f"{audit}/{path}", headers=auditor).status_code == 200, path
    verified = client.get(f"{audit}/verify", headers=auditor).json
    assert verified["ok"] is True and verified["receipts"] == 3
    assert client.patch(admin, json={"name": "Renamed"}, headers=owner).status_code == 200
    draft = client.get(f"{admin}/draft", headers=owner).json
    draft["texts"]["en"]["title"] = "Revised"  # an identical draft is refused (409)
    assert client.put(f"{admin}/draft", json=draft, headers=owner).status_code == 200
    published = client.post(f"{admin}/publish", json={"requires_reconsent": True}, headers=owner)
    assert published.status_code == 201, published.json
    minted = client.post(f"{admin}/tokens", json={"role": "auditor", "label": "x"}, headers=owner)
    assert minted.status_code == 201, minted.json
    revoked = client.delete(f"{admin}/tokens/{minted.json['id']}", headers=owner)
    assert revoked.status_code == 204
    subject = receipts[0]["receipt"]["subject_id"]
    erased = client.post(f"{admin}/subjects/{subject}/erasure", headers=owner)
    assert erased.status_code == 201 and erased.json["receipts"] == 3
    purged = app.test_cli_runner().invoke(args=["purge", "--older-than", "1d", "--json"])
    assert purged.exit_code == 0, purged.output
    assert json.loads(purged.output)["partitions"] == {"skipped": NOT_OWNER}
    assert client.get(f"{audit}/verify", headers=auditor).json["ok"] is True
    # The owner's purge creates the month partitions; the app's rights on the parent reach them.
    month = month_name(month_start(utcnow()))
    owner_app = create_app(base_config(roles.owner_url))
    with owner_app.app_context(), db.engine.begin() as conn:
        conn.exec_driver_sql(f"DROP TABLE {month}")  # its rows went with it: erased above
    upkept = owner_app.test_cli_runner().invoke(args=["purge", "--json"])
    assert json.loads(upkept.output)["partitions"]["created"] == [month], upkept.output
    with owner_app.app_context():
        db.engine.dispose()
    again = client.post(
        f"{visitor_api}/consents",
        json={**body, "action": "reject_all", "token": receipts[-1]["token"]},
        headers={"Origin": ORIGIN},
    )
    assert again.status_code == 201, again.json
    with app.app_context():
        db.engine.dispose()
    _refused_on_receipts(roles.app_url)


def _refused_on_receipts(url: str) -> None:
    engine = sa.create_engine(url)
    try:
        for statement in (
            "UPDATE receipts SET action = 'accept_all'",
            "DELETE FROM receipts",
            "TRUNCATE receipts",  # alone: refused for receipts' own missing privilege
            "TRUNCATE receipts CASCADE",
            "UPDATE receipt_contexts SET page_url = 'x'",
            "DELETE FROM policy_versions",
            # Partitions: reached only through the parent; created and dropped by the owner.
            "SELECT count(*) FROM receipt_contexts_default",
            "DROP TABLE receipt_contexts_default",
            "CREATE TABLE receipt_contexts_2999_01 (LIKE receipt_contexts)",
        ):
            with pytest.raises(sa.exc.ProgrammingError) as refused, engine.begin() as conn:
                conn.exec_driver_sql(statement)
            assert isinstance(refused.value.orig, psycopg.errors.InsufficientPrivilege), statement
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM receipts").scalar_one() == 4
    finally:
        engine.dispose()
