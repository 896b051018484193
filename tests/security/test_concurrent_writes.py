"""Concurrent owner writes on one site, through the API and the admin forms, never fail with
503 (SQLite's write lock is taken first)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from flask import Flask

from tests.owners import OwnerApi, add_user, mint
from tests.security.world import sign_in

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


def _ui_writer(app: Flask, site: str, email: str, worker: int) -> list[int]:
    """One owner's admin-form writes (settings and a token each round); the statuses."""
    ui, url = sign_in(app, email), f"/admin/sites/{site}"
    form = {
        "name": "Shop",
        "origins": "https://shop.example\nhttp://localhost:8000",
        "default_language": "en",
        "choice_lifetime_days": "90",
        "retention_days": "30",
        "privacy_policy_url": "https://shop.example/privacy",
        "cookie_statement_url": "",
    }
    statuses = []
    for round_ in range(ROUNDS):
        settings = {**form, "name": f"Shop {worker}.{round_}"}
        statuses.append(ui.post(f"{url}/settings", data=settings).status_code)
        token = {"role": "auditor", "label": f"u{worker}r{round_}"}
        statuses.append(ui.post(f"{url}/tokens", data=token).status_code)
    return statuses


def test_concurrent_admin_form_writes_all_succeed(app: Flask, site: str) -> None:
    app.config["CONSENT_RATELIMIT_AUTH"] = "100000/minute"
    emails = [f"ui-owner-{i}@example.com" for i in range(THREADS)]
    for email in emails:
        add_user(app, email, "owner", site)
    with ThreadPoolExecutor(THREADS) as pool:
        runs = [pool.submit(_ui_writer, app, site, emails[i], i) for i in range(THREADS)]
        statuses = [status for run in runs for status in run.result(timeout=120)]
    assert 503 not in statuses and set(statuses) <= {200, 201, 302, 303}, sorted(set(statuses))
    assert len(statuses) == THREADS * ROUNDS * 2
