"""GET /embed/<site_key>.js and /embed/banner.css."""

from __future__ import annotations

import json
from hashlib import sha256

import pytest
from flask import Flask
from flask.testing import FlaskClient

from consent import banner
from consent.banner import DIST
from consent.core.catalog import VENDORS
from consent.extensions import db
from consent.models import Site
from consent.sites.versions import publish_draft
from tests.owners import OwnerApi, mint


def _inlined_config(body: str) -> dict:  # type: ignore[type-arg]
    start = body.index('{"site_key"')
    config, _end = json.JSONDecoder().raw_decode(body[start:])
    return config  # type: ignore[no-any-return]


def test_loader_carries_the_sites_config(app: Flask, client: FlaskClient, site: str) -> None:
    response = client.get(f"/embed/{site}.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers
    body = response.get_data(as_text=True)
    # The build's code, the same for every site, then the config that calls it.
    code = (DIST / "consent.js").read_text(encoding="utf-8")
    assert body.startswith(code) and body[len(code)] == "(" and body.endswith(");\n")
    config = _inlined_config(body)
    with app.app_context():
        assert config["build"] == banner.current().build == sha256(code.encode()).hexdigest()
    assert config["site_key"] == site and config["api_base"] == "http://consent.test"
    # The default language's texts; the loader asks the config API for another one's.
    # (The default language is the one whose texts it carries: not listed again.)
    assert set(config["translations"]) == {"en"} and config["languages"] == ["de", "fr", "nl"]
    assert config["policy_version"] == 1


def test_auto_blocking_rules_ride_in_the_config_only_when_on(
    app: Flask, client: FlaskClient, site: str
) -> None:
    owner = OwnerApi(client, site, mint(app, site, "owner"))
    owner.ok("PATCH", body={"auto_block": True})
    config = _inlined_config(client.get(f"/embed/{site}.js").get_data(as_text=True))
    assert "auto_block" not in config  # the rules' presence says it
    hosts, markers = config["block"]
    # Every catalogue host (a vendor not enabled is held back too) but the strictly necessary
    # vendors' (never held back), each once: under the first vendor that lists it, whose it
    # is when an element matches no marker ...
    expected = {h for v in VENDORS.values() if v.category != "necessary" for h in v.hosts}
    assert sorted(hosts) == sorted(expected)
    assert "stripe" not in hosts.values()
    assert hosts["linkedin.com"] == "linkedin-insight"
    # ... and the inline markers of the enabled vendors only (none that quotes differently).
    enabled = set(config["vendors"])
    assert set(markers.values()) <= enabled
    assert [m for m, vid in markers.items() if vid == "google-analytics"] == ["gtag('config'"]
    owner.ok("PATCH", body={"auto_block": False})
    config = _inlined_config(client.get(f"/embed/{site}.js").get_data(as_text=True))
    assert "block" not in config


def test_inlined_json_cannot_break_out_of_the_script(
    app: Flask, client: FlaskClient, site: str
) -> None:
    hostile = "</script><script>alert(1)</script>\u2028\u2029"
    with app.app_context():
        row = db.session.query(Site).filter_by(site_key=site).one()
        draft = json.loads(json.dumps(row.draft))
        draft["texts"]["en"]["title"] = hostile
        row.draft = draft
        publish_draft(row, requires_reconsent=False)
        db.session.commit()
    body = client.get(f"/embed/{site}.js").get_data(as_text=True)
    assert "</script>" not in body and "\u2028" not in body and "\u2029" not in body
    assert _inlined_config(body)["translations"]["en"]["title"] == hostile


def test_etag_and_revalidation(client: FlaskClient, site: str) -> None:
    first = client.get(f"/embed/{site}.js")
    assert first.headers["Cache-Control"] == "public, no-cache"
    again = client.get(f"/embed/{site}.js", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_unknown_site_gets_harmless_javascript(client: FlaskClient) -> None:
    response = client.get("/embed/not-a-site.js")
    assert response.status_code == 404
    assert response.mimetype == "text/javascript"
    assert response.get_data(as_text=True).strip().startswith("/*")


def test_stylesheet(client: FlaskClient) -> None:
    response = client.get("/embed/banner.css")
    assert response.status_code == 200 and response.mimetype == "text/css"
    assert len(response.get_data()) > 500


@pytest.mark.parametrize("header", ["Sec-GPC", "DNT"])
def test_the_privacy_signal_notice_rides_only_with_the_signal(
    client: FlaskClient, site: str, header: str
) -> None:
    plain = client.get(f"/embed/{site}.js")
    signalled = client.get(f"/embed/{site}.js", headers={header: "1"})
    texts = [
        _inlined_config(r.get_data(as_text=True))["translations"]["en"] for r in (plain, signalled)
    ]
    assert "gpc_notice" not in texts[0]
    assert texts[1]["gpc_notice"].startswith("Your browser sent a privacy signal")
    # Caches keep the two apart.
    for response in (plain, signalled):
        assert {"Sec-GPC", "DNT"} <= set(response.vary)
    assert plain.headers["ETag"] != signalled.headers["ETag"]
    assert (
        "gpc_notice"
        not in _inlined_config(
            client.get(f"/embed/{site}.js", headers={header: "0"}).get_data(as_text=True)
        )["translations"]["en"]
    )
