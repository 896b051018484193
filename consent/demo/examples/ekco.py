"""Ekco: a Dutch site with the Meta Pixel, LinkedIn and HubSpot, and a dated, versioned policy.

Here: Meta Pixel, LinkedIn Insight and HubSpot as targeting; Dutch texts; two published
versions (HubSpot came with the second, which asked every visitor again), so an auditor
can replay the banner of either version and see when it changed.
"""

from __future__ import annotations

import copy

from consent.demo.examples import Example, Revision, texts
from consent.demo.examples.tags import hubspot, linkedin_insight, mailchimp_popup, meta_pixel

_V1 = texts(
    {
        "nl": {
            "title": "Cookies bij Ekco (versie 2024-1)",
            "description": (
                "Met uw toestemming gebruiken we de Meta Pixel en LinkedIn om te meten wat onze "
                "advertenties opleveren en om u later relevante berichten te tonen "
                "(remarketing). Zonder toestemming gebeurt dat niet. U kunt uw keuze altijd "
                "wijzigen via “Cookie-instellingen”."
            ),
            "categories": {
                "targeting": {
                    "description": "Meta Pixel en LinkedIn Insight Tag: advertenties meten en "
                    "bezoekers later opnieuw bereiken.",
                },
            },
        },
        "en": {
            "title": "Cookies at Ekco (version 2024-1)",
            "description": (
                "With your permission we use the Meta Pixel and LinkedIn to measure what our "
                "advertising achieves and to show you relevant messages later (re-marketing). "
                "Without permission, none of that happens. You can change your choice at any "
                "time through “Cookie settings”."
            ),
            "categories": {
                "targeting": {
                    "description": "Meta Pixel and LinkedIn Insight Tag: measure advertising "
                    "and reach visitors again later.",
                },
            },
        },
    }
)

_V2 = copy.deepcopy(_V1)
_V2["nl"]["title"] = "Cookies bij Ekco (versie 2025-1)"
_V2["nl"]["description"] = (
    "Met uw toestemming gebruiken we de Meta Pixel en LinkedIn voor remarketing, en HubSpot om "
    "te zien welke pagina's u bekijkt na het openen van onze nieuwsbrief. Zonder toestemming "
    "gebeurt dat niet. Sinds deze versie gebruiken we HubSpot; daarom vragen we het u opnieuw."
)
_V2["nl"]["categories"]["targeting"]["description"] = (
    "Meta Pixel, LinkedIn Insight Tag en HubSpot: advertenties meten, bezoekers later opnieuw "
    "bereiken en nieuwsbriefbezoek herkennen."
)
_V2["en"]["title"] = "Cookies at Ekco (version 2025-1)"
_V2["en"]["description"] = (
    "With your permission we use the Meta Pixel and LinkedIn for re-marketing, and HubSpot to "
    "see which pages you read after opening our newsletter. Without permission, none of that "
    "happens. HubSpot is new in this version, which is why we ask you again."
)
_V2["en"]["categories"]["targeting"]["description"] = (
    "Meta Pixel, LinkedIn Insight Tag and HubSpot: measure advertising, reach visitors again "
    "later and recognise newsletter visits."
)

_TARGETING = {
    "meta-pixel": {"category": "targeting", "settings": {"pixel_id": "612345678901234"}},
    "linkedin-insight": {"category": "targeting", "settings": {"partner_id": "9911"}},
}

EXAMPLE = Example(
    slug="ekco",
    name="Ekco (reference site)",
    language="nl",
    summary=(
        "Meta Pixel, LinkedIn and HubSpot as targeting, Dutch texts, and a dated policy in two "
        "published versions: the second added HubSpot and asked every visitor again. "
        "Auditors replay either version."
    ),
    revisions=(
        Revision(vendors=_TARGETING, texts=_V1),
        Revision(
            vendors={
                **_TARGETING,
                "hubspot": {"category": "targeting", "settings": {"portal_id": "2550"}},
            },
            texts=_V2,
            requires_reconsent=True,
        ),
    ),
    promises=(
        "Meta Pixel for re-marketing, LinkedIn and HubSpot tracking pixels, Mailchimp for "
        "email (Mailchimp sets no cookie on the site itself).",
        "The policy is dated and versioned.",
    ),
    brand="Ekco",
    languages=("nl", "en"),
    offer={"nl": "Oplossingen", "en": "Solutions"},
    tags=(
        meta_pixel("612345678901234"),
        linkedin_insight("9911"),
        hubspot("2550"),
        # The newsletter pop-up pasted years ago, and never declared in the banner: a scan
        # finds Mailchimp "undeclared".
        mailchimp_popup("mc.us21.list-manage.com", "4e1f0c2b9d7a6e5f3c8b1a0d9", "b7c2e91f4a"),
    ),
)
