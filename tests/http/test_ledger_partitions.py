"""PostgreSQL's hash partitions of receipts and log_tiles by site (migration 0016): the
migration keeps every row as it was on an existing database and back, chains and logs still
verify, appends go on with the next ids, a site's queries read one partition, and receipts
stay append-only."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy.dialects import postgresql

from consent.core.merkle import leaf_hash, merkle_root
from consent.core.notes import open_checkpoint
from consent.extensions import db
from consent.ledger.reads import receipts_query
from consent.models import Receipt
from consent.sites.owner import create_site
from tests.conftest import ORIGIN, PG_URL, VENDORS
from tests.helpers import Visitor
from tests.http.test_transparency import all_hashes, check_proof, seed, verifiers

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(not PG_URL, reason="CONSENT_TEST_DATABASE_URL is not set"),
    pytest.mark.parametrize("db_url", ["postgresql"], indirect=True),
]

PARTITIONED = ("receipts", "log_tiles")


def sql(app: Flask, statement: str, **params: Any) -> list[Any]:
    """Run one statement in its own transaction; its rows, if it returns any."""
    with app.app_context(), db.engine.begin() as conn:
        result = conn.execute(sa.text(statement), params)
        return list(result) if result.returns_rows else []


def kinds(app: Flask) -> dict[str, str]:
    """``relkind`` of receipts and log_tiles: ``r`` a plain table, ``p`` a partitioned one."""
    rows = sql(
        app,
        "SELECT relname, relkind FROM pg_class WHERE oid IN "
        "('receipts'::regclass, 'log_tiles'::regclass)",
    )
    return dict(rows)


def snapshot(app: Flask) -> dict[str, list[str]]:
    """Every row of both tables (and the contexts) as PostgreSQL's row text: every column,
    JSON as stored, in the tables' column order."""
    return {
        "receipts": [r for (r,) in sql(app, "SELECT r::text FROM receipts r ORDER BY id")],
        "log_tiles": [
            t
            for (t,) in sql(
                app, "SELECT t::text FROM log_tiles t ORDER BY site_id, level, idx, start"
            )
        ],
        "receipt_contexts": [
            c for (c,) in sql(app, "SELECT c::text FROM receipt_contexts c ORDER BY receipt_pk")
        ],
    }


def constraints(app: Flask, table: str) -> dict[str, str]:
    """A table's constraints by name, with their definitions."""
    rows = sql(
        app,
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = to_regclass(:t) AND coninhcount = 0",
        t=table,
    )
    return dict(rows)


