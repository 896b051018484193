"""Belco: a Dutch site with Google Analytics, Leadinfo and LinkedIn.

Its old text said that continuing to use the site meant agreeing; that is not consent.
Here: a real opt-in (nothing optional runs before a choice), GA as performance, Leadinfo
and LinkedIn as targeting, Dutch texts, and withdrawal as easy as consent.
"""

from __future__ import annotations

from consent.demo.examples import Example, Revision, texts
from consent.demo.examples.tags import gtag, leadinfo, linkedin_insight

_TEXTS = texts(
    {
        "nl": {
            "title": "Mag Belco cookies gebruiken?",
            "description": (
                "Verder klikken of scrollen geldt bij ons niet als toestemming: u kiest hier "
                "zelf. Zonder keuze plaatsen we alleen cookies die de site nodig heeft. Met uw "
                "toestemming meten we bezoeken met Google Analytics (met ingekort IP-adres), "
                "herkent Leadinfo het bedrijf van waaruit u ons bezoekt en meet LinkedIn onze "
                "advertenties. Toestemming intrekken kan altijd, met één klik via "
                "“Cookie-instellingen” onderaan elke pagina."
            ),
            "categories": {
                "performance": {
                    "description": "Google Analytics, met geanonimiseerd IP-adres: hoeveel "
                    "bezoekers er komen en welke pagina's ze lezen.",
                },
                "targeting": {
                    "description": "Leadinfo herkent aan het IP-adres welk bedrijf de site "
                    "bezoekt; LinkedIn meet en richt onze advertenties.",
                },
            },
        },
        "en": {
            "title": "May Belco use cookies?",
            "description": (
                "Clicking on or scrolling is not consent here: you choose. Without a choice we "
                "only set the cookies the site needs. With your permission we count visits with "
                "Google Analytics (IP address shortened), Leadinfo recognises the company you "
                "visit us from, and LinkedIn measures our advertising. You can withdraw at any "
                "time with one click through “Cookie settings” at the bottom of every page."
            ),
            "categories": {
                "performance": {
                    "description": "Google Analytics, with anonymised IP address: how many "
                    "people visit and which pages they read.",
                },
                "targeting": {
                    "description": "Leadinfo recognises from the IP address which company "
                    "visits the site; LinkedIn measures and targets our advertising.",
                },
            },
        },
    }
)

EXAMPLE = Example(
    slug="belco",
    name="Belco (reference site)",
    language="nl",
    summary=(
        "A real opt-in instead of “continuing means agreeing”: Google Analytics (performance), "
        "Leadinfo and the LinkedIn Insight Tag (targeting) load only after consent; Dutch "
        "texts; withdrawing takes one click."
    ),
    revisions=(
        Revision(
            vendors={
                "google-analytics": {
                    "category": "performance",
                    "settings": {"measurement_id": "G-BELCO2024"},
                },
                "leadinfo": {"category": "targeting", "settings": {}},
                "linkedin-insight": {"category": "targeting", "settings": {"partner_id": "7788"}},
            },
            texts=_TEXTS,
        ),
    ),
    brand="Belco",
    languages=("nl", "en"),
    offer={"nl": "Diensten", "en": "Services"},
    tags=(
        gtag("G-BELCO2024"),
        leadinfo("LI-64A2B7C9E1F03"),
        linkedin_insight("7788"),
    ),
    promises=(
        "Keeps a log of requests about personal data (here: every consent is a receipt in "
        "a tamper-evident ledger).",
        "Withdrawal is as easy as consent.",
    ),
)
