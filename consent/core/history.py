"""A visitor's consent history in plain words: the page's own words per language, and each
receipt turned into what a person reads (when, what was allowed and refused, where, under
which policy version).

The category titles are the policy version's own texts; only the words around them are
ours. Like :data:`consent.core.texts.LABELS`, a language without its own words gets
English's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from consent.core.catalog import CATEGORIES

#: The history page's words, per language. ``intro`` takes ``{site}``; ``when`` takes
#: ``{day}``, ``{month}``, ``{year}`` and ``{time}`` (UTC); the four actions are the sentence
#: that sums up a receipt.
HISTORY_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Your consent history",
        "intro": "Each choice you made on {site} about cookies and similar technologies was "
        "recorded as a receipt. Here they are, oldest first.",
        "languages": "This page in",
        "choices": "Your choices",
        "none": "No choice has been recorded for you yet.",
        "accept_all": "You accepted all categories.",
        "reject_all": "You refused every optional category.",
        "custom": "You chose category by category.",
        "withdraw": "You withdrew your consent.",
        "allowed": "Allowed",
        "refused": "Refused",
        "nothing": "nothing",
        "page": "On page",
        "page_gone": "no longer kept (erased on request or after the retention period)",
        "version": "Policy version",
        "signals": "Your browser's privacy signal",
        "receipt": "Receipt",
        "when": "{day} {month} {year}, {time} UTC",
        "downloads": "Download your history",
        "json": "JSON, with every detail and proof",
        "csv": "CSV, for a spreadsheet",
        "proof_title": "What the proof means",
        "proof": "Each receipt carries a fingerprint (a SHA-256 hash) that also covers the "
        "receipt before it, so nobody can change or remove an earlier choice without breaking "
        "every later one. Each fingerprint is also entered in a public transparency log, the "
        "kind that keeps web certificates honest: the downloads hold, for every receipt, a "
        "proof that it is in the log and a checkpoint of the log signed by this service. "
        "Anyone can check them against the public log below without trusting us: Consent "
        "Ledger is open source, and its verifier (consent verify-export) needs nothing from "
        "this service but these downloads, the checkpoint and the key.",
        "checkpoint": "The log's current signed checkpoint",
        "log_key": "The log's public key",
    },
    "nl": {
        "title": "Geschiedenis van uw toestemmingen",
        "intro": "Elke keuze die u op {site} maakte over cookies en vergelijkbare technieken "
        "is vastgelegd als ontvangstbewijs. Hier staan ze, de oudste eerst.",
        "languages": "Deze pagina in het",
        "choices": "Uw keuzes",
        "none": "Er is nog geen keuze van u vastgelegd.",
        "accept_all": "U accepteerde alle categorieën.",
        "reject_all": "U weigerde elke optionele categorie.",
        "custom": "U koos per categorie.",
        "withdraw": "U trok uw toestemming in.",
        "allowed": "Toegestaan",
        "refused": "Geweigerd",
        "nothing": "niets",
        "page": "Op pagina",
        "page_gone": "niet meer bewaard (gewist op verzoek of na de bewaartermijn)",
        "version": "Beleidsversie",
        "signals": "Privacysignaal van uw browser",
        "receipt": "Ontvangstbewijs",
        "when": "{day} {month} {year}, {time} UTC",
        "downloads": "Uw geschiedenis downloaden",
        "json": "JSON, met alle details en bewijzen",
        "csv": "CSV, voor een spreadsheet",
        "proof_title": "Wat het bewijs betekent",
        "proof": "Elk ontvangstbewijs draagt een vingerafdruk (een SHA-256-hash) die ook het "
        "vorige bewijs omvat, zodat niemand een eerdere keuze kan wijzigen of weghalen zonder "
        "alle latere te breken. Elke vingerafdruk staat bovendien in een openbaar "
        "transparantielogboek, zoals dat waarmee webcertificaten eerlijk blijven: de downloads "
        "bevatten per ontvangstbewijs een bewijs dat het in het logboek staat en een door deze "
        "dienst ondertekend controlepunt van het logboek. Iedereen kan ze zonder ons te "
        "vertrouwen tegen het openbare logboek hieronder controleren: Consent Ledger is open "
        "source, en de controle (consent verify-export) heeft van deze dienst niets anders "
        "nodig dan deze downloads, het controlepunt en de sleutel.",
        "checkpoint": "Het actuele ondertekende controlepunt van het logboek",
        "log_key": "De openbare sleutel van het logboek",
    },
    "de": {
        "title": "Ihr Einwilligungsverlauf",
        "intro": "Jede Entscheidung, die Sie auf {site} zu Cookies und ähnlichen Technologien "
        "getroffen haben, wurde als Beleg gespeichert. Hier sind sie, die älteste zuerst.",
        "languages": "Diese Seite auf",
        "choices": "Ihre Entscheidungen",
        "none": "Für Sie ist noch keine Entscheidung gespeichert.",
        "accept_all": "Sie haben alle Kategorien akzeptiert.",
        "reject_all": "Sie haben jede optionale Kategorie abgelehnt.",
        "custom": "Sie haben je Kategorie entschieden.",
        "withdraw": "Sie haben Ihre Einwilligung widerrufen.",
        "allowed": "Erlaubt",
        "refused": "Abgelehnt",
        "nothing": "nichts",
        "page": "Auf der Seite",
        "page_gone": "nicht mehr gespeichert (auf Wunsch oder nach der Aufbewahrungsfrist "
        "gelöscht)",
        "version": "Richtlinienversion",
        "signals": "Datenschutzsignal Ihres Browsers",
        "receipt": "Beleg",
        "when": "{day}. {month} {year}, {time} UTC",
        "downloads": "Ihren Verlauf herunterladen",
        "json": "JSON, mit allen Details und Nachweisen",
        "csv": "CSV, für eine Tabellenkalkulation",
        "proof_title": "Was der Nachweis bedeutet",
        "proof": "Jeder Beleg trägt einen Fingerabdruck (einen SHA-256-Hash), der auch den "
        "vorigen Beleg umfasst, sodass niemand eine frühere Entscheidung ändern oder entfernen "
        "kann, ohne alle späteren zu zerstören. Jeder Fingerabdruck steht außerdem in einem "
        "öffentlichen Transparenzprotokoll, wie es auch Webzertifikate ehrlich hält: Die "
        "Downloads enthalten zu jedem Beleg einen Nachweis, dass er im Protokoll steht, und "
        "einen von diesem Dienst signierten Prüfpunkt des Protokolls. Alle können sie ohne "
        "Vertrauen in uns am öffentlichen Protokoll unten prüfen: Consent Ledger ist Open "
        "Source, und seine Prüfung (consent verify-export) braucht von diesem Dienst nur diese "
        "Downloads, den Prüfpunkt und den Schlüssel.",
        "checkpoint": "Der aktuelle signierte Prüfpunkt des Protokolls",
        "log_key": "Der öffentliche Schlüssel des Protokolls",
    },
    "fr": {
        "title": "L'historique de vos consentements",
        "intro": "Chaque choix que vous avez fait sur {site} au sujet des cookies et des "
        "technologies similaires a été enregistré sous forme de reçu. Les voici, du plus "
        "ancien au plus récent.",
        "languages": "Cette page en",
        "choices": "Vos choix",
        "none": "Aucun choix n'a encore été enregistré pour vous.",
        "accept_all": "Vous avez tout accepté.",
        "reject_all": "Vous avez refusé toutes les catégories facultatives.",
        "custom": "Vous avez choisi catégorie par catégorie.",
        "withdraw": "Vous avez retiré votre consentement.",
        "allowed": "Autorisé",
        "refused": "Refusé",
        "nothing": "rien",
        "page": "Sur la page",
        "page_gone": "plus conservée (effacée sur demande ou après la durée de conservation)",
        "version": "Version de la politique",
        "signals": "Signal de confidentialité de votre navigateur",
        "receipt": "Reçu",
        "when": "{day} {month} {year}, {time} UTC",
        "downloads": "Télécharger votre historique",
        "json": "JSON, avec tous les détails et les preuves",
        "csv": "CSV, pour un tableur",
        "proof_title": "Ce que signifie la preuve",
        "proof": "Chaque reçu porte une empreinte (un hachage SHA-256) qui couvre aussi le reçu "
        "précédent : personne ne peut modifier ou retirer un choix antérieur sans casser tous "
        "les suivants. Chaque empreinte est en outre inscrite dans un journal de transparence "
        "public, du type de ceux qui gardent les certificats web honnêtes : les "
        "téléchargements contiennent, pour chaque reçu, la preuve de sa présence dans le "
        "journal et un point de contrôle du journal signé par ce service. Chacun peut les "
        "vérifier sans nous faire confiance avec le journal public ci-dessous : Consent Ledger "
        "est open source, et son vérificateur (consent verify-export) n'a besoin de ce service "
        "que de ces téléchargements, du point de contrôle et de la clé.",
        "checkpoint": "Le point de contrôle signé actuel du journal",
        "log_key": "La clé publique du journal",
    },
}

#: Month names per language, January first.
MONTHS: dict[str, tuple[str, ...]] = {
    "en": (
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ),
    "nl": (
        "januari", "februari", "maart", "april", "mei", "juni",
        "juli", "augustus", "september", "oktober", "november", "december",
    ),
    "de": (
        "Januar", "Februar", "März", "April", "Mai", "Juni",
        "Juli", "August", "September", "Oktober", "November", "Dezember",
    ),
    "fr": (
        "janvier", "février", "mars", "avril", "mai", "juin",
        "juillet", "août", "septembre", "octobre", "novembre", "décembre",
    ),
}  # fmt: skip

#: How each privacy signal a receipt records is named (a proper name in every language).
SIGNAL_NAMES = {"gpc": "Global Privacy Control", "dnt": "Do Not Track"}


def words_language(language: str) -> str:
    """The language the page's own words are in: ``language`` when we have its words."""
    return language if language in HISTORY_WORDS else "en"


