"""The per-worker site cache is bounded, shares what sites have in common, and keeps only
the current version in full; older versions are read when a consent names one."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from consent.extensions import db
from consent.models import Site
from consent.sites import state as sites
from consent.sites.owner import create_site
from consent.sites.versions import publish_draft
from tests.conftest import ORIGIN, VENDORS
from tests.helpers import Visitor
from tests.owners import revise_draft


def _sites(app: Flask, count: int) -> list[str]:
    with app.app_context():
        keys = [
            create_site(
                name=f"S{i}", origins=[ORIGIN], vendors=VENDORS, privacy_url=f"{ORIGIN}/p"
            ).site_key
            for i in range(count)
        ]
        db.session.commit()
    return keys


def _down(*_args: object, **_kwargs: object) -> None:
    raise sa.exc.OperationalError("SELECT", {}, Exception("database is down"))


def test_the_cache_holds_at_most_its_size_least_recently_used_go(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = sites.SiteCache(ttl=60.0, size=3)
    app.extensions["consent_sites"] = cache
    keys = _sites(app, 5)
    for key in keys:
        assert Visitor(client, key).config()["site_key"] == key
    assert len(cache) == 3

    # With the database down the three most recent are still served; evicted ones get 503.
    monkeypatch.setattr(sites.SiteCache, "_refresh", _down)
    app.config["CONSENT_STATE_TTL"] = 0.0
    cache.ttl = 0.0
    for key in keys[2:]:
        assert client.get(f"/api/v1/sites/{key}/config").status_code == 200
    answer = client.get(f"/api/v1/sites/{keys[0]}/config")
    assert answer.status_code == 503
    assert answer.json["error"]["code"] == "unavailable"

    # An evicted site's next request is one read like any first one.
    monkeypatch.undo()
    assert Visitor(client, keys[0]).config()["site_key"] == keys[0]


def test_the_size_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from consent import create_app
    from consent.config import ConfigError

    monkeypatch.setenv("CONSENT_SITE_CACHE_SIZE", "25")
    app = create_app({"TESTING": True, "SECRET_KEY": "x"})
    assert app.extensions["consent_sites"]._entries.maxsize == 25
    for bad in ("0", "-1", "²", "lots"):
        monkeypatch.setenv("CONSENT_SITE_CACHE_SIZE", bad)
        with pytest.raises(ConfigError, match="CONSENT_SITE_CACHE_SIZE"):
            create_app({"TESTING": True, "SECRET_KEY": "x"})


def test_sites_with_the_same_texts_share_one_copy(app: Flask, client: FlaskClient) -> None:
    first, second = _sites(app, 2)
    for key in (first, second):
        Visitor(client, key).config()
    with app.test_request_context():
        a, b = sites.site_state(first), sites.site_state(second)
    assert a.current["texts"] is b.current["texts"]
    assert a.current["vendors"] is b.current["vendors"]
    assert a.gate.vendor_categories is b.gate.vendor_categories


def test_a_consent_under_an_older_version_is_read_not_cached(
    app: Flask, client: FlaskClient, site: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    visitor = Visitor(client, site)
    old = visitor.config()
    with app.app_context():
        row = db.session.query(Site).filter_by(site_key=site).one()
        revise_draft(row)
        publish_draft(row, requires_reconsent=True)
        db.session.commit()
    assert visitor.config()["policy_version"] == 2

    body = visitor.consent_body(
        "accept_all", policy_version=old["policy_version"], policy_hash=old["policy_hash"]
    )
    answer = visitor.post(body)
    assert answer.status_code == 201, answer.json
    assert answer.json["receipt"]["policy_version"] == 1
    # The gate knows version 1 is outdated without holding version 1 itself.
    gate = visitor.gate("google-analytics", token=answer.json["token"])
    assert gate["decisions"]["google-analytics"]["reason"] == "outdated_policy"

    # Nothing of version 1 is held: with the database down it cannot be checked (503),
    # while the current version still can be.
    monkeypatch.setattr(db.session, "scalar", _down)
    with app.test_request_context():
        state = sites.site_state(site)
        assert state.versions.get(2) is not None
        with pytest.raises(sites.Unavailable):
            state.versions.get(1)
