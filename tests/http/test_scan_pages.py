"""The admin *Scan* page through the test client (#18 item 1): starting a scan (a stand-in
crawl), every invalid field at once, the progress while it runs, the results with leaks
first, the button that adds the undeclared vendors to the draft, and who may see what."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from consent import create_app
from consent.core.observed import Crawl, SeenCookie, StateSeen
from consent.core.scan_report import FINDING_KINDS
from consent.extensions import db
from consent.models import AccessLogEntry, Scan
from consent.scans.jobs import ScanJobs
from consent.scans.plans import CrawlPlan, Progress
from consent.scans.results import KIND_LABELS
from consent.sites.owner import create_site
from tests.conftest import base_config
from tests.http.auditing import Page
from tests.http.scanning import UseCrawl, fake_crawl, stand_in_crawls, tracker_crawl
from tests.http.test_admin_ui import OWNER, draft_of, sign_in
from tests.owners import PASSWORD, add_user, other_site, site_by_key


@pytest.fixture
def crawler(app: Flask) -> Iterator[UseCrawl]:
    """Stand-in crawls (the browser is tests/browser's); the scan threads end with the test."""
    yield from stand_in_crawls(app, tracker_crawl)


@pytest.fixture
def ui(app: Flask, site: str) -> FlaskClient:
    """A client signed in as the owner of the test site."""
    add_user(app, OWNER, "owner", site)
    return sign_in(app, OWNER)


def scans_of(app: Flask, site_key: str) -> list[Scan]:
    with app.app_context():
        site_id = site_by_key(site_key).id
        return list(db.session.scalars(select(Scan).where(Scan.site_id == site_id)))


def start(ui: FlaskClient, site: str, **form: str) -> str:
    """Start a scan through the form; its id (from the page it redirects to)."""
    answer = ui.post(f"/admin/sites/{site}/scans", data=form)
    assert answer.status_code == 302, answer.get_data(as_text=True)[:500]
    location = answer.headers["Location"]
    assert location.startswith(f"/admin/sites/{site}/scans/")
    return location.rsplit("/", 1)[1]


def wait_done(ui: FlaskClient, site: str, scan_id: str) -> None:
    deadline = time.monotonic() + 15
    url = f"/admin/sites/{site}/scans/{scan_id}/status"
    while ui.get(url).json["status"] not in ("done", "failed"):
        assert time.monotonic() < deadline
        time.sleep(0.02)


def test_the_page_is_in_the_nav_and_starts_a_scan(
    app: Flask, ui: FlaskClient, site: str, crawler: Any
) -> None:
    page = Page.of(ui.get(f"/admin/sites/{site}/scans"))
    assert f"/admin/sites/{site}/scans" in [a.attrs.get("href") for a in page.find("a")]
    (pages,) = page.find("input", name="max_pages")
    assert pages.attrs["value"] == "20" and page.find("textarea", name="urls")
    # Next to the button: the two receipts a scan records, and how they are marked.
    (note,) = page.find("p", id="scan-receipts")
    assert "two choices of its own" in note.text and "“Reject all”, then “Accept all”" in note.text
    assert "ConsentLedgerScan/<scan id>" in note.text
    first = start(ui, site, urls="https://shop.example/a\n\nhttps://shop.example/b", max_pages="2")
    wait_done(ui, site, first)
    second = start(ui, site, urls="", max_pages="")  # the defaults: each origin's /, 20 pages
    wait_done(ui, site, second)
    [row] = [r for r in scans_of(app, site) if r.id == first]
    assert (row.urls, row.max_pages) == (["https://shop.example/a", "https://shop.example/b"], 2)
    assert [r.max_pages for r in scans_of(app, site) if r.id == second] == [20]
    listed = Page.of(ui.get(f"/admin/sites/{site}/scans"))
    assert [r.attrs["data-scan-id"] for r in listed.find("tr") if "data-scan-id" in r.attrs] == [
        second,
        first,
    ]  # newest first
    assert [e.text for e in listed.find("td") if e.attrs.get("data-status")] == ["done", "done"]
    assert listed.find("time")  # started/finished as <time> elements


def test_every_invalid_field_at_once_and_nothing_started(
    app: Flask, ui: FlaskClient, site: str, crawler: Any
) -> None:
    form = {
        "urls": "https://evil.example/\nhttps://shop.example/ok\njavascript:x",
        "max_pages": "500",
    }
    answer = ui.post(f"/admin/sites/{site}/scans", data=form)
    assert answer.status_code == 422
    page = Page.of(answer)
    marked = {
        e.attrs["data-field-error"]: e.text for e in page.find("p") if "data-field-error" in e.attrs
    }
    assert set(marked) == {"urls", "max_pages"}
    assert "Line 1:" in marked["urls"] and "Line 3:" in marked["urls"]
    assert "Line 2" not in marked["urls"] and "1 to 100" in marked["max_pages"]
    (urls,) = page.find("textarea", name="urls")
    assert urls.attrs["aria-invalid"] == "true" and "evil.example" in urls.text  # as typed
    assert Page.of(ui.post(f"/admin/sites/{site}/scans", data={"max_pages": "two"})).find(
        "p", data_field_error="max_pages"
    )
    assert scans_of(app, site) == []


def _access_entries(app: Flask) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(AccessLogEntry)) or 0)


