"""The cookie declaration's interface words and durations, per language (plain text).

The declaration answers in one language; its table's headings come with it (``labels``),
so the embed's declaration script carries no words of its own. A language without its own
words gets English's.
"""

from __future__ import annotations

from types import MappingProxyType

from consent.core.cookie_facts import Lifetime

#: Words of the declaration's table. ``scanned`` takes ``{date}``.
LABELS: MappingProxyType[str, MappingProxyType[str, str]] = MappingProxyType(
    {
        "en": MappingProxyType(
            {
                "caption": "Cookies: {category}",
                "name": "Name",
                "provider": "Provider",
                "purpose": "Purpose",
                "duration": "Duration",
                "type": "Type",
                "cookie": "HTTP cookie",
                "local_storage": "Local storage",
                "session_storage": "Session storage",
                "first_party": "first party",
                "third_party": "third party",
                "unclassified": "Unclassified",
                "unclassified_description": (
                    "Seen on this site by a scan, not yet attributed to a provider."
                ),
                "none": "No cookies in this category.",
                "unknown": "Unknown",
                "scanned": "Last checked by a scan of the site on {date}.",
            }
        ),
        "nl": MappingProxyType(
            {
                "caption": "Cookies: {category}",
                "name": "Naam",
                "provider": "Aanbieder",
                "purpose": "Doel",
                "duration": "Bewaartermijn",
                "type": "Soort",
                "cookie": "HTTP-cookie",
                "local_storage": "Lokale opslag",
                "session_storage": "Sessieopslag",
                "first_party": "eigen",
                "third_party": "derde partij",
                "unclassified": "Niet ingedeeld",
                "unclassified_description": (
                    "Door een scan op deze site gezien, nog niet aan een aanbieder toegeschreven."
                ),
                "none": "Geen cookies in deze categorie.",
                "unknown": "Onbekend",
                "scanned": "Laatst gecontroleerd met een scan van de site op {date}.",
            }
        ),
        "de": MappingProxyType(
            {
                "caption": "Cookies: {category}",
                "name": "Name",
                "provider": "Anbieter",
                "purpose": "Zweck",
                "duration": "Speicherdauer",
                "type": "Typ",
                "cookie": "HTTP-Cookie",
                "local_storage": "Lokaler Speicher",
                "session_storage": "Sitzungsspeicher",
                "first_party": "eigene",
                "third_party": "Drittanbieter",
                "unclassified": "Nicht zugeordnet",
                "unclassified_description": (
                    "Von einem Scan auf dieser Website gefunden, noch keinem Anbieter zugeordnet."
                ),
                "none": "Keine Cookies in dieser Kategorie.",
                "unknown": "Unbekannt",
                "scanned": "Zuletzt am {date} mit einem Scan der Website geprüft.",
            }
        ),
        "fr": MappingProxyType(
            {
                "caption": "Cookies : {category}",
                "name": "Nom",
                "provider": "Fournisseur",
                "purpose": "Finalité",
                "duration": "Durée",
                "type": "Type",
                "cookie": "Cookie HTTP",
                "local_storage": "Stockage local",
                "session_storage": "Stockage de session",
                "first_party": "interne",
                "third_party": "tiers",
                "unclassified": "Non classés",
                "unclassified_description": (
                    "Vus sur ce site lors d'une analyse, pas encore attribués à un fournisseur."
                ),
                "none": "Aucun cookie dans cette catégorie.",
                "unknown": "Inconnu",
                "scanned": "Dernière vérification par une analyse du site le {date}.",
            }
        ),
    }
)

#: Unit → (singular, plural), and the words for a session, under a day and until cleared.
_DURATIONS: MappingProxyType[str, MappingProxyType[str, tuple[str, str]]] = MappingProxyType(
    {
        "en": MappingProxyType(
            {
                "minute": ("minute", "minutes"),
                "hour": ("hour", "hours"),
                "day": ("day", "days"),
                "month": ("month", "months"),
                "year": ("year", "years"),
                "session": ("Session", ""),
                "under_a_day": ("Less than a day", ""),
                "persistent": ("Until cleared", ""),
            }
        ),
        "nl": MappingProxyType(
            {
                "minute": ("minuut", "minuten"),
                "hour": ("uur", "uur"),
                "day": ("dag", "dagen"),
                "month": ("maand", "maanden"),
                "year": ("jaar", "jaar"),
                "session": ("Sessie", ""),
                "under_a_day": ("Minder dan een dag", ""),
                "persistent": ("Tot u het wist", ""),
            }
        ),
        "de": MappingProxyType(
            {
                "minute": ("Minute", "Minuten"),
                "hour": ("Stunde", "Stunden"),
                "day": ("Tag", "Tage"),
                "month": ("Monat", "Monate"),
                "year": ("Jahr", "Jahre"),
                "session": ("Sitzung", ""),
                "under_a_day": ("Weniger als ein Tag", ""),
                "persistent": ("Bis zur Löschung", ""),
            }
        ),
        "fr": MappingProxyType(
            {
                "minute": ("minute", "minutes"),
                "hour": ("heure", "heures"),
                "day": ("jour", "jours"),
                "month": ("mois", "mois"),
                "year": ("an", "ans"),
                "session": ("Session", ""),
                "under_a_day": ("Moins d'un jour", ""),
                "persistent": ("Jusqu'à suppression", ""),
            }
        ),
    }
)


def labels_for(language: str) -> MappingProxyType[str, str]:
    """The declaration's words in ``language`` (English's if it has none)."""
    return LABELS.get(language, LABELS["en"])


def _words(language: str) -> MappingProxyType[str, tuple[str, str]]:
    return _DURATIONS.get(language, _DURATIONS["en"])


def lifetime_text(lifetime: Lifetime, language: str) -> str:
    """A typical lifetime as read: ``2 years``, ``30 minuten``, ``Session``."""
    words = _words(language)
    if lifetime is None:
        return words["session"][0]
    amount, unit = lifetime
    return f"{amount} {words[unit][0 if amount == 1 else 1]}"


def observed_text(days: int | None, language: str) -> str:
    """An observed lifetime (whole days; None: a session cookie) as read: whole years when
    it is within two days of them (a scan rounds), else days."""
    words = _words(language)
    if days is None:
        return words["session"][0]
    if days == 0:
        return words["under_a_day"][0]
    years = round(days / 365.25)
    if years >= 1 and abs(days - years * 365.25) <= 2:
        return lifetime_text((years, "year"), language)
    return lifetime_text((days, "day"), language)


def persistent_text(language: str) -> str:
    """How long ``localStorage`` keeps a key: until the visitor or the site clears it."""
    return _words(language)["persistent"][0]
