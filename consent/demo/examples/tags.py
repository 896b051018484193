"""The vendors' standard tags, as their owners paste them into the reference sites' pages.

Each is the snippet the vendor publishes (GA4's gtag.js, the Meta Pixel base code, the
LinkedIn Insight Tag, HubSpot's embed code, Leadinfo's tracking code, Mailchimp's pop-up
form, Vimeo's player, the Facebook SDK and share button, X's share button) with the site's
ids filled in and nothing else changed: auto-blocking holds them back until the visitor's
choice allows their vendor. The page adds its CSP nonce to each ``<script>``, as a site
with a nonce-based policy does.
"""

# ruff: noqa: E501 (the vendors' snippets stay line for line as they publish them)
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: Where a tag goes: in ``<head>``, right after ``<body>``, at its end, or in a page's content.
Place = Literal["head", "start", "body", "content"]


@dataclass(frozen=True)
class Tag:
    """One vendor's standard tag on a reference site."""

    vendor: str
    place: Place
    html: str
    #: The page it is on ("home", "services", …), or None for every page.
    page: str | None = None


def gtag(measurement_id: str) -> Tag:
    """Google's tag (gtag.js) for GA4, in ``<head>``."""
    return Tag(
        "google-analytics",
        "head",
        f"""<!-- Google tag (gtag.js) -->
<script async src="https://www.googletagmanager.com/gtag/js?id={measurement_id}"></script>
<script>
  window.dataLayer = window.dataLayer || [];
  function gtag(){{dataLayer.push(arguments);}}
  gtag('js', new Date());

  gtag('config', '{measurement_id}');
</script>""",
    )


def meta_pixel(pixel_id: str) -> Tag:
    """The Meta Pixel base code, in ``<head>``."""
    return Tag(
        "meta-pixel",
        "head",
        f"""<!-- Meta Pixel Code -->
<script>
!function(f,b,e,v,n,t,s)
{{if(f.fbq)return;n=f.fbq=function(){{n.callMethod?
n.callMethod.apply(n,arguments):n.queue.push(arguments)}};
if(!f._fbq)f._fbq=n;n.push=n;n.loaded=!0;n.version='2.0';
n.queue=[];t=b.createElement(e);t.async=!0;
t.src=v;s=b.getElementsByTagName(e)[0];
s.parentNode.insertBefore(t,s)}}(window, document,'script',
'https://connect.facebook.net/en_US/fbevents.js');
fbq('init', '{pixel_id}');
fbq('track', 'PageView');
</script>
<noscript><img height="1" width="1" style="display:none"
src="https://www.facebook.com/tr?id={pixel_id}&ev=PageView&noscript=1"
/></noscript>
<!-- End Meta Pixel Code -->""",
    )


def linkedin_insight(partner_id: str) -> Tag:
    """The LinkedIn Insight Tag, just before ``</body>``."""
    return Tag(
        "linkedin-insight",
        "body",
        f"""<script type="text/javascript">
_linkedin_partner_id = "{partner_id}";
window._linkedin_data_partner_ids = window._linkedin_data_partner_ids || [];
window._linkedin_data_partner_ids.push(_linkedin_partner_id);
</script><script type="text/javascript">
(function(l) {{
if (!l){{window.lintrk = function(a,b){{window.lintrk.q.push([a,b])}};
window.lintrk.q=[]}}
var s = document.getElementsByTagName("script")[0];
var b = document.createElement("script");
b.type = "text/javascript";b.async = true;
b.src = "https://snap.licdn.com/li.lms-analytics/insight.min.js";
s.parentNode.insertBefore(b, s);}})(window.lintrk);
</script>
<noscript>
<img height="1" width="1" style="display:none;" alt="" src="https://px.ads.linkedin.com/collect/?pid={partner_id}&fmt=gif" />
</noscript>""",
    )


def hubspot(portal_id: str) -> Tag:
    """HubSpot's embed code, just before ``</body>``."""
    return Tag(
        "hubspot",
        "body",
        f"""<!-- Start of HubSpot Embed Code -->
<script type="text/javascript" id="hs-script-loader" async defer src="//js.hs-scripts.com/{portal_id}.js"></script>
<!-- End of HubSpot Embed Code -->""",
    )


def leadinfo(site_id: str) -> Tag:
    """Leadinfo's tracking code, in ``<head>``."""
    return Tag(
        "leadinfo",
        "head",
        f"""<!-- Leadinfo tracking code -->
<script>
(function(l,e,a,d,i,n,f,o){{if(!l[i]){{l.GlobalLeadinfoNamespace=l.GlobalLeadinfoNamespace||[];
l.GlobalLeadinfoNamespace.push(i);l[i]=function(){{(l[i].q=l[i].q||[]).push(arguments)}};l[i].t=l[i].t||n;
l[i].q=l[i].q||[];o=e.createElement(a);f=e.getElementsByTagName(a)[0];o.async=1;o.src=d;f.parentNode.insertBefore(o,f);}}
}}(window,document,"script","https://cdn.leadinfo.net/ping.js","leadinfo","{site_id}"));
</script>
<!-- End Leadinfo tracking code -->""",
    )


def mailchimp_popup(account: str, uuid: str, list_id: str) -> Tag:
    """Mailchimp's (older) subscriber pop-up form code, just before ``</body>``."""
    start = f'{{"baseUrl":"{account}","uuid":"{uuid}","lid":"{list_id}","uniqueMethods":true}}'
    return Tag(
        "mailchimp",
        "body",
        '<script type="text/javascript" src="//downloads.mailchimp.com/js/signup-forms/popup/'
        'unique-methods/embed.js" data-dojo-config="usePlainJson: true, isDebug: false">'
        '</script><script type="text/javascript">window.dojoRequire(["mojo/signup-forms/'
        f'Loader"], function(L) {{ L.start({start}) }})</script>',
    )


def vimeo(video_id: str, title: str, page: str) -> Tag:
    """Vimeo's embed code (fixed size) and its player API, in a page's content."""
    return Tag(
        "vimeo",
        "content",
        f"""<iframe src="https://player.vimeo.com/video/{video_id}" width="640" height="360" frameborder="0" allow="autoplay; fullscreen; picture-in-picture" allowfullscreen title="{title}"></iframe>
<script src="https://player.vimeo.com/api/player.js"></script>""",
        page,
    )


def facebook_sdk() -> Tag:
    """The Facebook SDK for the social plugins, right after ``<body>``."""
    return Tag(
        "facebook-social",
        "start",
        """<div id="fb-root"></div>
<script async defer crossorigin="anonymous" src="https://connect.facebook.net/en_US/sdk.js#xfbml=1&version=v19.0"></script>""",
    )


def facebook_share(url: str, page: str) -> Tag:
    """Facebook's share button (the SDK renders it), in a page's content."""
    return Tag(
        "facebook-social",
        "content",
        f"""<div class="fb-share-button" data-href="{url}" data-layout="button" data-size="small"><a target="_blank" href="https://www.facebook.com/sharer/sharer.php?u={url}&amp;src=sdkpreparse" class="fb-xfbml-parse-ignore">Share</a></div>""",
        page,
    )


def x_share(page: str) -> Tag:
    """X's (Twitter's) share button and widgets.js, in a page's content."""
    return Tag(
        "twitter",
        "content",
        """<a href="https://twitter.com/share?ref_src=twsrc%5Etfw" class="twitter-share-button" data-show-count="false">Tweet</a><script async src="https://platform.twitter.com/widgets.js" charset="utf-8"></script>""",
        page,
    )
