"""A real scan (#18): the service's own worker thread drives Debian's Chromium over an owner's
site on loopback, in the three states, and the report names what the site really does.

The site (scan_site.py) carries one of each thing a finding is about, and references a
canary server on another loopback port in every way a page can (link, image, script,
stylesheet, frame, fetch, beacon, preconnect, a redirect): the canary must receive nothing.
Vendor hosts such as www.googletagmanager.com resolve to the real internet; the scan answers
them itself. One scan per database (SQLite, and PostgreSQL when configured), 3 pages.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from consent.core.canonical import digest
from consent.core.notes import open_note
from consent.core.observed import STATES
from consent.core.scan_report import REPORT_FIELDS, note_text
from tests.conftest import BACKENDS, empty_schema

from . import scan_site
from .conftest import _require_browser, _Server

pytestmark = pytest.mark.xdist_group("browser")

COOKIE_FIELDS = {
    "name", "domain", "path", "first_party", "session", "expires", "duration_days", "secure",
    "http_only", "same_site", "vendor", "category", "pages",
}  # fmt: skip


@dataclass
class Scanned:
    """A finished scan of the owner's site, and everything around it."""

    app: Any
    api: str
    owner: str
    site: str
    tokens: dict[str, str]
    canary: scan_site.Canary
    canary_origin: str
    report: dict[str, Any]

    def get(self, path: str, role: str = "owner") -> tuple[int, Any]:
        """GET an API path with the site's owner or auditor token."""
        call = urllib.request.Request(
            f"{self.api}{path}", headers={"Authorization": f"Bearer {self.tokens[role]}"}
        )
        try:
            with urllib.request.urlopen(call, timeout=10) as answer:
                return answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())


def _database(request: pytest.FixtureRequest, tmp: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp}/db.sqlite"
    url: str = request.getfixturevalue("pg_schema_url")
    empty_schema(url)
    return url


def _post(api: str, path: str, token: str, body: dict[str, Any]) -> tuple[int, Any]:
    call = urllib.request.Request(
        f"{api}{path}",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(call, timeout=10) as answer:
        return answer.status, json.loads(answer.read())


def _setup(app: Any, owner: str) -> tuple[str, dict[str, str]]:
    from consent.extensions import db, init_db
    from consent.sites.accounts import create_api_token
    from consent.sites.owner import create_site

    with app.app_context():
        init_db()
        site = create_site(
            name="Scanned shop",
            origins=[owner],
            vendors=scan_site.VENDORS,
            language="en",
            privacy_url=f"{owner}/privacy",
        )
        tokens = {
            role: create_api_token(site, role, f"scan {role}")[1] for role in ("owner", "auditor")
        }
        db.session.commit()
        return site.site_key, tokens


@pytest.fixture(scope="module", params=BACKENDS)
def scanned(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Scanned]:
    """The service, the owner's site and the canary on three loopback ports; one scan, run
    by the service's worker thread as the owner API starts it."""
    _require_browser()
    from consent import create_app

    tmp = tmp_path_factory.mktemp("scan")
    api, owner, canary_server = _Server(), _Server(), _Server()
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": _database(request, tmp),
            "SECRET_KEY": "test",
            "CONSENT_PUBLIC_URL": api.origin,
            "CONSENT_STATE_TTL": 0.0,
        }
    )
    app.instance_path = str(tmp / "instance")
    site, tokens = _setup(app, owner.origin)
    canary = scan_site.Canary()
    canary_server.start(canary)
    api.start(app)
    owner.start(scan_site.owner_app(api.origin, site, canary_server.origin))
    status, queued = _post(
        api.origin, f"/api/v1/admin/sites/{site}/scans", tokens["owner"], {"max_pages": 3}
    )
    assert (status, queued["status"]) == (202, "queued")
    scanned = Scanned(app, api.origin, owner.origin, site, tokens, canary, canary_server.origin, {})
    deadline = time.monotonic() + 180
    while True:
        _, scanned.report = scanned.get(f"/api/v1/admin/sites/{site}/scans/{queued['scan_id']}")
        if scanned.report["status"] in ("done", "failed") or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    yield scanned
    app.extensions["consent_scans"].shutdown()
    for server in (owner, api, canary_server):
        server.stop()
    with app.app_context():
        from consent.extensions import db

        db.engine.dispose()


def _findings(report: dict[str, Any], kind: str) -> list[tuple[str | None, str | None]]:
    return [(f["state"], f["vendor"]) for f in report["findings"] if f["kind"] == kind]


def test_the_scan_finishes_with_the_contracts_shape(scanned: Scanned) -> None:
    report = scanned.report
    assert report["status"] == "done", report.get("reason")
    assert tuple(report) == REPORT_FIELDS
    assert report["site_key"] == scanned.site and report["policy_version"] == 1
    assert set(report["states"]) == set(STATES)
    for state in report["states"].values():
        assert set(state) == {"cookies", "storage", "requests"}
        assert all(set(c) == COOKIE_FIELDS for c in state["cookies"])
        assert all(set(s) == {"kind", "key", "vendor", "category"} for s in state["storage"])
        assert all(
            set(r) == {"host", "url", "type", "vendor", "category", "initiator"}
            for r in state["requests"]
        )
        assert all("?" not in r["url"] for r in state["requests"])
    assert all(
        set(f) == {"kind", "state", "vendor", "category", "detail"} for f in report["findings"]
    )


