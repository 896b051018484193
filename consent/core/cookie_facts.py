"""What each cookie the catalogue names is for and how long it typically lives, as data.

The cookie declaration shows these facts; a scan's observed duration takes the place of the
typical one when the scan saw the cookie. Facts come from ../shared/VENDORS.md ("cookie facts
for the declaration"), which cites the vendors' own documentation; ``confirmed=False`` marks
what that file marks ⚠. Every name in a vendor's ``cookies`` and ``third_party_cookies``
has exactly one fact here, its purpose in every language the product ships texts in (en, nl,
de, fr; a test keeps them in step).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

Unit = Literal["minute", "hour", "day", "month", "year"]
#: How long a cookie lives: an amount of a unit, or None for a session cookie.
Lifetime = tuple[int, Unit] | None

#: Days in a unit, for ``duration_days`` (a month as the calendar's average, rounded).
UNIT_DAYS: MappingProxyType[str, float] = MappingProxyType(
    {"minute": 1 / 1440, "hour": 1 / 24, "day": 1, "month": 30.44, "year": 365.25}
)


@dataclass(frozen=True)
class CookieFact:
    """One cookie (or name pattern, ``*`` ending a prefix) of a catalogue vendor."""

    name: str
    #: Its purpose, per language (en, nl, de and fr; a language without one shows English).
    purpose: MappingProxyType[str, str]
    lifetime: Lifetime
    #: False where VENDORS.md marks the fact unconfirmed.
    confirmed: bool = True


#: Each English purpose in German and French (the other languages the product ships texts in).
_DE_FR: MappingProxyType[str, tuple[str, str]] = MappingProxyType(
    {
        "Distinguishes visitors": ("Unterscheidet Besucher", "Distingue les visiteurs"),
        "Keeps the session state": (
            "Speichert den Sitzungsstatus",
            "Conserve l'état de la session",
        ),
        "Throttles requests": ("Begrenzt die Anzahl der Anfragen", "Limite le nombre de requêtes"),
        "Keeps advertising campaign information": (
            "Speichert Informationen zu Werbekampagnen",
            "Conserve des informations sur les campagnes publicitaires",
        ),
        "Attributes conversions to LinkedIn members": (
            "Ordnet Conversions LinkedIn-Mitgliedern zu",
            "Attribue les conversions aux membres LinkedIn",
        ),
        "Probabilistic identifier": (
            "Wahrscheinlichkeitsbasierte Kennung",
            "Identifiant probabiliste",
        ),
        "Identifies the browser": ("Erkennt den Browser", "Identifie le navigateur"),
        "Routes requests": ("Leitet Anfragen weiter", "Achemine les requêtes"),
        "Synchronises advertising identifiers": (
            "Gleicht Werbekennungen ab",
            "Synchronise les identifiants publicitaires",
        ),
        "Identifies the browser for advertising": (
            "Erkennt den Browser für Werbung",
            "Identifie le navigateur pour la publicité",
        ),
        "Stores the last ad click": (
            "Speichert den letzten Klick auf eine Anzeige",
            "Enregistre le dernier clic sur une publicité",
        ),
        "Tracks visitors": ("Verfolgt Besucher", "Suit les visiteurs"),
        "Keeps the visitor's identity for forms": (
            "Speichert die Identität des Besuchers für Formulare",
            "Conserve l'identité du visiteur pour les formulaires",
        ),
        "Counts sessions": ("Zählt Sitzungen", "Compte les sessions"),
        "Detects a new session": ("Erkennt eine neue Sitzung", "Détecte une nouvelle session"),
        "Analytics for the video player": (
            "Statistiken für den Videoplayer",
            "Statistiques du lecteur vidéo",
        ),
        "Estimates bandwidth and keeps player preferences": (
            "Schätzt die Bandbreite und speichert Player-Einstellungen",
            "Estime la bande passante et conserve les préférences du lecteur",
        ),
        "Counts video views": ("Zählt Videoaufrufe", "Compte les vues des vidéos"),
        "Identifies the visitor of a visiting company": (
            "Erkennt den Besucher eines besuchenden Unternehmens",
            "Identifie le visiteur d'une entreprise en visite",
        ),
        "Keeps the session": ("Speichert die Sitzung", "Conserve la session"),
        "Identifies a visitor who is not signed in": (
            "Erkennt einen nicht angemeldeten Besucher",
            "Identifie un visiteur non connecté",
        ),
        "Personalisation and advertising": (
            "Personalisierung und Werbung",
            "Personnalisation et publicité",
        ),
        "Security of the browser's sign-ins": (
            "Sicherheit der Anmeldungen",
            "Sécurité des connexions",
        ),
        "Advertising": ("Werbung", "Publicité"),
        "Fraud prevention": ("Betrugsprävention", "Prévention de la fraude"),
        "Recognises a subscriber who comes back": (
            "Erkennt einen wiederkehrenden Abonnenten",
            "Reconnaît un abonné qui revient",
        ),
        "Remembers that the signup pop-up was closed": (
            "Speichert, dass das Anmelde-Pop-up geschlossen wurde",
            "Mémorise que la fenêtre d'inscription a été fermée",
        ),
        "Remembers that the visitor subscribed": (
            "Speichert, dass der Besucher sich angemeldet hat",
            "Mémorise que le visiteur s'est inscrit",
        ),
        "Remembers your cookie choice": (
            "Speichert Ihre Cookie-Auswahl",
            "Mémorise votre choix en matière de cookies",
        ),
    }
)


def _purpose(en: str, nl: str) -> MappingProxyType[str, str]:
    de, fr = _DE_FR[en]
    return MappingProxyType({"en": en, "nl": nl, "de": de, "fr": fr})


def _fact(name: str, en: str, nl: str, lifetime: Lifetime, confirmed: bool = True) -> CookieFact:
    return CookieFact(name, _purpose(en, nl), lifetime, confirmed)


_IDENTIFIES = ("Distinguishes visitors", "Onderscheidt bezoekers")

#: Vendor id → its cookies' facts, first-party cookies first (the catalogue's order).
COOKIE_FACTS: MappingProxyType[str, tuple[CookieFact, ...]] = MappingProxyType(
    {
        "google-analytics": (
            _fact("_ga", *_IDENTIFIES, (2, "year")),
            _fact(
                "_ga_*", "Keeps the session state", "Houdt de status van de sessie bij", (2, "year")
            ),
            _fact("_gid", *_IDENTIFIES, (24, "hour")),
            _fact("_gat*", "Throttles requests", "Beperkt het aantal verzoeken", (1, "minute")),
            # Not in VENDORS.md's table: Google's "cookie usage" page gives 90 days.
            _fact(
                "_gac_*",
                "Keeps advertising campaign information",
                "Bewaart informatie over advertentiecampagnes",
                (90, "day"),
                confirmed=False,
            ),
        ),
        "linkedin-insight": (
            _fact(
                "li_fat_id",
                "Attributes conversions to LinkedIn members",
                "Koppelt conversies aan LinkedIn-leden",
                (30, "day"),
            ),
            _fact(
                "li_sugr",
                "Probabilistic identifier",
                "Waarschijnlijkheidsidentificatie",
                (90, "day"),
                confirmed=False,
            ),
            _fact("bcookie", "Identifies the browser", "Herkent de browser", (1, "year")),
            _fact("lidc", "Routes requests", "Routeert verzoeken", (24, "hour")),
            _fact(
                "UserMatchHistory",
                "Synchronises advertising identifiers",
                "Synchroniseert advertentie-identificaties",
                (30, "day"),
            ),
        ),
        "meta-pixel": (
            _fact(
                "_fbp",
                "Identifies the browser for advertising",
                "Herkent de browser voor advertenties",
                (90, "day"),
            ),
            _fact(
                "_fbc",
                "Stores the last ad click",
                "Bewaart de laatste klik op een advertentie",
                (90, "day"),
            ),
        ),
        "hubspot": (
            _fact("__hstc", "Tracks visitors", "Volgt bezoekers", (6, "month")),
            _fact(
                "hubspotutk",
                "Keeps the visitor's identity for forms",
                "Onthoudt de identiteit van de bezoeker voor formulieren",
                (6, "month"),
            ),
            _fact("__hssc", "Counts sessions", "Telt sessies", (30, "minute")),
            _fact("__hssrc", "Detects a new session", "Herkent een nieuwe sessie", None),
        ),
        "vimeo": (
            _fact(
                "vuid",
                "Analytics for the video player",
                "Statistieken voor de videospeler",
                (2, "year"),
            ),
        ),
        "youtube": (
            _fact(
                "VISITOR_INFO1_LIVE",
                "Estimates bandwidth and keeps player preferences",
                "Schat de bandbreedte en onthoudt voorkeuren van de speler",
                (6, "month"),
            ),
            _fact("YSC", "Counts video views", "Telt weergaven van video's", None),
        ),
        "leadinfo": (
            _fact(
                "_li_id",
                "Identifies the visitor of a visiting company",
                "Herkent de bezoeker van een bezoekend bedrijf",
                (2, "year"),
                confirmed=False,
            ),
            _fact("_li_ses", "Keeps the session", "Houdt de sessie bij", None, confirmed=False),
        ),
        "twitter": (
            _fact(
                "guest_id",
                "Identifies a visitor who is not signed in",
                "Herkent een bezoeker die niet is ingelogd",
                (2, "year"),
                confirmed=False,
            ),
            _fact(
                "personalization_id",
                "Personalisation and advertising",
                "Personalisatie en advertenties",
                (2, "year"),
                confirmed=False,
            ),
        ),
        "facebook-social": (
            # VENDORS.md: "security and advertising — up to 2 years" for both.
            _fact(
                "datr",
                "Security of the browser's sign-ins",
                "Beveiliging van aanmeldingen",
                (2, "year"),
                confirmed=False,
            ),
            _fact("fr", "Advertising", "Advertenties", (2, "year"), confirmed=False),
        ),
        "mailchimp": (
            _fact(
                "_mcid",
                "Recognises a subscriber who comes back",
                "Herkent een abonnee die terugkomt",
                (1, "year"),
                confirmed=False,
            ),
            _fact(
                "MCPopupClosed",
                "Remembers that the signup pop-up was closed",
                "Onthoudt dat de aanmeldpop-up is gesloten",
                (1, "year"),
                confirmed=False,
            ),
            _fact(
                "MCPopupSubscribed",
                "Remembers that the visitor subscribed",
                "Onthoudt dat de bezoeker zich heeft aangemeld",
                (1, "year"),
                confirmed=False,
            ),
        ),
        "stripe": (
            _fact("__stripe_mid", "Fraud prevention", "Fraudepreventie", (1, "year")),
            _fact("__stripe_sid", "Fraud prevention", "Fraudepreventie", (30, "minute")),
        ),
    }
)

#: The product's own cookie: the visitor's consent token (its lifetime is the site's).
CONSENT_TOKEN = CookieFact(
    "consent_token",
    _purpose("Remembers your cookie choice", "Onthoudt uw cookiekeuze"),
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
