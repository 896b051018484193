"""The figures docs/capacity.md extrapolates from, measured on PostgreSQL in one process.

``python -m bench.capacity`` prints them as JSON: CPU milliseconds per consents POST and per
gate request (the app's, this process, and the PostgreSQL backends', read from /proc for the
connections tagged with this run's application_name), bytes per receipt (the ledger's tables
in a schema of their own), tile and context rows per receipt, and WAL bytes per receipt (the
server's WAL position before and after; other activity only adds, so the least of three
rounds is kept). The requests go through Flask's test client: no HTTP server or proxy is
counted (nginx and gunicorn are measured by the appends and cluster benchmarks).
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from typing import Any

import sqlalchemy as sa

from .common import PG_URL
from .service import ORIGIN

#: Receipts per round, and rounds.
RECEIPTS = 600
ROUNDS = 3
GATES = 2000
TICK = os.sysconf("SC_CLK_TCK")
#: The ledger's tables whose size a receipt adds to.
LEDGER = ("receipts", "receipt_contexts", "log_tiles")


def _backend_cpu(conn: sa.Connection, tag: str) -> float:
    """CPU seconds the PostgreSQL backends of this run have used (utime + stime)."""
    pids = conn.execute(
        sa.text("SELECT pid FROM pg_stat_activity WHERE application_name = :tag"), {"tag": tag}
    ).scalars()
    total = 0
    for pid in pids:
        try:
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()  # noqa: SIM115
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / TICK


def _wal(conn: sa.Connection) -> int:
    return int(
        conn.execute(sa.text("SELECT pg_current_wal_insert_lsn() - '0/0'::pg_lsn")).scalar_one()
    )


def _sizes(conn: sa.Connection, schema: str) -> dict[str, int]:
    found = {}
    for table in LEDGER:
        size = conn.execute(
            # A partitioned table (receipt_contexts) has no storage of its own: its partitions'.
            sa.text(
                "SELECT pg_total_relation_size(to_regclass(:name)) + coalesce((SELECT "
                "sum(pg_total_relation_size(relid)) FROM pg_partition_tree(to_regclass(:name))), 0)"
            ),
            {"name": f'"{schema}".{table}'},
        ).scalar_one()
        found[table] = int(size or 0)
    return found


def _rows(conn: sa.Connection, schema: str, table: str) -> int:
    exists = conn.execute(sa.text("SELECT to_regclass(:n)"), {"n": f'"{schema}".{table}'}).scalar()
    if exists is None:
        return 0
    return int(conn.execute(sa.text(f'SELECT count(*) FROM "{schema}".{table}')).scalar_one())


def measure() -> dict[str, Any]:
    """Every figure, on a schema created and dropped here."""
    from consent import create_app
    from consent.core.notes import generate_signer_key
    from consent.extensions import db, init_db
    from consent.sites.owner import create_site

    schema, tag = f"capacity_{uuid.uuid4().hex[:8]}", f"consent-capacity-{os.getpid()}"
    admin = sa.create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = f"{PG_URL}?options=-csearch_path%3D{schema}&application_name={tag}"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "capacity",
            "CONSENT_LOG_KEY": generate_signer_key("127.0.0.1:5000")[0],
            "CONSENT_PUBLIC_URL": "http://127.0.0.1:5000",
            "CONSENT_RATELIMIT_CONSENTS": "100000000/minute",
        }
    )
    try:
        with app.app_context():
            init_db()
            key = create_site(
                name="Capacity", origins=[ORIGIN], vendors={}, privacy_url=f"{ORIGIN}/privacy"
            ).site_key
            db.session.commit()
        client = app.test_client()
        config = client.get(f"/api/v1/sites/{key}/config").get_json()
        body = {
            "action": "accept_all",
            "policy_version": config["policy_version"],
            "policy_hash": config["policy_hash"],
            "language": "en",
            "page_url": f"{ORIGIN}/products?id=7",
        }
        headers = {"Origin": ORIGIN, "User-Agent": "Mozilla/5.0 (capacity) Chrome/120"}
        post = f"/api/v1/sites/{key}/consents"
        for _ in range(50):  # warm: caches, pool, the log's first tiles
            assert client.post(post, json=body, headers=headers).status_code == 201
        posts, wal = [], []
        with admin.connect() as watch:
            for _ in range(ROUNDS):
                app_cpu, pg_cpu, wal0 = time.process_time(), _backend_cpu(watch, tag), _wal(watch)
                for _ in range(RECEIPTS):
                    answer = client.post(post, json=body, headers=headers)
                    assert answer.status_code == 201
                wal.append((_wal(watch) - wal0) / RECEIPTS)
                posts.append(
                    (
                        (time.process_time() - app_cpu) / RECEIPTS * 1000,
                        (_backend_cpu(watch, tag) - pg_cpu) / RECEIPTS * 1000,
                    )
                )
            token = answer.get_json()["token"]
            gate = f"/api/v1/sites/{key}/gate?vendors=google-analytics,meta-pixel&token={token}"
            app_cpu, pg_cpu = time.process_time(), _backend_cpu(watch, tag)
            for _ in range(GATES):
                assert client.get(gate, headers={"Origin": ORIGIN}).status_code == 200
            gate_ms = (
                (time.process_time() - app_cpu) / GATES * 1000,
                (_backend_cpu(watch, tag) - pg_cpu) / GATES * 1000,
            )
            count = _rows(watch, schema, "receipts")
            sizes = _sizes(watch, schema)
            tiles = _rows(watch, schema, "log_tiles")
            contexts = _rows(watch, schema, "receipt_contexts")
        best = min(posts, key=sum)
        return {
            "receipts": count,
            "post_app_cpu_ms": round(best[0], 2),
            "post_db_cpu_ms": round(best[1], 2),
            "gate_app_cpu_ms": round(gate_ms[0], 3),
            "gate_db_cpu_ms": round(gate_ms[1], 3),
            "bytes_per_receipt": {t: round(s / count) for t, s in sizes.items()},
            "tile_rows_per_receipt": round(tiles / count, 3),
            "context_rows_per_receipt": round(contexts / count, 3),
            "wal_bytes_per_receipt": round(min(wal)),
        }
    finally:
        with app.app_context():
            db.engine.dispose()
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    json.dump(measure(), sys.stdout, indent=2)
    print()