def test_pages_are_crawled_by_link_and_bounded(scanned: Scanned) -> None:
    pages = [(p["url"].removeprefix(scanned.owner), p["status"]) for p in scanned.report["pages"]]
    # Breadth-first from "/": the About page by its link, then the link that redirects to
    # the canary (not followed: the page does not load). The canary's own link is no page.
    assert pages == [("/", 200), ("/about.html", 200), ("/go", None)]


def test_the_canary_receives_nothing(scanned: Scanned) -> None:
    assert scanned.canary.requests == []
    # ... although the pages asked for it, in every state: each request was answered locally.
    host = scanned.canary_origin
    for state in STATES:
        urls = {r["url"] for r in scanned.report["states"][state]["requests"]}
        assert {f"{host}/pixel.gif", f"{host}/tracker.js", f"{host}/fetch"} <= urls, state


def test_findings_name_leaks_undeclared_unknown_and_unused(scanned: Scanned) -> None:
    report = scanned.report
    assert _findings(report, "leak") == [
        ("none", "hubspot"),
        ("none", "meta-pixel"),
        ("reject_all", "hubspot"),
        ("reject_all", "meta-pixel"),
    ]
    assert _findings(report, "undeclared") == [(None, "hubspot")]
    assert _findings(report, "declared_unused") == [(None, "twitter")]
    unknown_cookies = [f for f in report["findings"] if f["kind"] == "unknown_cookie"]
    assert [f["state"] for f in unknown_cookies] == list(STATES)
    assert all(f["detail"].startswith(scan_site.UNKNOWN_COOKIE) for f in unknown_cookies)
    hosts = {(f["state"], f["detail"].split(":")[0]) for f in report["findings"]
             if f["kind"] == "unknown_host"}  # fmt: skip
    assert {(state, scan_site.UNKNOWN_HOST) for state in STATES} <= hosts
    # Kinds in the contract's order: leaks first.
    kinds = [f["kind"] for f in report["findings"]]
    assert kinds == sorted(kinds, key=["leak", "undeclared", "unknown_cookie",
                                       "unknown_host", "declared_unused"].index)  # fmt: skip
    # Google Analytics waited for consent: no finding, its script only after accept-all.
    assert "google-analytics" not in {f["vendor"] for f in report["findings"]}
    ga = {
        state: [r for r in report["states"][state]["requests"] if r["vendor"] == "google-analytics"]
        for state in STATES
    }
    assert ga["none"] == ga["reject_all"] == [] and ga["accept_all"]
    assert ga["accept_all"][0]["category"] == "performance"
    assert ga["accept_all"][0]["initiator"].startswith(scanned.api)  # the banner's loader


def test_cookies_and_storage_are_classified(scanned: Scanned) -> None:
    for state in STATES:
        cookies = {c["name"]: c for c in scanned.report["states"][state]["cookies"]}
        pref = cookies[scan_site.UNKNOWN_COOKIE]
        assert (pref["vendor"], pref["category"], pref["first_party"]) == (None, None, True)
        assert (pref["session"], pref["duration_days"]) == (False, 1)
        assert pref["pages"][0] == f"{scanned.owner}/"
        storage = scanned.report["states"][state]["storage"]
        assert {"kind": "local", "key": scan_site.STORAGE_KEY, "vendor": None,
                "category": None} in storage  # fmt: skip
    # The visitor's choice is remembered in the product's own, strictly necessary cookie.
    for state in ("reject_all", "accept_all"):
        token = {c["name"]: c for c in scanned.report["states"][state]["cookies"]}["consent_token"]
        assert (token["vendor"], token["category"]) == (None, "necessary")
    assert "consent_token" not in {c["name"] for c in scanned.report["states"]["none"]["cookies"]}
    # The choice's POST went to the service (necessary), made by the banner's code.
    [post] = [
        r
        for r in scanned.report["states"]["reject_all"]["requests"]
        if r["url"].endswith("/consents")
    ]
    assert (post["category"], post["initiator"]) == (
        "necessary",
        f"{scanned.api}/embed/{scanned.site}.js",
    )


