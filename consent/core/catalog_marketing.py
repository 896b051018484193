"""The catalogue's advertising and marketing vendors: pixels, insight tags and marketing
automation. Facts: ../shared/VENDORS.md and docs/vendors.md (⚠ there: ``confirmed=False``).
"""

from __future__ import annotations

from consent.core.catalog_model import Setting, Vendor
from consent.core.cookie_purposes import CookieFact, fact

_NUMERIC = r"[0-9]{1,20}"

#: The vendors, in the order auto-blocking tries them.
VENDORS: tuple[Vendor, ...] = (
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
        "leadinfo",
        "Leadinfo",
        "targeting",
        "script",
        script_hosts=("cdn.leadinfo.net",),
        inline_markers=("cdn.leadinfo.net/ping.js", "GlobalLeadinfoNamespace"),
        cookies=("_li_id", "_li_ses"),
    ),
    Vendor(
        "tiktok-pixel",
        "TikTok Pixel",
        "targeting",
        "script",
        # events.js and its beacons, both at analytics.tiktok.com.
        script_hosts=("analytics.tiktok.com",),
        inline_markers=("TiktokAnalyticsObject", "ttq.load("),
        cookies=("_ttp", "_tt_enable_cookie"),
    ),
    Vendor(
        "pinterest-tag",
        "Pinterest Tag",
        "targeting",
        "script",
        script_hosts=("s.pinimg.com",),
        beacon_hosts=("ct.pinterest.com",),
        inline_markers=("pintrk('load'",),
        cookies=("_pin_unauth", "_epik", "_derived_epik"),
        third_party_cookies=("_pinterest_ct_ua",),
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
)

#: Each vendor's cookies' facts, first-party cookies first (the catalogue's order).
COOKIE_FACTS: dict[str, tuple[CookieFact, ...]] = {
    "linkedin-insight": (
        fact(
            "li_fat_id",
            "Attributes conversions to LinkedIn members",
            "Koppelt conversies aan LinkedIn-leden",
            (30, "day"),
        ),
        fact(
            "li_sugr",
            "Probabilistic identifier",
            "Waarschijnlijkheidsidentificatie",
            (90, "day"),
            confirmed=False,
        ),
        fact("bcookie", "Identifies the browser", "Herkent de browser", (1, "year")),
        fact("lidc", "Routes requests", "Routeert verzoeken", (24, "hour")),
        fact(
            "UserMatchHistory",
            "Synchronises advertising identifiers",
            "Synchroniseert advertentie-identificaties",
            (30, "day"),
        ),
    ),
    "meta-pixel": (
        fact(
            "_fbp",
            "Identifies the browser for advertising",
            "Herkent de browser voor advertenties",
            (90, "day"),
        ),
        fact(
            "_fbc",
            "Stores the last ad click",
            "Bewaart de laatste klik op een advertentie",
            (90, "day"),
        ),
    ),
    "hubspot": (
        fact("__hstc", "Tracks visitors", "Volgt bezoekers", (6, "month")),
        fact(
            "hubspotutk",
            "Keeps the visitor's identity for forms",
            "Onthoudt de identiteit van de bezoeker voor formulieren",
            (6, "month"),
        ),
        fact("__hssc", "Counts sessions", "Telt sessies", (30, "minute")),
        fact("__hssrc", "Detects a new session", "Herkent een nieuwe sessie", None),
    ),
    "leadinfo": (
        fact(
            "_li_id",
            "Identifies the visitor of a visiting company",
            "Herkent de bezoeker van een bezoekend bedrijf",
            (2, "year"),
            confirmed=False,
        ),
        fact("_li_ses", "Keeps the session", "Houdt de sessie bij", None, confirmed=False),
    ),
    "tiktok-pixel": (
        fact(
            "_ttp",
            "Identifies the browser for advertising",
            "Herkent de browser voor advertenties",
            (13, "month"),
            confirmed=False,
        ),
        fact(
            "_tt_enable_cookie",
            "Checks that the browser accepts cookies",
            "Controleert of de browser cookies accepteert",
            (13, "month"),
            confirmed=False,
        ),
    ),
    "pinterest-tag": (
        fact(
            "_pin_unauth",
            "Identifies the browser for advertising",
            "Herkent de browser voor advertenties",
            (1, "year"),
        ),
        fact(
            "_epik",
            "Stores the last ad click",
            "Bewaart de laatste klik op een advertentie",
            (1, "year"),
            confirmed=False,
        ),
        fact(
            "_derived_epik",
            "Attributes conversions to ads",
            "Koppelt conversies aan advertenties",
            (1, "year"),
            confirmed=False,
        ),
        fact(
            "_pinterest_ct_ua",
            "Synchronises advertising identifiers",
            "Synchroniseert advertentie-identificaties",
            (1, "year"),
            confirmed=False,
        ),
    ),
    "mailchimp": (
        fact(
            "_mcid",
            "Recognises a subscriber who comes back",
            "Herkent een abonnee die terugkomt",
            (1, "year"),
            confirmed=False,
        ),
        fact(
            "MCPopupClosed",
            "Remembers that the signup pop-up was closed",
            "Onthoudt dat de aanmeldpop-up is gesloten",
            (1, "year"),
            confirmed=False,
        ),
        fact(
            "MCPopupSubscribed",
            "Remembers that the visitor subscribed",
            "Onthoudt dat de bezoeker zich heeft aangemeld",
            (1, "year"),
            confirmed=False,
        ),
    ),
}
