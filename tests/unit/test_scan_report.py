"""A scan's classification against the catalogue and its findings, as pure functions."""

from __future__ import annotations

import pytest

from consent.core.canonical import digest
from consent.core.classify import Classifier, host_matches, name_matches
from consent.core.observed import Crawl, SeenCookie, SeenPage, SeenRequest, SeenStorage, StateSeen
from consent.core.scan_report import crawl_report, note_text, report_hash, without_query

SITE = Classifier(
    enabled={
        "google-analytics": "performance",
        "facebook-social": "social",
        "vimeo": "functionality",
    },
    site_hosts=frozenset({"www.shop.example", "127.0.0.1"}),
    service_origin="https://consent.example",
)
NOW = 1_800_000_000.0


@pytest.mark.parametrize(
    ("url", "vendor", "category"),
    [
        ("https://www.googletagmanager.com/gtag/js?id=G-1", "google-analytics", "performance"),
        ("https://region1.google-analytics.com/g/collect?v=2", "google-analytics", "performance"),
        ("https://googletagmanager.com.evil.example/x.js", None, None),
        ("https://notgoogletagmanager.com/x.js", None, None),
        # A shared host: the vendor's own snippet in the URL decides ...
        ("https://connect.facebook.net/en_US/fbevents.js", "meta-pixel", "targeting"),
        ("https://www.facebook.com/tr?id=1&ev=PageView", "meta-pixel", "targeting"),
        # ... else the vendor the site enables.
        ("https://connect.facebook.net/nl_NL/other.js", "facebook-social", "social"),
        ("https://px.ads.linkedin.com/collect?pid=1", "linkedin-insight", "targeting"),
        ("https://js-eu1.hs-scripts.com/1.js", "hubspot", "targeting"),
        ("https://player.vimeo.com/video/1", "vimeo", "functionality"),  # the owner's category
        ("https://www.youtube-nocookie.com/embed/x", "youtube", "targeting"),
        ("https://m.stripe.network/inner.html", "stripe", "necessary"),
        ("https://consent.example/embed/abc.js", None, "necessary"),  # the service itself
        ("https://consent.example:8443/embed/abc.js", None, None),
        ("https://cdn.unknown.example/x.js", None, None),
    ],
)
def test_requests_are_classified_by_host_and_marker(
    url: str, vendor: str | None, category: str | None
) -> None:
    assert SITE.request(url) == (vendor, category)


@pytest.mark.parametrize(
    ("name", "vendor", "category"),
    [
        ("_ga", "google-analytics", "performance"),
        ("_ga_ABC123", "google-analytics", "performance"),
        ("_gat_UA-1", "google-analytics", "performance"),
        ("_gac_UA-1", "google-analytics", "performance"),
        ("_gid", "google-analytics", "performance"),
        ("_gax", None, None),
        ("_fbp", "meta-pixel", "targeting"),
        ("li_fat_id", "linkedin-insight", "targeting"),
        ("bcookie", "linkedin-insight", "targeting"),  # set on linkedin.com: named all the same
        ("_li_id", "leadinfo", "targeting"),
        ("hubspotutk", "hubspot", "targeting"),
        ("VISITOR_INFO1_LIVE", "youtube", "targeting"),
        ("vuid", "vimeo", "functionality"),
        ("__stripe_mid", "stripe", "necessary"),
        ("consent_token", None, "necessary"),
        ("session", None, None),
    ],
)
def test_cookies_are_classified_by_name_and_pattern(
    name: str, vendor: str | None, category: str | None
) -> None:
    assert SITE.cookie(name) == (vendor, category)


def test_matching_rules() -> None:
    assert host_matches("a.b.example", "b.example") and host_matches("b.example", "b.example")
    assert not host_matches("ab.example", "b.example")
    assert name_matches("_ga_X", "_ga_*") and not name_matches("_ga", "_ga_*")
    assert SITE.storage("anything") == (None, None)
    assert SITE.first_party(".shop.example") and SITE.first_party("127.0.0.1")
    assert not SITE.first_party("shop.example.evil") and not SITE.first_party("other.example")
    assert without_query("https://a.example/p/x.js?id=1#f") == "https://a.example/p/x.js"


def _crawl() -> Crawl:
    page = "https://www.shop.example/"
    ga = SeenRequest("https://www.googletagmanager.com/gtag/js?id=G-1", "script", page)
    pixel = SeenRequest("https://connect.facebook.net/en_US/fbevents.js", "script", page)
    unknown = SeenRequest("https://cdn.unknown.example/t.js?u=1", "script", page)
    month = NOW + 30 * 86_400
    pref = SeenCookie("pref", "www.shop.example", "/", month, True, True, "Strict", (page,))
    fbp = SeenCookie("_fbp", ".shop.example", "/", None, False, False, "Lax", (page,))
    return Crawl(
        pages=(SeenPage(page, 200), SeenPage(f"{page}gone", None)),
        states={
            "none": StateSeen((pref, fbp), (SeenStorage("local", "k"),), (pixel, pixel, unknown)),
            "reject_all": StateSeen((pref,), (), ()),
            "accept_all": StateSeen((pref,), (), (ga, pixel)),
        },
        observed_at=NOW,
    )


def test_the_report_of_a_crawl() -> None:
    report = crawl_report(_crawl(), SITE, 4)
    assert report["pages"] == [
        {"url": "https://www.shop.example/", "status": 200},
        {"url": "https://www.shop.example/gone", "status": None},
    ]
    none = report["states"]["none"]
    assert [c["name"] for c in none["cookies"]] == ["_fbp", "pref"]
    fbp, pref = none["cookies"]
    assert (fbp["session"], fbp["expires"], fbp["duration_days"]) == (True, None, None)
    assert (pref["duration_days"], pref["expires"], pref["first_party"]) == (
        30,
        "2027-02-14T08:00:00.000Z",
        True,
    )
    assert [r["url"] for r in none["requests"]] == [
        "https://cdn.unknown.example/t.js",
        "https://connect.facebook.net/en_US/fbevents.js",  # once, though requested twice
    ]
    findings = [(f["kind"], f["state"], f["vendor"]) for f in report["findings"]]
    assert findings == [
        ("leak", "none", "meta-pixel"),
        ("undeclared", None, "meta-pixel"),
        ("unknown_cookie", "none", None),
        ("unknown_cookie", "reject_all", None),
        ("unknown_cookie", "accept_all", None),
        ("unknown_host", "none", None),
        ("declared_unused", None, "facebook-social"),
        ("declared_unused", None, "vimeo"),
    ]
    leak = report["findings"][0]
    assert leak["detail"] == (
        "cookies: _fbp; requests: https://connect.facebook.net/en_US/fbevents.js"
    )
    assert "seen in none, accept_all" in report["findings"][1]["detail"]


def test_the_hash_leaves_out_the_hash_and_signature() -> None:
    report = {"scan_id": "s", "status": "done", "report_hash": "x", "signature": "y"}
    assert report_hash(report) == digest({"scan_id": "s", "status": "done"})
    assert note_text("consent.example", "s", "ab") == "consent.example/scan/s\nab\n"
