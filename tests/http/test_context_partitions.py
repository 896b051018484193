"""PostgreSQL's month partitions of receipt_contexts (migration 0015): the migration keeps
every row, appends land in their month or DEFAULT, purge drops whole months only when every
site's retention has passed them, and erasure and exports work across partitions."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from consent.extensions import db
from consent.ledger.partitions import (
    MONTHS_AHEAD,
    add_month,
    month_name,
    month_start,
    months,
    next_month,
)
from consent.models import utcnow
from consent.sites.owner import create_site
from tests.conftest import ORIGIN, PG_URL, VENDORS
from tests.helpers import Visitor
from tests.http.auditing import make_token

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(not PG_URL, reason="CONSENT_TEST_DATABASE_URL is not set"),
    pytest.mark.parametrize("db_url", ["postgresql"], indirect=True),
]


def sql(app: Flask, statement: str, **params: Any) -> list[Any]:
    """Run one statement in its own transaction; its rows, if it returns any."""
    with app.app_context(), db.engine.begin() as conn:
        result = conn.execute(sa.text(statement), params)
        return list(result) if result.returns_rows else []


def placed(app: Flask) -> dict[int, str]:
    """Each context's receipt id and the partition that holds it."""
    rows = sql(app, "SELECT receipt_pk, tableoid::regclass::text FROM receipt_contexts")
    return {pk: table for pk, table in rows}


