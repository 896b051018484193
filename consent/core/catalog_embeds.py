"""What a page embeds from the catalogue's vendors: video players, social plugins, maps, a
chat widget and payments. Facts: ../shared/VENDORS.md and docs/vendors.md (⚠ there:
``confirmed=False``).
"""

from __future__ import annotations

from consent.core.catalog_model import Vendor
from consent.core.cookie_purposes import CookieFact, fact

#: The vendors, in the order auto-blocking tries them.
VENDORS: tuple[Vendor, ...] = (
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
        "intercom",
        "Intercom",
        "functionality",
        "script",
        # widget.intercom.io, api-iam.intercom.io and js.intercomcdn.com.
        script_hosts=("intercom.io", "intercomcdn.com"),
        inline_markers=("intercomSettings",),
        cookies=("intercom-id-*", "intercom-session-*", "intercom-device-id-*"),
    ),
    Vendor(
        "google-maps",
        "Google Maps",
        "functionality",
        "iframe",
        # Its embeds are www.google.com/maps/embed frames: that host serves far more
        # than maps (reCAPTCHA), so the URL's marker decides; the JavaScript API is
        # maps.googleapis.com.
        script_hosts=("maps.googleapis.com",),
        inline_markers=("google.com/maps/embed",),
        third_party_cookies=("NID",),
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

#: Each vendor's cookies' facts, first-party cookies first (the catalogue's order).
COOKIE_FACTS: dict[str, tuple[CookieFact, ...]] = {
    "vimeo": (
        fact(
            "vuid",
            "Analytics for the video player",
            "Statistieken voor de videospeler",
            (2, "year"),
        ),
    ),
    "youtube": (
        fact(
            "VISITOR_INFO1_LIVE",
            "Estimates bandwidth and keeps player preferences",
            "Schat de bandbreedte en onthoudt voorkeuren van de speler",
            (6, "month"),
        ),
        fact("YSC", "Counts video views", "Telt weergaven van video's", None),
    ),
    "twitter": (
        fact(
            "guest_id",
            "Identifies a visitor who is not signed in",
            "Herkent een bezoeker die niet is ingelogd",
            (2, "year"),
            confirmed=False,
        ),
        fact(
            "personalization_id",
            "Personalisation and advertising",
            "Personalisatie en advertenties",
            (2, "year"),
            confirmed=False,
        ),
    ),
    "facebook-social": (
        # VENDORS.md: "security and advertising — up to 2 years" for both.
        fact(
            "datr",
            "Security of the browser's sign-ins",
            "Beveiliging van aanmeldingen",
            (2, "year"),
            confirmed=False,
        ),
        fact("fr", "Advertising", "Advertenties", (2, "year"), confirmed=False),
    ),
    "intercom": (
        fact(
            "intercom-id-*",
            "Recognises a visitor for the chat",
            "Herkent een bezoeker voor de chat",
            (9, "month"),
        ),
        fact(
            "intercom-session-*",
            "Keeps the chat session",
            "Houdt de chatsessie bij",
            (7, "day"),
        ),
        fact(
            "intercom-device-id-*",
            "Identifies the device for the chat",
            "Herkent het apparaat voor de chat",
            (9, "month"),
        ),
    ),
    "google-maps": (
        fact(
            "NID",
            "Keeps preferences for Google's services",
            "Bewaart voorkeuren voor de diensten van Google",
            (6, "month"),
            confirmed=False,
        ),
    ),
    "stripe": (
        fact("__stripe_mid", "Fraud prevention", "Fraudepreventie", (1, "year")),
        fact("__stripe_sid", "Fraud prevention", "Fraudepreventie", (30, "minute")),
    ),
}
