"""The catalogue's measurement vendors, and the Google tags that share gtag.js's host.

Google Ads comes first: its gtag.js and its inline ``gtag('config', 'AW-…')`` are Google
Analytics's too but for the ``AW-`` id, and auto-blocking takes the first vendor whose marker
matches. Facts: ../shared/VENDORS.md and docs/vendors.md (⚠ there: ``confirmed=False``).
"""

from __future__ import annotations

from consent.core.catalog_model import HOST_PATTERN, Setting, Vendor
from consent.core.cookie_purposes import IDENTIFIES, CookieFact, fact

_GA_ID = Setting("measurement_id", r"G-[A-Z0-9]{4,20}", True, "G-XXXXXXX")

#: The vendors, in the order auto-blocking tries them.
VENDORS: tuple[Vendor, ...] = (
    Vendor(
        "google-ads",
        "Google Ads",
        "targeting",
        "script",
        # Its gtag.js (?id=AW-…) comes from GA's www.googletagmanager.com: markers tell
        # them apart, and this entry comes first so that an inline `gtag('config',
        # 'AW-…')` is Google Ads' even where GA's own marker also matches.
        beacon_hosts=("googleadservices.com", "doubleclick.net"),
        inline_markers=("gtag/js?id=AW-", "gtag('config', 'AW-"),
        cookies=("_gcl_au", "_gcl_aw"),
        consent_api="google-consent-mode-v2",
        third_party_cookies=("IDE", "test_cookie"),
    ),
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
        "google-tag-manager",
        "Google Tag Manager",
        "performance",
        "script",
        # A loader: gtm.js from GA's host (GA claims the host; the markers decide).
        # The tags its container adds are recognised and held back one by one.
        script_hosts=("googletagmanager.com",),
        inline_markers=("googletagmanager.com/gtm.js", "gtm.start"),
        # The categories its container serves: it may load when any of them is allowed
        # (unset: its category alone). Each tag it adds still waits for its own.
        settings=(Setting("serves", "", False, "performance, targeting", kind="categories"),),
        consent_api="google-consent-mode-v2",
    ),
    Vendor(
        "microsoft-clarity",
        "Microsoft Clarity",
        "performance",
        "script",
        # www.clarity.ms/tag/<id>, scripts.clarity.ms and the <x>.clarity.ms beacons.
        script_hosts=("clarity.ms",),
        inline_markers=("'clarity', 'script'",),
        cookies=("_clck", "_clsk"),
        third_party_cookies=("CLID", "MUID"),
    ),
    Vendor(
        "hotjar",
        "Hotjar",
        "performance",
        "script",
        # static.hotjar.com and script.hotjar.com; its data to *.hotjar.io.
        script_hosts=("hotjar.com",),
        beacon_hosts=("hotjar.io",),
        inline_markers=("_hjSettings",),
        cookies=("_hjSessionUser_*", "_hjSession_*", "_hjAbsoluteSessionInProgress"),
    ),
    Vendor(
        "matomo",
        "Matomo",
        "performance",
        "script",
        # Matomo Cloud's host; a self-hosted Matomo is on the owner's own host (its
        # setting: auto-blocking and scans know it as Matomo's), and its snippet's markers
        # and matomo.js/matomo.php name it wherever it is.
        script_hosts=("matomo.cloud",),
        inline_markers=("_paq.push(['setTrackerUrl'", "/matomo.js", "/matomo.php"),
        cookies=("_pk_id.*", "_pk_ses.*", "_pk_ref.*"),
        settings=(Setting("host", HOST_PATTERN[1:-1], False, "matomo.example.com", kind="host"),),
    ),
    Vendor(
        "plausible",
        "Plausible Analytics",
        "performance",
        "script",
        # Cookieless: its script and its events both at plausible.io.
        script_hosts=("plausible.io",),
    ),
)

#: Each vendor's cookies' facts, first-party cookies first (the catalogue's order).
COOKIE_FACTS: dict[str, tuple[CookieFact, ...]] = {
    "google-ads": (
        fact(
            "_gcl_au",
            "Keeps conversion information for ads",
            "Bewaart conversie-informatie voor advertenties",
            (90, "day"),
        ),
        fact(
            "_gcl_aw",
            "Stores the last ad click",
            "Bewaart de laatste klik op een advertentie",
            (90, "day"),
        ),
        fact("IDE", "Advertising", "Advertenties", (13, "month")),
        fact(
            "test_cookie",
            "Checks that the browser accepts cookies",
            "Controleert of de browser cookies accepteert",
            (15, "minute"),
        ),
    ),
    "google-analytics": (
        fact("_ga", *IDENTIFIES, (2, "year")),
        fact("_ga_*", "Keeps the session state", "Houdt de status van de sessie bij", (2, "year")),
        fact("_gid", *IDENTIFIES, (24, "hour")),
        fact("_gat*", "Throttles requests", "Beperkt het aantal verzoeken", (1, "minute")),
        # Not in VENDORS.md's table: Google's "cookie usage" page gives 90 days.
        fact(
            "_gac_*",
            "Keeps advertising campaign information",
            "Bewaart informatie over advertentiecampagnes",
            (90, "day"),
            confirmed=False,
        ),
    ),
    "google-tag-manager": (),
    "microsoft-clarity": (
        fact(
            "_clck",
            "Keeps the visitor's analytics identifier",
            "Bewaart de analyse-identificatie van de bezoeker",
            (1, "year"),
        ),
        fact(
            "_clsk",
            "Joins page views into one session recording",
            "Voegt paginaweergaven samen tot één sessie-opname",
            (1, "day"),
        ),
        fact(
            "CLID",
            "Keeps the visitor's analytics identifier",
            "Bewaart de analyse-identificatie van de bezoeker",
            (1, "year"),
        ),
        fact("MUID", "Identifies the browser", "Herkent de browser", (1, "year"), False),
    ),
    "hotjar": (
        fact("_hjSessionUser_*", *IDENTIFIES, (1, "year")),
        fact("_hjSession_*", "Keeps the session", "Houdt de sessie bij", (30, "minute")),
        fact(
            "_hjAbsoluteSessionInProgress",
            "Detects a new session",
            "Herkent een nieuwe sessie",
            (30, "minute"),
            confirmed=False,
        ),
    ),
    "matomo": (
        fact("_pk_id.*", *IDENTIFIES, (13, "month")),
        fact("_pk_ses.*", "Keeps the session", "Houdt de sessie bij", (30, "minute")),
        fact(
            "_pk_ref.*",
            "Stores how the visitor arrived",
            "Bewaart hoe de bezoeker binnenkwam",
            (6, "month"),
        ),
    ),
    "plausible": (),
}
