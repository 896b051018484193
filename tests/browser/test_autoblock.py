"""Auto-blocking (#24): the vendors' own snippets, pasted unmodified, wait for the gate.

The pages (autoblock_pages.py) carry GA4's gtag.js snippet, the Meta Pixel base code, the
LinkedIn Insight Tag, HubSpot's embed code, Leadinfo's tracking code, YouTube and Vimeo
iframes and Twitter's widgets.js, and the owner's code adds more trackers later. Stubs and
the inline snippets push a marker onto ``window.__runs`` when they run. Once released, the
inline snippets and the scripts without async run in document order, as the parser would
have run them; async scripts run once each, when loaded (their order is not the page's).

Chromium's preload scanner may fetch a ``<script src>``/``<img src>`` written in the HTML,
and a parser-inserted iframe starts loading (DESIGN.md "Limits"): such requests are listed
in the test's report section, never a failure. A request for anything a script adds is.
"""

from __future__ import annotations

import json
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from . import autoblock_pages as ab
from .conftest import Service, Visit, _Server

# One browser per session: xdist (--dist loadgroup) keeps these tests on one worker.
pytestmark = pytest.mark.xdist_group("browser")

GA_SCRIPT = f"https://www.googletagmanager.com/gtag/js?id={ab.GA_ID}"
ALL_RUNS = ab.DOCUMENT_ORDER + ab.ASYNC_SCRIPTS + ab.ADDED_SCRIPTS
#: The scripts written in the main page's HTML.
WRITTEN_SCRIPTS = {
    GA_SCRIPT,
    "https://platform.twitter.com/widgets.js",
    "https://player.vimeo.com/api/player.js",
    f"http://js.hs-scripts.com/{ab.PORTAL_ID}.js",  # protocol-relative on an http page
}
PLACEHOLDER = "consent-ledger-placeholder"
#: The sources of the iframes that show (laid out, not hidden).
SHOWN_FRAMES = """() => Array.from(document.querySelectorAll('iframe'))
  .filter(f => f.getClientRects().length > 0 && getComputedStyle(f).visibility !== 'hidden')
  .map(f => f.src)"""
#: For each iframe, the element right before it.
BEFORE_FRAMES = """() => Array.from(document.querySelectorAll('iframe'),
  f => f.previousElementSibling && f.previousElementSibling.localName)"""


@dataclass
class Owner:
    """The owner's server of auto-blocking's pages and its sites' keys."""

    origin: str
    keys: dict[str, str]

    def url(self, name: str) -> str:
        return f"{self.origin}/{name}"


