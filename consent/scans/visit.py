"""One state of a scan: a fresh browser context that visits pages and records what they
set and send.

Every request to a host outside the allowed origins (the site's and the service's) is
answered here with an empty response and never forwarded; every request outside the
site's origins is recorded. Cookies and storage are read after each page has settled.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Browser, Page, Request, Response, Route
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from consent.core.observed import SeenCookie, SeenRequest, SeenStorage, StateSeen
from consent.scans.plans import origin_of

#: At most this long waiting for a page's network to go quiet after its load event.
SETTLE_SECONDS = 3.0
#: Links read from one page at most.
MAX_LINKS = 2000
_SCHEMES = ("http", "https", "ws", "wss")
_STORAGE_KEYS = """() => {
  const keys = (area) => {
    try { return Object.keys(window[area] || {}); } catch (e) { return []; }
  };
  return {local: keys('localStorage'), session: keys('sessionStorage')};
}"""
_LINKS = f"els => els.slice(0, {MAX_LINKS}).map(e => e.href).filter(h => typeof h === 'string')"


class VisitFailed(Exception):
    """The state cannot be reached (no banner to click, its choice not recorded)."""


def _initiator(event: dict[str, Any]) -> str | None:
    """The script (or document) that made a request, from Chrome's ``initiator``."""
    initiator = event.get("initiator") or {}
    if initiator.get("type") == "preflight":
        return None  # a CORS preflight names the request it precedes, not who made it
    if initiator.get("url"):
        return str(initiator["url"])
    stack = initiator.get("stack")
    while stack:
        for frame in stack.get("callFrames", []):
            if frame.get("url"):
                return str(frame["url"])
        stack = stack.get("parent")
    return None


def context_options(user_agent: str | None) -> dict[str, Any]:
    """A state's browser context: no service workers, no downloads, and the scan's
    User-Agent (it ends with ``ConsentLedgerScan/<scan_id>``, so the receipts that the
    banner's clicks record name the scan)."""
    options: dict[str, Any] = {"service_workers": "block", "accept_downloads": False}
    if user_agent:
        options["user_agent"] = user_agent
    return options


