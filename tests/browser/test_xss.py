"""Stored XSS in the real browser: hostile text in every place an outsider or an owner can put
it (banner texts of every key in en and nl, the site name, a token label, the page URL and
user agent of a receipt, the path and query of an audited request) runs nowhere — not in the
banner on the owner's page, not in the admin UI (its preview frame included), not in the
audit UI — and shows as the text it is."""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.browser.conftest import Service, _Server
from tests.helpers import Visitor

pytestmark = pytest.mark.xdist_group("browser")

#: Each payload sets ``window.__xss`` (or opens a dialog) if it ever runs.
PAYLOADS = (
    "<script>window.__xss=1</script>",
    '"><img src=x onerror="window.__xss=2">',
    "'><svg onload=window.__xss=3>",
    "javascript:window.__xss=4",
    "</script><script>window.__xss=5</script>",
    "\u2028\u2029';window.__xss=6;//",
    "<!--<script>window.__xss=7</script>-->",
    '<iframe srcdoc="<script>parent.__xss=8</script>"></iframe>',
    "<img src=x onerror=alert(9)>",
    "{{7*7}}${7*7}<a href=javascript:window.__xss=10>link</a>",
)
HOSTILE = " ".join(PAYLOADS)
#: A hostile page URL as a visitor's browser may report it (no spaces are allowed).
PAGE_URL_PATH = '/"><img/src=x/onerror=window.__xss=11></script><script>window.__xss=12</script>'
#: Markup in a URL path segment (no slash, which would make it another route).
PATH_MARKUP = PAYLOADS[1] + PAYLOADS[2]
#: A token label (labels are cut at 200 characters).
LABEL = f"label {PAYLOADS[0]}{PAYLOADS[1]}{PAYLOADS[8]}"
EMAIL = "xss-owner@example.com"
PASSWORD = "a long xss test password"

#: The banner's page on the owner's site, with a blocked iframe (for the placeholder text).
_OWNER_PAGE = (
    '<!doctype html><html lang="{lang}"><head><script src="{service}/embed/{key}.js"></script>'
    '<meta charset="utf-8"><title>Owner</title></head><body><h1>Owner</h1>'
    '<iframe data-consent-vendor="vimeo" data-src="https://player.vimeo.com/video/1"'
    ' title="Video"></iframe></body></html>'
)


@dataclass
class Hostile:
    """The hostile site, the owner's pages that embed it, and what was recorded there."""

    key: str
    owner: str
    receipt: dict[str, Any]
    auditor: str
    auditor_id: int
    scan_id: str

    def read_with_markup(self, service: Service) -> None:
        """An audited read whose path and query carry markup (the access log shows both)."""
        path = urllib.parse.quote(PATH_MARKUP, safe="")
        service.app.test_client().get(
            f"/api/v1/audit/sites/{self.key}/subjects/{path}",
            query_string={"action": HOSTILE},
            headers={"Authorization": f"Bearer {self.auditor}"},
        )


#: The id of the hostile site's own vendor.
OWN_VENDOR = "chat"


def _own_vendor() -> dict[str, Any]:
    purpose = {lang: f"{lang}.purpose {HOSTILE}" for lang in ("en", "nl", "de", "fr")}
    return {
        "category": "functionality",
        "settings": {},
        "custom": {
            "name": "Chat <script>window.__xss=1</script><img src=x onerror=alert(1)>",
            "hosts": {"script": ["chat.hostile.test"], "frame": [], "beacon": []},
            "cookies": [
                {"name": "chat_id", "pattern": None, "purpose": purpose, "duration_days": 30}
            ],
            "privacy_policy_url": None,
        },
    }


def _texts(draft_texts: dict[str, Any]) -> dict[str, Any]:
    """Every text key of every language: its name, then every payload."""
    texts: dict[str, Any] = {}
    for lang, words in draft_texts.items():
        texts[lang] = {key: f"{lang}.{key} {HOSTILE}" for key in words if key != "categories"}
        texts[lang]["categories"] = {
            cat: {part: f"{lang}.{cat}.{part} {HOSTILE}" for part in ("title", "description")}
            for cat in words["categories"]
        }
    return texts


