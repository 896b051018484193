"""The crawl: Debian's Chromium through Playwright, fenced to the allowed origins, visiting
the site in three states (``none``, ``reject_all``, ``accept_all``), each in a fresh context.
Pages are found breadth-first in the ``none`` state by same-origin links from the start URLs,
within the site's origins, up to ``max_pages``; the other two states visit the same pages
after clicking the banner's own button on the first one. The consent service's origin loads
(the banner needs it) but is never crawled; every other host is answered locally."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from functools import partial
from urllib.parse import urlsplit, urlunsplit

from playwright.sync_api import Browser, Playwright, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from consent.core.observed import Crawl, SeenPage, StateSeen
from consent.scans.fence import Fence
from consent.scans.plans import CrawlFailed, CrawlPlan, Progress, origin_of, scan_user_agent
from consent.scans.threads import OnThread
from consent.scans.visit import StateVisit, VisitFailed

#: Features Playwright disables (its chromiumSwitches.ts, 1.65): a ``--disable-features``
#: of ours replaces Playwright's rather than adding to it, so its list is repeated here
#: (tests/browser/test_scan_flags.py checks that it still covers Playwright's).
PLAYWRIGHT_DISABLED_FEATURES = (
    "AvoidUnnecessaryBeforeUnloadCheckSync",
    "DestroyProfileOnBrowserClose",
    "HttpsUpgrades",
    "HttpsFirstBalancedModeAutoEnable",
    "LensOverlay",
    "MediaRouter",
    "PaintHolding",
    "ThirdPartyStoragePartitioning",
    "AvoidCorsURLLoaderRestartOnRedirect",
    "TcpPortRandomizationWin",
    "OptimizationHints",
    "NetworkTimeServiceQuerying",
    "AimEnabled",
    "PreconnectToSearch",
    "msForceBrowserSignIn",
    "msEdgeUpdateLaunchServicesPreferredVersion",
)
#: Ours: the address bar's popup, a WebUI page that the full browser of headless mode
#: preloads for each window (chrome://omnibox-popup.top-chrome), in a renderer of its own
#: (~50-85 MB) that no page of a scan uses.
DISABLED_FEATURES = (*PLAYWRIGHT_DISABLED_FEATURES, "WebUIOmniboxPopup", "WebUIOmniboxAimPopup")
#: Chromium's flags: no sandbox in containers, and nothing that talks to Google on its own.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # WebRTC could send UDP around the proxy (STUN to any host): not without the proxy.
    "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
    # One renderer for the page and its frames (site isolation would start one per site,
    # each ~60 MB): the scan's pages are the owner's, every other host is answered locally,
    # and its contexts hold no one's credentials.
    "--disable-site-isolation-trials",
    "--renderer-process-limit=1",
    # No GPU process (~25 MB): with --disable-gpu it only composites in software, which
    # the browser process does as well as a process of its own; and no SwiftShader either
    # (WebGL then has no context: nothing a scan reads needs it).
    "--in-process-gpu",
    "--disable-software-rasterizer",
    "--disable-features=" + ",".join(DISABLED_FEATURES),
)
#: The Node.js driver's young generation at 1 MB a half (16 by default on 64 bits): it
#: passes every request and route of the page to Python, and mostly holds short-lived
#: messages; about 20 MB less at the scan's peak, for more frequent (small) collections.
NODE_FLAGS = ("--max-semi-space-size=1",)
_DRIVER_START = threading.Lock()
#: How long Chromium may take to start (not counted in the scan's time).
LAUNCH_SECONDS = 30.0
#: (state, the banner button that reaches it)
CHOICES = (("reject_all", "reject-all"), ("accept_all", "accept-all"))


def crawlable(url: str, origins: frozenset[str]) -> str | None:
    """``url`` without its fragment when it is on one of ``origins``, else None."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or origin_of(url) not in origins:
        return None
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))


def crawl(plan: CrawlPlan, progress: Progress | None = None) -> Crawl:
    """Visit the site in the three states; raises :class:`CrawlFailed` with the reason.

    Playwright's sync API refuses a thread whose event loop is running (another sync
    Playwright, an async server): there the crawl runs on a thread of its own, in the
    caller's context (an app context stays visible to ``progress``), while the caller waits.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _crawl(plan, progress)
    running = OnThread(_crawl, plan, progress)
    running.ended.wait()
    crawled: Crawl = running.result()
    return crawled


def _crawl(plan: CrawlPlan, progress: Progress | None) -> Crawl:
    report = progress or (lambda _done, _total: None)
    fenced = plan.site_origins | {plan.service_origin}
    with Fence(fenced) as fence, _driver() as playwright:
        browser = _launch(playwright, plan, fence.url)
        # The scan's time counts from here (a launch has its own bound), as does the
        # watchdog's, one page's time later.
        deadline = time.monotonic() + plan.scan_seconds
        watchdog, agent = _watchdog(browser, plan)
        visit = partial(_visit, browser, plan, deadline, scan_user_agent(agent, plan.scan_id))
        try:
            pages, none = _discover(visit, plan, deadline, report)
            states = {"none": none}
            for step, (state, action) in enumerate(CHOICES, start=1):
                on_page = partial(_stepped, report, step * len(pages), 3 * len(pages))
                states[state] = _replay(visit, plan, deadline, pages, action, on_page)
        except (PlaywrightError, CrawlFailed) as error:
            if not watchdog.fired:  # the error is the page's, not the time's
                raise
            if plan.stop.is_set():
                raise CrawlFailed("stopped") from error
            raise CrawlFailed(f"timed out after {plan.scan_seconds:.0f} s (stopped)") from error
        finally:
            watchdog.cancel()
            with contextlib.suppress(PlaywrightError):
                browser.close()
    return Crawl(tuple(pages), states, time.time())


@contextlib.contextmanager
def _driver() -> Iterator[Playwright]:
    """Playwright, its Node.js driver started with :data:`NODE_FLAGS` (it takes them from
    the environment, which is restored at once: the lock keeps two crawls from mixing it)."""
    with contextlib.ExitStack() as stack:
        with _DRIVER_START:
            before = os.environ.get("NODE_OPTIONS")
            os.environ["NODE_OPTIONS"] = " ".join(filter(None, (before, *NODE_FLAGS)))
            try:
                playwright = stack.enter_context(sync_playwright())
            finally:
                del os.environ["NODE_OPTIONS"]
                if before is not None:
                    os.environ["NODE_OPTIONS"] = before
        yield playwright


def _launch(playwright: Playwright, plan: CrawlPlan, proxy: str) -> Browser:
    """Debian's Chromium behind the fence; CrawlFailed when it does not start."""
    try:
        return playwright.chromium.launch(
            executable_path=plan.chromium,
            args=list(FLAGS),
            proxy={"server": proxy},
            timeout=LAUNCH_SECONDS * 1000,
        )
    except PlaywrightError as error:
        reason = str(error).splitlines()[0]
        raise CrawlFailed(f"Chromium ({plan.chromium}) did not start: {reason}") from error


