"""The five categories and the vendor catalogue, as data.

Facts come from ../shared/VENDORS.md; this module is their single source in code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

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


@dataclass(frozen=True)
class Setting:
    """One setting a vendor takes, with the pattern its value must match."""

    name: str
    pattern: str
    required: bool
    example: str

    def valid(self, value: object) -> bool:
        """Tell whether ``value`` is an acceptable value for this setting."""
        return isinstance(value, str) and re.fullmatch(self.pattern, value) is not None


@dataclass(frozen=True)
class Vendor:
    """A catalogue entry: what a vendor is, where it loads from, what it leaves behind.

    Hosts match the host itself or any subdomain; ``inline_markers`` are short strings of
    the vendor's standard inline snippet (auto-blocking recognises the vendor by either).
    """

    id: str
    name: str
    category: str
    kind: Literal["script", "iframe"]
    script_hosts: tuple[str, ...] = ()
    frame_hosts: tuple[str, ...] = ()
    beacon_hosts: tuple[str, ...] = ()
    inline_markers: tuple[str, ...] = ()
    cookies: tuple[str, ...] = ()
    settings: tuple[Setting, ...] = field(default=())
    consent_api: str = "none"
    #: Cookies set on the vendor's own domain: the banner cannot delete them (so the embed
    #: never carries them), but a scan names their vendor. ``*`` ends a name prefix.
    third_party_cookies: tuple[str, ...] = ()
    #: ``localStorage``/``sessionStorage`` keys the vendor's code writes (``*``: a prefix).
    storage_keys: tuple[str, ...] = ()

    @property
    def hosts(self) -> tuple[str, ...]:
        """Every host the vendor's scripts, frames and beacons load from."""
        return self.script_hosts + self.frame_hosts + self.beacon_hosts


_GA_ID = Setting("measurement_id", r"G-[A-Z0-9]{4,20}", True, "G-XXXXXXX")
_NUMERIC = r"[0-9]{1,20}"

VENDORS: MappingProxyType[str, Vendor] = MappingProxyType(
    {
        v.id: v
        for v in (
            Vendor(
                "google-analytics",
                "Google Analytics",
                "performance",
                "script",
                # gtag.js at www.googletagmanager.com (and Tag Manager's gtm.js with it).
                script_hosts=("googletagmanager.com",),
                # Its collection hosts: www., region1. and other subdomains.
                beacon_hosts=("google-analytics.com",),
                inline_markers=("gtag('config'", 'gtag("config"', "googletagmanager.com/gtag/js"),
                cookies=("_ga", "_ga_*", "_gid", "_gat*", "_gac_*"),
                settings=(_GA_ID,),
                consent_api="google-consent-mode-v2",
            ),
            Vendor(
                "linkedin-insight",
                "LinkedIn Insight Tag",
                "targeting",
                "script",
                script_hosts=("snap.licdn.com",),
                # px.ads.linkedin.com and the other linkedin.com hosts.
                beacon_hosts=("linkedin.com",),
                inline_markers=(
                    "_linkedin_partner_id",
                    "_linkedin_data_partner_ids",
                    "snap.licdn.com",
                ),
                cookies=("li_fat_id", "li_sugr"),
                settings=(Setting("partner_id", _NUMERIC, True, "123456"),),
                third_party_cookies=("bcookie", "lidc", "UserMatchHistory"),
            ),
            Vendor(
                "meta-pixel",
                "Meta Pixel",
                "targeting",
                "script",
                script_hosts=("connect.facebook.net",),
                # The pixel's beacon www.facebook.com/tr (and the other facebook.com hosts).
                beacon_hosts=("facebook.com",),
                inline_markers=(
                    "fbq('init'",
                    'fbq("init"',
                    "connect.facebook.net/en_US/fbevents.js",
                    "facebook.com/tr?",
                ),
                cookies=("_fbp", "_fbc"),
                settings=(Setting("pixel_id", _NUMERIC, True, "123456789012345"),),
                consent_api="fbq-consent",
            ),
            Vendor(
                "hubspot",
                "HubSpot",
                "targeting",
                "script",
                # js.hs-scripts.com, js-eu1.hs-scripts.com, js.hs-analytics.net,
                # track.hubspot.com and their regional variants.
                script_hosts=("hs-scripts.com", "hs-analytics.net"),
                beacon_hosts=("hubspot.com",),
                # (Its standard tag is external; the id hs-script-loader of that tag is
                # no marker: only an inline script's text is searched.)
                inline_markers=("js.hs-scripts.com",),
                cookies=("__hstc", "hubspotutk", "__hssc", "__hssrc"),
                settings=(Setting("portal_id", _NUMERIC, False, "1234567"),),
                consent_api="hubspot-revoke",
            ),
            Vendor(
                "vimeo",
                "Vimeo",
                "targeting",
                "iframe",
                frame_hosts=("player.vimeo.com",),
                third_party_cookies=("vuid",),
            ),
            Vendor(
                "youtube",
                "YouTube",
                "targeting",
                "iframe",
                frame_hosts=("youtube.com", "youtube-nocookie.com"),
                third_party_cookies=("VISITOR_INFO1_LIVE", "YSC"),
            ),
            Vendor(
                "leadinfo",
                "Leadinfo",
                "targeting",
                "script",
                script_hosts=("cdn.leadinfo.net",),
                inline_markers=("cdn.leadinfo.net/ping.js", "GlobalLeadinfoNamespace"),
                cookies=("_li_id", "_li_ses"),
            ),
            Vendor(
                "twitter",
                "X (Twitter)",
                "social",
                "script",
                script_hosts=("platform.twitter.com",),
                inline_markers=("platform.twitter.com/widgets.js",),
                third_party_cookies=("guest_id", "personalization_id"),
            ),
            Vendor(
                "facebook-social",
                "Facebook social plugins",
                "social",
                "script",
                script_hosts=("connect.facebook.net",),
                inline_markers=("connect.facebook.net/en_US/sdk.js", "facebook-jssdk"),
                third_party_cookies=("datr", "fr"),
            ),
            Vendor(
                "mailchimp",
                "Mailchimp",
                "targeting",
                "script",
                # chimpstatic.com serves the Connected Site script (mcjs); downloads. and
                # cdn-images.mailchimp.com the older pop-up and embedded signup forms.
                script_hosts=("chimpstatic.com", "mailchimp.com"),
                # Signup forms post to and load from <account>.<dc>.list-manage.com.
                beacon_hosts=("list-manage.com",),
                inline_markers=("mcjs-connected", "mojo/signup-forms/Loader"),
                cookies=("_mcid", "MCPopupClosed", "MCPopupSubscribed"),
            ),
            Vendor(
                "stripe",
                "Stripe",
                "necessary",
                "script",
                # js.stripe.com and m.stripe.com; its frames at m.stripe.network.
                script_hosts=("stripe.com",),
                frame_hosts=("stripe.network",),
                inline_markers=("js.stripe.com",),
                cookies=("__stripe_mid", "__stripe_sid"),
            ),
        )
    }
)


