"""Tenant isolation: EVERY owner and auditor endpoint (from the app's URL map, so a new one
is covered without editing this file) x every credential another tenant can hold → the
status of an unknown site or of no credentials at all, and never the victim's data."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

from .world import (
    ATTACKER_AUDITOR,
    ATTACKER_OWNER,
    VICTIM_OWNER,
    World,
    build_world,
    protected_rules,
    sign_in,
)

Attempt = Callable[[str, str], TestResponse]

#: Query parameters an endpoint needs to answer its owner with data (its URL args aside).
QUERY = {"admin_policy.compare": {"from": "1", "to": "1"}}


@pytest.fixture
def world(app: Flask, client: FlaskClient, site: str) -> World:
    """The victim's site (the test site) and the attacker's."""
    # Hundreds of failed authentications from one address: the limit is not under test here.
    app.config["CONSENT_RATELIMIT_AUTH"] = "100000/minute"
    return build_world(app, client, site)


def _body(rule: Rule, method: str) -> dict[str, Any]:
    if method in ("GET", "DELETE"):
        return {}
    if rule.rule.startswith("/api/"):
        return {"json": {"name": "Pwned", "requires_reconsent": True}}
    return {"data": {"name": "Pwned", "role": "owner", "email": "x@example.com", "title": "P"}}


def _attempts(world: World) -> dict[str, tuple[Attempt, str]]:
    """Credential name → (how to call a path with it, which area it authenticates)."""
    app = world.app

    def bearer(token: str) -> Attempt:
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        return lambda method, url, **kw: client.open(url, method=method, headers=headers, **kw)

    def session(email: str) -> Attempt:
        client = sign_in(app, email)
        headers = {"Accept": "application/json"}
        return lambda method, url, **kw: client.open(url, method=method, headers=headers, **kw)

    consent = world.attacker_consent_token
    query = app.test_client()
    return {
        "owner API token": (bearer(world.attacker_tokens["owner"]), "api"),
        "auditor API token": (bearer(world.attacker_tokens["auditor"]), "api"),
        "consent token as Bearer": (bearer(consent), "none"),
        "consent token as ?token=": (
            lambda method, url, **kw: query.open(
                f"{url}{'&' if '?' in url else '?'}token={consent}", method=method, **kw
            ),
            "none",
        ),
        "owner session": (session(ATTACKER_OWNER), "ui"),
        "auditor session": (session(ATTACKER_AUDITOR), "ui"),
    }


def _expected(rule: Rule, area: str) -> tuple[int, ...]:
    api = rule.rule.startswith("/api/")
    if area == ("api" if api else "ui"):
        return (404,)  # another tenant's credential: exactly an unknown site
    return (401,) if api else (302,)  # no credential for this area at all


def _leaks(world: World, url: str, response: TestResponse) -> list[str]:
    """The victim's data in the answer (what the attacker put in the URL does not count)."""
    text = response.get_data(as_text=True)
    secrets = (world.receipt["hash"], world.receipt["subject_id"], world.receipt["receipt_id"])
    return [secret for secret in secrets if secret in text and secret not in url]


def test_every_endpoint_refuses_every_foreign_credential(world: World) -> None:
    rules = protected_rules(world.app)
    values = world.values()
    attempts = _attempts(world)
    before = world.snapshot()
    cells, failures = 0, []
    for rule, method in rules:
        url = rule.build({**values, **QUERY.get(rule.endpoint, {})})[1]
        for name, (attempt, area) in attempts.items():
            cells += 1
            response = attempt(method, url, **_body(rule, method))
            wanted = _expected(rule, area)
            if response.status_code not in wanted or _leaks(world, url, response):
                failures.append((method, rule.rule, name, response.status_code, wanted))
            elif wanted == (302,):
                assert "/login?next=" in response.headers["Location"]
    assert failures == []
    assert world.snapshot() == before
    # Every owner and auditor endpoint is in the matrix (11 UI pages and 20 API routes today).
    assert len({rule.rule for rule, _ in rules}) >= 31
    print(f"\nisolation: {len(rules)} endpoints x {len(attempts)} credentials = {cells} cells")


def test_a_foreign_token_answers_exactly_like_an_unknown_site(world: World) -> None:
    client = world.app.test_client()
    values = world.values()
    token = {"Authorization": f"Bearer {world.attacker_tokens['owner']}"}
    for rule, method in protected_rules(world.app):
        if not rule.rule.startswith("/api/"):
            continue
        foreign = client.open(
            rule.build(values, append_unknown=False)[1], method=method, headers=token
        )
        unknown_values = {**values, "site_key": "NoSuchSiteKey0000000000"}
        unknown = client.open(
            rule.build(unknown_values, append_unknown=False)[1], method=method, headers=token
        )
        assert (foreign.status_code, foreign.json) == (unknown.status_code, unknown.json), rule


def test_the_victims_own_credentials_reach_every_read(world: World) -> None:
    """The control: the URLs of the matrix are real, so its 404s come from isolation."""
    api = world.app.test_client()
    ui = sign_in(world.app, VICTIM_OWNER)
    values = world.values()
    token = {"Authorization": f"Bearer {world.victim_owner_token}"}
    for rule, method in protected_rules(world.app):
        if method != "GET":
            continue
        url = rule.build({**values, **QUERY.get(rule.endpoint, {})})[1]
        answer = api.get(url, headers=token) if url.startswith("/api/") else ui.get(url)
        assert answer.status_code in (200, 302), (url, answer.status_code)
