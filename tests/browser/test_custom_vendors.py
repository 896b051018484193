"""Custom vendors in Chromium (#21 item 3): the owner's own vendor shows in the preferences
under its category with its name; its script, on its own host (intercepted here), is held
back by auto-blocking until its category is allowed; its first-party cookies are deleted on
withdrawal on the page's host and its parent domains, and a strictly necessary one stays."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from werkzeug.wrappers import Request, Response

from .conftest import Service, Visit, _Server

# One browser per session: xdist (--dist loadgroup) keeps these tests on one worker.
pytestmark = pytest.mark.xdist_group("browser")

CHAT_HOST = "cdn.acmechat.test"
CHAT_SCRIPT = f"https://{CHAT_HOST}/widget.js"
#: The owner's vendors: a chat widget of their own choice, and their own cart cookie.
OWN_VENDORS: dict[str, Any] = {
    "acme-chat": {
        "category": "functionality",
        "settings": {},
        "custom": {
            "name": "Acme Chat",
            "hosts": {"script": [CHAT_HOST], "frame": [], "beacon": []},
            "cookies": [
                {
                    "name": "acme_chat_id",
                    "purpose": {"en": "Keeps your chat open between pages"},
                    "duration_days": 30,
                },
                {
                    "name": "acme_s",
                    "pattern": "acme_s*",
                    "purpose": {"en": "The chat session"},
                    "duration_days": "session",
                },
            ],
        },
    },
    "cart": {
        "category": "necessary",
        "custom": {
            "name": "Shop cart",
            "cookies": [{"name": "cart", "purpose": {"en": "Keeps your cart"}, "duration_days": 7}],
        },
    },
}
#: What the chat's script does when it runs: counts its runs, sets its first-party cookie.
CHAT_JS = (
    "window.__chatRuns = (window.__chatRuns || 0) + 1; document.cookie = 'acme_chat_id=1; path=/';"
)


@dataclass
class OwnSite:
    """The owner's server of the page and its site's key."""

    origin: str
    key: str

    def url(self, host: str = "127.0.0.1") -> str:
        return self.origin.replace("127.0.0.1", host) + "/chat.html"


def _owner_app(service: str, key: str) -> Any:
    page = (
        '<!doctype html><html lang="en"><head>'
        f'<script src="{html.escape(service)}/embed/{key}.js"></script>'
        '<meta charset="utf-8"><title>Shop</title>'
        f'<script src="{CHAT_SCRIPT}"></script>'
        "</head><body><h1>Shop</h1></body></html>"
    )

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        path = Request(environ).path
        response = (
            Response(page, mimetype="text/html")
            if path == "/chat.html"
            else Response("not found", status=404)
        )
        return response(environ, start_response)

    return app


@pytest.fixture(scope="module")
def own_site(service: Service) -> Iterator[OwnSite]:
    """A site (auto-blocking on) whose owner defined the vendors through the owner API."""
    from consent.extensions import db
    from consent.sites.owner import create_site
    from tests.owners import OwnerApi, mint

    server = _Server()
    origins = [server.origin, server.origin.replace("127.0.0.1", "www.shop.localhost")]
    with service.app.app_context():
        site = create_site(
            name="Own", origins=origins, vendors={}, privacy_url=f"{server.origin}/privacy"
        )
        key = site.site_key
        db.session.commit()
    owner = OwnerApi(service.app.test_client(), key, mint(service.app, key, "owner"))
    draft = owner.draft()
    draft["vendors"] = OWN_VENDORS
    owner.put_draft(draft)
    owner.publish()
    server.start(_owner_app(service.origin, key))
    yield OwnSite(server.origin, key)
    server.stop()


def _open(visit: Visit, url: str) -> Any:
    """The chat's host answered by its stub; the page loaded, its changes counted."""
    visit.context.route(
        re.compile(rf"^https://{re.escape(CHAT_HOST)}/"),
        lambda route: route.fulfill(status=200, content_type="text/javascript", body=CHAT_JS),
    )
    page = visit.page
    page.goto(url, wait_until="domcontentloaded")
    page.evaluate(
        "() => { window.__changes = 0; if (window.Consent) "
        "window.Consent.on('change', () => { window.__changes += 1; }); }"
    )
    visit.banner().wait_for()
    return page


def test_the_preferences_show_own_vendors_under_their_categories(
    visit: Visit, own_site: OwnSite
) -> None:
    page = _open(visit, own_site.url())
    visit.preferences()
    functionality = page.locator("[data-consent-banner] #cl-cat-functionality-desc")
    assert "Acme Chat" in functionality.inner_text()
    assert "Shop cart" in page.locator("[data-consent-banner] #cl-cat-necessary-desc").inner_text()
    assert visit.switch("functionality").is_enabled()
    assert visit.switch("necessary").is_disabled()
    # Nothing to consent to in the other categories: no switch.
    assert visit.switch("targeting").count() == 0


def test_auto_blocking_holds_the_own_script_until_its_category_is_allowed(
    visit: Visit, own_site: OwnSite
) -> None:
    page = _open(visit, own_site.url())
    page.wait_for_load_state("load")
    assert page.evaluate("window.__chatRuns") is None
    visit.choose("reject-all")
    assert page.evaluate("window.__chatRuns") is None
    assert "acme_chat_id" not in visit.cookies()
    # Allowing its category releases it: it runs once, and may set its cookie.
    visit.call("Consent.save({functionality: true})")
    page.wait_for_function("() => window.__chatRuns === 1")
    assert "acme_chat_id" in visit.cookies()
    visit.call("Consent.acceptAll()")
    page.wait_for_timeout(300)
    assert page.evaluate("window.__chatRuns") == 1


def test_withdrawal_deletes_own_cookies_on_the_host_and_its_parents(
    visit: Visit, own_site: OwnSite
) -> None:
    url = own_site.url("www.shop.localhost")
    visit.context.add_cookies(
        [
            {"name": "acme_chat_id", "value": "1", "domain": ".shop.localhost", "path": "/"},
            {"name": "acme_s123", "value": "1", "domain": ".www.shop.localhost", "path": "/"},
            {"name": "acme_s9", "value": "1", "url": url},
            {"name": "cart", "value": "1", "domain": ".shop.localhost", "path": "/"},
            {"name": "keep", "value": "1", "domain": ".shop.localhost", "path": "/"},
        ]
    )
    _open(visit, url)
    assert {"acme_chat_id", "acme_s123", "acme_s9", "cart", "keep"} <= set(visit.cookies())
    visit.call("Consent.withdraw()")
    # The strictly necessary cart stays, as does what no vendor declares.
    assert set(visit.cookies()) == {"cart", "keep", "consent_token"}
