"""The catalogue's newer vendors (#21 item 4) on owner pages: each vendor's standard snippet,
pasted as the vendor publishes it (ids replaced), on a page of its own, on a site that
enables only that vendor in its catalogue category, with auto-blocking on.

Every request to a vendor host is answered by a stub: a script records that it ran (its host
and path on ``window.__ran``), a frame is a small page, anything else is empty.
"""

from __future__ import annotations

import html
import re
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from werkzeug.wrappers import Request, Response


@dataclass(frozen=True)
class Snippet:
    """A vendor's standard tag, and what runs (host and path) once it is allowed."""

    html: str
    runs: str
    settings: dict[str, Any] | None = None
    frame: str | None = None


GOOGLE_ADS = """<!-- Google tag (gtag.js) -->
<script async src="https://www.googletagmanager.com/gtag/js?id=AW-123456789"></script>
<script>
  window.dataLayer = window.dataLayer || [];
  function gtag(){dataLayer.push(arguments);}
  gtag('js', new Date());

  gtag('config', 'AW-123456789');
</script>"""

GTM = """<!-- Google Tag Manager -->
<script>(function(w,d,s,l,i){w[l]=w[l]||[];w[l].push({'gtm.start':
new Date().getTime(),event:'gtm.js'});var f=d.getElementsByTagName(s)[0],
j=d.createElement(s),dl=l!='dataLayer'?'&l='+l:'';j.async=true;j.src=
'https://www.googletagmanager.com/gtm.js?id='+i+dl;f.parentNode.insertBefore(j,f);
})(window,document,'script','dataLayer','GTM-ABC1234');</script>
<!-- End Google Tag Manager -->"""

CLARITY = """<script type="text/javascript">
    (function(c,l,a,r,i,t,y){
        c[a]=c[a]||function(){(c[a].q=c[a].q||[]).push(arguments)};
        t=l.createElement(r);t.async=1;t.src="https://www.clarity.ms/tag/"+i;
        y=l.getElementsByTagName(r)[0];y.parentNode.insertBefore(t,y);
    })(window, document, "clarity", "script", "abcdefghij");
</script>"""

HOTJAR = """<!-- Hotjar Tracking Code for https://shop.example -->
<script>
    (function(h,o,t,j,a,r){
        h.hj=h.hj||function(){(h.hj.q=h.hj.q||[]).push(arguments)};
        h._hjSettings={hjid:1234567,hjsv:6};
        a=o.getElementsByTagName('head')[0];
        r=o.createElement('script');r.async=1;
        r.src=t+h._hjSettings.hjid+j+h._hjSettings.hjsv;
        a.appendChild(r);
    })(window,document,'https://static.hotjar.com/c/hotjar-','.js?sv=');
</script>"""

MATOMO = """<!-- Matomo -->
<script>
  var _paq = window._paq = window._paq || [];
  /* tracker methods like "setCustomDimension" should be called before "trackPageView" */
  _paq.push(['trackPageView']);
  _paq.push(['enableLinkTracking']);
  (function() {
    var u="//matomo.example.com/";
    _paq.push(['setTrackerUrl', u+'matomo.php']);
    _paq.push(['setSiteId', '1']);
    var d=document, g=d.createElement('script'), s=d.getElementsByTagName('script')[0];
    g.async=true; g.src=u+'matomo.js'; s.parentNode.insertBefore(g,s);
  })();
</script>
<!-- End Matomo Code -->"""

#: A self-hosted Matomo's host (its ``host`` setting), and its Tag Manager container's
#: snippet as Matomo publishes it: no ``_paq`` marker, no matomo.js; only the host names it.
MATOMO_HOST = "stats.shop-analytics.example"
MATOMO_TAG_MANAGER = f"""<!-- Matomo Tag Manager -->
<script>
  var _mtm = window._mtm = window._mtm || [];
  _mtm.push({{'mtm.startTime': (new Date().getTime()), 'event': 'mtm.Start'}});
  (function() {{
    var d=document, g=d.createElement('script'), s=d.getElementsByTagName('script')[0];
    g.async=true; g.src='https://{MATOMO_HOST}/js/container_abc123.js'; s.parentNode.insertBefore(g,s);
  }})();
</script>
<!-- End Matomo Tag Manager -->"""

PLAUSIBLE = (
    '<script defer data-domain="shop.example" src="https://plausible.io/js/script.js"></script>'
)

