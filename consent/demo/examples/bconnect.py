"""Bconnect: an English and Dutch site with a separate cookie statement.

Its policy names IP address, location and browsing behaviour collected through cookies,
and promises the rights of access, correction, objection, portability, restriction,
erasure and complaint within 30 days. Here: en+nl banner, a cookie-statement link, and
the visitor's own consent history downloadable from the demo page (access, portability).
"""

from __future__ import annotations

from consent.demo.examples import Example, Revision, texts
from consent.demo.examples.tags import gtag, linkedin_insight

_TEXTS = texts(
    {
        "en": {
            "title": "Cookies on the Bconnect website",
            "description": (
                "Strictly necessary cookies keep this website secure and remember your choice. "
                "With your permission we also measure how the site is used (Google Analytics, "
                "which sees your IP address and approximate location) and let LinkedIn show our "
                "messages to you elsewhere. Nothing optional runs until you say so. Our cookie "
                "statement lists every cookie; you can change your choice or download a record "
                "of it at any time through “Cookie settings”."
            ),
            "privacy_link": "Privacy statement",
            "categories": {
                "performance": {
                    "description": "Google Analytics counts visits, pages viewed and the "
                    "region they come from, so we can improve the site.",
                },
                "targeting": {
                    "description": "The LinkedIn Insight Tag links your visit to LinkedIn so "
                    "we can measure our campaigns and show you relevant messages there.",
                },
            },
        },
        "nl": {
            "title": "Cookies op de website van Bconnect",
            "description": (
                "Strikt noodzakelijke cookies houden deze website veilig en onthouden uw keuze. "
                "Met uw toestemming meten we ook hoe de site wordt gebruikt (Google Analytics, "
                "dat uw IP-adres en globale locatie ziet) en laten we LinkedIn onze berichten "
                "elders aan u tonen. Niets optioneels draait voordat u dat zegt. Onze "
                "cookieverklaring noemt elke cookie; via “Cookie-instellingen” wijzigt u uw "
                "keuze of downloadt u er een overzicht van."
            ),
            "privacy_link": "Privacyverklaring",
            "categories": {
                "performance": {
                    "description": "Google Analytics telt bezoeken, bekeken pagina's en de "
                    "regio waar ze vandaan komen, zodat we de site kunnen verbeteren.",
                },
                "targeting": {
                    "description": "De LinkedIn Insight Tag koppelt uw bezoek aan LinkedIn, "
                    "zodat we onze campagnes kunnen meten en u daar relevante berichten tonen.",
                },
            },
        },
    }
)

EXAMPLE = Example(
    slug="bconnect",
    name="Bconnect (reference site)",
    language="en",
    summary=(
        "English and Dutch banner (switch with the language links), a link to a separate "
        "cookie statement, and the visitor's own consent history to download (the rights "
        "of access and portability)."
    ),
    revisions=(
        Revision(
            vendors={
                "google-analytics": {
                    "category": "performance",
                    "settings": {"measurement_id": "G-BCONNECT1"},
                },
                "linkedin-insight": {"category": "targeting", "settings": {"partner_id": "5301"}},
            },
            texts=_TEXTS,
        ),
    ),
    cookie_statement=True,
    brand="Bconnect",
    languages=("en", "nl"),
    offer={"en": "Services", "nl": "Diensten"},
    tags=(gtag("G-BCONNECT1"), linkedin_insight("5301")),
    promises=(
        "Rights of information, access, correction, objection, portability, restriction, "
        "erasure and complaint, answered within 30 days.",
        "Collects IP address, location and browsing behaviour through cookies, only with "
        "consent where the law asks for it.",
    ),
)
