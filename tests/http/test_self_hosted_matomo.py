"""A self-hosted Matomo (#21 item 4): the host its ``host`` setting names is Matomo's for
auto-blocking's rules, for a scan's classification and in the cookie declaration; the host
is validated (422 naming the field)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from consent.core.observed import Crawl, SeenPage, SeenRequest, StateSeen
from consent.core.scan_report import crawl_report
from consent.scans.reports import classifier
from consent.sites.state import site_state
from tests.http.test_embed import _inlined_config
from tests.owners import OwnerApi, mint

HOST = "stats.shop-analytics.example"
FIELD = "vendors.matomo.settings.host"


@pytest.fixture
def owner(app: Flask, client: FlaskClient, site: str) -> OwnerApi:
    """The owner API of the test site."""
    return OwnerApi(client, site, mint(app, site, "owner"))


def with_matomo(owner: OwnerApi, settings: dict[str, Any]) -> dict[str, Any]:
    """The current draft with Matomo enabled and ``settings``."""
    draft = owner.draft()
    draft["vendors"]["matomo"] = {"category": "performance", "settings": settings}
    return draft


def test_auto_blocking_holds_back_the_matomo_host(
    client: FlaskClient, owner: OwnerApi, site: str
) -> None:
    owner.put_draft(with_matomo(owner, {}))
    owner.publish()
    embed = _inlined_config(client.get(f"/embed/{site}.js").get_data(as_text=True))
    assert HOST not in embed["block"][0]
    owner.put_draft(with_matomo(owner, {"host": HOST}))
    owner.publish()
    embed = _inlined_config(client.get(f"/embed/{site}.js").get_data(as_text=True))
    hosts, markers = embed["block"]
    assert hosts["matomo.cloud"] == hosts[HOST] == "matomo"
    assert markers["/matomo.js"] == "matomo"
    # The setting itself stays out of the embed: only the vendors it injects read theirs.
    assert "settings" not in embed["vendors"]["matomo"]
    assert embed["vendors"]["google-analytics"]["settings"] == {"measurement_id": "G-TEST123"}


def _crawl(url: str) -> Crawl:
    page = "https://shop.example/"
    request = SeenRequest(url, "script", page)
    return Crawl((SeenPage(page, 200),), {"none": StateSeen(requests=(request,))}, 0.0)


def test_a_scan_names_the_self_hosted_matomo(app: Flask, owner: OwnerApi, site: str) -> None:
    owner.put_draft(with_matomo(owner, {"host": HOST}))
    version = owner.publish()["version"]
    crawl = _crawl(f"https://{HOST}/js/container_abc.js?x=1")
    with app.app_context():
        report = crawl_report(crawl, classifier(site_state(site), "http://consent.test"), version)
    (request,) = report["states"]["none"]["requests"]
    assert (request["vendor"], request["category"]) == ("matomo", "performance")
    # Before any choice it is a leak of Matomo's, never an unknown host.
    kinds = {(f["kind"], f["vendor"]) for f in report["findings"] if f["state"] == "none"}
    assert ("leak", "matomo") in kinds
    assert not [f for f in report["findings"] if f["kind"] == "unknown_host"]


def test_without_its_host_a_self_hosted_matomo_is_an_unknown_host(
    app: Flask, owner: OwnerApi, site: str
) -> None:
    owner.put_draft(with_matomo(owner, {}))
    version = owner.publish()["version"]
    with app.app_context():
        c = classifier(site_state(site), "http://consent.test")
        report = crawl_report(_crawl(f"https://{HOST}/js/container_abc.js"), c, version)
    assert [f["kind"] for f in report["findings"] if f["state"] == "none"] == ["unknown_host"]


def test_the_declaration_names_the_matomo_host(
    client: FlaskClient, owner: OwnerApi, site: str
) -> None:
    owner.put_draft(with_matomo(owner, {"host": HOST}))
    owner.publish()
    answer = client.get(f"/api/v1/sites/{site}/declaration?lang=en").get_json()
    rows = {r["name"]: r for r in answer["categories"]["performance"]["cookies"]}
    assert rows["_pk_id.*"]["provider"] == f"Matomo ({HOST})"


@pytest.mark.parametrize(
    ("host", "message"),
    [
        ("https://stats.example.org", "like"),
        ("stats.example.org/matomo", "like"),
        ("stats.example.org:8443", "like"),
        ("10.0.0.1", "like"),
        ("localhost", "like"),
        ("Stats.Example.org", "like"),
        ("", "like"),
        (7, "like"),
        ("www.googletagmanager.com", "Google Analytics"),
        ("shop.example", "serves this site itself"),
    ],
)
def test_an_invalid_matomo_host_is_refused_naming_the_field(
    owner: OwnerApi, host: Any, message: str
) -> None:
    before = owner.draft()
    answer = owner.call("PUT", "/draft", with_matomo(owner, {"host": host}))
    assert answer.status_code == 422, answer.get_json()
    error = answer.get_json()["error"]
    assert error["field"] == FIELD
    assert message in error["message"]
    assert owner.draft() == before


def test_matomo_clouds_own_host_is_accepted(owner: OwnerApi) -> None:
    stored = owner.put_draft(with_matomo(owner, {"host": "shop.matomo.cloud"}))
    assert stored["vendors"]["matomo"]["settings"] == {"host": "shop.matomo.cloud"}
