"""The gate's fast path (consent/visitor/fast_gate.py) answers exactly as the Flask view does,
serves only what it may, and sees a publish as the view's site cache rules say."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import Client, EnvironBuilder, TestResponse

from consent import create_app
from consent.access import tokens
from consent.extensions import db
from consent.models import Site
from consent.sites.owner import create_site
from consent.sites.versions import publish_draft
from consent.visitor.fast_gate import FastGate
from tests.conftest import ORIGIN, VENDORS, base_config
from tests.helpers import Visitor
from tests.owners import revise_draft

THREE = "google-analytics,linkedin-insight,meta-pixel"


@pytest.fixture
def cached_app(db_url: str) -> Iterator[Flask]:
    """The application with a site cache that stays fresh for a minute (tests set 0 s)."""
    app = create_app({**base_config(db_url), "CONSENT_STATE_TTL": 60.0})
    app.extensions["consent_sites"].ttl = 60.0
    yield app
    with app.app_context():
        db.engine.dispose()


def _site(app: Flask, name: str) -> str:
    with app.app_context():
        key = create_site(
            name=name, origins=[ORIGIN], vendors=VENDORS, privacy_url=f"{ORIGIN}/p"
        ).site_key
        db.session.commit()
    return key


def _token(app: Flask, site_key: str, issued_at: int, **categories: bool) -> str:
    chosen = {"necessary": True, "performance": True, "functionality": False}
    chosen |= {"targeting": True, "social": False, **categories}
    claims = tokens.ConsentClaims(
        site_key, "subject", "receipt", 1, chosen, "custom", False, issued_at
    )
    with app.app_context():
        return tokens.issue(claims)


def _fast(app: Flask) -> FastGate:
    assert isinstance(app.wsgi_app, FastGate)
    return app.wsgi_app


def _compare(app: Flask, request: dict[str, Any]) -> tuple[TestResponse, bool]:
    """The response through the fast path, checked equal to Flask's; whether it was fast."""
    flask_only = Client(_fast(app).inner).open(**request)  # also caches the site, fresh
    served = _fast(app).answer(EnvironBuilder(**request).get_environ()) is not None
    both = Client(app).open(**request)
    assert both.status == flask_only.status
    assert both.get_data() == flask_only.get_data()
    assert [h for h in both.headers if h[0] != "Date"] == [
        h for h in flask_only.headers if h[0] != "Date"
    ]
    return both, served


