"""The five categories and the vendor catalogue, as data.

Facts come from ../shared/VENDORS.md and docs/vendors.md; the entries live by kind in
``catalog_analytics``, ``catalog_marketing`` and ``catalog_embeds`` (each with its vendors'
cookie facts), assembled here in the order auto-blocking tries them.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import MappingProxyType

from consent.core import catalog_analytics, catalog_embeds, catalog_marketing
from consent.core.catalog_model import Setting, Vendor

__all__ = [
    "CATEGORIES",
    "CONSENT_MODE",
    "EXAMPLE_SRC",
    "GPC_CATEGORIES",
    "VENDORS",
    "Setting",
    "Vendor",
]

#: The five category ids, in the order the banner shows them.
CATEGORIES: tuple[str, ...] = ("necessary", "performance", "functionality", "targeting", "social")

#: Categories that Global Privacy Control opts out of (sale/sharing of personal data).
GPC_CATEGORIES: frozenset[str] = frozenset({"targeting", "social"})

#: Google Consent Mode v2 parameters and the category that grants each one.
CONSENT_MODE: MappingProxyType[str, str] = MappingProxyType(
    {
        "security_storage": "necessary",
        "analytics_storage": "performance",
        "functionality_storage": "functionality",
        "personalization_storage": "functionality",
        "ad_storage": "targeting",
        "ad_user_data": "targeting",
        "ad_personalization": "targeting",
    }
)


#: Every catalogue vendor by its id, in the order auto-blocking tries them.
VENDORS: MappingProxyType[str, Vendor] = MappingProxyType(
    {
        v.id: v
        for v in (
            *catalog_analytics.VENDORS,
            *catalog_marketing.VENDORS,
            *catalog_embeds.VENDORS,
        )
    }
)


#: The vendors the banner's loader injects itself (``MANAGED`` in
#: static/banner/src/vendor-apis.js; a test keeps the two in step), each with the setting it
#: needs: loaded once that setting is entered and the visitor's choice allows the vendor.
LOADER_VENDORS: MappingProxyType[str, str] = MappingProxyType(
    {
        "google-analytics": "measurement_id",
        "linkedin-insight": "partner_id",
        "meta-pixel": "pixel_id",
        "hubspot": "portal_id",
    }
)


#: The URL of each vendor's standard tag (a script's src, a frame's): the admin's examples.
EXAMPLE_SRC: MappingProxyType[str, str] = MappingProxyType(
    {
        "google-ads": "https://www.googletagmanager.com/gtag/js?id=AW-123456789",
        "google-analytics": "https://www.googletagmanager.com/gtag/js?id=G-XXXXXXX",
        "google-tag-manager": "https://www.googletagmanager.com/gtm.js?id=GTM-XXXXXXX",
        "microsoft-clarity": "https://www.clarity.ms/tag/PROJECT_ID",
        "hotjar": "https://static.hotjar.com/c/hotjar-1234567.js?sv=6",
        "matomo": "https://matomo.example.com/matomo.js",
        "plausible": "https://plausible.io/js/script.js",
        "linkedin-insight": "https://snap.licdn.com/li.lms-analytics/insight.min.js",
        "meta-pixel": "https://connect.facebook.net/en_US/fbevents.js",
        "hubspot": "https://js.hs-scripts.com/1234567.js",
        "vimeo": "https://player.vimeo.com/video/76979871",
        "youtube": "https://www.youtube-nocookie.com/embed/VIDEO_ID",
        "leadinfo": "https://cdn.leadinfo.net/ping.js",
        "twitter": "https://platform.twitter.com/widgets.js",
        "facebook-social": "https://connect.facebook.net/en_US/sdk.js",
        "tiktok-pixel": "https://analytics.tiktok.com/i18n/pixel/events.js",
        "pinterest-tag": "https://s.pinimg.com/ct/core.js",
        "intercom": "https://widget.intercom.io/widget/APP_ID",
        "google-maps": "https://www.google.com/maps/embed?pb=MAP_ID",
        "mailchimp": "https://chimpstatic.com/mcjs-connected/js/users/USER_ID/SITE_ID.js",
        "stripe": "https://js.stripe.com/v3/",
    }
)


def blocking_rules(enabled: Iterable[str]) -> dict[str, list[list[str]]]:
    """What auto-blocking recognises, as the embed's config carries it: ``{id: [hosts,
    markers]}`` (``[hosts]`` without markers).

    The hosts of every catalogue vendor but the strictly necessary ones (a vendor the site
    has not enabled is held back too; a necessary one never is), the markers of the
    ``enabled`` ones. The embed takes the first vendor, in this order, whose marker is in a
    URL or an inline script's text, else the first whose host is the URL's host or a parent
    of it (or, for an inline script, is named in its text: a loader names the host it loads
    from). So a host that an earlier vendor lists, and a marker that names a host of the
    vendor's own, add nothing and are left out.
    """
    first: dict[str, str] = {}
    for vendor in VENDORS.values():
        for host in vendor.hosts:
            first.setdefault(host, vendor.id)
    rules = {}
    for vendor in VENDORS.values():
        own = [host for host in vendor.hosts if first[host] == vendor.id]
        markers = [
            m for m in vendor.inline_markers if '"' not in m and not any(h in m for h in own)
        ]
        if vendor.id not in enabled:
            markers = []
        if vendor.category == "necessary" and not markers:
            continue  # never held back, and no marker to tell it from another vendor
        if own or markers:
            rules[vendor.id] = [own, markers] if markers else [own]
    return rules


def movable_categories() -> tuple[str, ...]:
    """Categories an owner may move a vendor into: every one but ``necessary``."""
    return CATEGORIES[1:]
