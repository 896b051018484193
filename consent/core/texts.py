"""Default banner texts (plain text, never HTML) and their validation rules."""

from __future__ import annotations

from typing import Any

#: Languages the banner ships texts for.
LANGUAGES: tuple[str, ...] = ("en", "nl")

#: Keys every language's texts carry (besides ``categories``).
TEXT_KEYS: tuple[str, ...] = (
    "title",
    "description",
    "accept_all",
    "reject_all",
    "customize",
    "save",
    "privacy_link",
    "gpc_notice",
    "placeholder",
)

#: Longest text accepted under any key.
MAX_TEXT = 2000

DEFAULT_TEXTS: dict[str, dict[str, Any]] = {
    "en": {
        "title": "Your privacy choices",
        "description": (
            "We use cookies and similar technologies. Strictly necessary ones keep the site "
            "working. With your permission we also use them to measure visits, remember your "
            "settings, show relevant advertising and offer social media features. Refusing is "
            "as easy as accepting, and you can change your mind at any time."
        ),
        "accept_all": "Accept all",
        "reject_all": "Reject all",
        "customize": "Preferences",
        "save": "Save choices",
        "privacy_link": "Privacy policy",
        "gpc_notice": (
            "Your browser sent a privacy signal (Global Privacy Control or Do Not Track), "
            "so advertising and social media start switched off."
        ),
        "placeholder": "This content from {vendor} is blocked until you allow it.",
        "categories": {
            "necessary": {
                "title": "Strictly necessary",
                "description": "Needed for the site to work, for security and to remember "
                "this choice. Always on.",
            },
            "performance": {
                "title": "Performance",
                "description": "Count visits and traffic sources so we can measure and "
                "improve the site.",
            },
            "functionality": {
                "title": "Functionality",
                "description": "Remember your choices, such as language or region, and "
                "provide enhanced features.",
            },
            "targeting": {
                "title": "Targeting and advertising",
                "description": "Build a profile of your interests to show relevant "
                "advertising here and on other sites.",
            },
            "social": {
                "title": "Social media",
                "description": "Let you share pages and show content from social networks, "
                "which may track you.",
            },
        },
    },
    "nl": {
        "title": "Uw privacykeuzes",
        "description": (
            "Wij gebruiken cookies en vergelijkbare technieken. Strikt noodzakelijke cookies "
            "laten de site werken. Met uw toestemming gebruiken we ze ook om bezoeken te meten, "
            "uw instellingen te onthouden, relevante advertenties te tonen en socialemedia-"
            "functies aan te bieden. Weigeren is net zo makkelijk als accepteren, en u kunt uw "
            "keuze altijd wijzigen."
        ),
        "accept_all": "Alles accepteren",
        "reject_all": "Alles weigeren",
        "customize": "Voorkeuren",
        "save": "Keuzes opslaan",
        "privacy_link": "Privacyverklaring",
        "gpc_notice": (
            "Uw browser stuurde een privacysignaal (Global Privacy Control of Do Not Track), "
            "daarom staan advertenties en sociale media uit."
        ),
        "placeholder": "Deze inhoud van {vendor} is geblokkeerd totdat u die toestaat.",
        "categories": {
            "necessary": {
                "title": "Strikt noodzakelijk",
                "description": "Nodig om de site te laten werken, voor beveiliging en om "
                "deze keuze te onthouden. Altijd aan.",
            },
            "performance": {
                "title": "Prestaties",
                "description": "Bezoeken en verkeersbronnen tellen zodat we de site kunnen "
                "meten en verbeteren.",
            },
            "functionality": {
                "title": "Functionaliteit",
                "description": "Uw keuzes onthouden, zoals taal of regio, en extra functies "
                "bieden.",
            },
            "targeting": {
                "title": "Marketing en advertenties",
                "description": "Een profiel van uw interesses opbouwen om relevante "
                "advertenties te tonen, hier en op andere sites.",
            },
            "social": {
                "title": "Sociale media",
                "description": "Pagina's delen en inhoud van sociale netwerken tonen, die u "
                "kunnen volgen.",
            },
        },
    },
}

#: Interface words that are not banner texts (the owner does not edit them), per language;
#: a language without its own gets English's. The config carries the page language's.
LABELS: dict[str, dict[str, str]] = {
    "en": {"cookies": "Cookie statement", "load": "Allow and load", "vendors": "Vendors"},
    "nl": {"cookies": "Cookieverklaring", "load": "Toestaan en laden", "vendors": "Partijen"},
}


def labels_for(language: str) -> dict[str, str]:
    """The interface words for ``language`` (English's if it has none)."""
    return LABELS.get(language, LABELS["en"])
