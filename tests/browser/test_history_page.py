"""The visitor's history page (``/me?format=html``) in Chromium: readable at phone and desktop
width without sideways scrolling, no axe-core violation, no CSP violation, and the owner's
texts shown as text."""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest

from tests.helpers import Visitor

from .conftest import Service
from .test_audit_ui import CSP_WATCH, assert_accessible

pytestmark = pytest.mark.xdist_group("browser")


@pytest.fixture(scope="module")
def history_url(service: Service) -> str:
    """The history page of a visitor of the site with hostile texts, after three choices."""
    key = service.sites["markup"]
    visitor = Visitor(service.app.test_client(), key, origin=service.owner)
    visitor.choose("accept_all")
    visitor.choose("custom", categories={"performance": True}, language="nl")
    visitor.choose("withdraw", headers={"Sec-GPC": "1"})
    assert visitor.token is not None
    query = urllib.parse.urlencode({"token": visitor.token, "format": "html"})
    return f"{service.origin}/api/v1/sites/{key}/me?{query}"


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh context that stays on loopback and records CSP violations."""
    context = browser.new_context()
    context.set_default_timeout(10_000)
    context.route("https://**", lambda route: route.abort("blockedbyclient"))
    context.add_init_script(CSP_WATCH)
    page = context.new_page()
    yield page
    assert page.evaluate("window.__cspViolations") == []
    context.close()


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1280, 800)])
@pytest.mark.parametrize("lang", ["en", "nl"])
def test_the_history_page_is_accessible_and_fits(
    page: Any, history_url: str, width: int, height: int, lang: str
) -> None:
    page.set_viewport_size({"width": width, "height": height})
    response = page.goto(f"{history_url}&lang={lang}")
    assert response.status == 200
    assert page.locator("html").get_attribute("lang") == lang
    assert page.locator("li[data-receipt]").count() == 3
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    assert_accessible(page)


def test_owner_texts_stay_text(page: Any, history_url: str) -> None:
    page.goto(f"{history_url}&lang=en")
    allowed = page.locator('[data-history="allowed"]').first.inner_text()
    assert "<svg onload=window.__xss=3>Stats" in allowed
    assert page.evaluate("window.__xss") is None
    assert page.locator("main svg").count() == 0


def test_the_demo_page_links_a_visitor_to_their_history(page: Any, service: Service) -> None:
    from consent.extensions import db
    from consent.sites.owner import create_site

    with service.app.app_context():
        key = create_site(
            name="Demo bakery", origins=[service.origin], vendors={}, language="en",
            privacy_url=f"{service.origin}/demo/privacy",
        ).site_key  # fmt: skip
        db.session.commit()
    page.goto(f"{service.origin}/demo/{key}")
    # Before any choice, the link says so in the page's own words.
    said: list[str] = []
    page.once("dialog", lambda dialog: (said.append(dialog.message), dialog.dismiss()))
    page.get_by_role("link", name="My consent history").click()
    assert said == ["No consent recorded yet."]
    page.locator('[data-consent-banner] [data-consent-action="accept-all"]').click()
    page.locator("#demo-choice").filter(has_text="performance").wait_for()
    page.get_by_role("link", name="My consent history").click()
    page.wait_for_url("**/me?format=html*")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("li[data-receipt]").count() == 1
