"""Connect Group: an English site whose cookie policy lists exactly the five categories.

Performance (Google Analytics), functionality, targeting (Vimeo, which shows ads) and
social media (Facebook and X sharing); it distinguishes session and persistent cookies and
mentions web beacons. Here: all five categories with cookie durations in their texts, the
Vimeo player gated behind a placeholder, the Facebook and X buttons gated.
"""

from __future__ import annotations

from consent.demo.examples import Example, Revision, texts
from consent.demo.examples.tags import facebook_sdk, facebook_share, gtag, vimeo, x_share

_TEXTS = texts(
    {
        "en": {
            "title": "Cookies at Connect Group",
            "description": (
                "We use five kinds of cookies. Session cookies end when you close the browser; "
                "persistent ones stay for the time given below. Some partners also use web "
                "beacons (tiny images) that work like cookies; they follow the same choice."
            ),
            "categories": {
                "necessary": {
                    "description": "Security and your cookie choice (consent_token: "
                    "persistent, as long as the choice lasts, six months). Always on.",
                },
                "performance": {
                    "title": "Performance",
                    "description": "Google Analytics: _ga and _ga_* (persistent, up to 2 "
                    "years) and _gid (24 hours) count visits and pages.",
                },
                "functionality": {
                    "description": "Remember choices such as language (session cookies).",
                },
                "targeting": {
                    "title": "Targeting and advertising",
                    "description": "Vimeo plays our videos and may show advertising; it sets "
                    "its own persistent cookies once a video loads.",
                },
                "social": {
                    "title": "Social media",
                    "description": "Facebook and X (Twitter) sharing buttons and embedded "
                    "posts; these networks set persistent cookies and web beacons.",
                },
            },
        },
        "nl": {
            "title": "Cookies bij Connect Group",
            "description": (
                "We gebruiken vijf soorten cookies. Sessiecookies verdwijnen als u de browser "
                "sluit; permanente cookies blijven zo lang als hieronder staat. Sommige partners "
                "gebruiken ook webbakens (kleine afbeeldingen) die werken als cookies; daarvoor "
                "geldt dezelfde keuze."
            ),
            "categories": {
                "necessary": {
                    "description": "Beveiliging en uw cookiekeuze (consent_token: permanent, "
                    "zolang de keuze geldt, zes maanden). Altijd aan.",
                },
                "performance": {
                    "description": "Google Analytics: _ga en _ga_* (permanent, tot 2 jaar) en "
                    "_gid (24 uur) tellen bezoeken en pagina's.",
                },
                "functionality": {
                    "description": "Keuzes zoals taal onthouden (sessiecookies).",
                },
                "targeting": {
                    "description": "Vimeo speelt onze video's af en kan advertenties tonen; "
                    "het plaatst eigen permanente cookies zodra een video laadt.",
                },
                "social": {
                    "description": "Deelknoppen en ingesloten berichten van Facebook en X "
                    "(Twitter); deze netwerken plaatsen permanente cookies en webbakens.",
                },
            },
        },
    }
)

EXAMPLE = Example(
    slug="connect-group",
    name="Connect Group (reference site)",
    language="en",
    summary=(
        "All five categories, with session and persistent cookie durations in the category "
        "texts; the Vimeo player waits behind a placeholder; the Facebook and X embeds load "
        "only with social media allowed."
    ),
    revisions=(
        Revision(
            vendors={
                "google-analytics": {
                    "category": "performance",
                    "settings": {"measurement_id": "G-CONNECTGRP"},
                },
                "vimeo": {"category": "targeting", "settings": {}},
                "facebook-social": {"category": "social", "settings": {}},
                "twitter": {"category": "social", "settings": {}},
            },
            texts=_TEXTS,
        ),
    ),
    brand="Connect Group",
    offer={"en": "What we do"},
    tags=(
        gtag("G-CONNECTGRP"),
        facebook_sdk(),
        vimeo("76979871", "Inside our factory", "home"),
        facebook_share("https://www.connectgroup.example/", "home"),
        x_share("home"),
    ),
    promises=(
        "Cookie policy with exactly five categories: strictly necessary, performance, "
        "functionality, targeting/advertising, social media.",
        "Session and persistent cookies, and web beacons, are explained.",
    ),
)
