"""What each cookie the catalogue names is for and how long it typically lives, as data.

The cookie declaration shows these facts; a scan's observed duration takes the place of the
typical one when the scan saw the cookie. Facts come from ../shared/VENDORS.md ("cookie facts
for the declaration"), which cites the vendors' own documentation; ``confirmed=False`` marks
what that file marks ⚠. Every name in a vendor's ``cookies`` and ``third_party_cookies``
has exactly one fact (beside the vendor, in ``catalog_*``), its purpose in every language
the product ships texts in (en, nl, de, fr; a test keeps them in step).
"""

from __future__ import annotations

from types import MappingProxyType

from consent.core import catalog_analytics, catalog_embeds, catalog_marketing
from consent.core.cookie_purposes import CookieFact, Lifetime, purpose

__all__ = ["CONSENT_TOKEN", "COOKIE_FACTS", "PROVIDERS", "CookieFact", "Lifetime"]

#: Days in a unit, for ``duration_days`` (a month as the calendar's average, rounded).
UNIT_DAYS: MappingProxyType[str, float] = MappingProxyType(
    {"minute": 1 / 1440, "hour": 1 / 24, "day": 1, "month": 30.44, "year": 365.25}
)


#: Vendor id → its cookies' facts, first-party cookies first (the catalogue's order).
COOKIE_FACTS: MappingProxyType[str, tuple[CookieFact, ...]] = MappingProxyType(
    {
        **catalog_analytics.COOKIE_FACTS,
        **catalog_marketing.COOKIE_FACTS,
        **catalog_embeds.COOKIE_FACTS,
    }
)

#: The product's own cookie: the visitor's consent token (its lifetime is the site's).
CONSENT_TOKEN = CookieFact(
    "consent_token",
    purpose("Remembers your cookie choice", "Onthoudt uw cookiekeuze"),
    None,
)


#: The company behind each catalogue vendor, as the declaration's "provider" names it.
PROVIDERS: MappingProxyType[str, str] = MappingProxyType(
    {
        "google-analytics": "Google",
        "linkedin-insight": "LinkedIn",
        "meta-pixel": "Meta",
        "hubspot": "HubSpot",
        "vimeo": "Vimeo",
        "youtube": "Google (YouTube)",
        "leadinfo": "Leadinfo",
        "twitter": "X (Twitter)",
        "facebook-social": "Meta",
        "google-ads": "Google",
        "google-tag-manager": "Google",
        "microsoft-clarity": "Microsoft",
        "hotjar": "Hotjar",
        "matomo": "Matomo (the site's own server)",
        "plausible": "Plausible Analytics",
        "tiktok-pixel": "TikTok",
        "pinterest-tag": "Pinterest",
        "intercom": "Intercom",
        "google-maps": "Google",
        "mailchimp": "Intuit Mailchimp",
        "stripe": "Stripe",
    }
)


def cookie_fact(vendor_id: str, name: str) -> CookieFact | None:
    """The fact of a catalogue vendor's cookie by its catalogue name (pattern included)."""
    for fact in COOKIE_FACTS.get(vendor_id, ()):
        if fact.name == name:
            return fact
    return None


def lifetime_days(lifetime: Lifetime) -> int | None:
    """A lifetime in whole days (0 under a day); None for a session cookie."""
    if lifetime is None:
        return None
    amount, unit = lifetime
    return int(amount * UNIT_DAYS[unit])
