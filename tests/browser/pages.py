"""The owner's side of the browser tests: sites, generated pages, and vendor stub scripts."""

from __future__ import annotations

import copy
import html
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.wrappers import Request, Response

#: Markup an owner might paste into a banner text; it must only ever show as text.
HOSTILE_TITLE = '<img src="/pwned.png" onerror="window.__xss = 1">Cookies'
HOSTILE_DESCRIPTION = "<script>window.__xss = 2</script><b>bold</b> & {vendor}"


def _hostile_texts(draft: dict[str, Any]) -> None:
    texts = copy.deepcopy(draft["texts"])
    texts["en"]["title"] = HOSTILE_TITLE
    texts["en"]["description"] = HOSTILE_DESCRIPTION
    texts["en"]["categories"]["performance"]["title"] = "<svg onload=window.__xss=3>Stats"
    draft["texts"] = texts
    draft["cookie_statement_url"] = "https://example.com/cookies"


#: Site name → the vendors it enables, and an optional change published as version 2.
SITES: dict[str, dict[str, Any]] = {
    "tags": {
        "vendors": {
            "google-analytics": {
                "category": "performance",
                "settings": {"measurement_id": "G-ABC123"},
            },
            "linkedin-insight": {"category": "targeting", "settings": {"partner_id": "123"}},
            "meta-pixel": {"category": "targeting", "settings": {"pixel_id": "456"}},
        }
    },
    "embeds": {
        "vendors": {
            "hubspot": {"category": "targeting", "settings": {}},
            "vimeo": {"category": "targeting", "settings": {}},
            "stripe": {"category": "necessary", "settings": {}},
        }
    },
    "reconsent": {
        "vendors": {
            "google-analytics": {
                "category": "performance",
                "settings": {"measurement_id": "G-ABC123"},
            },
        }
    },
    "markup": {
        "vendors": {
            "google-analytics": {
                "category": "performance",
                "settings": {"measurement_id": "G-XSS999"},
            },
        },
        "draft": _hostile_texts,
    },
}

_OWNER_JS = """
document.getElementById('go').addEventListener('click', function () {
  document.getElementById('out').textContent = 'clicked ' + document.getElementById('q').value;
});
"""

_BODY = """
<h1>Owner page</h1>
<p><label>Search <input id="q"></label> <button type="button" id="go">Go</button></p>
<p id="out"></p>
<p><a href="#" data-consent-open>Cookie settings</a></p>
"""

_EMBEDS_HEAD = """
<script type="text/plain" data-consent-vendor="hubspot" data-src="https://js.hs-scripts.com/1.js"></script>
<script type="text/plain" data-consent-vendor="hubspot">window.__inlineHubspot = true;</script>
<script type="text/plain" data-consent-vendor="stripe" data-src="https://js.stripe.com/v3/"></script>
<script type="text/plain" data-consent-vendor="twitter" data-src="https://platform.twitter.com/widgets.js"></script>
"""

_EMBEDS_BODY = """
<iframe data-consent-vendor="vimeo" data-src="https://player.vimeo.com/video/1"
  width="480" height="270" title="Product video"></iframe>
<iframe data-consent-vendor="youtube" data-src="https://www.youtube.com/embed/1"
  width="480" height="270" title="Not enabled"></iframe>
"""

#: A long page with a link in every paragraph: some of them under the banner as one tabs.
_TALL_BODY = "".join(
    f'<p style="margin: 0 0 60px; text-align: center"><a href="#p{n}" id="p{n}">link {n}</a></p>'
    for n in range(30)
)

