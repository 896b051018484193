"""The five categories and the vendor catalogue, as data.

Facts come from ../shared/VENDORS.md; this module is their single source in code.
"""

from __future__ import annotations

import re
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
    """A catalogue entry: what a vendor is, where it loads from, what it leaves behind."""

    id: str
    name: str
    category: str
    kind: Literal["script", "iframe"]
    hosts: tuple[str, ...]
    cookies: tuple[str, ...] = ()
    settings: tuple[Setting, ...] = field(default=())
    consent_api: str = "none"


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
                ("www.googletagmanager.com", "www.google-analytics.com"),
                ("_ga", "_ga_*", "_gid", "_gat*", "_gac_*"),
                (_GA_ID,),
                "google-consent-mode-v2",
            ),
            Vendor(
                "linkedin-insight",
                "LinkedIn Insight Tag",
                "targeting",
                "script",
                ("snap.licdn.com", "px.ads.linkedin.com"),
                ("li_fat_id", "li_sugr"),
                (Setting("partner_id", _NUMERIC, True, "123456"),),
            ),
            Vendor(
                "meta-pixel",
                "Meta Pixel",
                "targeting",
                "script",
                ("connect.facebook.net", "www.facebook.com"),
                ("_fbp", "_fbc"),
                (Setting("pixel_id", _NUMERIC, True, "123456789012345"),),
                "fbq-consent",
            ),
            Vendor(
                "hubspot",
                "HubSpot",
                "targeting",
                "script",
                ("js.hs-scripts.com", "js-eu1.hs-scripts.com", "js.hs-analytics.net"),
                ("__hstc", "hubspotutk", "__hssc", "__hssrc"),
                (Setting("portal_id", _NUMERIC, False, "1234567"),),
                "hubspot-revoke",
            ),
            Vendor("vimeo", "Vimeo", "targeting", "iframe", ("player.vimeo.com",)),
            Vendor(
                "youtube",
                "YouTube",
                "targeting",
                "iframe",
                ("www.youtube.com", "www.youtube-nocookie.com"),
            ),
            Vendor(
                "leadinfo",
                "Leadinfo",
                "targeting",
                "script",
                ("cdn.leadinfo.net",),
                ("_li_id", "_li_ses"),
            ),
            Vendor("twitter", "X (Twitter)", "social", "script", ("platform.twitter.com",)),
            Vendor(
                "facebook-social",
                "Facebook social plugins",
                "social",
                "script",
                ("connect.facebook.net",),
            ),
            Vendor(
                "stripe",
                "Stripe",
                "necessary",
                "script",
                ("js.stripe.com", "m.stripe.network"),
                ("__stripe_mid", "__stripe_sid"),
            ),
        )
    }
)


def movable_categories() -> tuple[str, ...]:
    """Categories an owner may move a vendor into: every one but ``necessary``."""
    return CATEGORIES[1:]
