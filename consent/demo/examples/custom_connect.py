"""Custom Connect: an English site that collects clickstream data, states retention periods
and promises to respect Do Not Track.

Here: DNT (and GPC) start targeting and social off and are recorded in every receipt; the
personal context of receipts is kept 90 days (``purge`` applies it).
"""

from __future__ import annotations

from consent.demo.examples import Example, Revision, texts
from consent.demo.examples.tags import gtag, hubspot

_TEXTS = texts(
    {
        "en": {
            "title": "Your choices at Custom Connect",
            "description": (
                "We record how visitors move through our pages (clickstream) only if you allow "
                "performance cookies. Each choice you make is kept as a receipt; the page, "
                "network and browser details stored with it are deleted after 90 days. If your "
                "browser sends Do Not Track, we honour it."
            ),
            "gpc_notice": (
                "Your browser asks not to be tracked (Do Not Track or Global Privacy Control). "
                "We honour that: advertising and social media stay off unless you switch them "
                "on yourself."
            ),
            "categories": {
                "performance": {
                    "description": "Google Analytics records the path through our pages "
                    "(clickstream), so we can see what helps visitors and what does not.",
                },
                "targeting": {
                    "description": "HubSpot recognises returning visitors so our sales team "
                    "can follow up on their interest.",
                },
            },
        },
        "nl": {
            "title": "Uw keuzes bij Custom Connect",
            "description": (
                "We leggen alleen vast hoe bezoekers door onze pagina's gaan (clickstream) als "
                "u prestatiecookies toestaat. Elke keuze bewaren we als bewijs; de pagina-, "
                "netwerk- en browsergegevens erbij verwijderen we na 90 dagen. Stuurt uw "
                "browser Do Not Track, dan houden we ons daaraan."
            ),
            "gpc_notice": (
                "Uw browser vraagt om niet gevolgd te worden (Do Not Track of Global Privacy "
                "Control). Daar houden we ons aan: advertenties en sociale media blijven uit, "
                "tenzij u ze zelf aanzet."
            ),
            "categories": {
                "performance": {
                    "description": "Google Analytics legt de route door onze pagina's vast "
                    "(clickstream), zodat we zien wat bezoekers helpt en wat niet.",
                },
                "targeting": {
                    "description": "HubSpot herkent terugkerende bezoekers, zodat ons "
                    "salesteam op hun interesse kan reageren.",
                },
            },
        },
    }
)

EXAMPLE = Example(
    slug="custom-connect",
    name="Custom Connect (reference site)",
    language="en",
    summary=(
        "Do Not Track honoured and recorded (targeting and social start off; the receipt "
        "says dnt: true), and the personal context of receipts kept 90 days."
    ),
    revisions=(
        Revision(
            vendors={
                "google-analytics": {
                    "category": "performance",
                    "settings": {"measurement_id": "G-CUSTOM42"},
                },
                "hubspot": {"category": "targeting", "settings": {"portal_id": "4242"}},
            },
            texts=_TEXTS,
        ),
    ),
    retention_days=90,
    brand="Custom Connect",
    offer={"en": "Solutions"},
    tags=(gtag("G-CUSTOM42"), hubspot("4242")),
    promises=(
        "Clickstream data only with consent.",
        "Retention: personal context of each choice deleted after 90 days.",
        "Do Not Track is respected.",
    ),
)