#: Page name → (site name or literal key, html lang, extra head, extra body, CSP kind).
PAGES: dict[str, tuple[str, str, str, str, str | None]] = {
    "tags.html": ("tags", "en", "", "", None),
    "nl.html": ("tags", "nl-BE", "", "", None),
    "csp.html": ("tags", "en", "", "", "strict"),
    "csp-vendors.html": ("tags", "en", "", "", "vendors"),
    "embeds.html": ("embeds", "en", _EMBEDS_HEAD, _EMBEDS_BODY, None),
    "markup.html": ("markup", "en", "", "", None),
    "reconsent.html": ("reconsent", "en", "", "", None),
    "tall.html": ("tags", "en", "", _TALL_BODY, None),
    "unknown-site.html": ("no-such-site-key", "en", "", "", "strict"),
    # The cookie declaration's element (tests/browser/test_declaration.py).
    "declaration-nl.html": ("tags", "nl-NL", "", "<div data-consent-declaration></div>", "strict"),
    "declaration-markup.html": (
        "markup",
        "en",
        "",
        "<div data-consent-declaration></div>",
        "strict",
    ),
}

_VENDOR_HOSTS = (
    "https://www.googletagmanager.com https://snap.licdn.com https://connect.facebook.net"
)


def strict_csp(service: str, vendors: bool = False) -> str:
    """DESIGN.md's strict CSP, optionally letting the managed vendors' scripts in."""
    scripts = f"'self' {service}" + (f" {_VENDOR_HOSTS}" if vendors else "")
    return (
        f"default-src 'none'; script-src {scripts}; style-src 'self' {service}; "
        f"connect-src 'self' {service}; img-src 'self' {service} data:; font-src {service}; "
        "frame-src https:; base-uri 'none'; object-src 'none'"
    )


def _page(service: str, key: str, lang: str, head: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="{lang}"><head>'
        f'<script src="{html.escape(service)}/embed/{key}.js"></script>'
        f'<meta charset="utf-8"><title>Owner</title>{head}'
        f'<script src="/owner.js" defer></script></head><body>{_BODY}{body}</body></html>'
    )


def owner_app(service: str, keys: dict[str, str]) -> Callable[..., Iterable[bytes]]:
    """The owner's web server: the generated pages, their script, a privacy page."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = Request(environ).path.lstrip("/")
        if path == "owner.js":
            response = Response(_OWNER_JS, mimetype="text/javascript")
        elif path == "privacy":
            response = Response("<!doctype html><title>Privacy</title>", mimetype="text/html")
        elif path in PAGES:
            site, lang, head, body, csp = PAGES[path]
            page = _page(service, keys.get(site, site), lang, head, body)
            response = Response(page, mimetype="text/html")
            if csp:
                response.headers["Content-Security-Policy"] = strict_csp(service, csp == "vendors")
        else:
            response = Response("not found", status=404)
        return response(environ, start_response)

    return app


#: Stub vendor scripts: each records what it found when it ran, and sets the cookies
#: the real one would (so that withdrawal has something to delete).
STUBS: dict[str, str] = {
    "www.googletagmanager.com": """
window.__gaLoaded = (window.__gaLoaded || 0) + 1;
window.__gaDataLayer = JSON.parse(
  JSON.stringify(Array.from(window.dataLayer || [], a => Array.from(a))));
document.cookie = '_ga=GA1.1.1.1; path=/';
document.cookie = '_ga_ABC123=GS1.1; path=/';
document.cookie = '_gid=GA1.1.2; path=/';
""",
    "snap.licdn.com": """
window.__linkedinIds = (window._linkedin_data_partner_ids || []).slice();
document.cookie = 'li_fat_id=abc; path=/';
""",
    "connect.facebook.net": """
window.__fbqQueue = Array.from(window.fbq.queue, a => Array.from(a));
window.__fbqCalls = [];
window.fbq.callMethod = function () { window.__fbqCalls.push(Array.from(arguments)); };
document.cookie = '_fbp=fb.1.1.1; path=/';
""",
    "js.hs-scripts.com": """
window.__hubspotLoaded = (window.__hubspotLoaded || 0) + 1;
document.cookie = 'hubspotutk=abc; path=/';
document.cookie = '__hstc=abc; path=/';
""",
}


def stub_for(host: str) -> str:
    """A stub that only records that ``host`` ran."""
    return f"window.__loaded = (window.__loaded || []).concat({host!r});"
