"""Bad input on EVERY endpoint: hostile bodies on every JSON-reading endpoint and absurd query
parameters on every GET endpoint get a 4xx error, never a 5xx; rate limits answer 429 with
Retry-After and, with Redis, are shared by every instance."""

from __future__ import annotations

import io
import os
import socket
import uuid
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from consent import create_app
from consent.extensions import db
from tests.conftest import ORIGIN, base_config
from tests.helpers import Visitor
from tests.owners import PASSWORD, add_user

from .world import VICTIM_OWNER, World, build_world, every_rule, sign_in

REDIS_URL = os.environ.get("CONSENT_REDIS_URL", "redis://127.0.0.1:6379/0")

#: Hostile JSON bodies → the status each must get from an endpoint that reads JSON.
BODIES: dict[str, tuple[bytes, int]] = {
    "duplicate keys": (b'{"role": "owner", "role": "auditor"}', 400),
    "NaN": (b'{"requires_reconsent": NaN}', 400),
    "lone surrogate": (b'{"label": "\\udc00"}', 400),
    "lone surrogate key": (b'{"\\ud800": 1}', 400),
    "invalid UTF-8": (b'{"label": "\xc3\x28"}', 400),
    "overlong UTF-8": (b'{"label": "\xc0\xaf"}', 400),
    "UTF-16": ('{"label": "x"}'.encode("utf-16"), 400),
    "nested 33": (b"[" * 33 + b"]" * 33, 400),
    "nested 2500": (b'{"a":' * 2500 + b"1" + b"}" * 2500, 400),
    "unbalanced 16k": (b"[" * 16000, 400),
    "truncated": (b'{"name": "x', 400),
    "huge number": (b'{"policy_version": 1' + b"0" * 5000 + b"}", 400),
    "over 16 KiB": (b'{"label": "' + b"x" * 17_000 + b'"}', 413),
}


def _json_error(answer: TestResponse, status: int) -> None:
    assert answer.status_code == status, (status, answer.get_data(as_text=True)[:200])
    assert answer.is_json and set(answer.json["error"]) >= {"code", "message"}


@pytest.fixture
def world(app: Flask, client: FlaskClient, site: str) -> World:
    """The test site with data and an owner, and a second tenant."""
    app.config["CONSENT_RATELIMIT_AUTH"] = "100000/minute"
    return build_world(app, client, site)


def _writers(world: World) -> list[tuple[str, str, dict[str, str]]]:
    """(method, url, headers) of every API endpoint taking a body, with what it needs to read it."""
    values = world.values()
    token = {"Authorization": f"Bearer {world.victim_owner_token}", "Origin": ORIGIN}
    return [
        (method, rule.build(values, append_unknown=False)[1], token)
        for rule, method in every_rule(world.app)
        if method in ("POST", "PUT", "PATCH") and rule.rule.startswith("/api/")
    ]


def test_every_json_endpoint_refuses_hostile_bodies(world: World, client: FlaskClient) -> None:
    readers = []
    for method, url, headers in _writers(world):
        probe = client.open(
            url, method=method, data="x", content_type="text/plain", headers=headers
        )
        if probe.status_code != 415:
            continue  # this endpoint reads no body (the erasure POST)
        _json_error(probe, 415)
        readers.append(url)
        for name, (raw, status) in BODIES.items():
            answer = client.open(
                url, method=method, data=raw, content_type="application/json", headers=headers
            )
            assert answer.status_code == status, (method, url, name, answer.get_data()[:200])
            _json_error(answer, status)
        chunked = client.open(
            url,
            method=method,
            input_stream=io.BytesIO(b'{"label": "' + b"x" * 40_000 + b'"}'),
            environ_base={"wsgi.input_terminated": True},
            content_type="application/json",
            headers={**headers, "Transfer-Encoding": "chunked"},
        )
        _json_error(chunked, 413)
    # consents, gate, PATCH site, PUT draft, publish, POST tokens (and any new one).
    assert len(readers) >= 6, readers
    print(f"\nbodies: {len(readers)} endpoints x {len(BODIES) + 2} bodies")


