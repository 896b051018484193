"""Auto-blocking's pages: the vendors' standard snippets pasted as they publish them.

Each inline snippet is the vendor's own text with one line added at its end that records
it ran (``window.__runs``); the vendor hosts are answered with stubs that record the same
way, so a test reads what ran, how often and in what order. The owner's own code
(``/autoblock-page.js``) adds trackers later, as page scripts do: a script through
createElement + insertBefore, a pixel through setAttribute + appendChild, a beacon through
``new Image``, a preload link, and an iframe and an image through innerHTML.
"""

from __future__ import annotations

import html
import re
import secrets
import threading
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from werkzeug.wrappers import Request, Response

GA_ID = "G-AB12345"
PIXEL_ID = "456"
PARTNER_ID = "123"
PORTAL_ID = "1234567"

#: Every vendor of the catalogue that the pages use, on a site with its ids configured too
#: (so that "never twice" is tested: the loader must not inject what the page carries).
ALL_VENDORS: dict[str, dict[str, Any]] = {
    "google-analytics": {"category": "performance", "settings": {"measurement_id": GA_ID}},
    "meta-pixel": {"category": "targeting", "settings": {"pixel_id": PIXEL_ID}},
    "linkedin-insight": {"category": "targeting", "settings": {"partner_id": PARTNER_ID}},
    "hubspot": {"category": "targeting", "settings": {"portal_id": PORTAL_ID}},
    "leadinfo": {"category": "targeting", "settings": {}},
    "youtube": {"category": "targeting", "settings": {}},
    "vimeo": {"category": "targeting", "settings": {}},
    "twitter": {"category": "social", "settings": {}},
}

#: Site name → its vendors and its auto_block setting (set through the owner API).
SITES: dict[str, dict[str, Any]] = {
    "ab-all": {"vendors": ALL_VENDORS, "auto_block": True},
    # Leadinfo is not enabled here: its snippet stays held back, with a warning.
    "ab-partial": {
        "vendors": {
            "google-analytics": ALL_VENDORS["google-analytics"],
            "twitter": ALL_VENDORS["twitter"],
        },
        "auto_block": True,
    },
    "ab-off": {
        "vendors": {
            "google-analytics": ALL_VENDORS["google-analytics"],
            "youtube": ALL_VENDORS["youtube"],
        },
        "auto_block": False,
    },
}


def _ran(name: str) -> str:
    return f"(window.__runs = window.__runs || []).push({name!r});"


# --- The vendors' standard snippets (ids replaced), each plus its one recording line. ---

GA4 = f"""
<!-- Google tag (gtag.js) -->
<script async src="https://www.googletagmanager.com/gtag/js?id={GA_ID}"></script>
<script>
  window.dataLayer = window.dataLayer || [];
  function gtag(){{dataLayer.push(arguments);}}
  gtag('js', new Date());

  gtag('config', '{GA_ID}');
  {_ran("ga-inline")}
</script>
"""

META_PIXEL = f"""
<!-- Meta Pixel Code -->
<script>
!function(f,b,e,v,n,t,s)
{{if(f.fbq)return;n=f.fbq=function(){{n.callMethod?
n.callMethod.apply(n,arguments):n.queue.push(arguments)}};
if(!f._fbq)f._fbq=n;n.push=n;n.loaded=!0;n.version='2.0';
n.queue=[];t=b.createElement(e);t.async=!0;
t.src=v;s=b.getElementsByTagName(e)[0];
s.parentNode.insertBefore(t,s)}}(window, document,'script',
'https://connect.facebook.net/en_US/fbevents.js');
fbq('init', '{PIXEL_ID}');
fbq('track', 'PageView');
{_ran("meta-inline")}
</script>
<noscript><img height="1" width="1" style="display:none"
src="https://www.facebook.com/tr?id={PIXEL_ID}&ev=PageView&noscript=1"
/></noscript>
<!-- End Meta Pixel Code -->
"""

LEADINFO = f"""
<!-- Leadinfo tracking code -->
<script>
(function(l,e,a,d,i,n,f,o){{if(!l[i]){{l.GlobalLeadinfoNamespace=l.GlobalLeadinfoNamespace||[];
l.GlobalLeadinfoNamespace.push(i);l[i]=function(){{(l[i].q=l[i].q||[]).push(arguments)}};l[i].t=l[i].t||n;
l[i].q=l[i].q||[];o=e.createElement(a);f=e.getElementsByTagName(a)[0];o.async=1;o.src=d;f.parentNode.insertBefore(o,f);}}
}}(window,document,"script","https://cdn.leadinfo.net/ping.js","leadinfo","LI-6123A4B5C6D7E"));
{_ran("leadinfo-inline")}
</script>
<!-- End Leadinfo tracking code -->
"""