def test_the_fast_path_answers_exactly_as_the_view(cached_app: Flask) -> None:
    app = cached_app
    site, other = _site(app, "Shop"), _site(app, "Other")
    now = int(time.time())
    valid = _token(app, site, now)
    refused = _token(app, site, now, performance=False, targeting=False)
    expired = _token(app, site, now - 400 * 86400)
    future = _token(app, site, now + 3600)
    others = _token(app, other, now)
    gate = f"/api/v1/sites/{site}/gate"

    def get(query: Any, headers: dict[str, str] | None = None, path: str = gate) -> dict[str, Any]:
        return {"path": path, "query_string": query, "headers": headers or {}}

    fast_cases = {
        "valid token": get({"vendors": THREE, "token": valid}),
        "valid token, comma as %2C": get(f"vendors={THREE.replace(',', '%2C')}&token={valid}"),
        "refusals": get({"vendors": THREE, "token": refused}),
        "no token": get({"vendors": THREE}),
        "empty token": get(f"vendors={THREE}&token="),
        "expired token": get({"vendors": THREE, "token": expired}),
        "token from the future": get({"vendors": THREE, "token": future}),
        "invalid token": get({"vendors": THREE, "token": valid[:-6] + "AAAAAA"}),
        "garbage token": get({"vendors": THREE, "token": "not a token ü"}),
        "other site's token": get({"vendors": THREE, "token": others}),
        "GPC": get({"vendors": THREE, "token": valid}, {"Sec-GPC": "1"}),
        "GPC spaced": get({"vendors": THREE, "token": valid}, {"Sec-GPC": " 1 "}),
        "GPC off": get({"vendors": THREE, "token": valid}, {"Sec-GPC": "0"}),
        "unknown and disabled vendors": get({"vendors": "nope,youtube,vimeo", "token": valid}),
        "necessary vendor": get({"vendors": "stripe"}),
        "repeated vendors": get({"vendors": "stripe,stripe"}),
        "first of repeated parameters": get(
            f"vendors=stripe&vendors=meta-pixel&token={valid}&token=x"
        ),
        "fifty vendors": get({"vendors": ",".join(["stripe"] * 50)}),
        "allowed Origin": get({"vendors": THREE, "token": valid}, {"Origin": ORIGIN}),
        "allowed Origin, default port": get({"vendors": THREE}, {"Origin": f"{ORIGIN}:443"}),
        "other parameters": get(f"vendors={THREE}&lang=de&x"),
    }
    flask_cases = {
        "unknown site": get({"vendors": THREE}, path="/api/v1/sites/nope/gate"),
        "odd site key": get({"vendors": THREE}, path="/api/v1/sites/n%C3%B6pe/gate"),
        "trailing slash": get({"vendors": THREE}, path=f"{gate}/"),
        "no vendors": get({"token": valid}),
        "empty vendors": get("vendors="),
        "bad vendor id": get({"vendors": "Google-Analytics"}),
        "empty vendor id": get({"vendors": "stripe,,vimeo"}),
        "too many vendors": get({"vendors": ",".join(["stripe"] * 51)}),
        "refused Origin": get({"vendors": THREE}, {"Origin": "https://evil.example"}),
        "null Origin": get({"vendors": THREE}, {"Origin": "null"}),
        "non-ASCII query": get("vendors=stripe&token=\u00e9"),
    }
    for name, request in fast_cases.items():
        response, served = _compare(app, request)
        assert served, name
        assert response.status_code == 200, name
    for name, request in flask_cases.items():
        _response, served = _compare(app, request)
        assert not served, name
    for method in ("HEAD", "POST", "OPTIONS"):
        request = {**get({"vendors": THREE}, {"Origin": ORIGIN}), "method": method}
        response, _ = _compare(app, request)
        assert response.status_code in (200, 204, 415), method


def _publish(app: Flask, site_key: str) -> None:
    with app.app_context():
        row = db.session.query(Site).filter_by(site_key=site_key).one()
        revise_draft(row)
        publish_draft(row)
        db.session.commit()


def test_a_publish_is_seen_by_the_fast_path(cached_app: Flask, db_url: str) -> None:
    app = cached_app
    site = _site(app, "Shop")
    environ = EnvironBuilder(path=f"/api/v1/sites/{site}/gate", query_string="vendors=stripe")

    def fast_version() -> int | None:
        answer = _fast(app).answer(environ.get_environ())
        return None if answer is None else int(answer[0].split(b'"policy_version":')[1][:1])

    visitor = Visitor(app.test_client(), site)
    assert fast_version() is None  # not cached yet: Flask reads it
    assert visitor.gate("stripe")["policy_version"] == 1
    assert fast_version() == 1

    # A publish here forgets the site at once: Flask reads it again, then the fast path has it.
    _publish(app, site)
    assert fast_version() is None
    assert visitor.gate("stripe")["policy_version"] == 2
    assert fast_version() == 2

    # A publish by another worker (its own cache, no Redis) is seen within the TTL, as the
    # view sees it: the cached state until it expires, then one read.
    other = create_app({**base_config(db_url), "CONSENT_STATE_TTL": 60.0})
    _publish(other, site)
    with other.app_context():
        db.engine.dispose()
    assert fast_version() == 2 and visitor.gate("stripe")["policy_version"] == 2
    app.extensions["consent_sites"].ttl = 0.0  # the TTL has passed
    assert fast_version() is None
    assert visitor.gate("stripe")["policy_version"] == 3
    app.extensions["consent_sites"].ttl = 60.0
    assert fast_version() == 3
