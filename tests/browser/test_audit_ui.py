"""The audit UI in a real browser: sign in, search, open a receipt, see the banner replayed by
the receipt's own build of the banner code.

Uses the session's service and Chromium (tests/browser/conftest.py); axe-core checks
every page for accessibility violations, and no page may cause a CSP violation.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import Visitor

from . import pages
from .conftest import Service
from .test_banner import UNDER_THE_BUTTONS

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


#: What the older build does first: a mark on its page, so a test can tell which code ran.
OLD_MARK = "document.documentElement.dataset.build='old';"


def marked_bundle(folder: Path) -> Path:
    """A copy of the bundle that sets ``data-build="old"`` on its page: another build."""
    from consent.banner import DIST

    shutil.copytree(DIST, folder)
    code = (folder / "consent.js").read_text(encoding="utf-8")
    opening = "(function(__CONSENT_CONFIG__){\n"
    assert code.count(opening) == 1
    (folder / "consent.js").write_text(code.replace(opening, opening + OLD_MARK + "\n"))
    return folder


@pytest.fixture(scope="module")
def old_receipt(
    service: Service, recorded: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """A receipt recorded while an earlier release served the marked build (another process on
    the same database); the service serves its own build again afterwards."""
    from consent import create_app
    from consent.extensions import db

    bundle = marked_bundle(tmp_path_factory.mktemp("old-release") / "dist")
    same = ("SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "CONSENT_PUBLIC_URL", "CONSENT_STATE_TTL")
    config = {name: service.app.config[name] for name in same}
    older = create_app({**config, "TESTING": True, "CONSENT_BANNER_DIR": str(bundle)})
    older.instance_path = service.app.instance_path
    client = older.test_client()
    key = service.sites["markup"]
    visitor = Visitor(client, key, origin=service.owner)
    build = visitor.config()["build"]
    assert client.get(f"/embed/{key}.js").status_code == 200  # served: the build is recorded
    receipt = visitor.choose("custom", build=build, categories={"performance": True})
    with older.app_context():
        db.engine.dispose()
    assert receipt["banner_build"] == build != recorded.get("banner_build")
    return receipt


def receipt_count(service: Service) -> int:
    """How many receipts the service's ledger holds, all sites."""
    from sqlalchemy import func, select

    from consent.extensions import db
    from consent.models import Receipt

    with service.app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(Receipt)) or 0)


def replay_frame(page: Any, layer: str) -> Any:
    """One replay frame of the receipt page, once its banner has shown (and, for the
    preferences, the recorded choice is on the switches)."""
    frame = page.frame_locator(f"iframe[data-replay-frame={layer}]")
    frame.locator("html[data-replay-ready]").wait_for(state="attached")
    return frame


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
    # The real banner, today's build (the receipt names none), on the version's hostile texts:
    # the owner's markup shows as the text it is, and never runs.
    page.get_by_role("heading", name="Banner as the visitor saw it").wait_for()
    notice = page.locator("[data-replay-notice]").inner_text()
    assert notice == "This receipt predates build recording; shown with today's banner code."
    first = replay_frame(page, "first")
    replay_frame(page, "preferences")
    # The banners took neither the page's focus nor its scroll position.
    assert page.evaluate("[window.scrollY, document.activeElement.tagName]") == [0, "BODY"]
    assert first.locator("[data-consent-banner] h2").inner_text() == pages.HOSTILE_TITLE
    description = first.locator("[data-consent-banner] #cl-desc").inner_text()
    assert description == pages.HOSTILE_DESCRIPTION
    assert first.locator("html[data-build]").count() == 0
    # The first layer: its preferences closed, as a visitor first sees it.
    assert first.locator('[data-consent-banner] [data-consent-action="customize"]').is_visible()
    assert first.locator('[data-consent-banner] [data-consent-action="save"]').is_hidden()
    assert page.evaluate("window.__xss") is None
    # The preferences with the recorded choice on the switches.
    preferences = replay_frame(page, "preferences")
    assert preferences.locator('input[data-consent-category="performance"]').is_checked()
    assert preferences.get_by_text("<svg onload=window.__xss=3>Stats").is_visible()
    # Its vendors named, without today's cookie declaration (#21 item 5): the receipt's
    # version is replayed, not what the service declares today (nor asked: no CSP violation).
    assert "Google Analytics" in preferences.locator("#cl-cat-performance-desc").inner_text()
    assert preferences.locator("[data-consent-banner] details").count() == 0
    # Scrolled part way, nothing of the categories shows under the buttons: their footer
    # covers the dialog's bottom padding.
    dialog = preferences.locator("[data-consent-banner]")
    scrolled = dialog.evaluate(
        "d => { d.scrollTop = (d.scrollHeight - d.clientHeight) / 2; return d.scrollTop; }"
    )
    assert scrolled > 0
    assert dialog.evaluate(UNDER_THE_BUTTONS)["found"] == []
    # What was chosen, in plain text beside the frames.
    assert page.locator("[data-recorded=action]").inner_text() == "custom"
    assert recorded["hash"] in page.locator("main").inner_text()
    assert_accessible(page)


def test_replay_of_an_old_receipt_runs_the_old_build(
    auditor_page: Any, service: Service, old_receipt: dict[str, Any]
) -> None:
    page = auditor_page
    sign_in(page, service)
    key = service.sites["markup"]
    page.goto(f"{service.origin}/audit/sites/{key}/receipts/{old_receipt['receipt_id']}")
    build = old_receipt["banner_build"]
    assert page.locator("[data-replay-notice]").count() == 0
    link = page.locator("a[data-build-code]")
    assert link.get_attribute("href") == f"/embed/builds/{build}.js"
    for layer in ("first", "preferences"):
        frame = replay_frame(page, layer)
        # The old build's code ran (its mark), on the version's texts.
        assert frame.locator("html[data-build=old]").count() == 1
        assert frame.locator("[data-consent-banner] h2").inner_text() == pages.HOSTILE_TITLE
    preferences = replay_frame(page, "preferences")
    assert preferences.locator('input[data-consent-category="performance"]').is_checked()
    # A replay records nothing: a click is refused a connection by the page's CSP.
    before = receipt_count(service)
    first = replay_frame(page, "first")
    first.locator('[data-consent-banner] [data-consent-action="accept-all"]').click()
    frame = page.locator("iframe[data-replay-frame=first]").element_handle().content_frame()
    frame.wait_for_function("() => window.__cspViolations.length > 0")
    assert frame.evaluate("window.__cspViolations")[0].startswith("connect-src")
    assert receipt_count(service) == before


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
    # The commands to copy never break an option's name at its hyphens (a "-" / "-key" line).
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        lines = page.locator("pre .opt").evaluate_all(
            "spans => spans.map(s => s.getClientRects().length)"
        )
        assert lines and set(lines) == {1}, (width, lines)
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
