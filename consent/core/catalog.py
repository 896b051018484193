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
                script_hosts=("www.googletagmanager.com",),
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
                beacon_hosts=("px.ads.linkedin.com",),
                inline_markers=(
                    "_linkedin_partner_id",
                    "_linkedin_data_partner_ids",
                    "snap.licdn.com",
                ),
                cookies=("li_fat_id", "li_sugr"),
                settings=(Setting("partner_id", _NUMERIC, True, "123456"),),
            ),
            Vendor(
                "meta-pixel",
                "Meta Pixel",
                "targeting",
                "script",
                script_hosts=("connect.facebook.net",),
                beacon_hosts=("www.facebook.com",),
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
                script_hosts=("js.hs-scripts.com", "js-eu1.hs-scripts.com"),
                beacon_hosts=("js.hs-analytics.net", "track.hubspot.com"),
                inline_markers=("js.hs-scripts.com", "hs-script-loader"),
                cookies=("__hstc", "hubspotutk", "__hssc", "__hssrc"),
                settings=(Setting("portal_id", _NUMERIC, False, "1234567"),),
                consent_api="hubspot-revoke",
            ),
            Vendor("vimeo", "Vimeo", "targeting", "iframe", frame_hosts=("player.vimeo.com",)),
            Vendor(
                "youtube",
                "YouTube",
                "targeting",
                "iframe",
                frame_hosts=("www.youtube.com", "www.youtube-nocookie.com"),
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
            ),
            Vendor(
                "facebook-social",
                "Facebook social plugins",
                "social",
                "script",
                script_hosts=("connect.facebook.net",),
                inline_markers=("connect.facebook.net/en_US/sdk.js", "facebook-jssdk"),
            ),
            Vendor(
                "stripe",
                "Stripe",
                "necessary",
                "script",
                script_hosts=("js.stripe.com",),
                frame_hosts=("m.stripe.network",),
                beacon_hosts=("m.stripe.com",),
                inline_markers=("js.stripe.com",),
                cookies=("__stripe_mid", "__stripe_sid"),
            ),
        )
    }
)


def blocking_rules(enabled: Iterable[str]) -> dict[str, list[list[str]]]:
    """What auto-blocking recognises, as the embed's config carries it: ``{id: [hosts, markers]}``.

    The hosts of every catalogue vendor (a vendor the site has not enabled is held back too),
    the markers of the ``enabled`` ones. The embed matches a URL's host against the hosts, and
    a URL or an inline script's text against the markers and the hosts (a loader names the
    host it loads from); so a marker that contains one of the vendor's own hosts which no
    other vendor shares adds nothing and is left out (the embed is on every page).
    """
    owners: dict[str, int] = {}
    for vendor in VENDORS.values():
        for host in set(vendor.hosts):
            owners[host] = owners.get(host, 0) + 1
    rules = {}
    for vendor in VENDORS.values():
        unique = [host for host in vendor.hosts if owners[host] == 1]
        markers = [m for m in vendor.inline_markers if not any(h in m for h in unique)]
        rules[vendor.id] = [list(vendor.hosts), markers if vendor.id in enabled else []]
    return rules


def movable_categories() -> tuple[str, ...]:
    """Categories an owner may move a vendor into: every one but ``necessary``."""
    return CATEGORIES[1:]
