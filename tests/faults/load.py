"""Bounded loads against a served ledger, and what the database holds afterwards."""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa

from consent import create_app
from consent.extensions import db, init_db
from consent.ledger.reads import verify_chain
from consent.models import Site
from consent.sites.accounts import create_api_token
from consent.sites.owner import create_site
from tests.conftest import ORIGIN, VENDORS, base_config

#: A client's wait for one answer: a guard against hangs, not a measurement.
TIMEOUT = 30.0


@dataclass
class Prepared:
    """A migrated database with sites, and an owner and an auditor token for the first."""

    url: str
    sites: list[str]
    owner: str
    auditor: str


def prepare(url: str, sites: int = 1, migrate: bool = True) -> Prepared:
    """Migrate ``url`` and create ``sites`` sites (the app's own code, as the CLI does)."""
    app = create_app(base_config(url))
    with app.app_context():
        if migrate:
            init_db()
        rows = [
            create_site(
                name=f"Shop {n}", origins=[ORIGIN], vendors=VENDORS, privacy_url=f"{ORIGIN}/p"
            )
            for n in range(sites)
        ]
        db.session.flush()
        owner = create_api_token(rows[0], "owner", "fault owner")[1]
        auditor = create_api_token(rows[0], "auditor", "fault auditor")[1]
        keys = [row.site_key for row in rows]
        db.session.commit()
        db.engine.dispose()
    return Prepared(url, keys, owner, auditor)


@dataclass
class Answer:
    """One HTTP answer (status ``None`` when the connection failed)."""

    status: int | None
    body: Any
    error: str = ""
    seconds: float = 0.0


def request(
    base: str,
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
    timeout: float = TIMEOUT,
) -> Answer:
    """One request on a fresh connection; connection errors become an :class:`Answer`."""
    url = urlsplit(base)
    started = time.monotonic()
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)
    payload = None if body is None else json.dumps(body).encode()
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    try:
        connection.request(method, path, body=payload, headers=all_headers)
        response = connection.getresponse()
        raw = response.read()
    except (OSError, http.client.HTTPException) as error:
        return Answer(None, None, type(error).__name__, time.monotonic() - started)
    finally:
        connection.close()
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        parsed = raw.decode("utf-8", "replace")
    return Answer(response.status, parsed, "", time.monotonic() - started)


def consent_body(base: str, site_key: str, action: str = "accept_all") -> dict[str, Any]:
    """A valid consents body for the site's current policy version."""
    config = request(base, "GET", f"/api/v1/sites/{site_key}/config")
    assert config.status == 200, config
    return body_from_config(config.body, action)


def body_from_config(config: dict[str, Any], action: str = "accept_all") -> dict[str, Any]:
    """A valid consents body for the version a config answer shows."""
    return {
        "action": action,
        "policy_version": config["policy_version"],
        "policy_hash": config["policy_hash"],
        "language": "en",
        "page_url": f"{ORIGIN}/checkout",
    }


@dataclass
class Tally:
    """What the clients saw: every confirmed receipt, and a count of every other outcome."""

    confirmed: list[dict[str, Any]] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, site_key: str, answer: Answer) -> None:
        with self._lock:
            self.outcomes[str(answer.status or answer.error)] += 1
            if answer.status == 201:
                receipt = answer.body["receipt"]
                assert receipt["site_key"] == site_key
                self.confirmed.append(
                    {k: receipt[k] for k in ("site_key", "receipt_id", "seq", "hash")}
                )

    @property
    def attempts(self) -> int:
        return sum(self.outcomes.values())

    @property
    def failed(self) -> int:
        return self.attempts - self.outcomes["201"]


def run_load(
    base: str,
    clients: list[str],
    per_client: int,
    tally: Tally | None = None,
    headers: Callable[[int], dict[str, str]] = lambda _n: {},
    pause_after_error: float = 0.2,
) -> Tally:
    """``per_client`` consents POSTs from each client (one site key per client), bounded."""
    tally = tally or Tally()
    bodies = {key: consent_body(base, key) for key in set(clients)}
    barrier = threading.Barrier(len(clients))

    def client(site_key: str) -> None:
        barrier.wait()
        for n in range(per_client):
            answer = request(
                base,
                "POST",
                f"/api/v1/sites/{site_key}/consents",
                bodies[site_key],
                {"Origin": ORIGIN, **headers(n)},
            )
            tally.add(site_key, answer)
            if answer.status != 201:
                time.sleep(pause_after_error)  # a real client backs off too

    with ThreadPoolExecutor(len(clients)) as pool:
        for future in [pool.submit(client, key) for key in clients]:
            future.result()
    return tally


def checkpoint_size(base: str, site_key: str) -> int:
    """The tree size of the site's current signed checkpoint (its second line)."""
    answer = request(base, "GET", f"/log/{site_key}/checkpoint")
    assert answer.status == 200, answer
    return int(answer.body.splitlines()[1])


@dataclass
class Stored:
    """One site's ledger as the database holds it."""

    verify: dict[str, Any]
    seqs: list[int]
    distinct_links: int
    hashes: dict[str, tuple[int, str]]

    @property
    def gaps(self) -> int:
        return (max(self.seqs, default=0) - len(set(self.seqs))) if self.seqs else 0

    @property
    def forks(self) -> int:
        return len(self.seqs) - self.distinct_links


def stored(url: str, site_key: str) -> Stored:
    """Read back a site's receipts and verify its chain with the ledger's own code."""
    app = create_app(base_config(url))
    with app.app_context():
        site_id = db.session.scalar(sa.select(Site.id).where(Site.site_key == site_key))
        rows = db.session.execute(
            sa.text("SELECT seq, receipt_id, hash, prev_hash FROM receipts WHERE site_id = :s"),
            {"s": site_id},
        ).all()
        verification = verify_chain(site_id).as_dict()
        db.session.rollback()
        db.engine.dispose()
    return Stored(
        verification,
        sorted(row.seq for row in rows),
        len({row.prev_hash for row in rows}),
        {row.receipt_id: (row.seq, row.hash) for row in rows},
    )


def false_confirmations(tally: Tally, ledgers: dict[str, Stored]) -> list[dict[str, Any]]:
    """Confirmed receipts that the database does not hold exactly as confirmed."""
    return [
        item
        for item in tally.confirmed
        if ledgers[item["site_key"]].hashes.get(item["receipt_id"]) != (item["seq"], item["hash"])
    ]
