"""The admin and audit pages as people read them, in Chromium: every table fits a 390 px phone
without the page scrolling sideways (a table scrolls in its own focusable region), the
landing page fits too, timestamps show in the viewer's time zone, the receipts filter reads
"Category … was granted / refused", and the erase confirmation's box sits by its label."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from consent.core.times import MONTHS
from tests.helpers import Visitor

from .conftest import Service, signed_in_state

pytestmark = pytest.mark.xdist_group("browser")

OWNER = "phone-owner@example.com"
PASSWORD = "a long phone-width password"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

#: An origin wider than a phone's screen in one unbroken word.
LONG_ORIGIN = "https://www.thebakerywitharatherlongnameinamsterdam.example"

#: The pages of issue 19's item 9: each holds at least one table.
TABLE_PAGES = [
    "/admin/",
    "/admin/sites/{key}/versions",
    "/admin/sites/{key}/tokens",
    "/admin/sites/{key}/users",
    "/audit/sites/{key}/",
    "/audit/sites/{key}/stats",
    "/audit/sites/{key}/access-log",
    "/audit/sites/{key}/policies/",
]

#: Every table sits in a named, focusable scroll region of its own.
TABLES_IN_REGIONS = """() => [...document.querySelectorAll('main table')].map(table => {
  const region = table.parentElement;
  return region.matches('.table-scroll[role=region][tabindex="0"]')
    && getComputedStyle(region).overflowX === 'auto' && !!region.getAttribute('aria-label');
})"""


@pytest.fixture(scope="module")
def owned(service: Service) -> dict[str, Any]:
    """A site of OWNER's with two versions, a token, a long subject id's receipts; its key,
    the subject and the first receipt."""
    from consent.extensions import db
    from consent.sites.accounts import create_api_token, upsert_user
    from consent.sites.owner import create_site
    from consent.sites.versions import publish_draft
    from tests.owners import revise_draft

    with service.app.app_context():
        site = create_site(
            name="Phone width",
            # A long origin too: pages that list the origins must still fit (the scan form's
            # hint names them and the default start pages).
            origins=[service.owner, LONG_ORIGIN],
            vendors={
                "google-analytics": {
                    "category": "performance",
                    "settings": {"measurement_id": "G-PHONE1"},
                },
                "linkedin-insight": {"category": "targeting", "settings": {"partner_id": "42"}},
            },
            privacy_url=f"{service.owner}/privacy",
        )
        revise_draft(site)
        publish_draft(site, requires_reconsent=False)
        upsert_user(OWNER, "owner", PASSWORD, site)
        create_api_token(site, "auditor", "the data protection officer's quarterly export")
        db.session.commit()
        key = site.site_key
    visitor = Visitor(service.app.test_client(), key, origin=service.owner)
    first = visitor.choose("custom", categories={"performance": True})
    visitor.choose("reject_all")
    visitor.choose("accept_all")
    return {"key": key, "receipt": first}


@pytest.fixture(scope="module")
def signed_in(browser: Any, service: Service, owned: dict[str, Any]) -> dict[str, Any]:
    """OWNER's session, signed in once through the admin form (it opens /audit/ too)."""
    return signed_in_state(browser, service.origin, OWNER, PASSWORD)


@pytest.fixture
def open_page(browser: Any, signed_in: dict[str, Any]) -> Iterator[Any]:
    """``open_page(viewport, timezone)``: a signed-in page; no CSP violation may happen."""
    contexts: list[Any] = []

    def make(viewport: dict[str, int], timezone: str = "UTC") -> Any:
        context = browser.new_context(
            storage_state=signed_in, viewport=viewport, timezone_id=timezone
        )
        context.set_default_timeout(10_000)
        context.add_init_script(
            "window.__cspViolations = [];"
            "document.addEventListener('securitypolicyviolation', e => "
            "window.__cspViolations.push(e.violatedDirective));"
        )
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        for page in context.pages:
            assert page.evaluate("window.__cspViolations") == []
        context.close()


@pytest.mark.parametrize(
    "path",
    [
        *TABLE_PAGES,
        "/",
        "/audit/sites/{key}/subjects/{subject}",
        "/admin/sites/{key}/",
        "/admin/sites/{key}/scans",
        "/admin/sites/{key}/settings",
    ],
)
def test_pages_fit_a_phone(
    open_page: Any, service: Service, owned: dict[str, Any], path: str
) -> None:
    page = open_page(PHONE)
    url = path.format(key=owned["key"], subject=owned["receipt"]["subject_id"])
    page.goto(service.origin + url)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], url
    regions = page.evaluate(TABLES_IN_REGIONS)
    assert all(regions), url
    if path in TABLE_PAGES:
        assert regions, url


