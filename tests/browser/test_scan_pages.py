"""A scan's pages in Chromium (#18 item 1): at 390 px the results (admin and audit) do not
scroll page-wide, every table scrolls in its own region and axe finds nothing; the admin
page follows a queued scan live (its script polls with the session, within the page's CSP)
and shows the results once it is done."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .conftest import Service, signed_in_state

pytestmark = pytest.mark.xdist_group("browser")

OWNER = "scan-owner@example.com"
PASSWORD = "a long scanning password"
PHONE = {"width": 390, "height": 844}

#: Every table sits in a named, focusable scroll region of its own.
TABLES_IN_REGIONS = """() => [...document.querySelectorAll('main table')].map(table => {
  const region = table.parentElement;
  return region.matches('.table-scroll[role=region][tabindex="0"]')
    && getComputedStyle(region).overflowX === 'auto' && !!region.getAttribute('aria-label');
})"""


def _run_scan(service: Service, scan_id: str) -> None:
    """Run a queued scan to its end here, with the stand-in crawl (no real browser crawl)."""
    from consent.scans.jobs import ScanJobs, run_job
    from tests.http.scanning import tracker_crawl

    jobs: ScanJobs = service.app.extensions["consent_scans"]
    real = jobs.crawler
    jobs.crawler = tracker_crawl
    try:
        run_job(service.app, scan_id)
    finally:
        jobs.crawler = real


def _queue_scan(service: Service, key: str) -> str:
    from consent.extensions import db
    from consent.scans.records import create_scan
    from tests.owners import site_by_key

    with service.app.app_context():
        scan_id = create_scan(site_by_key(key).id, [], 3).id
        db.session.commit()
        return scan_id


@pytest.fixture(scope="module")
def scanned(service: Service) -> dict[str, str]:
    """A site of OWNER's (GA only) and a done scan of it that finds leaks and undeclared
    vendors; the site's key and the scan's id."""
    from consent.extensions import db
    from consent.sites.accounts import upsert_user
    from consent.sites.owner import create_site

    with service.app.app_context():
        site = create_site(
            name="Scanned",
            origins=[service.owner],
            vendors={
                "google-analytics": {
                    "category": "performance",
                    "settings": {"measurement_id": "G-SCAN1"},
                }
            },
            privacy_url=f"{service.owner}/privacy",
        )
        upsert_user(OWNER, "owner", PASSWORD, site)
        db.session.commit()
        key = site.site_key
    scan_id = _queue_scan(service, key)
    _run_scan(service, scan_id)
    return {"key": key, "scan": scan_id}


@pytest.fixture(scope="module")
def signed_in(browser: Any, service: Service, scanned: dict[str, str]) -> dict[str, Any]:
    """OWNER's session, signed in once through the admin form (it opens /audit/ too)."""
    return signed_in_state(browser, service.origin, OWNER, PASSWORD)


@pytest.fixture
def phone(browser: Any, signed_in: dict[str, Any]) -> Iterator[Any]:
    """A signed-in page 390 px wide; no CSP violation may happen on it."""
    context = browser.new_context(storage_state=signed_in, viewport=PHONE)
    context.set_default_timeout(10_000)
    context.add_init_script(
        "window.__cspViolations = [];"
        "document.addEventListener('securitypolicyviolation', e => "
        "window.__cspViolations.push(e.violatedDirective));"
    )
    page = context.new_page()
    yield page
    assert page.evaluate("window.__cspViolations") == []
    context.close()


@pytest.mark.parametrize("area", ["admin", "audit"])
def test_results_fit_a_phone_and_axe_finds_nothing(
    phone: Any, service: Service, scanned: dict[str, str], area: str
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    phone.goto(f"{service.origin}/{area}/sites/{scanned['key']}/scans/{scanned['scan']}")
    assert phone.locator("tr[data-finding]").first.get_attribute("data-finding") == "leak"
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    regions = phone.evaluate(TABLES_IN_REGIONS)
    assert len(regions) >= 5 and all(regions)
    results = Axe().run(phone)
    assert results.violations_count == 0, results.generate_report()


def test_a_result_with_long_values_fits_a_phone(
    phone: Any, service: Service, scanned: dict[str, str]
) -> None:
    # A long start URL (a page of the results), the dates and the report hash wrap.
    from consent.extensions import db
    from consent.scans.records import create_scan
    from tests.owners import site_by_key

    long_url = f"{service.owner}/{'a-very-long-path-segment' * 6}?{'q=1&' * 20}"
    with service.app.app_context():
        scan_id = create_scan(site_by_key(scanned["key"]).id, [long_url], 1).id
        db.session.commit()
    _run_scan(service, scan_id)
    phone.goto(f"{service.origin}/admin/sites/{scanned['key']}/scans/{scan_id}")
    assert phone.get_by_text("a-very-long-path-segment", exact=False).first.is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_the_list_fits_a_phone(phone: Any, service: Service, scanned: dict[str, str]) -> None:
    phone.goto(f"{service.origin}/admin/sites/{scanned['key']}/scans")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert all(phone.evaluate(TABLES_IN_REGIONS))


def test_a_queued_scan_is_followed_live_until_its_results_show(
    phone: Any, service: Service, scanned: dict[str, str]
) -> None:
    scan_id = _queue_scan(service, scanned["key"])
    phone.goto(f"{service.origin}/admin/sites/{scanned['key']}/scans/{scan_id}")
    progress = phone.locator("[data-scan-progress-text]")
    assert progress.inner_text().startswith("Queued")
    assert phone.locator("tr[data-finding]").count() == 0
    _run_scan(service, scan_id)
    # The script polls every two seconds and reloads the page once the scan is done.
    phone.locator("button[data-apply-scan]").wait_for()
    assert phone.locator("[data-scan-progress]").count() == 0
    assert phone.locator("[data-scan-status]").inner_text() == "done"