def _patch_site(service: Service, key: str, body: dict[str, Any]) -> dict[str, Any]:
    """PATCH the site through the owner API with a fresh owner token."""
    from tests.owners import mint

    token = mint(service.app, key, "owner")
    call = urllib.request.Request(
        f"{service.origin}/api/v1/admin/sites/{key}",
        data=json.dumps(body).encode(),
        method="PATCH",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(call, timeout=10) as answer:
        return json.loads(answer.read())


@pytest.fixture(scope="module")
def owner(service: Service) -> Iterator[Owner]:
    """A third loopback origin serving the pages, with its sites; auto_block set explicitly."""
    from consent.extensions import db
    from consent.sites.owner import create_site

    server = _Server()
    keys: dict[str, str] = {}
    with service.app.app_context():
        for name, spec in ab.SITES.items():
            site = create_site(
                name=name,
                origins=[server.origin],
                vendors=spec["vendors"],
                language="en",
                privacy_url=f"{server.origin}/privacy",
            )
            keys[name] = site.site_key
        db.session.commit()
    for name, spec in ab.SITES.items():
        patched = _patch_site(service, keys[name], {"auto_block": spec["auto_block"]})
        assert patched["auto_block"] is spec["auto_block"]
    server.start(ab.owner_app(service.origin, keys))
    yield Owner(server.origin, keys)
    server.stop()


@dataclass
class Tab(Visit):
    """A visitor on auto-blocking's pages: every vendor host answered by a stub (http and
    https), and the requests still in flight, in any frame."""

    pending: set[Any] = field(default_factory=set)

    def open_page(self, owner: Owner, name: str) -> Any:
        """Load a page and count the loader's applied changes (as Visit.open does)."""
        self.page.goto(owner.url(name), wait_until="domcontentloaded")
        self.page.evaluate(
            "() => { window.__changes = 0; if (window.Consent) "
            "window.Consent.on('change', () => { window.__changes += 1; }); }"
        )
        return self.page

    def runs(self) -> list[str]:
        """Markers of the vendor scripts that ran, in the order they ran."""
        return self.page.evaluate("window.__runs || []")

    def wait_for_runs(self, markers: list[str]) -> None:
        self.page.wait_for_function(
            "markers => markers.every(m => (window.__runs || []).includes(m))", arg=markers
        )

    def vendor_requests(self, since: int = 0) -> list[str]:
        """URLs of the requests to the vendor hosts, from the ``since``-th request on."""
        return [r.url for r in self.requests[since:] if ab.host_of(r.url) in ab.VENDOR_HOSTS]

    def wait_for_request(self, url: str, timeout: float = 10.0) -> None:
        """Wait until a request for ``url`` has been made (Playwright delivers the events)."""
        deadline = time.monotonic() + timeout
        while url not in self.vendor_requests():
            assert time.monotonic() < deadline, f"no request for {url}"
            self.page.wait_for_timeout(50)

    def quiet(self, period: float = 0.5, timeout: float = 15.0) -> None:
        """Wait until no request has been in flight or started for ``period`` seconds (the
        page's frames included, which Playwright's "networkidle" does not always settle)."""
        start = time.monotonic()
        calm, count = start, len(self.requests)
        while True:
            self.page.wait_for_timeout(50)  # lets Playwright deliver the request events
            now = time.monotonic()
            if self.pending or len(self.requests) != count:
                calm, count = now, len(self.requests)
            elif now - calm >= period:
                return
            if now - start > timeout:
                recent = "\n".join(f"{r.method} {r.url}" for r in self.requests[-15:])
                raise AssertionError(f"the network never went quiet; last requests:\n{recent}")


@pytest.fixture
def tab(visit: Visit) -> Tab:
    """The visitor as a Tab (the same context, page and lists of requests and messages)."""
    current = Tab(**vars(visit))
    current.context.route(ab.ROUTE, ab.answer)
    current.page.on("request", lambda r: current.pending.add(r))
    current.page.on("requestfinished", lambda r: current.pending.discard(r))
    current.page.on("requestfailed", lambda r: current.pending.discard(r))
    return current


def unexpected(
    request: pytest.FixtureRequest, tab: Tab, owner: Owner, name: str, since: int, when: str
) -> list[str]:
    """Vendor requests that no tag written in the page's HTML explains (a failure); those
    that one does (the preload scanner's, the parser's iframes) go to the report."""
    written = ab.written_urls(name, owner.origin)
    urls = tab.vendor_requests(since)
    early = sorted({url for url in urls if url in written})
    if early:
        text = "\n".join(early)
        title = f"fetched early from {name}'s HTML, {when} (documented limit)"
        request.node.add_report_section("call", title, text)
        print(f"{title}:\n{text}")
    return [url for url in urls if url not in written]


def violations(visit: Visit) -> list[str]:
    """CSP violations the page reported, and console lines that mention the policy."""
    found = visit.page.evaluate("window.__cspViolations")
    return found + [line for line in visit.console if "Content Security Policy" in line]


def settle_held(tab: Tab) -> None:
    """Wait until the owner's code has added its trackers and the network is quiet."""
    tab.page.wait_for_function("() => window.__pageAdded === true")
    tab.quiet()


def assert_held(tab: Tab) -> None:
    """No vendor script ran, and no vendor frame shows: each waits behind a placeholder."""
    page = tab.page
    assert tab.runs() == []
    assert page.evaluate("typeof window.fbq + typeof window.lintrk") == "undefinedundefined"
    try:
        page.wait_for_function(
            f"n => document.querySelectorAll('{PLACEHOLDER}').length === n", arg=len(ab.FRAMES)
        )
    except Exception as error:
        raise AssertionError(
            f"expected a placeholder before each of the {len(ab.FRAMES)} vendor iframes; "
            f"before each iframe: {page.evaluate(BEFORE_FRAMES)}"
        ) from error
    assert page.evaluate(SHOWN_FRAMES) == []
    assert page.evaluate(BEFORE_FRAMES) == [PLACEHOLDER] * len(ab.FRAMES)


def test_snippets_held_before_a_choice_after_reject_and_on_the_next_page(
    tab: Tab, owner: Owner, request: pytest.FixtureRequest
) -> None:
    tab.open_page(owner, "snippets.html")
    tab.banner().wait_for()
    settle_held(tab)
    assert unexpected(request, tab, owner, "snippets.html", 0, "before a choice") == []
    assert_held(tab)

    since = len(tab.requests)
    tab.choose("reject-all")
    tab.quiet()
    assert_held(tab)
    assert tab.vendor_requests(since) == []

    since = len(tab.requests)
    tab.open_page(owner, "snippets.html")
    tab.wait_for_gate()
    assert tab.banner().count() == 0
    settle_held(tab)
    assert unexpected(request, tab, owner, "snippets.html", since, "the next page") == []
    assert_held(tab)
    assert tab.errors == []


def test_snippet_split_between_two_network_reads_is_still_held(
    tab: Tab, owner: Owner, request: pytest.FixtureRequest
) -> None:
    # The page arrives in two reads, cut inside LinkedIn's loader before the text that names
    # it (as a slow network may cut any page): the parser has inserted the <script> with
    # part of its text when the loader first sees it; it must still never run.
    tab.open_page(owner, f"split.html?run={uuid.uuid4().hex}")
    tab.banner().wait_for()
    settle_held(tab)
    assert [r.url for r in tab.requests if "/autoblock-continue" in r.url] != []
    assert unexpected(request, tab, owner, "snippets.html", 0, "split in two reads") == []
    assert_held(tab)
    assert tab.errors == []


def test_accept_all_runs_each_snippet_once_in_document_order(tab: Tab, owner: Owner) -> None:
    page = tab.open_page(owner, "snippets.html")
    tab.banner().wait_for()
    settle_held(tab)
    since = len(tab.requests)
    tab.choose("accept-all")
    tab.wait_for_runs(ALL_RUNS)
    page.wait_for_function(
        f"frames => frames.every(u => ({SHOWN_FRAMES})().includes(u))", arg=sorted(ab.FRAMES)
    )
    tab.quiet()
    ran = tab.runs()
    assert {m: ran.count(m) for m in ALL_RUNS} == dict.fromkeys(ALL_RUNS, 1), ran
    assert [m for m in ran if m in ab.DOCUMENT_ORDER] == ab.DOCUMENT_ORDER, " ".join(ran)
    # Each vendor's requests happen: what scripts add, after the choice; the scripts written
    # in the HTML at some time (the preload scanner may have fetched them). The frames in the
    # HTML have their URL back and show (above): their first navigation was cut off, and under
    # Playwright's routing the second one of such a frame at times ends on an error page
    # without a request (seen outside the product too), so their requests are not counted.
    after = tab.vendor_requests(since)
    assert sorted(ab.ADDED_URLS - set(after)) == []
    assert sorted(WRITTEN_SCRIPTS - set(tab.vendor_requests())) == []
    assert page.locator(PLACEHOLDER).count() == 0
    # Never twice: the site configures GA's, Meta's, LinkedIn's and HubSpot's ids too, but
    # the page's own snippets run instead of the loader's.
    tags = [u for u in tab.vendor_requests() if ab.host_of(u) == "www.googletagmanager.com"]
    assert set(tags) == {GA_SCRIPT} and after.count(GA_SCRIPT) <= 1
    layer = page.evaluate("Array.from(window.dataLayer, a => Array.from(a))")
    assert [a[:2] for a in layer if a[0] == "config"] == [["config", ab.GA_ID]]
    assert page.evaluate("window.__fbqQueue").count(["init", ab.PIXEL_ID]) == 1
    assert page.evaluate("window.__linkedinIds") == [ab.PARTNER_ID]
    hubspot = [u for u in tab.vendor_requests(since) if ab.host_of(u) == "js.hs-scripts.com"]
    assert len(hubspot) <= 1, hubspot
    # Consent Mode's default came before gtag.js: the first entry gtag.js found.
    assert layer[0][:2] == ["consent", "default"]
    assert page.evaluate("window.__gaDataLayer")[0][:2] == ["consent", "default"]
    assert tab.errors == []


def test_custom_choice_of_performance_releases_only_google_analytics(
    tab: Tab, owner: Owner
) -> None:
    page = tab.open_page(owner, "snippets.html")
    tab.banner().wait_for()
    settle_held(tab)
    tab.preferences()
    tab.switch("performance").check()
    since = len(tab.requests)
    tab.choose("save")
    tab.wait_for_runs(ab.GA_RUNS)
    tab.quiet()
    assert sorted(tab.runs()) == sorted(ab.GA_RUNS)  # each once
    hosts = {ab.host_of(url) for url in tab.vendor_requests(since)}
    assert hosts <= {"www.googletagmanager.com", "www.google-analytics.com"}, hosts
    assert sorted(ab.ADDED_URLS & set(tab.vendor_requests())) == []
    assert page.evaluate(SHOWN_FRAMES) == []
    assert page.locator(PLACEHOLDER).count() == len(ab.FRAMES)
    assert tab.errors == []


def test_vendor_not_enabled_stays_held_and_ignored_tags_load_at_once(
    tab: Tab, owner: Owner
) -> None:
    page = tab.open_page(owner, "partial.html")
    tab.banner().wait_for()
    # data-consent-ignore: the script (a vendor not yet allowed) and the pixel load at once.
    tab.wait_for_runs(["widgets.js"])
    tab.wait_for_request(ab.IGNORED_PIXEL)
    tab.quiet()
    assert tab.runs() == ["widgets.js"]
    tab.choose("accept-all")
    tab.wait_for_runs(ab.GA_RUNS)
    tab.quiet()
    # Leadinfo is not enabled for this site: its tracking code never runs nor fetches.
    assert sorted(tab.runs()) == sorted(["widgets.js", *ab.GA_RUNS])
    assert [u for u in tab.vendor_requests() if ab.host_of(u) == "cdn.leadinfo.net"] == []
    assert page.evaluate("typeof window.leadinfo") == "undefined"
    warned = [line for line in tab.console if line.startswith("warning") and "leadinfo" in line]
    assert len(warned) == 1, tab.console
    assert tab.errors == []


def test_strict_csp_released_snippets_run_without_violation(tab: Tab, owner: Owner) -> None:
    page = tab.open_page(owner, "snippets-csp.html")
    tab.banner().wait_for()
    settle_held(tab)
    assert_held(tab)
    tab.choose("accept-all")
    tab.wait_for_runs(ALL_RUNS)
    page.wait_for_function(
        f"frames => frames.every(u => ({SHOWN_FRAMES})().includes(u))", arg=sorted(ab.FRAMES)
    )
    tab.quiet()
    ran = tab.runs()
    assert {m: ran.count(m) for m in ALL_RUNS} == dict.fromkeys(ALL_RUNS, 1), ran
    assert violations(tab) == []
    assert tab.errors == []


def test_auto_block_off_leaves_pasted_snippets_alone(tab: Tab, owner: Owner) -> None:
    page = tab.open_page(owner, "off.html")
    tab.banner().wait_for()
    # Today's behaviour: the page's own tags run and show before any choice.
    tab.wait_for_runs(ab.GA_RUNS)
    youtube = "https://www.youtube.com/embed/M7lc1UVf-VE"
    page.wait_for_function(f"url => ({SHOWN_FRAMES})().includes(url)", arg=youtube)
    assert tab.call("Consent.get()") is None
    assert page.locator(PLACEHOLDER).count() == 0
    assert tab.errors == []