def readable_time(created_at: str, language: str) -> str:
    """A ledger timestamp (``2026-12-07T02:52:10.123Z``) as ``7 December 2026, 02:52 UTC``."""
    lang = words_language(language)
    date, time = created_at.split("T", 1)
    year, month, day = (int(part) for part in date.split("-"))
    day_text = "1er" if lang == "fr" and day == 1 else str(day)
    return HISTORY_WORDS[lang]["when"].format(
        day=day_text, month=MONTHS[lang][month - 1], year=year, time=time[:5]
    )


@dataclass(frozen=True)
class VersionTexts:
    """What the history shows of one policy version, in one of its languages."""

    version: int
    #: The language of ``titles`` and ``privacy_link``: the page's if the version has it.
    language: str
    #: Each category's title, as that version's banner showed it.
    titles: Mapping[str, str]
    privacy_link: str
    privacy_policy_url: str | None


def version_texts(
    version: int,
    texts: Mapping[str, Any],
    privacy_policy_url: str | None,
    wanted: str,
    fallback: str,
) -> VersionTexts:
    """One version's titles in ``wanted``, else in ``fallback`` (the site's default), else in
    the first language it carries."""
    language = next(lang for lang in (wanted, fallback, *texts) if lang in texts)
    chosen = texts[language]
    titles = {cat: chosen["categories"][cat]["title"] for cat in CATEGORIES}
    return VersionTexts(version, language, titles, chosen["privacy_link"], privacy_policy_url)


