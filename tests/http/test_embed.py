"""GET /embed/<site_key>.js and /embed/banner.css."""

from __future__ import annotations

import json
from hashlib import sha256

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
    rules = config["block"]
    # Every catalogue host (a vendor not enabled is held back too) but the strictly necessary
    # vendors' (never held back), each once: under the first vendor that lists it, whose it
    # is when an element matches no marker ...
    shipped = [host for rule in rules.values() for host in rule[0]]
    expected = {h for v in VENDORS.values() if v.category != "necessary" for h in v.hosts}
    assert sorted(shipped) == sorted(expected)
    assert "stripe" not in rules
    assert "linkedin.com" in rules["linkedin-insight"][0]
    # ... and the inline markers of the enabled vendors only (none that quotes differently).
    enabled = set(config["vendors"])
    assert {vid for vid, rule in rules.items() if len(rule) > 1} <= enabled
    assert rules["google-analytics"][1] == ["gtag('config'"]
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
