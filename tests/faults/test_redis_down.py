"""Redis configured but away: every consent is still recorded, the gate and sign-in work,
rate limits count per worker meanwhile and are shared again once Redis answers."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from flask import Flask

from consent import create_app
from consent.extensions import db
from tests.conftest import base_config
from tests.helpers import Visitor
from tests.owners import PASSWORD, add_user

from .redis_servers import BlackHole, RedisServer, stop_redis_use
from .servers import wait_until

OWNER = "owner@redis-down.test"


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


def _app(db_url: str, redis_url: str, **config: object) -> Flask:
    return create_app(
        {
            **base_config(db_url),
            "CONSENT_REDIS_URL": redis_url,
            "CONSENT_REDIS_RECHECK": 0.05,
            "RATELIMIT_KEY_PREFIX": f"down-{uuid.uuid4().hex}",
            **config,
        }
    )


def _dispose(*apps: Flask) -> None:
    for app in apps:
        stop_redis_use(app)
        with app.app_context():
            db.engine.dispose()


def _consent(app: Flask, site: str) -> int:
    visitor = Visitor(app.test_client(), site)
    return visitor.post(visitor.consent_body("accept_all")).status_code


def _redis_state(app: Flask) -> str:
    answer = app.test_client().get("/readyz")
    assert answer.status_code == 200, answer.json
    return str(answer.json["redis"])


def test_a_redis_outage_loses_no_consent(db_url: str, site: str, redis_server: RedisServer) -> None:
    app = _app(db_url, redis_server.url)
    add_user(app, OWNER, "owner", site)
    try:
        assert _consent(app, site) == 201
        assert _redis_state(app) == "ok"
        redis_server.stop()

        assert [_consent(app, site) for _ in range(5)] == [201] * 5
        gate = Visitor(app.test_client(), site).gate("google-analytics")  # asserts the 200
        assert gate["decisions"]["google-analytics"]["reason"] == "no_consent"
        login = app.test_client().post("/admin/login", data={"email": OWNER, "password": PASSWORD})
        assert login.status_code == 302, login.get_data(as_text=True)
        assert _redis_state(app) == "unavailable"
    finally:
        _dispose(app)


def test_limits_are_shared_again_when_redis_returns(
    db_url: str, site: str, redis_server: RedisServer
) -> None:
    limit = {"CONSENT_RATELIMIT_CONSENTS": "3/day"}
    first = _app(db_url, redis_server.url, **limit)
    second = _app(
        db_url, redis_server.url, RATELIMIT_KEY_PREFIX=first.config["RATELIMIT_KEY_PREFIX"], **limit
    )
    try:
        redis_server.stop()
        # Meanwhile each worker counts on its own: 3 each, so 6 pass between the two.
        assert [_consent(app, site) for app in (first, second) * 3] == [201] * 6
        assert _consent(first, site) == 429

        redis_server.start()
        for app in (first, second):
            wait_until(lambda app=app: _redis_state(app) == "ok", what="Redis seen again")
        # Shared again: three between both apps, then both are limited.
        assert [_consent(app, site) for app in (first, second, first)] == [201] * 3
        assert _consent(second, site) == 429
        store = redis.Redis.from_url(redis_server.url)
        assert store.keys(f"*{first.config['RATELIMIT_KEY_PREFIX']}*")
    finally:
        _dispose(first, second)


def test_a_black_holed_redis_is_asked_once_not_per_request(
    db_url: str, site: str, caplog: pytest.LogCaptureFixture
) -> None:
    hole = BlackHole()
    app = _app(db_url, hole.url, CONSENT_REDIS_RECHECK=3600.0)
    try:
        with caplog.at_level(logging.WARNING, logger="consent.redis"):
            statuses = [_consent(app, site) for _ in range(20)]
        assert statuses == [201] * 20
        link = app.extensions["consent_redis"]
        # Every wait is bounded by the short timeout, and only the first request waits:
        # after one timed-out connection the others are answered from worker memory. The
        # worker's subscription to site changes (a background thread) may have found the
        # hole first, in parallel: then two connections, never one per request.
        assert link.pool.connection_kwargs["socket_connect_timeout"] <= 0.1
        assert link.pool.connection_kwargs["socket_timeout"] <= 0.1
        asked = len(hole.accepted)
        assert asked in (1, 2)
        warnings = [r for r in caplog.records if r.name == "consent.redis"]
        assert len(warnings) == 1, [r.getMessage() for r in warnings]
        assert _redis_state(app) == "unavailable"
        assert len(hole.accepted) == asked
    finally:
        hole.close()
        _dispose(app)
