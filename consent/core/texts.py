"""Default banner texts (plain text, never HTML), the languages texts may be in, and the
interface words that are not the owner's texts."""

from __future__ import annotations

import copy
import re
from typing import Any

#: A language as texts are keyed: a BCP 47 primary subtag, 2 to 3 lower-case ASCII letters.
LANGUAGE_PATTERN = "^[a-z]{2,3}$"
_LANGUAGE_TAG = re.compile(LANGUAGE_PATTERN)
#: What an owner is told when a tag is not one.
LANGUAGE_RULE = "a language is a primary subtag of 2 or 3 lower-case letters, like en, de or fil"

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
    "de": {
        "title": "Ihre Datenschutzeinstellungen",
        "description": (
            "Wir verwenden Cookies und ähnliche Technologien. Unbedingt erforderliche Cookies "
            "sorgen dafür, dass die Website funktioniert. Mit Ihrer Einwilligung verwenden wir "
            "sie auch, um Besuche zu messen, Ihre Einstellungen zu speichern, passende Werbung "
            "zu zeigen und Funktionen sozialer Medien anzubieten. Ablehnen ist so einfach wie "
            "Zustimmen, und Sie können Ihre Entscheidung jederzeit ändern."
        ),
        "accept_all": "Alle akzeptieren",
        "reject_all": "Alle ablehnen",
        "customize": "Einstellungen",
        "save": "Auswahl speichern",
        "privacy_link": "Datenschutzerklärung",
        "gpc_notice": (
            "Ihr Browser hat ein Datenschutzsignal gesendet (Global Privacy Control oder Do Not "
            "Track), daher sind Werbung und soziale Medien zunächst ausgeschaltet."
        ),
        "placeholder": "Dieser Inhalt von {vendor} ist blockiert, bis Sie ihn erlauben.",
        "categories": {
            "necessary": {
                "title": "Unbedingt erforderlich",
                "description": "Nötig, damit die Website funktioniert, für die Sicherheit und "
                "um diese Auswahl zu speichern. Immer aktiv.",
            },
            "performance": {
                "title": "Statistik",
                "description": "Besuche und Besucherquellen zählen, damit wir die Website "
                "messen und verbessern können.",
            },
            "functionality": {
                "title": "Funktionalität",
                "description": "Ihre Vorlieben speichern, etwa Sprache oder Region, und "
                "erweiterte Funktionen bereitstellen.",
            },
            "targeting": {
                "title": "Marketing und Werbung",
                "description": "Ein Profil Ihrer Interessen erstellen, um Ihnen hier und auf "
                "anderen Websites passende Werbung zu zeigen.",
            },
            "social": {
                "title": "Soziale Medien",
                "description": "Seiten teilen und Inhalte sozialer Netzwerke anzeigen, die Sie "
                "dabei verfolgen können.",
            },
        },
    },
    "fr": {
        "title": "Vos choix de confidentialité",
        "description": (
            "Nous utilisons des cookies et des technologies similaires. Ceux qui sont "
            "strictement nécessaires font fonctionner le site. Avec votre accord, nous les "
            "utilisons aussi pour mesurer les visites, mémoriser vos réglages, afficher des "
            "publicités pertinentes et proposer des fonctions de réseaux sociaux. Refuser est "
            "aussi simple qu'accepter, et vous pouvez changer d'avis à tout moment."
        ),
        "accept_all": "Tout accepter",
        "reject_all": "Tout refuser",
        "customize": "Préférences",
        "save": "Enregistrer mes choix",
        "privacy_link": "Politique de confidentialité",
        "gpc_notice": (
            "Votre navigateur a envoyé un signal de confidentialité (Global Privacy Control ou "
            "Do Not Track), donc la publicité et les réseaux sociaux sont désactivés au départ."
        ),
        "placeholder": "Ce contenu de {vendor} est bloqué tant que vous ne l'autorisez pas.",
        "categories": {
            "necessary": {
                "title": "Strictement nécessaires",
                "description": "Indispensables au fonctionnement du site, à sa sécurité et à "
                "la mémorisation de ce choix. Toujours actifs.",
            },
            "performance": {
                "title": "Mesure d'audience",
                "description": "Compter les visites et les sources de trafic pour mesurer et "
                "améliorer le site.",
            },
            "functionality": {
                "title": "Fonctionnalités",
                "description": "Mémoriser vos choix, comme la langue ou la région, et offrir "
                "des fonctions avancées.",
            },
            "targeting": {
                "title": "Ciblage et publicité",
                "description": "Établir un profil de vos centres d'intérêt pour afficher des "
                "publicités pertinentes, ici et sur d'autres sites.",
            },
            "social": {
                "title": "Réseaux sociaux",
                "description": "Partager des pages et afficher des contenus de réseaux "
                "sociaux, qui peuvent vous suivre.",
            },
        },
    },
}

#: Languages we ship default texts for: a new site starts with all of them.
DEFAULT_LANGUAGES: tuple[str, ...] = tuple(DEFAULT_TEXTS)

#: Interface words that are not banner texts (the owner does not edit them), per language;
#: a language without its own gets English's. The config carries the page language's.
#: ``load`` is a placeholder's button ({category}: the title of the category it turns on);
#: ``disabled`` a placeholder for a vendor the site does not enable; ``withdrawn`` what the
#: banner announces after a withdrawal.
LABELS: dict[str, dict[str, str]] = {
    "en": {
        "cookies": "Cookie statement",
        "load": "Allow “{category}” and load",
        "vendors": "Vendors",
        "disabled": "{vendor} is not enabled on this site, so this content stays blocked.",
        "withdrawn": "Your consent has been withdrawn.",
    },
    "nl": {
        "cookies": "Cookieverklaring",
        "load": "“{category}” toestaan en laden",
        "vendors": "Partijen",
        "disabled": "{vendor} is op deze site niet ingeschakeld: deze inhoud blijft geblokkeerd.",
        "withdrawn": "Uw toestemming is ingetrokken.",
    },
    "de": {
        "cookies": "Cookie-Erklärung",
        "load": "„{category}“ erlauben und laden",
        "vendors": "Anbieter",
        "disabled": "{vendor} ist auf dieser Website nicht aktiviert: der Inhalt bleibt blockiert.",
        "withdrawn": "Ihre Einwilligung wurde widerrufen.",
    },
    "fr": {
        "cookies": "Déclaration relative aux cookies",
        "load": "Autoriser « {category} » et charger",
        "vendors": "Fournisseurs",
        "disabled": "{vendor} n'est pas activé sur ce site : ce contenu reste bloqué.",
        "withdrawn": "Votre consentement a été retiré.",
    },
}


def labels_for(language: str) -> dict[str, str]:
    """The interface words for ``language`` (English's if it has none)."""
    return LABELS.get(language, LABELS["en"])


def is_language(value: object) -> bool:
    """Whether ``value`` can key a language's texts (a BCP 47 primary subtag, lower case)."""
    return isinstance(value, str) and _LANGUAGE_TAG.fullmatch(value) is not None


def texts_to_translate(language: str, default_language_texts: dict[str, Any]) -> dict[str, Any]:
    """The texts a newly added language starts from: ours when we ship that language, else
    a copy of the site's default language's texts for the owner to translate."""
    return copy.deepcopy(DEFAULT_TEXTS.get(language, default_language_texts))
