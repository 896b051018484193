"""The audit UI in a real browser: sign in, search, open a receipt, see the replayed banner.

Uses the session's service and Chromium (tests/browser/conftest.py); axe-core checks
every page for accessibility violations, and no page may cause a CSP violation.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.helpers import Visitor

from . import pages
from .conftest import Service

pytestmark = pytest.mark.xdist_group("browser")

EMAIL = "browser-auditor@example.com"
PASSWORD = "a long browser password"

#: Collects CSP violations the page reports, so a test can assert there were none.
CSP_WATCH = (
    "window.__cspViolations = [];"
    "document.addEventListener('securitypolicyviolation', e => "
    "window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"
)


@pytest.fixture(scope="module")
def recorded(service: Service) -> dict[str, Any]:
    """An auditor of the site with hostile banner texts, and one receipt recorded there."""
    from sqlalchemy import select

    from consent.extensions import db
    from consent.models import Site
    from consent.sites.accounts import upsert_user

    key = service.sites["markup"]
    with service.app.app_context():
        site = db.session.scalar(select(Site).where(Site.site_key == key))
        upsert_user(EMAIL, "auditor", PASSWORD, site)
        db.session.commit()
    visitor = Visitor(service.app.test_client(), key, origin=service.owner)
    return visitor.choose("custom", categories={"performance": True})


@pytest.fixture
def auditor_page(browser: Any, service: Service) -> Iterator[Any]:
    """A fresh browser context on the audit UI, watching for CSP violations."""
    context = browser.new_context()
    context.set_default_timeout(10_000)
    context.route("https://**", lambda route: route.abort("blockedbyclient"))
    context.add_init_script(CSP_WATCH)
    page = context.new_page()
    yield page
    assert page.evaluate("window.__cspViolations") == []
    context.close()


def assert_accessible(page: Any) -> None:
    """No axe-core violation on the page (WCAG 2.x A and AA rules, best practices)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def sign_in(page: Any, service: Service) -> None:
    page.goto(f"{service.origin}/audit/")
    assert "/audit/login" in page.url
    assert_accessible(page)
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Sites", exact=True).wait_for()


def test_sign_in_search_and_replay_a_receipt(
    auditor_page: Any, service: Service, recorded: dict[str, Any]
) -> None:
    page = auditor_page
    sign_in(page, service)
    assert_accessible(page)
    page.get_by_role("link", name="markup").click()
    page.get_by_role("heading", name="Receipts").wait_for()
    page.get_by_label("Subject id").fill(recorded["subject_id"])
    page.get_by_label("Action").select_option("custom")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**action=custom**")
    rows = page.locator("table.receipts tbody tr")
    assert rows.count() == 1
    assert rows.first.locator("td").first.inner_text() == str(recorded["seq"])
    assert_accessible(page)

    page.get_by_role("link", name=f"Open receipt {recorded['seq']}").click()
    replay = page.get_by_role("group", name=pages.HOSTILE_TITLE)
    replay.wait_for()
    # The owner's markup shows as the text it is, and never runs.
    assert replay.locator("[data-replay-text=title]").inner_text() == pages.HOSTILE_TITLE
    description = replay.locator("[data-replay-text=description]").inner_text()
    assert description == pages.HOSTILE_DESCRIPTION
    assert page.evaluate("window.__xss") is None
    performance = replay.locator("[data-replay-category=performance]")
    assert "Recorded: on" in performance.inner_text()
    assert "<svg onload=window.__xss=3>Stats" in performance.inner_text()
    assert "Recorded: off" in replay.locator("[data-replay-category=targeting]").inner_text()
    assert "(chosen)" in replay.locator("[data-replay-text=save]").inner_text()
    assert recorded["hash"] in page.locator("main").inner_text()
    assert_accessible(page)


def test_verify_and_statistics_pages(
    auditor_page: Any, service: Service, recorded: dict[str, Any]
) -> None:
    page = auditor_page
    sign_in(page, service)
    key = service.sites["markup"]
    page.goto(f"{service.origin}/audit/sites/{key}/")
    page.get_by_role("button", name="Verify ledger").click()
    page.get_by_role("heading", name="The ledger is intact").wait_for()
    assert_accessible(page)
    page.get_by_role("link", name="Statistics").click()
    page.get_by_role("img", name="Opt-in rate per category by day").wait_for()
    assert page.locator("svg rect.bar").count() >= 1
    assert_accessible(page)
    page.get_by_role("link", name="Access log").click()
    assert EMAIL in page.locator("table").inner_text()
    assert_accessible(page)


def test_keyboard_users_can_skip_to_the_content(
    auditor_page: Any, service: Service, recorded: dict[str, Any]
) -> None:
    page = auditor_page
    sign_in(page, service)
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "Skip to main content"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
