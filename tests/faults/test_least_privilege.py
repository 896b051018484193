"""The whole application runs as a PostgreSQL role with docs/postgres-grants.sql only,
and that role cannot change or remove a receipt (a permission error, before any trigger)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from flask import Flask
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
    app_role: str

    def grant(self) -> None:
        """Run docs/postgres-grants.sql as the owner, for the app role."""
        grants = GRANTS.read_text().replace("consent_app", self.app_role)
        # psycopg itself, as psql would run the file (no parameter parsing of "%I").
        with psycopg.connect(
            make_url(self.owner_url).set(drivername="postgresql").render_as_string(False)
        ) as conn:
            conn.execute(grants.encode())


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
        made = Roles(owner_url, _url(app_role, schema), app_role)
        made.grant()
        yield made
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
            # Receipts' and tiles' site partitions (migration 0016): through the parent only.
            "SELECT count(*) FROM receipts_p00",
            "DELETE FROM log_tiles_p00",
        ):
            with pytest.raises(sa.exc.ProgrammingError) as refused, engine.begin() as conn:
                conn.exec_driver_sql(statement)
            assert isinstance(refused.value.orig, psycopg.errors.InsufficientPrivilege), statement
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM receipts").scalar_one() == 4
    finally:
        engine.dispose()


def _consent(app: Flask, site: str, token: str | None) -> dict[str, Any]:
    client = app.test_client()
    body = body_from_config(client.get(f"/api/v1/sites/{site}/config").json)
    answer = client.post(
        f"/api/v1/sites/{site}/consents",
        json={**body, "action": "accept_all", **({"token": token} if token else {})},
        headers={"Origin": ORIGIN},
    )
    assert answer.status_code == 201, answer.json
    return answer.json  # type: ignore[no-any-return]


def test_an_existing_database_keeps_the_apps_grants_through_migration_0016(roles: Roles) -> None:
    """Receipts and tiles become partitioned tables (new tables): the old ones' grants move
    with them, so the app role appends and reads on before the grants are run again."""
    from flask_migrate import downgrade, upgrade

    from consent.extensions import init_migrations

    owner_app = create_app(base_config(roles.owner_url))
    with owner_app.app_context():
        directory = init_migrations(owner_app)
        downgrade(directory=directory, revision="0015")  # a deployment from before 0016
    roles.grant()
    ledger = prepare(roles.app_url, sites=1, migrate=False)
    app = create_app(base_config(roles.app_url))
    site = ledger.sites[0]
    token = None
    for _ in range(3):
        token = _consent(app, site, token)["token"]
    with app.app_context():
        db.engine.dispose()  # the migration waits for no idle connection of the app
    with owner_app.app_context():
        upgrade(directory=directory)
        kinds = db.session.execute(
            sa.text(
                "SELECT relkind FROM pg_class WHERE oid IN ('receipts'::regclass, 'log_tiles'::regclass)"
            )
        ).scalars()
        assert list(kinds) == ["p", "p"]
        db.engine.dispose()
    assert _consent(app, site, token)["receipt"]["seq"] == 4
    auditor = {"Authorization": f"Bearer {ledger.auditor}"}
    verified = app.test_client().get(f"/api/v1/audit/sites/{site}/verify", headers=auditor)
    assert verified.json["ok"] is True and verified.json["receipts"] == 4
    with app.app_context():
        db.engine.dispose()
    _refused_on_receipts(roles.app_url)
