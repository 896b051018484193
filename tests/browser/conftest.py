"""Real-browser fixtures: the service and an owner's site on two origins, one Chromium.

The service (the real app, SQLite in a temporary folder) and the owner's pages run on
two 127.0.0.1 ports, so every call from the banner is cross-origin as in production.
Vendor hosts are intercepted and answered with stub scripts that record what ran.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from . import pages

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

#: Hosts of the managed trackers the loader injects itself.
TRACKER_HOSTS = ("www.googletagmanager.com", "snap.licdn.com", "connect.facebook.net")

#: True once the stubs of GA, LinkedIn and Meta Pixel have all run.
TRACKERS_RAN = "() => window.__gaLoaded === 1 && window.__linkedinIds && window.__fbqQueue"

#: Vendor hosts the tests answer with stubs; any other outside request is refused.
VENDOR_ROUTE = re.compile(
    r"^https://(www\.googletagmanager\.com|snap\.licdn\.com|connect\.facebook\.net"
    r"|js\.hs-scripts\.com|player\.vimeo\.com|js\.stripe\.com|platform\.twitter\.com)/"
)


def _require_browser() -> Any:
    """The Playwright module, or a skip (a failure when CONSENT_REQUIRE_BROWSER=1)."""
    required = os.environ.get("CONSENT_REQUIRE_BROWSER") == "1"
    try:
        from playwright import sync_api
    except ImportError:
        if required:
            pytest.fail("CONSENT_REQUIRE_BROWSER=1 but the playwright package is missing")
        pytest.skip("the playwright package is not installed")
    if not (os.path.exists(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        if required:
            pytest.fail(f"CONSENT_REQUIRE_BROWSER=1 but {CHROMIUM} is missing")
        pytest.skip(f"{CHROMIUM} is not installed")
    return sync_api


class _QuietHandler(WSGIRequestHandler):
    """No access log lines in the test output."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


def _closing(body: Iterable[bytes]) -> Iterator[bytes]:
    """``body``, streamed, and closed however its reading ends. When a browser drops the
    connection (a frame reloaded mid-response), werkzeug's serving loop can raise before it
    closes the body, leaving a static file open for the garbage collector to report in some
    later test; this generator's own finaliser closes it then."""
    try:
        yield from body
    finally:
        if hasattr(body, "close"):
            body.close()


class _Server:
    """A werkzeug server on 127.0.0.1 in a daemon thread; the app may be set after binding."""

    def __init__(self) -> None:
        self.app: Callable[..., Any] | None = None
        self.http: BaseWSGIServer = make_server(
            "127.0.0.1", 0, self._dispatch, threaded=True, request_handler=_QuietHandler
        )
        self.origin = f"http://127.0.0.1:{self.http.server_port}"
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)

    def _dispatch(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        assert self.app is not None
        return _closing(self.app(environ, start_response))

    def start(self, app: Callable[..., Any]) -> None:
        self.app = app
        self.thread.start()

    def stop(self) -> None:
        self.http.shutdown()
        self.http.server_close()
        self.thread.join(timeout=5)


@dataclass
class Service:
    """The running consent service and the owner's pages."""

    origin: str
    owner: str
    sites: dict[str, str]
    app: Any

    def page_url(self, name: str, host: str = "127.0.0.1") -> str:
        """The URL of one generated owner page, optionally under another loopback name."""
        return self.owner.replace("127.0.0.1", host) + f"/{name}"

    def me(self, site: str, token: str) -> dict[str, Any]:
        """The visitor's own receipts, as GET /me answers (no Origin: a server-side call)."""
        query = urllib.parse.urlencode({"token": token})
        url = f"{self.origin}/api/v1/sites/{self.sites[site]}/me?{query}"
        with urllib.request.urlopen(url, timeout=10) as answer:
            return json.loads(answer.read())

    def publish(self, site: str, *, requires_reconsent: bool) -> None:
        """Publish the site's draft as its next policy version."""
        from sqlalchemy import select

        from consent.extensions import db
        from consent.models import Site
        from consent.sites.versions import publish_draft
        from tests.owners import revise_draft

        with self.app.app_context():
            row = db.session.scalar(select(Site).where(Site.site_key == self.sites[site]))
            revise_draft(row)  # an identical draft is refused
            publish_draft(row, requires_reconsent=requires_reconsent)
            db.session.commit()


def _create_sites(app: Any, origins: list[str]) -> dict[str, str]:
    from consent.extensions import db, init_db
    from consent.sites.owner import create_site
    from consent.sites.versions import publish_draft

    keys: dict[str, str] = {}
    with app.app_context():
        init_db()
        for name, spec in pages.SITES.items():
            site = create_site(
                name=name,
                origins=origins,
                vendors=spec["vendors"],
                language="en",
                privacy_url=f"{origins[0]}/privacy",
            )
            changes = spec.get("draft")
            if changes:
                draft = dict(site.draft)
                changes(draft)
                site.draft = draft
                publish_draft(site, requires_reconsent=False)
            keys[name] = site.site_key
        db.session.commit()
    return keys


@pytest.fixture(scope="session")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """The real app and the owner's site, each on its own 127.0.0.1 port."""
    _require_browser()
    from consent import create_app

    tmp = tmp_path_factory.mktemp("service")
    api, owner = _Server(), _Server()
    owner_origins = [owner.origin, owner.origin.replace("127.0.0.1", "www.shop.localhost")]
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/db.sqlite",
            "SECRET_KEY": "test",
            "CONSENT_PUBLIC_URL": api.origin,
            # Every test visits from 127.0.0.1: the per-address limit is not under test here.
            "CONSENT_RATELIMIT_CONSENTS": "100000/minute",
            # A publish is seen by the next request, so tests need not wait for the cache.
            "CONSENT_STATE_TTL": 0.0,
        }
    )
    app.instance_path = str(tmp / "instance")
    keys = _create_sites(app, owner_origins)
    api.start(app)
    owner.start(pages.owner_app(api.origin, keys))
    yield Service(api.origin, owner.origin, keys, app)
    owner.stop()
    api.stop()