TIKTOK = """<!-- TikTok Pixel Code Start -->
<script>
!function (w, d, t) {
  w.TiktokAnalyticsObject=t;var ttq=w[t]=w[t]||[];ttq.methods=["page","track","identify","instances","debug","on","off","once","ready","alias","group","enableCookie","disableCookie","holdConsent","revokeConsent","grantConsent"],ttq.setAndDefer=function(t,e){t[e]=function(){t.push([e].concat(Array.prototype.slice.call(arguments,0)))}};for(var i=0;i<ttq.methods.length;i++)ttq.setAndDefer(ttq,ttq.methods[i]);ttq.instance=function(t){for(
var e=ttq._i[t]||[],n=0;n<ttq.methods.length;n++)ttq.setAndDefer(e,ttq.methods[n]);return e},ttq.load=function(e,n){var r="https://analytics.tiktok.com/i18n/pixel/events.js",o=n&&n.partner;ttq._i=ttq._i||{},ttq._i[e]=[],ttq._i[e]._u=r,ttq._t=ttq._t||{},ttq._t[e]=+new Date,ttq._o=ttq._o||{},ttq._o[e]=n||{};n=document.createElement("script")
;n.type="text/javascript",n.async=!0,n.src=r+"?sdkid="+e+"&lib="+t;e=document.getElementsByTagName("script")[0];e.parentNode.insertBefore(n,e)};

  ttq.load('C4ABCDEFGHIJKLMNOPQR');
  ttq.page();
}(window, document, 'ttq');
</script>
<!-- TikTok Pixel Code End -->"""

PINTEREST = """<!-- Pinterest Tag -->
<script>
!function(e){if(!window.pintrk){window.pintrk = function () {
window.pintrk.queue.push(Array.prototype.slice.call(arguments))};var
  n=window.pintrk;n.queue=[],n.version="3.0";var
  t=document.createElement("script");t.async=!0,t.src=e;var
  r=document.getElementsByTagName("script")[0];
  r.parentNode.insertBefore(t,r)}}("https://s.pinimg.com/ct/core.js");
pintrk('load', '2612345678901');
pintrk('page');
</script>
<noscript>
<img height="1" width="1" style="display:none;" alt=""
  src="https://ct.pinterest.com/v3/?event=init&tid=2612345678901&noscript=1" />
</noscript>
<!-- end Pinterest Tag -->"""

MAILCHIMP = (
    '<script id="mcjs">!function(c,h,i,m,p){m=c.createElement(h),p=c.getElementsByTagName(h)'
    '[0],m.async=1,m.src=i,p.parentNode.insertBefore(m,p)}(document,"script","https://'
    "chimpstatic.com/mcjs-connected/js/users/0a1b2c3d4e5f60718293a4b5c/6d7e8f90a1b2c3d4e5f6"
    '07182.js");</script>'
)

INTERCOM = """<script>
  window.intercomSettings = {
    api_base: "https://api-iam.intercom.io",
    app_id: "abc12345",
  };
</script>
<script>
// We pre-filled your app ID in the widget URL: 'https://widget.intercom.io/widget/abc12345'
(function(){var w=window;var ic=w.Intercom;if(typeof ic==="function"){ic('reattach_activator');ic('update',w.intercomSettings);}else{var d=document;var i=function(){i.c(arguments);};i.q=[];i.c=function(args){i.q.push(args);};w.Intercom=i;var l=function(){var s=d.createElement('script');s.type='text/javascript';s.async=true;s.src='https://widget.intercom.io/widget/abc12345';var x=d.getElementsByTagName('script')[0];x.parentNode.insertBefore(s,x);};if(document.readyState==='complete'){l();}else if(w.attachEvent){w.attachEvent('onload',l);}else{w.addEventListener('load',l,false);}}})();
</script>"""

MAPS_FRAME = (
    "https://www.google.com/maps/embed?pb=!1m18!1m12!1m3!1d2436.2!2d4.8897!3d52.3731!2m3!1f0"
    "!2f0!3f0!3m2!1i1024!2i768!4f13.1!3m3!1m2!1s0x0%3A0x0!2sDam!5e0!3m2!1snl!2snl!4v1"
)
MAPS = (
    f'<iframe src="{MAPS_FRAME}" width="600" height="450" style="border:0;" '
    'allowfullscreen="" loading="lazy" referrerpolicy="no-referrer-when-downgrade"></iframe>'
)

