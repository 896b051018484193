"""The languages of a site's banner: which its draft carries, adding and removing one.

Texts are keyed by a BCP 47 primary subtag; every language a version carries is complete.
The site's default language is the one the banner falls back to, so it is never removed
and must be a language of the published version (``consent.sites.owner``).
"""

from __future__ import annotations

from collections.abc import Iterable

from consent.core.language_names import language_label
from consent.core.texts import LANGUAGE_RULE, is_language, texts_to_translate
from consent.errors import InvalidField, NotFound
from consent.models import Site
from consent.sites.custom_vendors import without_language
from consent.sites.drafts import update_draft
from consent.sites.versions import latest_version


def ordered(languages: Iterable[str], default_language: str) -> list[str]:
    """Languages as the admin lists them: the default first, then by tag."""
    return sorted(languages, key=lambda tag: (tag != default_language, tag))


def draft_languages(site: Site) -> list[str]:
    """The languages the draft carries texts for."""
    return ordered(site.draft["texts"], site.default_language)


def default_language_choices(site: Site) -> list[str]:
    """What the site's default language may be: a language of the published version that the
    draft keeps."""
    current = latest_version(site.id)
    published = set(current.texts) if current else set()
    return ordered(published & set(site.draft["texts"]), site.default_language)


def validate_default_language(site: Site, value: object, field: str = "default_language") -> str:
    """A site's default language: one of :func:`default_language_choices`, since the banner
    falls back to it now and the next version must keep it."""
    if not is_language(value):
        raise InvalidField(field, LANGUAGE_RULE)
    choices = default_language_choices(site)
    if value not in choices:
        raise InvalidField(
            field,
            f"must be one of the published version's languages: {', '.join(choices)} (add a "
            "language to the draft's texts and publish it first)",
        )
    return str(value)


def add_language(site: Site, value: object) -> str:
    """Add a language to the draft: our texts when we ship it, else a copy of the default
    language's texts for the owner to translate; 422 naming ``language`` otherwise."""
    tag = value.strip().lower() if isinstance(value, str) else value
    if not is_language(tag):
        raise InvalidField("language", LANGUAGE_RULE)
    assert isinstance(tag, str)
    texts = site.draft["texts"]
    if tag in texts:
        raise InvalidField("language", f"{language_label(tag)} is already there")
    start = texts_to_translate(tag, texts[site.default_language])
    update_draft(site, texts={**texts, tag: start})
    return tag


def remove_language(site: Site, tag: str) -> None:
    """Drop a language from the draft (the published version keeps it until the next
    publish); never the site's default language."""
    texts = site.draft["texts"]
    if tag not in texts:
        raise NotFound("the draft has no texts in this language")
    if tag == site.default_language:
        raise InvalidField(
            "language",
            "is the site's default language: choose another default in the settings first",
        )
    update_draft(
        site,
        texts={lang: words for lang, words in texts.items() if lang != tag},
        vendors=without_language(site.draft["vendors"], tag),
    )
