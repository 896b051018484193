"""The cookie declaration over HTTP (#18 item 5): per category the published version's
vendors' cookies with the catalogue's purpose and typical duration, in English and Dutch; the
durations a finished scan observed (a done scan row stored directly, no crawl); what the scan
saw that no vendor explains under ``unclassified``; 404, 422 naming ``lang``, CORS as the
config, and the ETag."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from consent.core.catalog import CATEGORIES, VENDORS
from consent.core.classify import Classifier
from consent.core.cookie_facts import COOKIE_FACTS
from consent.core.observed import Crawl, SeenCookie, SeenPage, SeenStorage, StateSeen
from consent.core.scan_report import crawl_report
from consent.core.texts import DEFAULT_LANGUAGES
from consent.core.times import iso_ms
from consent.extensions import db
from consent.models import utcnow
from consent.scans.records import create_scan, mark_done, mark_failed, mark_running
from tests.conftest import ORIGIN
from tests.conftest import VENDORS as SITE_VENDORS
from tests.owners import mint, site_by_key

DAY = 86_400


def _get(client: FlaskClient, site: str, query: str = "", **headers: str) -> Any:
    return client.get(f"/api/v1/sites/{site}/declaration{query}", headers=headers)


def _cookies(body: dict[str, Any], category: str) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in body["categories"][category]["cookies"]}


def _cookie(name: str, domain: str, days: float | None, now: float) -> SeenCookie:
    expires = None if days is None else now + days * DAY
    return SeenCookie(name, domain, "/", expires, False, False, "Lax", (f"{ORIGIN}/",))


def _store_scan(app: Flask, site: str, *, fail_another: bool = False) -> str:
    """A done scan whose report saw GA's _ga for 400 days, LinkedIn's third-party bcookie,
    YouTube's YSC (not enabled), the consent token, and an unknown cookie and storage key."""
    now = time.time()
    states = {
        "none": StateSeen(
            cookies=(_cookie("mystery", ".shop.example", 10, now),),
            storage=(SeenStorage("local", "cart"),),
        ),
        "reject_all": StateSeen(cookies=(_cookie("consent_token", "shop.example", 182, now),)),
        "accept_all": StateSeen(
            cookies=(
                _cookie("_ga", ".shop.example", 400, now),
                _cookie("_ga_ABC123", ".shop.example", 730, now),
                _cookie("bcookie", ".linkedin.com", 365, now),
                _cookie("YSC", ".youtube.com", None, now),
                _cookie("consent_token", "shop.example", 182, now),
            )
        ),
    }
    with app.app_context():
        row = site_by_key(site)
        enabled = {vid: entry["category"] for vid, entry in SITE_VENDORS.items()}
        classifier = Classifier(enabled, frozenset({"shop.example"}), "http://127.0.0.1:5000")
        crawl = Crawl((SeenPage(f"{ORIGIN}/", 200),), states, now)
        if fail_another:
            failed = create_scan(row.id, [f"{ORIGIN}/"], 1)
            db.session.commit()
            mark_failed(failed.id, "boom")
        scan = create_scan(row.id, [f"{ORIGIN}/"], 1)
        db.session.commit()
        started = utcnow() - timedelta(minutes=1)
        assert mark_running(scan.id, started)
        finished = utcnow()
        report = {
            "scan_id": scan.id,
            "site_key": site,
            "status": "done",
            "started_at": iso_ms(started),
            "finished_at": iso_ms(finished),
            "policy_version": 1,
            **crawl_report(crawl, classifier, 1),
            "report_hash": "0" * 64,
            "signature": "",
        }
        assert mark_done(scan.id, report, finished)
        return iso_ms(finished)


