"""A change to a site reaches another instance's cache at once through Redis pub/sub, with
the state-version re-check set to an hour (so only pub/sub can explain it); with Redis away
the other instance keeps answering from its cache, and the first publish after Redis is
back reaches it again."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from consent import create_app
from consent.extensions import db
from consent.models import Site
from consent.sites.broadcast import Subscriber
from consent.sites.state import SiteCache
from consent.sites.versions import publish_draft
from tests.conftest import base_config
from tests.helpers import Visitor
from tests.owners import revise_draft

from .conftest import FAULTS
from .redis_servers import RedisServer, stop_redis_use
from .servers import wait_until

pytestmark = FAULTS
HOUR = 3600.0


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


def _instance(db_url: str, redis_url: str | None) -> Flask:
    config = {
        **base_config(db_url),
        "CONSENT_STATE_TTL": HOUR,
        "CONSENT_REDIS_URL": redis_url,
        "CONSENT_REDIS_RECHECK": 0.05,
        "RATELIMIT_KEY_PREFIX": f"changes-{uuid.uuid4().hex}",
    }
    return create_app(config)


def _version(app: Flask, site: str) -> int:
    return int(Visitor(app.test_client(), site).config()["policy_version"])


def _fresh(app: Flask, site: str) -> bool:
    cache: SiteCache = app.extensions["consent_sites"]
    return cache.fresh(site)


def _publish(app: Flask, site: str) -> None:
    with app.app_context():
        row = db.session.query(Site).filter_by(site_key=site).one()
        revise_draft(row)
        publish_draft(row, requires_reconsent=False)
        db.session.commit()


def _listening(app: Flask) -> threading.Event:
    subscriber: Subscriber = app.extensions["consent_site_changes"]
    return subscriber.listening


def _stop(*apps: Flask) -> None:
    for app in apps:
        stop_redis_use(app)
        with app.app_context():
            db.engine.dispose()


def test_a_publish_reaches_the_other_instance_at_once(
    db_url: str, site: str, redis_server: RedisServer
) -> None:
    a, b = _instance(db_url, redis_server.url), _instance(db_url, redis_server.url)
    try:
        assert _version(a, site) == _version(b, site) == 1
        assert _listening(b).wait(10), "instance B never subscribed"

        _publish(a, site)
        assert _version(a, site) == 2  # the instance that published forgot it itself
        wait_until(lambda: _version(b, site) == 2, timeout=5, what="B serving version 2")
        # A (re)subscription or message while B read version 2 leaves it to be re-checked
        # once more (the cache's epoch): read until B trusts what it holds.
        wait_until(lambda: _version(b, site) == 2 and _fresh(b, site), what="B trusting v2")

        # Redis away: B answers from its cache; the change waits for the re-check.
        redis_server.stop()
        _publish(a, site)
        assert _version(a, site) == 3
        assert _version(b, site) == 2
        assert (
            Visitor(b.test_client(), site)
            .post(Visitor(b.test_client(), site).consent_body("accept_all"))
            .status_code
            == 201
        )

        # Redis back: B subscribes again, drops what it may have missed, and hears again.
        redis_server.start()
        wait_until(lambda: _version(b, site) == 3, timeout=10, what="B catching up")
        assert _listening(b).wait(10)
        wait_until(lambda: a.extensions["consent_redis"].available, what="A's link up again")
        _publish(a, site)
        wait_until(lambda: _version(b, site) == 4, timeout=5, what="B serving version 4")
    finally:
        _stop(a, b)


def test_without_redis_the_re_check_is_the_only_path(db_url: str, site: str) -> None:
    a, b = _instance(db_url, None), _instance(db_url, None)
    try:
        assert "consent_site_changes" not in b.extensions
        assert _version(b, site) == 1
        _publish(a, site)
        assert _version(a, site) == 2
        assert _version(b, site) == 1  # an hour's TTL: not yet
        b.extensions["consent_sites"].ttl = 0.0
        assert _version(b, site) == 2
    finally:
        _stop(a, b)


def test_a_read_overtaken_by_a_change_is_re_checked_next_time() -> None:
    cache = SiteCache(ttl=HOUR)
    loaded: list[str] = []

    def refresh(key: str, _cached: object) -> object:
        loaded.append(key)
        if len(loaded) == 1:
            cache.forget(key)  # announced while this read ran
        return object()

    cache._refresh = refresh  # type: ignore[assignment,method-assign]
    cache.get("k")
    assert not cache.fresh("k")
    cache.get("k")
    assert cache.fresh("k")
    cache.get("k")
    assert loaded == ["k", "k"]