@pytest.fixture(scope="module")
def hostile(service: Service) -> Iterator[Hostile]:
    """A site whose owner wrote markup everywhere, and receipts and reads full of it."""

    from werkzeug.wrappers import Request, Response

    from consent.extensions import db
    from consent.sites.accounts import create_api_token, upsert_user
    from consent.sites.owner import create_site
    from consent.sites.versions import publish_draft

    def pages(environ: dict[str, Any], start_response: Any) -> Any:
        lang = "nl" if "nl" in Request(environ).path else "en"
        body = _OWNER_PAGE.format(lang=lang, service=service.origin, key=state["key"])
        return Response(body, mimetype="text/html")(environ, start_response)

    state: dict[str, str] = {}
    server = _Server()
    server.start(pages)
    with service.app.app_context():
        site = create_site(
            name=f"Shop {HOSTILE}",
            origins=[server.origin],
            vendors={
                "google-analytics": {
                    "category": "performance",
                    "settings": {"measurement_id": "G-XSS1"},
                },
                "vimeo": {"category": "targeting", "settings": {}},
            },
            language="en",
            privacy_url=f"{server.origin}/privacy",
        )
        draft = dict(site.draft)
        draft["texts"] = _texts(draft["texts"])
        # A vendor of the owner's own, named and explained with markup.
        draft["vendors"] = {**draft["vendors"], OWN_VENDOR: _own_vendor()}
        site.draft = draft  # as stored (the texts would not pass validation: no {vendor})
        publish_draft(site, requires_reconsent=False)
        upsert_user(EMAIL, "owner", PASSWORD, site)
        row, auditor = create_api_token(site, "auditor", LABEL)
        state["key"] = site.site_key
        db.session.commit()
        state["token_id"] = str(row.id)
    key = state["key"]
    client = service.app.test_client()
    visitor = Visitor(client, key, origin=server.origin)
    receipt = visitor.choose(
        "custom",
        categories={"performance": True},
        page_url=server.origin + PAGE_URL_PATH,
        headers={"User-Agent": HOSTILE, "X-Forwarded-For": HOSTILE, "Client-IP": HOSTILE},
    )
    scan_id = _hostile_scan(service, key, server.origin)
    yield Hostile(key, server.origin, receipt, auditor, int(state["token_id"]), scan_id)
    server.stop()


def _hostile_scan(service: Service, key: str, origin: str) -> str:
    """A done scan of the site whose pages set cookies, storage keys and requests named with
    markup (a scanned site controls every name the report shows)."""
    from consent.console import site_by_key
    from consent.core.observed import (
        Crawl,
        SeenCookie,
        SeenPage,
        SeenRequest,
        SeenStorage,
        StateSeen,
    )
    from consent.extensions import db
    from consent.models import utcnow
    from consent.scans.records import create_scan, mark_done, mark_running
    from consent.scans.reports import signed_report
    from consent.sites.state import site_state

    page = f"{origin}/{urllib.parse.quote(HOSTILE)}"
    seen = StateSeen(
        cookies=(SeenCookie(HOSTILE, "127.0.0.1", "/", None, False, False, "Lax", (page,)),),
        storage=(SeenStorage("local", HOSTILE),),
        requests=(SeenRequest(f"https://tracker.example/{HOSTILE}", "script", page),),
    )
    crawl = Crawl(
        (SeenPage(page, 200),), dict.fromkeys(("none", "reject_all", "accept_all"), seen), 0
    )
    with service.app.app_context():
        scan = create_scan(site_by_key(key).id, [], 1)
        db.session.commit()
        started = utcnow()
        assert mark_running(scan.id, started)
        report = signed_report(scan.id, site_state(key), started, utcnow(), crawl, service.origin)
        assert mark_done(scan.id, report, utcnow())
        return scan.id