def test_the_scans_two_receipts_name_the_scan_in_their_user_agent(scanned: Scanned) -> None:
    # Receipts are append-only: the two choices the scan made (reject all, then accept all)
    # are told apart from visitors' by the browser's User-Agent, which names the scan.
    from consent.extensions import db
    from consent.models import Receipt, ReceiptContext

    marker = f" ConsentLedgerScan/{scanned.report['scan_id']}"
    with scanned.app.app_context():
        rows = db.session.execute(
            sa.select(Receipt.action, ReceiptContext.user_agent)
            .join(ReceiptContext, ReceiptContext.receipt_pk == Receipt.id)
            .where(Receipt.site_key == scanned.site)
            .order_by(Receipt.seq)
        ).all()
        db.session.remove()
    scans = [(action, agent) for action, agent in rows if agent.endswith(marker)]
    assert [action for action, _ in scans] == ["reject_all", "accept_all"], rows
    assert all("Chrome/" in agent for _, agent in scans)  # the browser's own, then the marker


def test_report_hash_recomputes_and_the_signature_verifies(scanned: Scanned) -> None:
    from consent.ledger.log_keys import log_keys

    report = scanned.report
    unsigned = {k: v for k, v in report.items() if k not in ("report_hash", "signature")}
    assert digest(unsigned) == report["report_hash"]
    with scanned.app.app_context():
        keys = log_keys()
        note = open_note(report["signature"], keys.verifiers)
        assert note.text == note_text(keys.netloc, report["scan_id"], report["report_hash"])
    assert note.text.startswith(f"{scanned.api.split('://')[1]}/scan/{report['scan_id']}\n")


def test_owner_and_auditor_read_the_same_report(scanned: Scanned) -> None:
    scan_id = scanned.report["scan_id"]
    for role, area in (("owner", "admin"), ("auditor", "audit"), ("owner", "audit")):
        status, listed = scanned.get(f"/api/v1/{area}/sites/{scanned.site}/scans", role)
        assert status == 200 and listed["items"][0]["scan_id"] == scan_id
        assert listed["items"][0]["report_hash"] == scanned.report["report_hash"]
        status, report = scanned.get(f"/api/v1/{area}/sites/{scanned.site}/scans/{scan_id}", role)
        assert (status, report) == (200, scanned.report)


def test_a_page_and_a_scan_are_bounded_in_time(scanned: Scanned) -> None:
    from consent.scans.crawler import crawl
    from consent.scans.plans import CrawlFailed, CrawlPlan

    if scanned.app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("the crawl's bounds do not depend on the database: once, on SQLite")

    plan = CrawlPlan(
        start_urls=(f"{scanned.owner}/about.html", f"{scanned.owner}/slow"),
        site_origins=frozenset({scanned.owner}),
        service_origin=scanned.api,
        max_pages=2,
        # Room for the other page and the banner on a busy machine (1.5 s was too little
        # under load); the slow one answers only after 10 s.
        page_seconds=4.0,
    )
    seen = crawl(plan)
    # The page that answers after 10 s is given up after 4 s (in each of the three states).
    assert [(p.url.removeprefix(scanned.owner), p.status) for p in seen.pages] == [
        ("/about.html", 200),
        ("/slow", None),
    ]
    short = CrawlPlan(plan.start_urls, plan.site_origins, scanned.api, 2, scan_seconds=1.0)
    with pytest.raises(CrawlFailed, match="timed out after 1 s"):
        crawl(short)

    # A page whose script never yields would block reading it for ever (evaluate has no
    # timeout): Chromium is stopped one page's time after the scan's.
    hang = CrawlPlan((f"{scanned.owner}/hang",), plan.site_origins, scanned.api, 1, 1.0, 2.0)
    with pytest.raises(CrawlFailed, match=r"timed out after 2 s \(stopped\)"):
        crawl(hang)


def test_a_crawl_runs_beside_another_sync_playwright(scanned: Scanned, browser: Any) -> None:
    # The browser tests' own Playwright runs an event loop on this thread, as an async server
    # would: the crawl takes a thread of its own instead of refusing to start.
    from consent.scans.crawler import crawl
    from consent.scans.plans import CrawlPlan

    if scanned.app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("the crawl does not depend on the database: once, on SQLite")
    page = browser.new_page()  # the other Playwright is in use
    plan = CrawlPlan((f"{scanned.owner}/about.html",), frozenset({scanned.owner}), scanned.api, 1)
    assert [p.status for p in crawl(plan).pages] == [200]
    page.close()


def test_a_page_without_the_banner_fails_the_scan_with_a_reason(scanned: Scanned) -> None:
    # A start page without the site's script tag (the service's own landing page was one,
    # for the demo): the choice states cannot click, and the reason says why, not
    # Playwright's timeout text.
    from consent.scans.crawler import crawl
    from consent.scans.plans import CrawlFailed, CrawlPlan

    if scanned.app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("the crawl does not depend on the database: once, on SQLite")
    url = f"{scanned.owner}/plain"
    plan = CrawlPlan((url,), frozenset({scanned.owner}), scanned.api, 1, page_seconds=2.0)
    with pytest.raises(CrawlFailed) as failed:
        crawl(plan)
    assert str(failed.value) == (
        f"the banner did not show on {url}: is the site's script tag on that page, first in "
        f"<head>, and is {scanned.owner} one of the site's allowed origins?"
    )