@pytest.fixture(scope="session")
def browser(service: Service) -> Iterator[Any]:
    """One headless Chromium for the whole session."""
    sync_api = _require_browser()
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Visit:
    """One visitor: a fresh browser context, its page, and every request it made."""

    service: Service
    context: Any
    page: Any
    requests: list[Any] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def open(self, name: str, host: str = "127.0.0.1") -> Any:
        """Load an owner page and wait until it has been parsed."""
        self.page.goto(self.service.page_url(name, host), wait_until="domcontentloaded")
        # A change counter lets tests wait for "recorded and applied" without sleeping.
        self.page.evaluate(
            "() => { window.__changes = 0; if (window.Consent) "
            "window.Consent.on('change', () => { window.__changes += 1; }); }"
        )
        return self.page

    def banner(self) -> Any:
        """The banner root (Playwright pierces its open shadow root)."""
        return self.page.locator("[data-consent-banner]")

    def action(self, name: str) -> Any:
        """A banner button by its contract selector."""
        return self.page.locator(f'[data-consent-banner] [data-consent-action="{name}"]')

    def preferences(self) -> None:
        """Open the preferences and wait until they show (their code and texts load when they
        are first opened)."""
        self.action("customize").click()
        self.action("save").wait_for()

    def switch(self, category: str) -> Any:
        """A category switch by its contract selector."""
        return self.page.locator(f'input[data-consent-category="{category}"]')

    def hits(self, host: str) -> list[str]:
        """URLs of the requests made to ``host``."""
        return [r.url for r in self.requests if r.url.split("/")[2] == host]

    def assert_no_trackers(self) -> None:
        """No request to a tracker host, and no tracker script in the DOM."""
        assert [url for host in TRACKER_HOSTS for url in self.hits(host)] == []
        scripts = self.page.evaluate(
            "() => document.querySelectorAll('script[src*=googletagmanager],"
            " script[src*=licdn], script[src*=facebook]').length"
        )
        assert scripts == 0

    def posts(self) -> list[dict[str, Any]]:
        """Bodies of the consents POSTs, in order."""
        return [
            r.post_data_json
            for r in self.requests
            if r.method == "POST" and r.url.endswith("/consents")
        ]

    def choose(self, action: str) -> None:
        """Click a banner button and wait until the choice is recorded and applied."""
        with self.page.expect_response(lambda r: r.url.endswith("/consents")) as answer:
            self.action(action).click()
        assert answer.value.status == 201
        self.settle()

    def settle(self) -> None:
        """Wait until the loader has applied the gate's answer to the last recorded choice."""
        self.page.wait_for_function("() => window.__changes > 0")
        self.page.evaluate("window.__changes = 0")

    def wait_for_gate(self) -> None:
        """Wait until a returning visitor's gate answer has been applied (Consent Mode updated)."""
        self.page.wait_for_function(
            "() => (window.dataLayer || []).some(a => a[0] === 'consent' && a[1] === 'update')"
        )

    def call(self, expression: str) -> Any:
        """Evaluate a ``window.Consent`` call and wait for the promise it returns."""
        return self.page.evaluate(f"() => Promise.resolve({expression})")

    def cookies(self) -> dict[str, str]:
        """Cookie names and values of the context."""
        return {c["name"]: c["value"] for c in self.context.cookies()}


def _route_vendor(route: Any) -> None:
    url = route.request.url
    host = url.split("/")[2]
    if host == "player.vimeo.com":
        route.fulfill(status=200, content_type="text/html", body="<p>vimeo player</p>")
    else:
        route.fulfill(
            status=200,
            content_type="text/javascript",
            body=pages.STUBS.get(host, pages.stub_for(host)),
            headers={"Access-Control-Allow-Origin": "*"},
        )


@pytest.fixture
def visit(browser: Any, service: Service) -> Iterator[Visit]:
    """A fresh visitor (new context: no cookies) with vendor hosts stubbed and recorded."""
    context = browser.new_context()
    context.set_default_timeout(10_000)
    # The most recently added route wins: vendor hosts get stubs, any other https is refused.
    context.route("https://**", lambda route: route.abort("blockedbyclient"))
    context.route(VENDOR_ROUTE, _route_vendor)
    context.add_init_script(
        "window.__cspViolations = [];"
        "document.addEventListener('securitypolicyviolation', e => "
        "window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    page = context.new_page()
    current = Visit(service, context, page)
    page.on("request", lambda request: current.requests.append(request))
    page.on("console", lambda m: current.console.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: current.errors.append(str(e)))
    yield current
    context.close()


def esbuild_binary() -> str | None:
    """The esbuild to rebuild the bundle with: first the pinned one `make test` installs."""
    pinned = Path(__file__).resolve().parents[2] / "static/banner/node_modules/.bin/esbuild"
    if pinned.exists():
        return str(pinned)
    return os.environ.get("ESBUILD") or shutil.which("esbuild")


def signed_in_state(browser: Any, origin: str, email: str, password: str) -> dict[str, Any]:
    """A user's session, signed in once through the admin's real form (sign-ins are rate
    limited), as a storage state for new contexts (it opens /audit/ too)."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{origin}/admin/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{origin}/admin/")
    state: dict[str, Any] = context.storage_state()
    context.close()
    return state


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    """Poll ``predicate`` (for state outside the page, like the ledger) until it holds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)
