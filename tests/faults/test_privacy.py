"""After a load through gunicorn behind a proxy: no full client address in the database or
the logs, no token in the logs; retention purge removes old personal context only."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Iterator

import sqlalchemy as sa

from consent.core.notes import generate_signer_key

from .conftest import FAULTS
from .load import consent_body, prepare, request, run_load, stored
from .servers import BIN, ROOT, Gunicorn

pytestmark = FAULTS

ADDRESSES = ("203.0.113.77", "2001:db8::1234")
#: Every spelling of the two addresses that could end up in a column or a log line.
SPELLINGS = (*ADDRESSES, "2001:0db8:0000:0000:0000:0000:0000:1234", "2001:db8:0:0:0:0:0:1234")
CLIENTS, EACH = 8, 25


def text_values(url: str) -> Iterator[str]:
    """Every value of every column of every table, as text."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            for table in sa.inspect(conn).get_table_names():
                for row in conn.execute(sa.text(f'SELECT * FROM "{table}"')):
                    for value in row:
                        if isinstance(value, bytes | memoryview):
                            yield bytes(value).decode("latin-1")
                        elif value is not None:
                            yield (
                                value if isinstance(value, str) else json.dumps(value, default=str)
                            )
    finally:
        engine.dispose()


def purge(url: str) -> dict:  # type: ignore[type-arg]
    """``flask --app consent purge --json`` (each site's retention) against ``url``."""
    env = {
        **os.environ,
        "CONSENT_DATABASE_URL": url,
        "CONSENT_SECRET_KEY": "fault-test-secret",
        "CONSENT_LOG_KEY": generate_signer_key("127.0.0.1:5000")[0],
    }
    done = subprocess.run(
        [str(BIN / "flask"), "--app", "consent", "purge", "--json"],
        env=env, cwd=ROOT, check=True, capture_output=True, timeout=120, text=True,
    )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_no_full_address_anywhere_and_purge_keeps_the_chain(
    database_url: str, serve: Callable[..., Gunicorn]
) -> None:
    ledger = prepare(database_url)
    server = serve(database_url, CONSENT_TRUSTED_PROXIES="1")
    site = ledger.sites[0]

    def forwarded(n: int) -> dict[str, str]:
        return {"X-Forwarded-For": ADDRESSES[n % 2], "User-Agent": "FaultTest/1.0"}

    tally = run_load(server.base, [site] * CLIENTS, EACH, headers=forwarded)
    assert tally.outcomes == {"201": CLIENTS * EACH}
    base = f"/api/v1/sites/{site}"
    origin = {"Origin": "https://shop.example"}
    rejected = request(server.base, "POST", f"{base}/consents", {"action": "?"},
                       {**origin, **forwarded(0)})  # fmt: skip
    assert rejected.status == 422  # an error path is logged too
    body = {**consent_body(server.base, site), "page_url": "https://shop.example/a?email=x@y.z#f"}
    confirmed = request(server.base, "POST", f"{base}/consents", body, {**origin, **forwarded(1)})
    token = confirmed.body["token"]
    gate = request(server.base, "GET", f"{base}/gate?vendors=meta-pixel&token={token}",
                   headers=forwarded(0))  # fmt: skip
    assert gate.status == 200
    server.stop()  # flush and close the logs

    values = list(text_values(database_url))
    prefixes = {v for v in values if v in ("203.0.113.0/24", "2001:db8::/48")}
    assert prefixes == {"203.0.113.0/24", "2001:db8::/48"}  # the proxy's address was used
    leaks = [v for v in values for ip in SPELLINGS if ip in v]
    assert leaks == []
    assert not [v for v in values if "email=" in v]  # page_url is stored without its query
    log = server.log_text()
    assert f"/api/v1/sites/{site}/consents" in log  # the access log was captured
    assert [ip for ip in SPELLINGS if ip in log] == []
    assert token not in log and "token=" not in log

    # Retention: half the context is older than the site's retention (365 days).
    engine = sa.create_engine(database_url)
    with engine.begin() as conn:
        old = conn.execute(
            sa.text("UPDATE receipt_contexts SET created_at = :t WHERE receipt_pk IN "
                    "(SELECT id FROM receipts WHERE seq <= 100)"),
            {"t": "2020-01-01 00:00:00+00:00"},
        ).rowcount  # fmt: skip
    assert old == 100
    assert purge(database_url)["purged"] == 100
    with engine.connect() as conn:
        left = conn.execute(sa.text("SELECT count(*) FROM receipt_contexts")).scalar_one()
        receipts = conn.execute(sa.text("SELECT count(*) FROM receipts")).scalar_one()
    engine.dispose()
    assert (left, receipts) == (receipts - 100, CLIENTS * EACH + 1)
    assert stored(database_url, site).verify["ok"] is True
    print(f"\n[figures] {database_url.split(':')[0]}: {len(values)} stored values, 0 full "
          f"addresses, 0 in {len(log.splitlines())} log lines; purge removed 100 of {receipts} "
          "contexts, chain ok")  # fmt: skip