def invoke(runner: FlaskCliRunner, *args: str) -> Any:
    """A command's JSON answer."""
    result = runner.invoke(args=[*args, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def months_ago(count: int) -> datetime:
    """Mid-month, ``count`` months before this one."""
    month = month_start(utcnow())
    for _ in range(count):
        month = month_start(month - timedelta(days=1))
    return month + timedelta(days=14)


def ensure_month(app: Flask, moment: datetime) -> None:
    """The partition of ``moment``'s month, created as purge would if it is not there yet."""
    with app.app_context(), db.engine.begin() as conn:
        if month_name(month_start(moment)) not in months(conn):
            add_month(conn, month_start(moment))


def date_contexts(app: Flask, moment: datetime, where: str) -> None:
    """Move the contexts of the receipts ``where`` selects to ``moment`` (a partition move)."""
    sql(
        app,
        f"UPDATE receipt_contexts SET created_at = :t WHERE receipt_pk IN "
        f"(SELECT id FROM receipts WHERE {where})",
        t=moment,
    )


def test_the_migration_keeps_every_row_in_its_month_and_back(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner, site: str
) -> None:
    from flask_migrate import downgrade, upgrade

    from consent.extensions import init_migrations

    invoke(runner, "seed-receipts", "--site", site, "--count", "300")
    with app.app_context():
        directory = init_migrations(app)
        downgrade(directory=directory, revision="0014")
    assert sql(app, "SELECT relkind FROM pg_class WHERE oid = 'receipt_contexts'::regclass") == [
        ("r",)
    ]
    for back, where in ((14, "seq % 5 = 0"), (7, "seq % 5 = 1")):
        date_contexts(app, months_ago(back), where)
    columns = "receipt_pk, salt, page_url, ip_prefix, user_agent, created_at"
    before = sorted(sql(app, f"SELECT {columns} FROM receipt_contexts"))
    with app.app_context():
        upgrade(directory=directory)
    assert sorted(sql(app, f"SELECT {columns} FROM receipt_contexts")) == before
    where = placed(app)
    assert "receipt_contexts_default" not in where.values()
    for pk, _, _, _, _, created_at in before:
        assert where[pk] == month_name(month_start(created_at))
    month = month_start(utcnow())
    for _ in range(MONTHS_AHEAD + 1):
        assert sql(app, "SELECT to_regclass(:t) IS NOT NULL", t=month_name(month)) == [(True,)]
        month = next_month(month)
    assert invoke(runner, "verify-ledger")["sites"][0]["ok"] is True
    auditor = {"Authorization": f"Bearer {make_token(app, site)}"}
    export = client.get(f"/api/v1/audit/sites/{site}/export?format=ndjson", headers=auditor)
    lines = export.get_data(as_text=True).splitlines()
    assert len(lines) == 300 and all(json.loads(line)["context"] for line in lines)
    with app.app_context():
        downgrade(directory=directory, revision="0014")
        assert sorted(sql(app, f"SELECT {columns} FROM receipt_contexts")) == before
        upgrade(directory=directory)


def test_appends_land_in_their_month_or_in_default(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner, site: str
) -> None:
    visitor = Visitor(client, site)
    this_month = month_name(month_start(utcnow()))
    sql(app, f"DROP TABLE IF EXISTS {this_month}")  # as if purge had not run this month
    visitor.choose("accept_all")
    visitor.choose("reject_all")
    assert list(placed(app).values()) == ["receipt_contexts_default"] * 2
    done = invoke(runner, "purge")
    assert done["partitions"]["created"] == [this_month] and done["purged"] == 0
    visitor.choose("accept_all")
    assert list(placed(app).values()) == [this_month] * 3  # DEFAULT's rows moved in
    me = client.get(f"/api/v1/sites/{site}/me", query_string={"token": visitor.token}).json
    assert [item["context"] is not None for item in me["items"]] == [True] * 3


def _second_site(app: Flask, retention_days: int) -> str:
    with app.app_context():
        created = create_site(
            name="Blog", origins=[ORIGIN], vendors=VENDORS, privacy_url=f"{ORIGIN}/p"
        )
        created.retention_days = retention_days
        db.session.commit()
        return created.site_key


def test_purge_drops_a_month_only_when_every_site_is_past_it(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner, site: str
) -> None:
    short = _second_site(app, retention_days=30)  # `site` keeps 365 days
    for key in (site, short):
        for _ in range(6):
            Visitor(client, key).choose("accept_all")
    old, mid = months_ago(15), months_ago(5)  # older than 365 days; within it, past 30
    for moment in (old, mid):
        ensure_month(app, moment)
    date_contexts(app, old, "seq <= 2")
    date_contexts(app, mid, "seq IN (3, 4)")
    done = invoke(runner, "purge")
    dropped = {name: rows for name, rows in done["partitions"]["dropped"].items() if rows}
    assert dropped == {month_name(month_start(old)): 4}  # (and any empty old month of the session)
    assert done["sites"] == {site: 0, short: 2} and done["purged"] == 6
    left = sql(app, "SELECT s.site_key, count(*) FROM receipt_contexts c JOIN receipts r "
                    "ON r.id = c.receipt_pk JOIN sites s ON s.id = r.site_id GROUP BY 1")  # fmt: skip
    assert dict(left) == {site: 4, short: 2}
    assert set(placed(app).values()) == {
        month_name(month_start(mid)),
        month_name(month_start(utcnow())),
    }
    again = invoke(runner, "purge")
    assert again["purged"] == 0 and again["partitions"] == {"created": [], "dropped": {}}
    assert all(item["ok"] for item in invoke(runner, "verify-ledger")["sites"])


def test_erasure_reaches_every_partition(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner, site: str
) -> None:
    visitor = Visitor(client, site)
    subject = None
    for _ in range(3):
        subject = visitor.choose("accept_all")["subject_id"]
    Visitor(client, site).choose("reject_all")  # someone else, kept
    ensure_month(app, months_ago(2))
    date_contexts(app, months_ago(2), "seq = 1")
    date_contexts(app, datetime(2019, 6, 1, tzinfo=UTC), "seq = 2")  # no partition: DEFAULT
    assert len(set(placed(app).values())) == 3
    erased = invoke(runner, "erase-subject", "--site", site, "--subject", str(subject))
    assert erased["receipts"] == 3
    assert list(placed(app).values()) == [month_name(month_start(utcnow()))]
    me = client.get(f"/api/v1/sites/{site}/me", query_string={"token": visitor.token}).json
    assert [item["context"] for item in me["items"]] == [None, None, None]