YOUTUBE = """
<iframe width="560" height="315" src="https://www.youtube.com/embed/M7lc1UVf-VE"
 title="YouTube video player" frameborder="0"
 allow="accelerometer; autoplay; clipboard-write; encrypted-media; gyroscope; picture-in-picture; web-share"
 referrerpolicy="strict-origin-when-cross-origin" allowfullscreen></iframe>
"""

# Vimeo's embed code ends with its player API, a script without async.
VIMEO = """
<iframe src="https://player.vimeo.com/video/76979871" width="640" height="360"
 frameborder="0" allow="autoplay; fullscreen; picture-in-picture" allowfullscreen></iframe>
<script src="https://player.vimeo.com/api/player.js"></script>
"""

TWITTER = """
<blockquote class="twitter-tweet"><p lang="en" dir="ltr">just setting up my twttr</p>
&mdash; jack (@jack) <a href="https://twitter.com/jack/status/20">March 21, 2006</a></blockquote>
<script async src="https://platform.twitter.com/widgets.js" charset="utf-8"></script>
"""

LINKEDIN = f"""
<script type="text/javascript">
_linkedin_partner_id = "{PARTNER_ID}";
window._linkedin_data_partner_ids = window._linkedin_data_partner_ids || [];
window._linkedin_data_partner_ids.push(_linkedin_partner_id);
{_ran("linkedin-partner")}
</script><script type="text/javascript">
(function(l) {{
if (!l){{window.lintrk = function(a,b){{window.lintrk.q.push([a,b])}};
window.lintrk.q=[]}}
var s = document.getElementsByTagName("script")[0];
var b = document.createElement("script");
b.type = "text/javascript";b.async = true;
b.src = "https://snap.licdn.com/li.lms-analytics/insight.min.js";
s.parentNode.insertBefore(b, s);}})(window.lintrk);
{_ran("linkedin-loader")}
</script>
<noscript>
<img height="1" width="1" style="display:none;" alt="" src="https://px.ads.linkedin.com/collect/?pid={PARTNER_ID}&fmt=gif" />
</noscript>
"""

HUBSPOT = f"""
<!-- Start of HubSpot Embed Code -->
<script type="text/javascript" id="hs-script-loader" async defer src="//js.hs-scripts.com/{PORTAL_ID}.js"></script>
<!-- End of HubSpot Embed Code -->
"""

#: Run markers of the main page's inline snippets and external scripts without async, in
#: document order: the order they run in, as the parser would run them.
DOCUMENT_ORDER = [
    "ga-inline",
    "meta-inline",
    "leadinfo-inline",
    "player.js",
    "linkedin-partner",
    "linkedin-loader",
]
#: Run markers of the main page's async scripts: they run when loaded, as without a banner.
ASYNC_SCRIPTS = ["gtag.js", "widgets.js", "hs-script"]
#: Run markers of scripts that other scripts add: the vendors' loaders and the owner's code.
ADDED_SCRIPTS = ["fbevents.js", "ping.js", "insight.min.js", "iframe_api"]
#: Run markers of Google Analytics's part of the page.
GA_RUNS = ["gtag.js", "ga-inline"]

# --- What the owner's own code adds later. ---

LATE_FRAME = "https://www.youtube.com/embed/late-video"
LATE_FRAME_IMAGE = f"https://px.ads.linkedin.com/collect/?pid={PARTNER_ID}&fmt=gif&from=innerhtml"
#: URLs that only a script adds: no request may go there before the gate allows it.
ADDED_URLS = {
    "https://www.youtube.com/iframe_api",
    f"https://www.facebook.com/tr?id={PIXEL_ID}&ev=Lead",
    f"https://px.ads.linkedin.com/collect/?pid={PARTNER_ID}&fmt=gif&conversionId=7",
    LATE_FRAME,
    LATE_FRAME_IMAGE,
    "https://cdn.leadinfo.net/ping.js",
    # Added by the vendors' own loaders once their inline snippet runs.
    "https://connect.facebook.net/en_US/fbevents.js",
    "https://snap.licdn.com/li.lms-analytics/insight.min.js",
}
#: The vendor iframes of the main page once released (two written, one added).
FRAMES = {
    "https://www.youtube.com/embed/M7lc1UVf-VE",
    "https://player.vimeo.com/video/76979871",
    LATE_FRAME,
}