def test_progress_while_running_then_a_second_scan_is_refused(
    app: Flask, ui: FlaskClient, site: str, crawler: Any
) -> None:
    release, running = threading.Event(), threading.Event()

    def slow(plan: CrawlPlan, progress: Progress | None = None) -> Crawl:
        running.set()
        assert release.wait(10)
        return tracker_crawl(plan, progress)

    crawler(slow)
    scan_id = start(ui, site, max_pages="1")
    assert running.wait(10)
    answer = ui.get(f"/admin/sites/{site}/scans/{scan_id}")
    page = Page.of(answer)
    (box,) = page.find("div", data_status="running")
    status_url = box.attrs["data-scan-progress"]
    logged = _access_entries(app)
    for _ in range(3):  # the page polls every two seconds: not a read for the access log
        assert ui.get(status_url).json["status"] == "running"
    assert _access_entries(app) == logged
    scripts = [s.attrs["src"] for s in page.find("script")]
    assert any(src.endswith("/admin/scan-progress.js") for src in scripts)
    assert page.find("meta", content="5")  # the <noscript> refresh
    assert "connect-src 'self'" in answer.headers["Content-Security-Policy"]
    assert not page.find("button", data_apply_scan="")
    refused = ui.post(f"/admin/sites/{site}/scans", data={"max_pages": "3"})
    assert refused.status_code == 409
    assert "already queued or running" in Page.of(refused).text("p", data_field_error="scan")
    release.set()
    wait_done(ui, site, scan_id)
    done = Page.of(ui.get(f"/admin/sites/{site}/scans/{scan_id}"))
    assert not done.find("div", data_scan_progress=status_url) and not done.find("noscript")
    assert len(scans_of(app, site)) == 1


def test_results_leaks_first_and_the_record(ui: FlaskClient, site: str, crawler: Any) -> None:
    scan_id = start(ui, site, max_pages="1")
    wait_done(ui, site, scan_id)
    report = ui.get(f"/admin/sites/{site}/scans/{scan_id}/status").json
    assert report["status"] == "done"
    page = Page.of(ui.get(f"/admin/sites/{site}/scans/{scan_id}"))
    kinds = [e.attrs["data-finding"] for e in page.find("tr") if "data-finding" in e.attrs]
    assert kinds[:2] == ["leak", "leak"] and "undeclared" in kinds and "declared_unused" in kinds
    assert kinds == sorted(kinds, key=FINDING_KINDS.index)
    # Each finding's vendor by its name, as the owner knows it (the id stays in the report).
    vendor_cells = {row[2] for row in page.rows() if row[:1] and row[0] in KIND_LABELS.values()}
    assert "Google Analytics" in vendor_cells and "google-analytics" not in vendor_cells
    assert len(page.text("code", data_report_hash="")) == 64
    assert page.text("pre", data_report_signature="").startswith(f"consent.test/scan/{scan_id}")
    # Cookies by category with their durations, requests by vendor, in each of the states.
    assert [s.attrs["data-state"] for s in page.find("section") if "data-state" in s.attrs] == [
        "none",
        "reject_all",
        "accept_all",
    ]
    ga = ["_ga", "Google Analytics", ".shop.example/", "first", "365 days"]
    assert [row for row in page.rows() if row[:1] == ["_ga"]] == [ga, ga]  # none, accept_all
    assert {e.attrs["data-category"] for e in page.find("tbody") if "data-category" in e.attrs} == {
        "performance"
    }
    vendors = {
        e.attrs["data-request-vendor"] for e in page.find("tr") if "data-request-vendor" in e.attrs
    }
    assert {"google-analytics", "leadinfo", "youtube", "stripe"} <= vendors