@dataclass(frozen=True)
class HistoryEntry:
    """One receipt as a person reads it."""

    receipt_id: str
    seq: int
    #: The exact time, for ``<time datetime>``.
    created_at: str
    when: str
    summary: str
    allowed: tuple[str, ...]
    refused: tuple[str, ...]
    #: The page the choice was made on; None once its context was erased.
    page_url: str | None
    policy: VersionTexts
    signals: tuple[str, ...]


def history_entries(
    receipts: Sequence[Mapping[str, Any]], versions: Mapping[int, VersionTexts], language: str
) -> list[HistoryEntry]:
    """The receipts (as ``/me`` gives them, oldest first) in plain words, in the same order."""
    words = HISTORY_WORDS[words_language(language)]
    entries = []
    for receipt in receipts:
        policy = versions[receipt["policy_version"]]
        chosen = receipt["categories"]
        context = receipt.get("context")
        entries.append(
            HistoryEntry(
                receipt_id=receipt["receipt_id"],
                seq=receipt["seq"],
                created_at=receipt["created_at"],
                when=readable_time(receipt["created_at"], language),
                summary=words[receipt["action"]],
                allowed=tuple(policy.titles[c] for c in CATEGORIES if chosen.get(c)),
                refused=tuple(policy.titles[c] for c in CATEGORIES if not chosen.get(c)),
                page_url=context["page_url"] if context else None,
                policy=policy,
                signals=tuple(n for key, n in SIGNAL_NAMES.items() if receipt["signals"].get(key)),
            )
        )
    return entries