class StateVisit:
    """A fresh context in one browser: open pages, click the banner, read what was left."""

    def __init__(
        self,
        browser: Browser,
        site_origins: frozenset[str],
        service_origin: str,
        deadline: float,
        page_seconds: float,
        user_agent: str | None = None,
    ) -> None:
        self.site_origins, self.service_origin = site_origins, service_origin
        self.deadline, self.page_seconds = deadline, page_seconds
        self._requests: list[tuple[str, str, str | None]] = []
        self._initiators: dict[str, str] = {}
        self._cookies: dict[tuple[str, str, str], tuple[tuple[Any, ...], SeenCookie]] = {}
        self._storage: dict[tuple[str, str], None] = {}
        self.current = ""
        #: When the page (or the click) in hand must be done: its bound, within the scan's.
        self._step_end = deadline
        self.context = browser.new_context(**context_options(user_agent))
        self.context.route("**/*", self._route)
        self.context.on("request", self._request)
        self.page: Page = self.context.new_page()
        self.page.on("websocket", lambda ws: self._record(ws.url, "websocket", None))
        self._watch_initiators(self.page)

    def _watch_initiators(self, page: Page) -> None:
        try:
            cdp = self.context.new_cdp_session(page)
            cdp.on("Network.requestWillBeSent", self._will_send)
            cdp.send("Network.enable")
        except PlaywrightError:
            pass  # initiators then fall back to the frame's URL

    def _will_send(self, event: dict[str, Any]) -> None:
        url, initiator = event.get("request", {}).get("url"), _initiator(event)
        if url and initiator:
            self._initiators.setdefault(url, initiator)

    def _route(self, route: Route) -> None:
        request = route.request
        if origin_of(request.url) in self.site_origins | {self.service_origin}:
            route.continue_()
        else:
            # Never forwarded. A navigation answered 204 stays where it was.
            status = 204 if request.is_navigation_request() else 200
            route.fulfill(status=status, body="", headers={"Access-Control-Allow-Origin": "*"})

    def _request(self, request: Request) -> None:
        try:
            frame = request.frame.url
        except PlaywrightError:
            frame = None
        self._record(request.url, request.resource_type, frame or self.current or None)

    def _record(self, url: str, kind: str, frame: str | None) -> None:
        origin = origin_of(url)
        if origin.split(":", 1)[0] in _SCHEMES and origin not in self.site_origins:
            self._requests.append((url, kind, frame))

    def _begin_step(self) -> None:
        self._step_end = min(time.monotonic() + self.page_seconds, self.deadline)

    def remaining(self) -> float:
        """Seconds left for this page (load, settle, read) within the scan's time."""
        return self._step_end - time.monotonic()

    def open(self, url: str, links: bool = False) -> tuple[int | None, list[str]]:
        """Load a page and let it settle; its status (None: did not load) and its links."""
        self.current = url
        self._begin_step()
        response = self._goto(url)
        if response is None:
            # Stop what is still loading: reading the page would wait for it.
            with contextlib.suppress(PlaywrightError):
                self.page.goto("about:blank", timeout=2000)
        else:
            self.settle()
        self.snapshot(storage=response is not None)
        found: list[str] = []
        if links and response is not None:
            try:
                found = self.page.eval_on_selector_all("a[href]", _LINKS)
            except PlaywrightError:
                found = []
        return (None if response is None else response.status), found

    def _goto(self, url: str) -> Response | None:
        """The page's response, or None when it did not load. A navigation that the error
        page of the previous failed page interrupted is tried once more."""
        for attempt in (1, 2):
            try:
                return self.page.goto(url, wait_until="load", timeout=self._ms())
            except PlaywrightError as error:
                if attempt == 2 or "interrupted by another navigation" not in str(error):
                    return None
                with contextlib.suppress(PlaywrightError):
                    self.page.wait_for_load_state("load", timeout=2000)
        return None

    def _ms(self) -> float:
        return max(1.0, self.remaining()) * 1000

    def settle(self) -> None:
        """Wait (briefly) until the page's network is quiet, so late tags have fired."""
        try:
            limit = min(SETTLE_SECONDS, max(0.1, self.remaining()))
            self.page.wait_for_load_state("networkidle", timeout=limit * 1000)
        except PlaywrightError:
            pass  # a page that never goes quiet is read as it is

    def choose(self, action: str) -> None:
        """Click the banner's ``reject-all``/``accept-all`` button; wait for the choice's POST."""
        button = self.page.locator(f'consent-ledger [data-consent-action="{action}"]')
        self._begin_step()
        try:
            button.wait_for(state="visible", timeout=self._ms())
        except PlaywrightError as error:
            raise VisitFailed(
                f"the banner did not show on {self.current}: is the site's script tag on that "
                f"page, first in <head>, and is {origin_of(self.current)} one of the site's "
                "allowed origins?"
            ) from error
        try:
            with self.page.expect_response(self._is_consents, timeout=self._ms()) as answer:
                button.click(timeout=self._ms())
            status = answer.value.status
        except PlaywrightTimeout as error:
            raise VisitFailed(
                f"the banner's {action} button did not record a choice on {self.current} "
                f"within {self.page_seconds:.0f} s (no answer from the service's /consents)"
            ) from error
        except PlaywrightError as error:
            raise VisitFailed(
                f"the banner's {action} button did not record a choice on "
                f"{self.current}: {str(error).splitlines()[0]}"
            ) from error
        if status != 201:
            raise VisitFailed(f"the {action} choice was refused (HTTP {status}) on {self.current}")
        self.settle()
        self.snapshot()

    def _is_consents(self, response: Any) -> bool:
        url = response.url
        return (
            response.request.method == "POST"
            and url.startswith(self.service_origin + "/")
            and urlsplit(url).path.endswith("/consents")
        )

    def snapshot(self, storage: bool = True) -> None:
        """Read the context's cookies and (from a page that loaded) its storage keys."""
        try:
            cookies = self.context.cookies()
            keys = self.page.evaluate(_STORAGE_KEYS) if storage else {}
        except PlaywrightError:
            return
        for c in cookies:
            self._cookie(c)
        for kind in ("local", "session"):
            for key in keys.get(kind, []):
                self._storage.setdefault((kind, str(key)), None)

    def _cookie(self, c: Any) -> None:
        key = (c["name"], c["domain"], c["path"])
        expires = None if c.get("expires", -1) < 0 else float(c["expires"])
        signature = (c.get("value"), expires)
        known = self._cookies.get(key)
        pages = known[1].pages if known else ()
        if known is None or known[0] != signature:
            pages = pages if self.current in pages else (*pages, self.current)
        seen = SeenCookie(
            name=c["name"],
            domain=c["domain"],
            path=c["path"],
            expires=expires,
            secure=bool(c.get("secure")),
            http_only=bool(c.get("httpOnly")),
            same_site=str(c.get("sameSite") or "Lax"),
            pages=pages,
        )
        self._cookies[key] = (signature, seen)

    def close(self) -> StateSeen:
        """End the context; what it saw."""
        with contextlib.suppress(PlaywrightError):
            self.context.close()
        requests = tuple(
            SeenRequest(url, kind, self._initiators.get(url) or frame)
            for url, kind, frame in self._requests
        )
        return StateSeen(
            cookies=tuple(seen for _, seen in self._cookies.values()),
            storage=tuple(SeenStorage(kind, key) for kind, key in self._storage),
            requests=requests,
        )