def token_crawl(plan: CrawlPlan, progress: Progress | None = None) -> Crawl:
    """:func:`fake_crawl`, with the banner's own cookie (the visitor's consent token) after
    "Reject all"."""
    crawl = fake_crawl(plan, progress)
    expires = time.time() + 182 * 86_400
    first = crawl.pages[0].url
    token = SeenCookie("consent_token", "shop.example", "/", expires, False, True, "Lax", (first,))
    reject = crawl.states["reject_all"]
    states = {**crawl.states, "reject_all": StateSeen((token,), reject.storage, reject.requests)}
    return Crawl(crawl.pages, states, crawl.observed_at)


def test_the_banners_own_cookie_is_named_as_the_sites(
    app: Flask, ui: FlaskClient, site: str, crawler: Any
) -> None:
    # As the cookie declaration names it (its provider is the site), not "unknown".
    crawler(token_crawl)
    scan_id = start(ui, site, max_pages="1")
    wait_done(ui, site, scan_id)
    with app.app_context():
        name = site_by_key(site).name
    page = Page.of(ui.get(f"/admin/sites/{site}/scans/{scan_id}"))
    rows = [row for row in page.rows() if row[:1] == ["consent_token"]]
    assert [row[1] for row in rows] == [name]


def test_the_button_adds_the_undeclared_vendors_to_the_draft(
    app: Flask, ui: FlaskClient, site: str, crawler: Any
) -> None:
    scan_id = start(ui, site, max_pages="1")
    wait_done(ui, site, scan_id)
    page = Page.of(ui.get(f"/admin/sites/{site}/scans/{scan_id}"))
    (form,) = [f for f in page.find("form") if f.attrs.get("action", "").endswith("/apply")]
    assert page.find("button", data_apply_scan="")
    answer = ui.post(form.attrs["action"], data={})
    assert answer.status_code == 302
    assert answer.headers["Location"] == f"/admin/sites/{site}/vendors"
    vendors = draft_of(app, site)["vendors"]
    assert vendors["leadinfo"] == {"category": "targeting", "settings": {}}
    assert vendors["youtube"] == {"category": "targeting", "settings": {}}
    flashed = Page.of(ui.get(answer.headers["Location"])).text("div", data_flash="")
    assert "Leadinfo" in flashed and "YouTube" in flashed
    # Done once: no button any more, and a second POST adds nothing.
    assert not Page.of(ui.get(f"/admin/sites/{site}/scans/{scan_id}")).find(
        "button", data_apply_scan=""
    )
    again = ui.post(form.attrs["action"], data={}, follow_redirects=True)
    assert "Nothing to add" in Page.of(again).text("div", data_flash="")
    assert draft_of(app, site)["vendors"] == vendors


def test_a_vendor_needing_its_id_is_named_and_nothing_added(app: Flask, crawler: Any) -> None:
    with app.app_context():
        key = create_site(
            name="Bare",
            origins=["https://shop.example"],
            vendors={},
            privacy_url="https://shop.example/privacy",
            auto_block=False,
        ).site_key
        db.session.commit()
    add_user(app, OWNER, "owner", key)
    ui = sign_in(app, OWNER)
    scan_id = start(ui, key, max_pages="1")
    wait_done(ui, key, scan_id)
    before = draft_of(app, key)
    answer = ui.post(f"/admin/sites/{key}/scans/{scan_id}/apply", data={})
    assert answer.status_code == 422
    error = Page.of(answer).text("p", data_field_error="apply")
    assert "measurement_id" in error and "Google Analytics" in error
    assert draft_of(app, key) == before