def test_the_statistics_charts_stay_legible_on_a_phone(
    open_page: Any, service: Service, owned: dict[str, Any]
) -> None:
    # Scaled to a phone's width a chart's labels would be 6 px: it keeps its size and
    # scrolls sideways in a named, focusable region, as a wide table does.
    page = open_page(PHONE)
    page.goto(f"{service.origin}/audit/sites/{owned['key']}/stats")
    charts = page.locator("svg.chart")
    assert charts.count() == 2
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    heights = page.evaluate(
        "() => [...document.querySelectorAll('svg.chart text.tick')]"
        ".map(t => t.getBoundingClientRect().height)"
    )
    assert heights and min(heights) >= 9, heights
    in_regions = charts.evaluate_all(
        "cs => cs.map(c => c.parentElement.matches('.table-scroll[role=region][tabindex=\"0\"]'))"
    )
    assert in_regions == [True, True]


def test_a_wide_table_scrolls_in_its_region_by_keyboard(
    open_page: Any, service: Service, owned: dict[str, Any]
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    page = open_page(PHONE)
    page.goto(f"{service.origin}/audit/sites/{owned['key']}/")
    region = page.get_by_role("region", name="Receipts")
    assert region.evaluate("r => r.scrollWidth > r.clientWidth")  # wider than the phone
    region.focus()
    page.keyboard.press("ArrowRight")
    region.evaluate("r => new Promise(done => r.scrollLeft > 0 ? done() : r.onscroll = done)")
    assert region.evaluate("r => r.scrollLeft") > 0
    assert page.evaluate("window.scrollX") == 0
    results = Axe().run(page)  # scrollable-region-focusable among the rules
    assert results.violations_count == 0, results.generate_report()


@pytest.mark.parametrize(
    "path", ["/audit/sites/{key}/", "/audit/sites/{key}/receipts/{receipt_id}"]
)
def test_timestamps_show_in_the_viewers_time_zone(
    open_page: Any, service: Service, owned: dict[str, Any], path: str
) -> None:
    receipt = owned["receipt"]
    page = open_page(DESKTOP, "Asia/Kathmandu")  # UTC+05:45 all year: no summer time
    page.goto(service.origin + path.format(key=owned["key"], **receipt))
    stamp = page.locator(f'time[datetime="{receipt["created_at"]}"]').first
    local = datetime.fromisoformat(receipt["created_at"]) + timedelta(hours=5, minutes=45)
    expected = f"{local.day} {MONTHS[local.month - 1]} {local.year}, {local:%H:%M:%S} GMT+5:45"
    assert stamp.inner_text() == expected
    assert stamp.get_attribute("title") == receipt["created_at"]  # the exact value stays


def test_timestamps_in_the_admin_too(
    open_page: Any, service: Service, owned: dict[str, Any]
) -> None:
    page = open_page(DESKTOP, "America/Sao_Paulo")  # UTC-3 all year
    page.goto(f"{service.origin}/admin/sites/{owned['key']}/versions")
    stamps = page.locator("time[data-local-time]")
    assert stamps.count() == 2
    for text in stamps.all_inner_texts():
        assert text.endswith(" GMT-3"), text


def test_category_and_granted_read_as_one_filter(
    open_page: Any, service: Service, owned: dict[str, Any]
) -> None:
    page = open_page(DESKTOP)
    page.goto(f"{service.origin}/audit/sites/{owned['key']}/")
    choice = page.get_by_role("group", name="Choice of a category")
    category, was = choice.get_by_label("Category"), choice.get_by_label("was")
    words = [choice.get_by_text(word, exact=True) for word in ("Category", "was")]
    parts = [*words, category, was]
    rows = {round(part.bounding_box()["y"] + part.bounding_box()["height"] / 2) for part in parts}
    assert max(rows) - min(rows) <= 4  # one line: "Category [targeting] was [refused]"
    category.select_option("targeting")
    was.select_option("refused")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**granted=false**")
    assert page.locator("[data-receipt-count]").inner_text() == "2 receipts match."
    assert page.locator("table.receipts tbody tr").count() == 2


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP])
def test_the_erase_box_sits_by_its_label(
    open_page: Any, service: Service, owned: dict[str, Any], viewport: dict[str, int]
) -> None:
    page = open_page(viewport)
    subject = owned["receipt"]["subject_id"]
    page.goto(f"{service.origin}/audit/sites/{owned['key']}/subjects/{subject}")
    box = page.get_by_label("The visitor asked for it").bounding_box()
    text = page.evaluate(
        """() => {
          const label = document.querySelector('input[name=confirm]').closest('label');
          const walker = document.createTreeWalker(label, NodeFilter.SHOW_TEXT,
            { acceptNode: n => n.textContent.trim() ? NodeFilter.FILTER_ACCEPT : NodeFilter.FILTER_SKIP });
          const range = document.createRange();
          range.selectNodeContents(walker.nextNode());
          const first = range.getClientRects()[0];
          return { left: first.left, top: first.top, bottom: first.bottom };
        }"""
    )
    assert box["width"] <= 24  # a box, not a 10rem-wide field with a box in its middle
    gap = text["left"] - (box["x"] + box["width"])
    assert 0 <= gap <= 16, gap  # beside it, not a column away
    middle = box["y"] + box["height"] / 2
    assert text["top"] <= middle <= text["bottom"]  # on the label's first line
