"""Concurrent owner-API writes on one site never fail with 503 (SQLite's write lock)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from flask import Flask

from tests.owners import OwnerApi, mint

THREADS = 4
ROUNDS = 8


def _writer(app: Flask, site: str, token: str, worker: int) -> list[int]:
    """One owner's session of mixed writes and reads; the statuses it got."""
    owner = OwnerApi(app.test_client(), site, token)
    statuses = []
    for round_ in range(ROUNDS):
        created = owner.call("POST", "/tokens", {"role": "auditor", "label": f"w{worker}r{round_}"})
        statuses.append(created.status_code)
        statuses.append(owner.call("PATCH", body={"name": f"Shop {worker}.{round_}"}).status_code)
        statuses.append(owner.call("GET", "/tokens").status_code)
        if created.status_code == 201:
            statuses.append(owner.call("DELETE", f"/tokens/{created.json['id']}").status_code)
    return statuses


def test_concurrent_owner_writes_all_succeed(app: Flask, site: str) -> None:
    tokens = [mint(app, site, "owner") for _ in range(THREADS)]
    with ThreadPoolExecutor(THREADS) as pool:
        runs = [pool.submit(_writer, app, site, tokens[i], i) for i in range(THREADS)]
        statuses = [status for run in runs for status in run.result(timeout=120)]
    assert sorted(set(statuses)) == [200, 201, 204]
    assert len(statuses) == THREADS * ROUNDS * 4