#: The URL of each vendor's standard tag (a script's src, a frame's): the admin's examples.
EXAMPLE_SRC: MappingProxyType[str, str] = MappingProxyType(
    {
        "google-analytics": "https://www.googletagmanager.com/gtag/js?id=G-XXXXXXX",
        "linkedin-insight": "https://snap.licdn.com/li.lms-analytics/insight.min.js",
        "meta-pixel": "https://connect.facebook.net/en_US/fbevents.js",
        "hubspot": "https://js.hs-scripts.com/1234567.js",
        "vimeo": "https://player.vimeo.com/video/76979871",
        "youtube": "https://www.youtube-nocookie.com/embed/VIDEO_ID",
        "leadinfo": "https://cdn.leadinfo.net/ping.js",
        "twitter": "https://platform.twitter.com/widgets.js",
        "facebook-social": "https://connect.facebook.net/en_US/sdk.js",
        "mailchimp": "https://chimpstatic.com/mcjs-connected/js/users/USER_ID/SITE_ID.js",
        "stripe": "https://js.stripe.com/v3/",
    }
)


def blocking_rules(enabled: Iterable[str]) -> dict[str, list[list[str]]]:
    """What auto-blocking recognises, as the embed's config carries it: ``{id: [hosts,
    markers]}`` (``[hosts]`` without markers).

    The hosts of every catalogue vendor (a vendor the site has not enabled is held back too),
    the markers of the ``enabled`` ones. The embed takes the first vendor, in this order,
    whose marker is in a URL or an inline script's text, else the first whose host is the
    URL's host or a parent of it (or, for an inline script, is named in its text: a loader
    names the host it loads from). So a host that an earlier vendor lists, and a marker that
    names a host of the vendor's own, add nothing and are left out: the embed is on every page.
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
        if own or markers:
            rules[vendor.id] = [own, markers] if markers else [own]
    return rules


def movable_categories() -> tuple[str, ...]:
    """Categories an owner may move a vendor into: every one but ``necessary``."""
    return CATEGORIES[1:]
