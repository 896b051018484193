"""Rate limits shared by every worker through Redis when CONSENT_REDIS_URL is set."""

from __future__ import annotations

import socket
import uuid

import pytest
import redis

from consent import create_app
from consent.extensions import db
from consent.sites.owner import create_site
from tests.conftest import VENDORS, base_config
from tests.helpers import ORIGIN, Visitor

REDIS_URL = "redis://127.0.0.1:6379/0"


def _redis_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _redis_up(), reason="no Redis on 127.0.0.1:6379")
def test_two_workers_share_the_consent_limit(db_url: str) -> None:
    config = {
        **base_config(db_url),
        "CONSENT_REDIS_URL": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        "CONSENT_RATELIMIT_CONSENTS": "3/day",
    }
    first, second = create_app(config), create_app(config)
    with first.app_context():
        key = create_site(
            name="S", origins=[ORIGIN], vendors=VENDORS, privacy_url=f"{ORIGIN}/p"
        ).site_key
        db.session.commit()
    one, two = Visitor(first.test_client(), key), Visitor(second.test_client(), key)
    body = one.consent_body("accept_all")
    statuses = [one.post(body).status_code, two.post(body).status_code, one.post(body).status_code]
    assert statuses == [201, 201, 201]
    limited = two.post(body)
    assert limited.status_code == 429 and "Retry-After" in limited.headers
    # The counter lives in Redis (so separate processes and hosts share it), not in memory.
    counters = redis.Redis.from_url(REDIS_URL).keys(f"*{config['RATELIMIT_KEY_PREFIX']}*")
    assert counters
    for app in (first, second):
        with app.app_context():
            db.engine.dispose()