@pytest.fixture(scope="module")
def signed_in(browser: Any, service: Service, hostile: Hostile) -> Iterator[Any]:
    """One signed-in browser context for the module (sign-ins are rate limited)."""
    context = browser.new_context()
    context.set_default_timeout(10_000)
    context.route("https://**", lambda route: route.abort("blockedbyclient"))
    context.add_init_script(
        "window.__cspViolations = [];"
        "document.addEventListener('securitypolicyviolation', e => "
        "window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    page = context.new_page()
    page.goto(f"{service.origin}/admin/login")
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/admin/")
    page.close()
    yield context
    context.close()


class Trap:
    """Dialogs and errors of one page, and the checks that nothing hostile ran on it."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    def assert_nothing_ran(self) -> None:
        for frame in self.page.frames:
            ran = frame.evaluate(
                "() => ({xss: window.__xss ?? null,"
                " handlers: document.querySelectorAll('[onerror],[onload],[onclick]').length,"
                " links: [...document.querySelectorAll('a[href], iframe[src]')]"
                ".filter(a => /^\\s*javascript:/i.test(a.getAttribute('href') ||"
                " a.getAttribute('src'))).length,"
                " csp: window.__cspViolations || []})"
            )
            assert ran == {"xss": None, "handlers": 0, "links": 0, "csp": []}, frame.url
        assert self.dialogs == [] and self.errors == []


# --- The banner on the owner's page ---------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_banner_shows_every_hostile_text_as_text(browser: Any, hostile: Hostile, lang: str) -> None:
    context = browser.new_context()
    context.set_default_timeout(10_000)
    context.route("https://**", lambda route: route.abort("blockedbyclient"))
    context.add_init_script(
        "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true})"
    )
    context.set_extra_http_headers({"Sec-GPC": "1"})
    page = context.new_page()
    trap = Trap(page)
    page.goto(f"{hostile.owner}/{lang}.html")
    banner = page.locator("[data-consent-banner]")
    banner.wait_for()
    page.locator('[data-consent-banner] [data-consent-action="customize"]').click()
    page.locator('[data-consent-banner] [data-consent-action="save"]').wait_for()
    shown = banner.inner_text() + page.locator("body").inner_text()
    shadow = page.evaluate(
        "() => [...document.querySelectorAll('*')].filter(e => e.shadowRoot)"
        ".map(e => e.shadowRoot.textContent).join(' ')"
    )
    # Every key of this language is on screen with every payload intact, as text.
    keys = ["title", "description", "accept_all", "reject_all", "customize", "save",
            "gpc_notice", "privacy_link", "placeholder"]  # fmt: skip
    keys += [
        f"{cat}.{part}" for cat in ("performance", "targeting") for part in ("title", "description")
    ]
    on_screen = " ".join((shown + shadow).replace("\u2028", " ").replace("\u2029", " ").split())
    for key in keys:
        expected = " ".join(
            f"{lang}.{key} {HOSTILE}".replace("\u2028", " ").replace("\u2029", " ").split()
        )
        assert expected in on_screen, key
    trap.assert_nothing_ran()
    context.close()


# --- The admin and audit UIs ------------------------------------------------------------------


def _ui_pages(service: Service, hostile: Hostile) -> list[str]:
    """Every GET page of a site in the admin and audit UIs (from the URL map), and the indexes."""
    values = {
        "site_key": hostile.key,
        "receipt_id": hostile.receipt["receipt_id"],
        "subject_id": hostile.receipt["subject_id"],
        "version": "2",
        "a": "1",
        "b": "2",
        "language": "en",
        "token_id": str(hostile.auditor_id),
        "scan_id": hostile.scan_id,
        "vendor_id": OWN_VENDOR,
    }
    urls = ["/admin/", "/audit/", f"/admin/sites/{hostile.key}/texts/nl"]
    for rule in service.app.url_map.iter_rules():
        if rule.rule.startswith(("/admin/sites/<", "/audit/sites/<")) and "GET" in (
            rule.methods or ()
        ):
            urls.append(rule.build(values, append_unknown=False)[1])
    return sorted(set(urls))


#: Pages that show a given hostile value (the rest show at least the site name).
SHOWN = {
    "/receipts/": (HOSTILE,),  # the replayed banner and the user agent
    "/subjects/": (HOSTILE,),
    "/access-log": (PATH_MARKUP, HOSTILE),
    "/tokens": (LABEL,),  # the list, and a token's revoke confirmation
    "/scans/": (HOSTILE,),  # a report: the site's cookie, storage and request names
}


def test_ui_pages_show_hostile_text_as_text(
    signed_in: Any, service: Service, hostile: Hostile
) -> None:
    urls = []
    for url in _ui_pages(service, hostile):
        # Downloads (exports, checkpoints, Kantara JSON) are no pages: a browser renders no HTML.
        head = signed_in.request.get(service.origin + url, max_redirects=0)
        if head.status == 200 and head.headers.get("content-type", "").startswith("text/html"):
            urls.append(url)
    for url in urls:
        if "access-log" in url:
            hostile.read_with_markup(service)  # the newest entry, on the first page
        page = signed_in.new_page()
        trap = Trap(page)
        answer = page.goto(service.origin + url)
        assert answer.status == 200, url
        page.wait_for_load_state("load")
        text = page.locator("body").inner_text()
        assert "<script>window.__xss=1</script>" in text, url
        for fragment, wanted in SHOWN.items():
            if fragment in url:
                for value in wanted:
                    assert value.replace("\u2028", "") in text.replace("\u2028", ""), (url, value)
        trap.assert_nothing_ran()
        page.close()
    assert len(urls) >= 20
    print(f"\nxss: {len(PAYLOADS)} payloads x {len(urls)} UI pages + 2 banners, 0 executions")