#: The scan pages: (method, path under /admin/sites/<k>, form data); {scan} is a done scan.
SCAN_PAGES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/scans", None),
    ("POST", "/scans", {"max_pages": "1"}),
    ("GET", "/scans/{scan}", None),
    ("GET", "/scans/{scan}/status", None),
    ("POST", "/scans/{scan}/apply", {}),
]


@pytest.mark.parametrize(
    ("method", "path", "data"), SCAN_PAGES, ids=[f"{m} {p}" for m, p, _ in SCAN_PAGES]
)
def test_isolation_matrix(
    app: Flask, site: str, crawler: Any, method: str, path: str, data: dict[str, Any] | None
) -> None:
    add_user(app, OWNER, "owner", site)
    mine = sign_in(app, OWNER)
    scan_id = start(mine, site, max_pages="1")
    wait_done(mine, site, scan_id)
    other = other_site(app)
    add_user(app, "other-owner@example.com", "owner", other)
    add_user(app, "auditor@example.com", "auditor", site)
    before = draft_of(app, site)
    url = f"/admin/sites/{site}{path.format(scan=scan_id)}"
    cases = [
        (sign_in(app, "other-owner@example.com"), 404),  # another owner: as if unknown
        (sign_in(app, "auditor@example.com"), 403),  # the site's own auditor
        (app.test_client(), 302),  # not signed in: to the sign-in page
    ]
    for client, status in cases:
        answer = client.open(url, method=method, data=data)
        assert answer.status_code == status, (status, answer.get_data(as_text=True)[:300])
    # Another owner's own site does not hold the scan either.
    theirs = f"/admin/sites/{other}{path.format(scan=scan_id)}"
    if "{scan}" in path:
        stranger = sign_in(app, "other-owner@example.com")
        assert stranger.open(theirs, method=method, data=data).status_code == 404
    assert draft_of(app, site) == before
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Scan)) == 1
    assert mine.open(url, method=method, data=data).status_code in (200, 302, 409)


def test_the_pages_are_strict_about_scripts_and_styles(
    ui: FlaskClient, site: str, crawler: Any
) -> None:
    scan_id = start(ui, site, max_pages="1")
    wait_done(ui, site, scan_id)
    for path in ("/scans", f"/scans/{scan_id}"):
        answer = ui.get(f"/admin/sites/{site}{path}")
        csp = answer.headers["Content-Security-Policy"]
        assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert answer.headers["Cache-Control"] == "no-store"
        page = Page.of(answer)
        assert all(e.attrs.get("src") for e in page.find("script")), path
        assert not page.find("style") and not [e for e in page.elements if "style" in e.attrs]


def test_the_forms_need_a_csrf_token(db_url: str, site: str) -> None:
    app = create_app({**base_config(db_url), "WTF_CSRF_ENABLED": True})
    jobs: ScanJobs = app.extensions["consent_scans"]
    jobs.crawler = tracker_crawl
    add_user(app, OWNER, "owner", site)
    client = app.test_client()
    token = Page.of(client.get("/admin/login")).csrf_token()
    login = {"email": OWNER, "password": PASSWORD, "csrf_token": token}
    assert client.post("/admin/login", data=login).status_code == 302
    url = f"/admin/sites/{site}/scans"
    assert client.post(url, data={"max_pages": "1"}).status_code == 403
    assert scans_of(app, site) == []
    token = Page.of(client.get(url)).csrf_token()
    scan_id = start(client, site, max_pages="1", csrf_token=token)
    wait_done(client, site, scan_id)
    apply = f"{url}/{scan_id}/apply"
    assert client.post(apply, data={}).status_code == 403
    assert "youtube" not in draft_of(app, site)["vendors"]
    token = Page.of(client.get(f"{url}/{scan_id}")).csrf_token()
    assert client.post(apply, data={"csrf_token": token}).status_code == 302
    assert "youtube" in draft_of(app, site)["vendors"]
    jobs.shutdown()
    with app.app_context():
        db.engine.dispose()