#: Vendor id → its snippet and what runs once it is allowed.
SNIPPETS: dict[str, Snippet] = {
    "google-ads": Snippet(GOOGLE_ADS, "www.googletagmanager.com/gtag/js"),
    "google-tag-manager": Snippet(GTM, "www.googletagmanager.com/gtm.js"),
    "microsoft-clarity": Snippet(CLARITY, "www.clarity.ms/tag/abcdefghij"),
    "hotjar": Snippet(HOTJAR, "static.hotjar.com/c/hotjar-1234567.js"),
    "matomo": Snippet(MATOMO, "matomo.example.com/matomo.js", {"host": "matomo.example.com"}),
    "plausible": Snippet(PLAUSIBLE, "plausible.io/js/script.js"),
    "tiktok-pixel": Snippet(TIKTOK, "analytics.tiktok.com/i18n/pixel/events.js"),
    "pinterest-tag": Snippet(PINTEREST, "s.pinimg.com/ct/core.js"),
    "mailchimp": Snippet(
        MAILCHIMP,
        "chimpstatic.com/mcjs-connected/js/users/0a1b2c3d4e5f60718293a4b5c/"
        "6d7e8f90a1b2c3d4e5f607182.js",
    ),
    "intercom": Snippet(INTERCOM, "widget.intercom.io/widget/abc12345"),
    "google-maps": Snippet(MAPS, "", frame=MAPS_FRAME),
}

HOSTS = (
    "www.googletagmanager.com",
    "www.clarity.ms",
    "static.hotjar.com",
    "matomo.example.com",
    MATOMO_HOST,
    "plausible.io",
    "analytics.tiktok.com",
    "s.pinimg.com",
    "ct.pinterest.com",
    "chimpstatic.com",
    "widget.intercom.io",
    "api-iam.intercom.io",
    "www.google.com",
)
ROUTE = re.compile(r"^https?://(" + "|".join(re.escape(h) for h in HOSTS) + r")/")


def ran(url: str) -> str:
    """What a stub records: the script's host and path."""
    parts = urllib.parse.urlsplit(url)
    return f"{parts.hostname}{parts.path}"


def answer(route: Any) -> None:
    """A stub for every vendor request: scripts record that they ran (gtag.js also what it
    found in dataLayer), frames are a page, the rest is empty."""
    request = route.request
    if request.resource_type == "script":
        body = f"(window.__ran = window.__ran || []).push({ran(request.url)!r});"
        if "/gtag/js" in request.url:
            body += (
                "window.__dataLayerSeen = JSON.parse(JSON.stringify("
                "Array.from(window.dataLayer || [], a => Array.from(a))));"
            )
        route.fulfill(
            status=200,
            content_type="text/javascript",
            body=body,
            headers={"Cache-Control": "no-store"},
        )
    elif request.resource_type == "document":
        route.fulfill(status=200, content_type="text/html", body="<p>A map</p>")
    else:
        route.fulfill(status=204, body="")


def written(vendor: str) -> set[str]:
    """URLs written in the snippet's HTML outside <noscript> (the preload scanner and the
    parser's frames may ask for these early; DESIGN.md "Limits"), without their scheme."""
    text = re.sub(r"<noscript>.*?</noscript>", "", SNIPPETS[vendor].html, flags=re.S)
    return {ran(html.unescape(src)) for src in re.findall(r'\bsrc="([^"]+)"', text)}


def owner_app(
    service: str, keys: dict[str, str], snippets: Mapping[str, Snippet] = SNIPPETS
) -> Callable[..., Iterable[bytes]]:
    """The owner's server: ``/<vendor>.html`` carries that vendor's snippet."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        vendor = Request(environ).path.strip("/").removesuffix(".html")
        if vendor not in snippets:
            return Response("not found", status=404)(environ, start_response)
        embed = html.escape(f"{service}/embed/{keys[vendor]}.js")
        page = (
            f'<!doctype html><html lang="en"><head><script src="{embed}"></script>'
            f"<meta charset=utf-8><title>{vendor}</title></head><body><h1>Shop</h1>"
            f"{snippets[vendor].html}</body></html>"
        )
        response = Response(page, mimetype="text/html")
        response.headers["Cache-Control"] = "no-store"
        return response(environ, start_response)

    return app