def test_every_category_with_the_catalogue_facts_in_english(client: FlaskClient, site: str) -> None:
    response = _get(client, site, "?lang=en")
    assert response.status_code == 200
    body = response.json
    assert body["site_key"] == site
    assert body["policy_version"] == 1
    assert body["language"] == "en"
    assert body["scanned_at"] is None
    assert body["unclassified"] == []
    assert list(body["categories"]) == list(CATEGORIES)
    assert body["categories"]["performance"]["title"] == "Performance"
    assert body["categories"]["performance"]["description"].startswith("Count visits")
    ga = _cookies(body, "performance")
    assert list(ga) == ["_ga", "_ga_*", "_gid", "_gat*", "_gac_*"]
    assert ga["_ga"] == {
        "name": "_ga",
        "vendor": "google-analytics",
        "provider": "Google",
        "purpose": "Distinguishes visitors",
        "duration": "2 years",
        "duration_days": 730,
        "observed": False,
        "type": "cookie",
        "first_party": True,
    }
    assert ga["_gat*"]["duration"] == "1 minute"
    assert ga["_gat*"]["duration_days"] == 0
    # The owner's category, not the catalogue's: the fixture moves Vimeo to functionality.
    assert _cookies(body, "functionality")["vuid"]["vendor"] == "vimeo"
    targeting = _cookies(body, "targeting")
    assert targeting["__hssrc"]["duration"] == "Session"
    assert targeting["__hssrc"]["duration_days"] is None
    assert targeting["bcookie"]["first_party"] is False  # LinkedIn's own domain
    assert targeting["li_fat_id"]["first_party"] is True
    necessary = _cookies(body, "necessary")
    assert necessary["consent_token"]["provider"] == "Shop"
    assert necessary["consent_token"]["duration"] == "182 days"
    assert necessary["__stripe_sid"]["duration"] == "30 minutes"
    # YouTube and Leadinfo are not enabled: not declared.
    vendors = {c["vendor"] for cat in body["categories"].values() for c in cat["cookies"]}
    assert vendors == {None, *SITE_VENDORS}
    assert body["labels"]["purpose"] == "Purpose"


def test_dutch_texts_purposes_and_durations(client: FlaskClient, site: str) -> None:
    body = _get(client, site, "?lang=nl-BE").json
    assert body["language"] == "nl"
    assert body["categories"]["performance"]["title"] == "Prestaties"
    ga = _cookies(body, "performance")
    assert ga["_ga"]["purpose"] == "Onderscheidt bezoekers"
    assert ga["_ga"]["duration"] == "2 jaar"
    assert ga["_gid"]["duration"] == "24 uur"
    assert _cookies(body, "necessary")["consent_token"]["duration"] == "182 dagen"
    assert body["labels"]["duration"] == "Bewaartermijn"


@pytest.mark.parametrize(
    ("query", "language", "purpose", "duration"),
    [
        ("?lang=ja", "en", "Distinguishes visitors", "2 years"),  # no texts: the default
        ("", "en", "Distinguishes visitors", "2 years"),
        ("?lang=FR", "fr", "Distingue les visiteurs", "2 ans"),
        ("?lang=de-AT", "de", "Unterscheidet Besucher", "2 Jahre"),
    ],
)
def test_other_languages_and_the_default(
    client: FlaskClient, site: str, query: str, language: str, purpose: str, duration: str
) -> None:
    body = _get(client, site, query).json
    assert body["language"] == language
    assert _cookies(body, "performance")["_ga"]["purpose"] == purpose
    assert _cookies(body, "performance")["_ga"]["duration"] == duration


def test_a_finished_scan_gives_observed_durations_and_the_unclassified(
    app: Flask, client: FlaskClient, site: str
) -> None:
    finished = _store_scan(app, site, fail_another=True)
    body = _get(client, site, "?lang=en").json
    assert body["scanned_at"] == finished
    ga = _cookies(body, "performance")
    assert ga["_ga"]["duration"] == "400 days"
    assert ga["_ga"]["duration_days"] == 400
    assert ga["_ga"]["observed"] is True
    assert ga["_ga_*"]["duration"] == "2 years"  # 730 days observed: whole years
    assert ga["_gid"]["observed"] is False  # not seen: the typical duration
    assert _cookies(body, "targeting")["bcookie"]["duration"] == "1 year"
    assert _cookies(body, "targeting")["bcookie"]["first_party"] is False
    assert _cookies(body, "necessary")["consent_token"]["observed"] is True
    # YouTube is not enabled but the scan saw its cookie: declared, in its catalogue category.
    youtube = _cookies(body, "targeting")
    assert youtube["YSC"]["vendor"] == "youtube"
    assert "VISITOR_INFO1_LIVE" not in youtube
    assert body["unclassified"] == [
        {
            "name": "mystery",
            "vendor": None,
            "provider": "shop.example",
            "purpose": None,
            "duration": "10 days",
            "duration_days": 10,
            "observed": True,
            "type": "cookie",
            "first_party": True,
        },
        {
            "name": "cart",
            "vendor": None,
            "provider": None,
            "purpose": None,
            "duration": "Until cleared",
            "duration_days": None,
            "observed": True,
            "type": "local_storage",
            "first_party": True,
        },
    ]
    dutch = _get(client, site, "?lang=nl").json
    assert _cookies(dutch, "performance")["_ga"]["duration"] == "400 dagen"
    assert dutch["unclassified"][1]["duration"] == "Tot u het wist"


