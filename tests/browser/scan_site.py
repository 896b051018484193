"""The owner's site a scan crawls, with one of each thing a scan must find, and a canary.

- Meta Pixel (enabled) pasted *before* the embed: it loads before any choice → ``leak`` in
  ``none`` and ``reject_all``.
- HubSpot, not enabled, also before the embed → ``undeclared`` (and a leak).
- Google Analytics, enabled and injected by the banner's loader after consent → no finding.
- X (Twitter), enabled but on no page → ``declared_unused``.
- A pixel of a host no catalogue knows → ``unknown_host``; a cookie the page's own script
  sets → ``unknown_cookie``; a ``localStorage`` key of the page.
- ``/about.html`` reached by a link; ``/go`` redirects to the canary.
- The canary: an HTTP server on another loopback port that the pages link, load from,
  fetch, beacon and redirect to. A scan must send it nothing at all.
"""

from __future__ import annotations

import html
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.wrappers import Request, Response

GA_ID = "G-SCAN123"
#: The site's vendors: hubspot is on the pages but deliberately not here.
VENDORS: dict[str, dict[str, Any]] = {
    "google-analytics": {"category": "performance", "settings": {"measurement_id": GA_ID}},
    "meta-pixel": {"category": "targeting", "settings": {"pixel_id": "4242"}},
    "twitter": {"category": "social", "settings": {}},
}
UNKNOWN_HOST = "pixel.unknown-tracker.test"
UNKNOWN_COOKIE = "site_pref"
STORAGE_KEY = "site_theme"


class Canary:
    """Counts every request it receives (there must be none)."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        with self._lock:
            self.requests.append(f"{environ['REQUEST_METHOD']} {environ.get('PATH_INFO')}")
        return Response("canary", mimetype="text/plain")(environ, start_response)


def _page(service: str, key: str, canary: str, title: str, body: str) -> str:
    embed = html.escape(f"{service}/embed/{key}.js")
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{title}</title>
<script src="https://connect.facebook.net/en_US/fbevents.js"></script>
<script src="https://js.hs-scripts.com/1234567.js"></script>
<script src="{embed}"></script>
<link rel="preconnect" href="{canary}">
<link rel="stylesheet" href="{canary}/style.css">
</head><body><h1>{title}</h1>{body}
<img src="https://{UNKNOWN_HOST}/p.gif" alt="">
<img src="{canary}/pixel.gif" alt="">
<script src="{canary}/tracker.js"></script>
<iframe src="{canary}/frame" title="canary"></iframe>
<script>
document.cookie = "{UNKNOWN_COOKIE}=compact; max-age=86400; path=/";
localStorage.setItem("{STORAGE_KEY}", "dark");
fetch("{canary}/fetch", {{mode: "no-cors"}}).catch(() => {{}});
navigator.sendBeacon("{canary}/beacon", "x");
</script>
</body></html>"""


def owner_app(service: str, key: str, canary: str) -> Callable[..., Iterable[bytes]]:
    """The owner's web server: two pages, a redirect to the canary, nothing else."""
    home = f"""<p><a href="/about.html">About us</a> <a href="/go">Partner</a>
<a href="{canary}/linked">Elsewhere</a></p>"""
    about = f'<p><a href="/">Home</a> <a href="{canary}/about-link">Canary</a></p>'

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = Request(environ).path
        if path == "/":
            response = Response(_page(service, key, canary, "Home", home), mimetype="text/html")
        elif path == "/about.html":
            response = Response(_page(service, key, canary, "About", about), mimetype="text/html")
        elif path == "/slow":  # linked from nowhere: for the bounds' tests
            time.sleep(10)
            response = Response("<p>late</p>", mimetype="text/html")
        elif path == "/hang":  # linked from nowhere: its script never yields after load
            page = "<script>setTimeout(() => { for (;;) {} }, 50)</script><p>hung</p>"
            response = Response(page, mimetype="text/html")
        elif path == "/plain":  # linked from nowhere: a page without the site's script tag
            response = Response(
                "<!doctype html><title>Plain</title><p>no banner</p>", mimetype="text/html"
            )
        elif path == "/go":
            response = Response("", status=302, headers={"Location": f"{canary}/redirected"})
        else:
            response = Response("not found", status=404)
        return response(environ, start_response)

    return app
