"""The cookie declaration on the owner's page (#18 item 5): an element
``[data-consent-declaration]`` gets accessible tables in the page's language, under the
strict CSP, with owner texts as text; a page without it asks for nothing.

The owner's pages (tests/browser/pages.py) carry DESIGN.md's strict CSP.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from consent.core.times import iso_ms
from consent.extensions import db
from consent.models import utcnow
from consent.scans.records import create_scan, mark_done, mark_running
from tests.owners import site_by_key

from .conftest import Service, Visit

pytestmark = pytest.mark.xdist_group("browser")

DUTCH_HEADERS = ["Naam", "Aanbieder", "Doel", "Bewaartermijn", "Soort"]

#: Every table of the declaration: its caption, column headers and rows (row header first).
TABLES = """() => [...document.querySelectorAll('[data-consent-declaration] table')].map(t => ({
  caption: t.caption.textContent,
  headers: [...t.tHead.rows[0].cells].map(c => [c.tagName, c.scope, c.textContent]),
  rows: [...t.tBodies[0].rows].map(r => [...r.cells].map(c => c.textContent)),
  rowHeaders: [...t.tBodies[0].rows].map(r => r.cells[0].tagName + ' ' + r.cells[0].scope),
}))"""


def _declared(visit: Visit, name: str) -> list[dict[str, Any]]:
    """Open the owner's page and wait until the declaration's tables are in it."""
    visit.open(name)
    visit.page.locator("[data-consent-declaration] table").first.wait_for()
    tables: list[dict[str, Any]] = visit.page.evaluate(TABLES)
    return tables


def _store_scan(service: Service, site: str) -> None:
    """A done scan of ``site`` that saw _ga for 400 days and a cookie no vendor explains."""
    cookie = {
        "domain": "127.0.0.1",
        "path": "/",
        "first_party": True,
        "session": False,
        "expires": None,
        "secure": False,
        "http_only": False,
        "same_site": "Lax",
        "pages": [],
    }
    seen = [
        {
            **cookie,
            "name": "_ga",
            "duration_days": 400,
            "vendor": "google-analytics",
            "category": "performance",
        },
        {**cookie, "name": "mystery<b>", "duration_days": 3, "vendor": None, "category": None},
    ]
    empty = {"cookies": [], "storage": [], "requests": []}
    with service.app.app_context():
        row = site_by_key(service.sites[site])
        scan = create_scan(row.id, [service.owner], 1)
        db.session.commit()
        assert mark_running(scan.id, utcnow() - timedelta(seconds=5))
        report = {
            "scan_id": scan.id,
            "status": "done",
            "finished_at": iso_ms(utcnow()),
            "states": {
                "none": empty,
                "reject_all": empty,
                "accept_all": {**empty, "cookies": seen},
            },
        }
        assert mark_done(scan.id, report, utcnow())


def test_a_dutch_page_gets_dutch_tables_with_the_right_rows(visit: Visit) -> None:
    _store_scan(visit.service, "tags")
    tables = _declared(visit, "declaration-nl.html")
    captions = [t["caption"] for t in tables]
    assert captions[0].startswith("Cookies: Strikt noodzakelijk")
    assert captions[1].startswith("Cookies: Prestaties")
    assert captions[-1].startswith("Cookies: Niet ingedeeld")
    assert len(tables) == 6  # five categories and the unclassified
    for table in tables:
        assert table["headers"] == [["TH", "col", word] for word in DUTCH_HEADERS]
    performance = {row[0]: row for row in tables[1]["rows"]}
    assert list(performance) == ["_ga", "_ga_*", "_gid", "_gat*", "_gac_*"]
    assert performance["_ga"] == [
        "_ga",
        "Google",
        "Onderscheidt bezoekers",
        "400 dagen",
        "HTTP-cookie, eigen",
    ]
    assert performance["_gid"][3] == "24 uur"  # not seen by the scan: the typical duration
    assert all(h == "TH row" for h in tables[1]["rowHeaders"])
    targeting = {row[0]: row for row in tables[3]["rows"]}
    assert targeting["bcookie"][1:] == [
        "LinkedIn",
        "Herkent de browser",
        "1 jaar",
        "HTTP-cookie, derde partij",
    ]
    assert "_fbp" in targeting
    assert tables[4]["rows"] == [["Geen cookies in deze categorie."]]  # social: none
    # A cookie no vendor explains, its name as text (never markup).
    assert tables[5]["rows"] == [
        ["mystery<b>", "127.0.0.1", "Onbekend", "3 dagen", "HTTP-cookie, eigen"]
    ]
    element = visit.page.locator("[data-consent-declaration]")
    assert element.get_attribute("lang") == "nl"
    assert element.locator("b").count() == 0
    assert visit.page.evaluate("window.__cspViolations") == []
    assert visit.errors == []
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(visit.page, context="[data-consent-declaration]")
    assert results.violations_count == 0, results.generate_report()


def test_owner_texts_stay_text(visit: Visit) -> None:
    tables = _declared(visit, "declaration-markup.html")
    assert tables[1]["caption"].startswith("Cookies: <svg onload=window.__xss=3>Stats")
    assert visit.page.evaluate("window.__xss") is None
    assert visit.page.locator("[data-consent-declaration] svg").count() == 0


def test_a_page_without_the_element_asks_for_no_declaration(visit: Visit) -> None:
    visit.open("csp.html")
    visit.banner().wait_for()
    visit.page.wait_for_load_state("networkidle")
    asked = [r.url for r in visit.requests if "declaration" in r.url]
    assert asked == []
    assert any(r.url.startswith(f"{visit.service.origin}/embed/") for r in visit.requests)


@pytest.mark.parametrize(
    "sink", ["innerHTML", "outerHTML", "insertAdjacentHTML", "eval(", ".write("]
)
def test_the_declaration_script_has_no_html_or_eval_sinks(sink: str) -> None:
    script = Path(__file__).resolve().parents[2] / "static/banner/dist/declaration.js"
    assert sink not in script.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "path", ["/demo/privacy?lang=nl", "/demo/example/bconnect/cookies?lang=nl"]
)
def test_the_demo_policy_pages_show_the_declaration(visit: Visit, path: str) -> None:
    from consent.demo.examples import load_example
    from consent.demo.server import ensure_demo_site

    service = visit.service
    with service.app.app_context():
        ensure_demo_site(service.origin)
        load_example("bconnect", service.origin)
    visit.page.goto(f"{service.origin}{path}", wait_until="domcontentloaded")
    visit.page.locator("[data-consent-declaration] table").first.wait_for()
    tables = visit.page.evaluate(TABLES)
    assert tables[0]["caption"].startswith("Cookies: ")
    assert [h[2] for h in tables[0]["headers"]] == DUTCH_HEADERS
    assert "consent_token" in [row[0] for row in tables[0]["rows"]]
    assert visit.page.evaluate("window.__cspViolations") == []
    assert visit.errors == []


#: At a phone's width: the page's and each table's region's widths, and each caption's box
#: against its region's, before and after the region is scrolled to its end.
PHONE = """() => {
  const tables = [...document.querySelectorAll('[data-consent-declaration] table')];
  const captions = () => tables.map(t => {
    const region = t.parentElement.getBoundingClientRect();
    const box = t.caption.getBoundingClientRect();
    return {
      text: t.caption.textContent.slice(0, 40),
      fits: t.caption.scrollWidth <= t.caption.clientWidth,
      inside: box.left >= region.left - 0.5 && box.right <= region.right + 0.5,
      onScreen: box.left >= -0.5 && box.right <= innerWidth + 0.5,
    };
  });
  const start = captions();
  const regions = tables.map(t => {
    const r = t.parentElement;
    r.scrollLeft = r.scrollWidth;
    return {
      role: r.getAttribute('role'), label: r.getAttribute('aria-label'),
      tabindex: r.getAttribute('tabindex'), scrolls: r.scrollWidth > r.clientWidth,
    };
  });
  return {page: document.documentElement.scrollWidth, start, end: captions(), regions};
}"""


def test_the_declaration_reads_on_a_phone(visit: Visit) -> None:
    from consent.demo.server import ensure_demo_site

    service = visit.service
    with service.app.app_context():
        ensure_demo_site(service.origin)
    visit.page.set_viewport_size({"width": 390, "height": 844})
    visit.page.goto(f"{service.origin}/demo/privacy?lang=nl", wait_until="domcontentloaded")
    visit.page.locator("[data-consent-declaration] table").first.wait_for()
    phone = visit.page.evaluate(PHONE)
    # The page does not scroll sideways: each table does, in a region of its own, named as
    # its caption and focusable (a keyboard scrolls it).
    assert phone["page"] <= 390
    assert len(phone["regions"]) >= 5
    for region, caption in zip(phone["regions"], phone["start"], strict=True):
        assert region["role"] == "region" and region["tabindex"] == "0"
        assert caption["text"].startswith(region["label"])
    assert any(region["scrolls"] for region in phone["regions"])
    # Each caption (title and description) wraps in view, and stays there as its table scrolls.
    for caption in phone["start"] + phone["end"]:
        assert caption["fits"] and caption["inside"] and caption["onScreen"], caption
    assert visit.page.evaluate("window.__cspViolations") == []
    assert visit.errors == []
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(visit.page, context="[data-consent-declaration]")
    assert results.violations_count == 0, results.generate_report()