def test_unknown_site_is_404(client: FlaskClient) -> None:
    response = _get(client, "no-such-site", "?lang=nl")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


@pytest.mark.parametrize("lang", ["", "english", "n", "nl_NL", "<script>", "nl-", "12"])
def test_a_malformed_lang_is_422_naming_it(client: FlaskClient, site: str, lang: str) -> None:
    response = _get(client, site, f"?lang={lang}")
    assert response.status_code == 422
    assert response.json["error"]["field"] == "lang"


def test_cors_as_the_config(client: FlaskClient, site: str) -> None:
    allowed = _get(client, site, Origin=ORIGIN)
    assert allowed.status_code == 200
    assert allowed.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "Origin" in allowed.headers["Vary"]
    assert "Access-Control-Allow-Credentials" not in allowed.headers
    assert "Set-Cookie" not in allowed.headers
    other = _get(client, site, Origin="https://evil.example")
    assert other.status_code == 403
    assert "Access-Control-Allow-Origin" not in other.headers
    config = client.get(f"/api/v1/sites/{site}/config", headers={"Origin": "https://evil.example"})
    assert config.status_code == other.status_code
    preflight = client.options(f"/api/v1/sites/{site}/declaration", headers={"Origin": ORIGIN})
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == ORIGIN


def test_etag_and_revalidation(app: Flask, client: FlaskClient, site: str) -> None:
    first = _get(client, site, "?lang=nl")
    assert first.headers["Cache-Control"] == "public, no-cache"
    etag = first.headers["ETag"]
    again = _get(client, site, "?lang=nl", **{"If-None-Match": etag})
    assert again.status_code == 304
    assert _get(client, site, "?lang=en").headers["ETag"] != etag
    _store_scan(app, site)  # a new scan changes it
    assert _get(client, site, "?lang=nl", **{"If-None-Match": etag}).status_code == 200


def test_every_catalogue_cookie_has_its_facts() -> None:
    for vendor in VENDORS.values():
        named = [*vendor.cookies, *vendor.third_party_cookies]
        facts = [fact.name for fact in COOKIE_FACTS[vendor.id]]
        assert sorted(facts) == sorted(named), vendor.id
        for fact in COOKIE_FACTS[vendor.id]:
            assert sorted(fact.purpose) == sorted(DEFAULT_LANGUAGES), fact.name
            assert all(fact.purpose.values()), fact.name


def test_an_owners_change_reaches_the_declaration(
    app: Flask, client: FlaskClient, site: str
) -> None:
    # Each worker keeps the declarations it built, by the site's state and its last scan.
    before = _get(client, site, "?lang=en").json
    assert _cookies(before, "necessary")["consent_token"]["duration"] == "182 days"
    owner = {"Authorization": f"Bearer {mint(app, site, 'owner')}"}
    changed = client.patch(
        f"/api/v1/admin/sites/{site}",
        json={"choice_lifetime_days": 30, "name": "Bakery"},
        headers=owner,
    )
    assert changed.status_code == 200
    after = _get(client, site, "?lang=en").json
    token = _cookies(after, "necessary")["consent_token"]
    assert (token["duration"], token["provider"]) == ("30 days", "Bakery")