PAGE_JS = f"""
// The owner's own code: it adds trackers after the page has loaded, as page scripts do.
setTimeout(function () {{
  // YouTube's IFrame Player API, loaded the way its documentation shows.
  var tag = document.createElement('script');
  tag.src = 'https://www.youtube.com/iframe_api';
  var firstScriptTag = document.getElementsByTagName('script')[0];
  firstScriptTag.parentNode.insertBefore(tag, firstScriptTag);
  // A conversion pixel: createElement, setAttribute, appendChild.
  var pixel = document.createElement('img');
  pixel.setAttribute('src', 'https://www.facebook.com/tr?id={PIXEL_ID}&ev=Lead');
  pixel.width = 1;
  pixel.height = 1;
  pixel.alt = '';
  document.body.appendChild(pixel);
  // A beacon: new Image, src, append.
  var beacon = new Image(1, 1);
  beacon.src = 'https://px.ads.linkedin.com/collect/?pid={PARTNER_ID}&fmt=gif&conversionId=7';
  beacon.alt = '';
  document.body.append(beacon);
  // A preload of a tracker's script.
  var link = document.createElement('link');
  link.rel = 'preload';
  link.as = 'script';
  link.href = 'https://cdn.leadinfo.net/ping.js';
  document.head.appendChild(link);
  // A video and a pixel written through innerHTML.
  document.getElementById('late').innerHTML =
    '<iframe width="320" height="180" src="{LATE_FRAME}" title="Late video"></iframe>' +
    '<img width="1" height="1" alt="" src="{LATE_FRAME_IMAGE}">';
  window.__pageAdded = true;
}}, 0);
"""

IGNORE_JS = """
// An exempt pixel added by the owner's code: it must load at once.
var pixel = document.createElement('img');
pixel.setAttribute('data-consent-ignore', '');
pixel.src = 'https://www.facebook.com/tr?id=9&ev=Exempt';
document.body.appendChild(pixel);
window.__pageAdded = true;
"""
IGNORED_PIXEL = "https://www.facebook.com/tr?id=9&ev=Exempt"

IGNORED_TWITTER = """
<script data-consent-ignore async src="https://platform.twitter.com/widgets.js" charset="utf-8"></script>
"""

_MAIN_HEAD = GA4 + META_PIXEL + LEADINFO
_MAIN_BODY = (
    "<h1>Owner page</h1>"
    + YOUTUBE
    + VIMEO
    + TWITTER
    + '<div id="late"></div>'
    + LINKEDIN
    + HUBSPOT
    + '<script src="/autoblock-page.js"></script>'
)

#: Page name → (site name, extra head, body, strict CSP with nonces).
PAGES: dict[str, tuple[str, str, str, bool]] = {
    "snippets.html": ("ab-all", _MAIN_HEAD, _MAIN_BODY, False),
    "snippets-csp.html": ("ab-all", _MAIN_HEAD, _MAIN_BODY, True),
    "partial.html": (
        "ab-partial",
        GA4 + LEADINFO,
        "<h1>Owner page</h1>" + IGNORED_TWITTER + '<script src="/autoblock-ignore.js"></script>',
        False,
    ),
    "off.html": ("ab-off", GA4, "<h1>Owner page</h1>" + YOUTUBE, False),
}

# --- A page whose HTML reaches the browser in two reads. ---

#: The split falls inside LinkedIn's loader, before the marker that names it.
SPLIT_BEFORE = "snap.licdn.com/li.lms-analytics"
#: The owner's script before it: once the parser has inserted the loader's <script> with
#: the text received so far (and the loader's own observer has seen it, in the same
#: microtask checkpoint), it asks the server for the rest of the page.
_SPLIT_SIGNAL = """<script>
new MutationObserver(function (records, observer) {
  records.forEach(function (record) {
    record.addedNodes.forEach(function (node) {
      if (node.localName === 'script' && node.text.indexOf('lintrk') >= 0) {
        observer.disconnect();
        fetch('/autoblock-continue' + location.search);
      }
    });
  });
}).observe(document.documentElement, {childList: true, subtree: true});
</script>"""
#: Run id → set once the page's first part has been parsed (at most 10 s are waited).
_CONTINUE: dict[str, threading.Event] = {}


def _in_two_reads(page: str, run: str) -> Iterator[bytes]:
    cut = page.index(SPLIT_BEFORE)
    yield page[:cut].encode()
    _CONTINUE.setdefault(run, threading.Event()).wait(10)
    _CONTINUE.pop(run, None)
    yield page[cut:].encode()


#: The hosts the pages' trackers use; the tests answer them all.
VENDOR_HOSTS = (
    "www.googletagmanager.com",
    "www.google-analytics.com",
    "connect.facebook.net",
    "www.facebook.com",
    "snap.licdn.com",
    "px.ads.linkedin.com",
    "js.hs-scripts.com",
    "js.hs-analytics.net",
    "cdn.leadinfo.net",
    "www.youtube.com",
    "player.vimeo.com",
    "platform.twitter.com",
)
ROUTE = re.compile(r"^https?://(" + "|".join(re.escape(h) for h in VENDOR_HOSTS) + r")/")