class _Watchdog:
    """Kills Chromium past the scan's bound, or at once when the plan's ``stop`` is set (from
    another thread): a page can hang a call that has no timeout (a script's endless loop
    blocks ``evaluate``), and the call then fails at once."""

    def __init__(self, pids: list[int], seconds: float, stop: threading.Event) -> None:
        self._pids, self._stop = pids, stop
        self._deadline = time.monotonic() + seconds
        self._ended = threading.Event()
        #: Whether it stopped Chromium (set before it does).
        self.fired = False
        self._thread = threading.Thread(target=self._watch, name="consent-watchdog", daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._ended.wait(0.2):
            if self._stop.is_set() or time.monotonic() >= self._deadline:
                self.fired = True
                _kill(self._pids)
                return

    def cancel(self) -> None:
        self._ended.set()
        self._thread.join()


def _watchdog(browser: Browser, plan: CrawlPlan) -> tuple[_Watchdog, str]:
    """The crawl's watchdog, one page's time after the scan's bound; and the browser's own
    User-Agent (the scan's ends with its marker)."""
    cdp = browser.new_browser_cdp_session()
    processes = cdp.send("SystemInfo.getProcessInfo")["processInfo"]
    agent = str(cdp.send("Browser.getVersion").get("userAgent", ""))
    cdp.detach()
    pids = [int(p["id"]) for p in processes if p.get("type") == "browser"]
    return _Watchdog(pids, plan.scan_seconds + plan.page_seconds, plan.stop), agent


def _kill(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def _stepped(report: Progress, offset: int, total: int, done: int) -> None:
    report(offset + done, total)


def _visit(browser: Browser, plan: CrawlPlan, deadline: float, user_agent: str) -> StateVisit:
    return StateVisit(
        browser, plan.site_origins, plan.service_origin, deadline, plan.page_seconds, user_agent
    )


def _in_time(deadline: float, plan: CrawlPlan, pages: int) -> None:
    if plan.stop.is_set():
        raise CrawlFailed("stopped")
    if time.monotonic() >= deadline:
        raise CrawlFailed(f"timed out after {plan.scan_seconds:.0f} s ({pages} page visits)")


def _discover(
    new_visit: Callable[[], StateVisit], plan: CrawlPlan, deadline: float, report: Progress
) -> tuple[list[SeenPage], StateSeen]:
    """The ``none`` state: breadth-first from the start URLs, up to ``max_pages``."""
    queue = deque(u for u in dict.fromkeys(plan.start_urls))
    queued = set(queue)
    pages: list[SeenPage] = []
    visit = new_visit()
    try:
        while queue and len(pages) < plan.max_pages:
            _in_time(deadline, plan, len(pages))
            url = queue.popleft()
            status, links = visit.open(url, links=True)
            pages.append(SeenPage(url, status))
            report(len(pages), 3 * max(len(pages), min(plan.max_pages, len(pages) + len(queue))))
            for link in links:
                found = crawlable(link, plan.site_origins)
                if found and found not in queued:
                    queued.add(found)
                    queue.append(found)
    finally:
        seen = visit.close()
    return pages, seen


def _replay(
    new_visit: Callable[[], StateVisit],
    plan: CrawlPlan,
    deadline: float,
    pages: list[SeenPage],
    action: str,
    report: Callable[[int], None],
) -> StateSeen:
    """A choice state: the banner's button on the first page that loads, then every page."""
    visit = new_visit()
    chosen = False
    try:
        for done, page in enumerate(pages, start=1):
            _in_time(deadline, plan, done)
            status, _ = visit.open(page.url)
            if not chosen and status is not None:
                visit.choose(action)
                chosen = True
            report(done)
        if not chosen:
            raise CrawlFailed(f"no page loaded, so the banner's {action} button was not found")
    except VisitFailed as error:
        raise CrawlFailed(str(error)) from error
    finally:
        seen = visit.close()
    return seen