#: Absurd values, each tried on every parameter an endpoint of the area reads.
EACH_PARAM = {
    "NUL and non-UTF-8": "%00%ff%fe%c3%28",
    "huge number": "9" * 400,
    "non-ASCII digit": "%C2%B2",  # "²".isdigit() is true; int("²") raises
    "signed": "%2B1",
}
#: Absurd query strings tried once per endpoint, on all its area's parameters at once.
ALL_PARAMS = {
    "very long": "{p}=" + "a" * 20_000,
    "repeated": "{p}=1&{p}=2&" * 100,
    "negative": "{p}=-1",
    "float": "{p}=1e309",
    "surrogate": "{p}=%ed%a0%80",
    "NUL": "{p}=%00",
    "overlong": "{p}=%c0%af",
    "brackets": "{p}[]=1&{p}[x]=2",
}
#: The query parameters the endpoints of each area read.
PARAMS = {
    "/api/v1/sites/": ("token", "lang", "vendors", "format", "tree_size", "from", "to"),
    "/api/v1/": ("subject", "from", "to", "policy_version", "action", "category", "granted",
                 "limit", "cursor", "format", "bucket"),
    "/audit/": ("subject", "from", "to", "policy_version", "action", "category", "granted",
                "limit", "cursor", "format", "bucket", "size", "next"),
    "/admin/": ("from", "to", "next"),
    "/": ("lang", "next"),
}  # fmt: skip


def _queries(url: str) -> list[tuple[str, str]]:
    """(what, raw query string) for one endpoint."""
    params = next(names for prefix, names in PARAMS.items() if url.startswith(prefix))
    each = [(f"{p} {kind}", f"{p}={value}") for p in params for kind, value in EACH_PARAM.items()]
    together = [
        (kind, "&".join(raw.format(p=p) for p in params)) for kind, raw in ALL_PARAMS.items()
    ]
    return each + together


def test_absurd_query_parameters_never_cause_a_5xx(world: World) -> None:
    app = world.app
    values = world.values()
    api = app.test_client()
    ui = sign_in(app, VICTIM_OWNER)
    token = {"Authorization": f"Bearer {world.victim_owner_token}"}
    checked = 0
    for rule, method in every_rule(app):
        if method != "GET":
            continue
        url = rule.build(values, append_unknown=False)[1]
        client, headers = (ui, {}) if url.startswith(("/admin", "/audit")) else (api, token)
        for what, query in _queries(url):
            answer = client.get(f"{url}?{query}", headers=headers)
            answer.close()
            checked += 1
            where = (url, what, answer.status_code)
            assert answer.status_code < 500, where
            if answer.status_code >= 400 and url.startswith("/api/"):
                assert answer.json["error"]["code"], where
    print(f"\nqueries: {checked} requests, 0 server errors")


# --- Rate limits shared through Redis ---------------------------------------------------------


def _redis() -> redis.Redis | None:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return None
    return redis.Redis.from_url(REDIS_URL)


def _consent(app: Flask, site: str) -> TestResponse:
    visitor = Visitor(app.test_client(), site)
    return visitor.post(visitor.consent_body("accept_all"))


def _login(app: Flask, site: str) -> TestResponse:
    client = app.test_client()
    data = {"email": VICTIM_OWNER, "password": "wrong password"}
    # Each attempt from another network: only the per-account counter can stop it.
    return client.post(
        "/admin/login",
        data=data,
        environ_base={"REMOTE_ADDR": f"198.51.{uuid.uuid4().int % 250}.1"},
    )


def _bad_token(app: Flask, site: str) -> TestResponse:
    return app.test_client().get(
        f"/api/v1/audit/sites/{site}/receipts", headers={"Authorization": "Bearer cl_guess"}
    )


@pytest.mark.parametrize(
    ("attempt", "config"),
    [
        (_consent, "CONSENT_RATELIMIT_CONSENTS"),
        (_login, "CONSENT_RATELIMIT_AUTH"),
        (_bad_token, "CONSENT_RATELIMIT_AUTH"),
    ],
    ids=["consents per site and network", "logins per account", "API failures per network"],
)
def test_limits_are_shared_by_two_instances_through_redis(
    db_url: str, site: str, attempt: Any, config: str
) -> None:
    store = _redis()
    if store is None:
        pytest.skip("no Redis on 127.0.0.1:6379")
    prefix = f"sec-{uuid.uuid4().hex}"
    settings = {
        **base_config(db_url),
        "CONSENT_REDIS_URL": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": prefix,
        "CONSENT_RATELIMIT_CONSENTS": "10000/minute",
        config: "3/day",
    }
    first, second = create_app(settings), create_app(settings)
    add_user(first, VICTIM_OWNER, "owner", site)
    try:
        statuses = [attempt(app, site).status_code for app in (first, second, first)]
        assert 429 not in statuses
        limited = attempt(second, site)
        assert limited.status_code == 429
        assert int(limited.headers["Retry-After"]) >= 1
        assert store.keys(f"*{prefix}*")
    finally:
        for key in store.keys(f"*{prefix}*"):
            store.delete(key)
        for app in (first, second):
            with app.app_context():
                db.engine.dispose()
    assert PASSWORD  # the right password is never tried