def host_of(url: str) -> str:
    return urllib.parse.urlsplit(url).hostname or ""


def written_urls(name: str, origin: str) -> set[str]:
    """Vendor URLs written in the page's HTML (``src`` attributes, noscript included): the
    preload scanner may fetch these early (DESIGN.md "Limits")."""
    found = set()
    for value in re.findall(r'\bsrc="([^"]+)"', "".join(PAGES[name][1:3])):
        url = urllib.parse.urljoin(origin + "/", value)
        if host_of(url) in VENDOR_HOSTS:
            found.add(url)
    return found


def csp(service: str, nonce: str) -> str:
    """A strict CSP: scripts by nonce and 'strict-dynamic' only, nothing inline."""
    return (
        f"default-src 'none'; script-src 'nonce-{nonce}' 'strict-dynamic'; "
        f"style-src 'self' {service}; connect-src 'self' {service}; "
        f"img-src 'self' {service} data: https:; font-src {service}; frame-src https:; "
        "base-uri 'none'; object-src 'none'"
    )


def _page(service: str, key: str, head: str, body: str, nonce: str | None) -> str:
    page = (
        f'<!doctype html><html lang="en"><head>'
        f'<script src="{html.escape(service)}/embed/{key}.js"></script>'
        f'<meta charset="utf-8"><title>Owner</title>{head}</head><body>{body}</body></html>'
    )
    return page.replace("<script", f'<script nonce="{nonce}"') if nonce else page


def owner_app(service: str, keys: dict[str, str]) -> Callable[..., Iterable[bytes]]:
    """The owner's web server for auto-blocking's pages."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        path = request.path.lstrip("/")
        run = request.args.get("run", "")
        if path == "autoblock-page.js":
            response = Response(PAGE_JS, mimetype="text/javascript")
        elif path == "autoblock-ignore.js":
            response = Response(IGNORE_JS, mimetype="text/javascript")
        elif path == "split.html":
            page = _page(service, keys["ab-all"], _MAIN_HEAD, _SPLIT_SIGNAL + _MAIN_BODY, None)
            response = Response(_in_two_reads(page, run), mimetype="text/html")
        elif path == "autoblock-continue":
            _CONTINUE.setdefault(run, threading.Event()).set()
            response = Response(status=204)
        elif path in PAGES:
            site, head, body, strict = PAGES[path]
            nonce = secrets.token_urlsafe(16) if strict else None
            response = Response(_page(service, keys[site], head, body, nonce), mimetype="text/html")
            if nonce:
                response.headers["Content-Security-Policy"] = csp(service, nonce)
        else:
            response = Response("not found", status=404)
        response.headers["Cache-Control"] = "no-store"
        return response(environ, start_response)

    return app


# --- The vendors' side: stub scripts, frames and beacons. ---

#: (host, path prefix) → stub script; each records that it ran, and what it found.
STUBS: dict[tuple[str, str], str] = {
    ("www.googletagmanager.com", "/gtag/js"): _ran("gtag.js")
    + "window.__gaDataLayer = JSON.parse(JSON.stringify("
    "Array.from(window.dataLayer || [], a => Array.from(a))));",
    ("connect.facebook.net", "/en_US/fbevents.js"): _ran("fbevents.js")
    + "window.__fbqQueue = Array.from(window.fbq.queue, a => Array.from(a));",
    ("snap.licdn.com", "/li.lms-analytics/insight.min.js"): _ran("insight.min.js")
    + "window.__linkedinIds = (window._linkedin_data_partner_ids || []).slice();",
    ("js.hs-scripts.com", f"/{PORTAL_ID}.js"): _ran("hs-script"),
    ("cdn.leadinfo.net", "/ping.js"): _ran("ping.js"),
    ("platform.twitter.com", "/widgets.js"): _ran("widgets.js"),
    ("www.youtube.com", "/iframe_api"): _ran("iframe_api"),
    ("player.vimeo.com", "/api/player.js"): _ran("player.js"),
}
_FRAMES = {"www.youtube.com": "/embed/", "player.vimeo.com": "/video/"}


def answer(route: Any) -> None:
    """Answer a request to a vendor host: its stub, a frame page, or an empty beacon."""
    parts = urllib.parse.urlsplit(route.request.url)
    host = parts.hostname or ""
    for (stub_host, prefix), body in STUBS.items():
        if host == stub_host and parts.path.startswith(prefix):
            route.fulfill(
                status=200,
                content_type="text/javascript",
                body=body,
                headers={"Access-Control-Allow-Origin": "*", "Cache-Control": "no-store"},
            )
            return
    if _FRAMES.get(host) and parts.path.startswith(_FRAMES[host]):
        route.fulfill(status=200, content_type="text/html", body=f"<p>{host} player</p>")
    else:
        route.fulfill(status=204, body="")
