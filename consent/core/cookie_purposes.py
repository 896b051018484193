"""What a cookie fact is, and each cookie's purpose in the languages the product ships texts
in: the English purpose and its Dutch come with the fact; German and French from the table
below, one per English purpose (a purpose missing there fails at import)."""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

Unit = Literal["minute", "hour", "day", "month", "year"]
#: How long a cookie lives: an amount of a unit, or None for a session cookie.
Lifetime = tuple[int, Unit] | None


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
        "Keeps conversion information for ads": (
            "Speichert Conversion-Informationen für Anzeigen",
            "Conserve les informations de conversion des annonces",
        ),
        "Checks that the browser accepts cookies": (
            "Prüft, ob der Browser Cookies annimmt",
            "Vérifie que le navigateur accepte les cookies",
        ),
        "Keeps the visitor's analytics identifier": (
            "Speichert die Analysekennung des Besuchers",
            "Conserve l'identifiant d'analyse du visiteur",
        ),
        "Joins page views into one session recording": (
            "Fasst Seitenaufrufe zu einer Sitzungsaufzeichnung zusammen",
            "Regroupe les pages vues en un enregistrement de session",
        ),
        "Stores how the visitor arrived": (
            "Speichert, wie der Besucher gekommen ist",
            "Enregistre la provenance du visiteur",
        ),
        "Attributes conversions to ads": (
            "Ordnet Conversions Anzeigen zu",
            "Attribue les conversions aux annonces",
        ),
        "Recognises a visitor for the chat": (
            "Erkennt einen Besucher für den Chat",
            "Reconnaît un visiteur pour la discussion",
        ),
        "Keeps the chat session": (
            "Speichert die Chat-Sitzung",
            "Conserve la session de discussion",
        ),
        "Identifies the device for the chat": (
            "Erkennt das Gerät für den Chat",
            "Identifie l'appareil pour la discussion",
        ),
        "Keeps preferences for Google's services": (
            "Speichert Einstellungen für Googles Dienste",
            "Conserve les préférences pour les services de Google",
        ),
        "Remembers your cookie choice": (
            "Speichert Ihre Cookie-Auswahl",
            "Mémorise votre choix en matière de cookies",
        ),
    }
)


def purpose(en: str, nl: str) -> MappingProxyType[str, str]:
    """A purpose in en, nl, de and fr."""
    de, fr = _DE_FR[en]
    return MappingProxyType({"en": en, "nl": nl, "de": de, "fr": fr})


def fact(name: str, en: str, nl: str, lifetime: Lifetime, confirmed: bool = True) -> CookieFact:
    """A cookie's fact with its purpose in every language (German and French looked up)."""
    return CookieFact(name, purpose(en, nl), lifetime, confirmed)


#: The commonest purpose.
IDENTIFIES = ("Distinguishes visitors", "Onderscheidt bezoekers")