def invoke(runner: FlaskCliRunner, *args: str) -> Any:
    """A command's JSON answer."""
    result = runner.invoke(args=[*args, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _third_site(app: Flask) -> str:
    with app.app_context():
        created = create_site(
            name="Blog", origins=[ORIGIN], vendors=VENDORS, privacy_url=f"{ORIGIN}/p"
        )
        db.session.commit()
        return created.site_key


def _logs_verify(app: Flask, client: FlaskClient, sites: list[str]) -> None:
    """Every chain verifies, and every site's checkpoint is the Merkle root of its receipts."""
    with app.app_context():
        runner = app.test_cli_runner()
    results = invoke(runner, "verify-ledger")["sites"]
    assert [r["ok"] for r in results] == [True] * len(sites), results
    for key in sites:
        text = client.get(f"/log/{key}/checkpoint").get_data(as_text=True)
        checkpoint = open_checkpoint(text, verifiers(client), origin=f"consent.test/log/{key}")
        hashes = all_hashes(app, key)
        assert checkpoint.size == len(hashes)
        assert checkpoint.root == merkle_root(leaf_hash(h) for h in hashes)


def test_the_migration_keeps_every_row_and_back(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner, site: str, other_site: str
) -> None:
    from flask_migrate import downgrade, upgrade

    from consent.extensions import init_migrations

    third = _third_site(app)
    sites = [site, other_site, third]
    with app.app_context():
        directory = init_migrations(app)
        downgrade(directory=directory, revision="0015")
    assert kinds(app) == {"receipts": "r", "log_tiles": "r"}
    # An existing database: receipts appended by the app before the migration, on 3 sites.
    seed(runner, site, 300)  # more than a full tile (256), so full and partial tiles
    for key, count in ((other_site, 4), (third, 3)):
        visitor = Visitor(client, key)
        for n in range(count):
            visitor.choose("accept_all" if n % 2 else "reject_all")
    seed(runner, other_site, 40)
    before = snapshot(app)
    assert len(before["receipts"]) == 347 and len(before["log_tiles"]) > 3
    (last_id,) = sql(app, "SELECT last_value FROM receipts_id_seq")[0]
    assert last_id == sql(app, "SELECT max(id) FROM receipts")[0][0]

    with app.app_context():
        upgrade(directory=directory)
    assert kinds(app) == {"receipts": "p", "log_tiles": "p"}
    for table in PARTITIONED:
        bounds = sql(
            app,
            "SELECT pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass(:t)",
            t=table,
        )
        assert sorted(bound for (bound,) in bounds) == sorted(
            f"FOR VALUES WITH (modulus 16, remainder {r})" for r in range(16)
        )
        # All of a site's rows in one partition.
        spread = sql(app, f"SELECT count(DISTINCT tableoid) FROM {table} GROUP BY site_id")
        assert spread == [(1,)] * 3
    assert snapshot(app) == before
    assert constraints(app, "receipts") == {
        "pk_receipts": "PRIMARY KEY (id, site_id)",
        "uq_receipts_site_id_receipt_id": "UNIQUE (site_id, receipt_id)",
        "uq_receipts_site_id_seq": "UNIQUE (site_id, seq)",
        "uq_receipts_site_id_prev_hash": "UNIQUE (site_id, prev_hash)",
        "fk_receipts_site_id_sites": "FOREIGN KEY (site_id) REFERENCES sites(id)",
    }
    assert "fk_receipt_contexts_receipt_pk_receipts" not in constraints(app, "receipt_contexts")
    indexes = sql(app, "SELECT indexname FROM pg_indexes WHERE tablename = 'receipts'")
    assert {name for (name,) in indexes} >= {
        "ix_receipts_site_subject_seq",
        "ix_receipts_site_action_seq",
        "ix_receipts_site_version_seq",
        "ix_receipts_site_created",
    }
    _logs_verify(app, client, sites)

    # Appends go on: the next id, and a proof against the new checkpoint.
    visitor = Visitor(client, third)
    answer = visitor.post(visitor.consent_body("accept_all"))
    assert answer.status_code == 201, answer.json
    check_proof(client, third, answer.json["receipt"], answer.json["inclusion"])
    seed(runner, site, 20)
    ids = sql(app, "SELECT id FROM receipts WHERE id > :last ORDER BY id", last=last_id)
    assert [i for (i,) in ids] == list(range(last_id + 1, last_id + 22))
    _logs_verify(app, client, sites)
    after = snapshot(app)
    assert after["receipts"][: len(before["receipts"])] == before["receipts"]

    with app.app_context():
        downgrade(directory=directory, revision="0015")
    assert kinds(app) == {"receipts": "r", "log_tiles": "r"}
    assert snapshot(app) == after
    assert constraints(app, "receipts")["pk_receipts"] == "PRIMARY KEY (id)"
    assert constraints(app, "receipts")["uq_receipts_receipt_id"] == "UNIQUE (receipt_id)"
    assert constraints(app, "receipt_contexts")["fk_receipt_contexts_receipt_pk_receipts"] == (
        "FOREIGN KEY (receipt_pk) REFERENCES receipts(id)"
    )
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        sql(app, "DELETE FROM receipts")
    Visitor(client, site).choose("accept_all")
    assert sql(app, "SELECT max(id) FROM receipts") == [(last_id + 22,)]
    _logs_verify(app, client, sites)
    with app.app_context():
        upgrade(directory=directory)
    assert kinds(app) == {"receipts": "p", "log_tiles": "p"}


def _partitions_read(app: Flask, statement: str, generic: bool = False) -> set[str]:
    """The partitions of receipts and log_tiles that ``statement``'s plan reads.

    ``generic``: as a prepared statement's generic plan (the site a parameter, pruned when the
    executor starts, as for the driver's prepared statements), else with the site inline.
    """
    found: set[str] = set()

    def walk(node: dict[str, Any]) -> None:
        name = node.get("Relation Name", "")
        if name.startswith(("receipts_p", "log_tiles_p")):
            found.add(name)
        for child in node.get("Plans", []):
            walk(child)

    with app.app_context(), db.engine.begin() as conn:
        if generic:
            conn.exec_driver_sql("SET LOCAL plan_cache_mode = force_generic_plan")
            conn.exec_driver_sql(f"PREPARE site_query (integer) AS {statement}")
            site_id = conn.exec_driver_sql("SELECT min(id) FROM sites").scalar_one()
            plan = conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) EXECUTE site_query ({site_id})")
        else:
            plan = conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}")
        walk(plan.scalar_one()[0]["Plan"])
        if generic:
            conn.exec_driver_sql("DEALLOCATE site_query")
    return found


def test_a_sites_ledger_query_reads_one_partition(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner, site: str, other_site: str
) -> None:
    seed(runner, site, 30)
    seed(runner, other_site, 30)
    with app.app_context():
        site_id = db.session.scalars(
            sa.select(Receipt.site_id).where(Receipt.site_key == site).limit(1)
        ).one()
        query = receipts_query(site_id).order_by(Receipt.seq.desc()).limit(50)
        literal = {"literal_binds": True}
        inline = str(query.compile(dialect=postgresql.dialect(), compile_kwargs=literal))
    where = "SELECT DISTINCT tableoid::regclass::text FROM {} WHERE site_id = :s"
    ((home,),) = sql(app, where.format("receipts"), s=site_id)
    ((tiles,),) = sql(app, where.format("log_tiles"), s=site_id)
    assert _partitions_read(app, inline) == {home}
    tile_read = f"SELECT hashes FROM log_tiles WHERE site_id = {site_id} AND level = 0 AND idx = 0"
    assert _partitions_read(app, tile_read) == {tiles}
    # The site as a parameter (a prepared statement's generic plan): pruned at executor start.
    by_parameter = "SELECT * FROM receipts WHERE site_id = $1 ORDER BY seq DESC LIMIT 1"
    assert len(_partitions_read(app, by_parameter, generic=True)) == 1
    assert len(_partitions_read(app, "SELECT count(*) FROM receipts")) == 16  # no site: all


@pytest.mark.parametrize("table", ["receipts", "a partition"])
@pytest.mark.parametrize(
    "statement", ["UPDATE {} SET action = 'accept_all'", "DELETE FROM {} WHERE seq = 1"]
)
def test_receipts_stay_append_only(
    app: Flask, client: FlaskClient, site: str, table: str, statement: str
) -> None:
    visitor = Visitor(client, site)
    visitor.choose("accept_all")
    visitor.choose("reject_all")
    if table != "receipts":
        (table,) = sql(app, "SELECT DISTINCT tableoid::regclass::text FROM receipts")[0]
    with pytest.raises(sa.exc.DBAPIError, match="receipts are append-only"):
        sql(app, statement.format(table))
    assert len(snapshot(app)["receipts"]) == 2
