"""CSRF on EVERY form of the web UIs, and CORS on EVERY endpoint: a foreign origin is never
echoed, credentials are never allowed, and the owner and auditor APIs answer no origin."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from tests.http.auditing import Page
from tests.owners import PASSWORD

from .world import VICTIM_OWNER, World, build_world, every_rule

EVIL = "https://evil.example"
#: Endpoints that may answer any origin with ``*`` (DESIGN.md: embed, /log/*, proofs).
ANY_ORIGIN = ("/embed/", "/log/", "/openapi.json")
ANY_ORIGIN_ENDPOINTS = frozenset({"log.proof", "log.consistency"})


def _ui_forms(app: Flask) -> list[Rule]:
    return [
        rule
        for rule, method in every_rule(app)
        if method == "POST" and rule.rule.startswith(("/admin/", "/audit/"))
    ]


def _signed_in(app: Flask) -> FlaskClient:
    client = app.test_client()
    token = Page.of(client.get("/admin/login")).csrf_token()
    form = {"email": VICTIM_OWNER, "password": PASSWORD, "csrf_token": token}
    assert client.post("/admin/login", data=form).status_code == 302
    return client


def test_every_ui_form_needs_the_sessions_csrf_token(app: Flask, site: str) -> None:
    world = build_world(app, app.test_client(), site)
    # The tests' configuration turns CSRF off; production has it on.
    app.config.update(WTF_CSRF_ENABLED=True, CONSENT_RATELIMIT_AUTH="100000/minute")
    values = world.values()
    victim, stranger = _signed_in(app), _signed_in(app)
    # A real token, but of another session (a CSRF attacker's own sign-in).
    foreign_token = Page.of(stranger.get(f"/admin/sites/{site}/settings")).csrf_token()
    before = world.snapshot()
    forms = _ui_forms(app)
    refused = []
    for rule in forms:
        url = rule.build(values, append_unknown=False)[1]
        for data in ({"name": "Pwned"}, {"name": "Pwned", "csrf_token": foreign_token}):
            for accept in ("text/html", "application/json"):
                answer = victim.post(url, data=data, headers={"Accept": accept})
                refused.append((rule.rule, answer.status_code))
    assert {status for _, status in refused} == {403}, [r for r in refused if r[1] != 403]
    assert world.snapshot() == before
    assert {rule.rule for rule in forms} >= {"/admin/login", "/audit/logout"}
    print(f"\ncsrf: {len(forms)} forms x 4 forged posts = {len(refused)} refusals")


def _calls(world: World, client: FlaskClient) -> list[tuple[Rule, str, str]]:
    values = world.values()
    return [
        (rule, method, rule.build(values, append_unknown=False)[1])
        for rule, method in every_rule(world.app)
    ]


@pytest.mark.parametrize("origin", [EVIL, "https://shop.example", "null"])
def test_cors_never_echoes_a_foreign_origin_nor_allows_credentials(
    app: Flask, client: FlaskClient, site: str, origin: str
) -> None:
    world = build_world(app, client, site)
    token = {"Authorization": f"Bearer {world.victim_owner_token}"}
    checked = 0
    for rule, method, url in _calls(world, client):
        for verb in (method, "OPTIONS"):
            headers = {
                "Origin": origin,
                "Access-Control-Request-Method": method,
                "Access-Control-Request-Headers": "authorization, content-type",
                **(token if "/api/v1/a" in url else {}),
            }
            answer = client.open(url, method=verb, headers=headers)
            answer.close()
            checked += 1
            allowed = answer.headers.get("Access-Control-Allow-Origin")
            where = (verb, rule.rule, allowed)
            assert "Access-Control-Allow-Credentials" not in answer.headers, where
            if allowed == "*":
                assert rule.rule.startswith(ANY_ORIGIN) or rule.endpoint in ANY_ORIGIN_ENDPOINTS
            elif allowed is not None:
                # Only the visitor API echoes, and only the site's own origin.
                assert rule.rule.startswith("/api/v1/sites/"), where
                assert allowed == "https://shop.example" == origin, where
            if rule.rule.startswith(("/api/v1/admin/", "/api/v1/audit/", "/admin", "/audit")):
                assert allowed is None, where
            assert answer.status_code < 500, where
    print(f"\ncors {origin}: {checked} requests")
