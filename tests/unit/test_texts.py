"""The texts we ship (en, nl, de, fr), language tags, and the texts rule every version keeps:
every key present and non-blank, the placeholder naming ``{vendor}``."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from consent.core.catalog import CATEGORIES
from consent.core.texts import (
    DEFAULT_LANGUAGES,
    DEFAULT_TEXTS,
    LABELS,
    TEXT_KEYS,
    is_language,
    labels_for,
    texts_to_translate,
)
from consent.errors import InvalidField
from consent.sites.validation import validate_texts


def _strings(texts: dict[str, Any]) -> list[str]:
    words = [texts[key] for key in TEXT_KEYS]
    return words + [entry[k] for entry in texts["categories"].values() for k in entry]


def test_we_ship_english_dutch_german_and_french() -> None:
    assert DEFAULT_LANGUAGES == ("en", "nl", "de", "fr")
    assert validate_texts(copy.deepcopy(DEFAULT_TEXTS)) == DEFAULT_TEXTS


@pytest.mark.parametrize("language", DEFAULT_LANGUAGES)
def test_each_shipped_language_is_complete(language: str) -> None:
    texts = DEFAULT_TEXTS[language]
    assert set(texts) == {*TEXT_KEYS, "categories"}
    assert list(texts["categories"]) == list(CATEGORIES)
    assert all(text.strip() and text == text.strip() for text in _strings(texts))
    assert "{vendor}" in texts["placeholder"]
    # Refusing is as easy as accepting: two short labels of the same weight.
    assert len(texts["reject_all"]) <= len(texts["accept_all"]) + 4
    assert set(LABELS[language]) == set(LABELS["en"])
    assert labels_for(language) is LABELS[language]


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("de", ("Alle akzeptieren", "Alle ablehnen", "jederzeit", "Datenschutzerklärung")),
        ("fr", ("Tout accepter", "Tout refuser", "à tout moment", "Politique de confidentialité")),
    ],
)
def test_german_and_french_say_what_english_says(language: str, words: tuple[str, ...]) -> None:
    shown = " ".join(_strings(DEFAULT_TEXTS[language]))
    assert all(word in shown for word in words)
    assert "Global Privacy Control" in DEFAULT_TEXTS[language]["gpc_notice"]


@pytest.mark.parametrize(
    ("value", "ok"),
    [("en", True), ("fil", True), ("de", True), ("EN", False), ("e", False),
     ("engl", False), ("de-DE", False), ("d1", False), ("", False), (None, False),
     ("é", False), ("en\n", False)],
)  # fmt: skip
def test_a_language_is_a_lower_case_primary_subtag(value: object, ok: bool) -> None:
    assert is_language(value) is ok


def test_a_new_language_starts_from_ours_or_a_copy_to_translate() -> None:
    mine = copy.deepcopy(DEFAULT_TEXTS["en"]) | {"title": "Cookies at the bakery"}
    assert texts_to_translate("fr", mine) == DEFAULT_TEXTS["fr"]
    copied = texts_to_translate("es", mine)
    assert copied == mine and copied is not mine
    copied["categories"]["social"]["title"] = "Redes sociales"
    assert mine["categories"]["social"]["title"] == "Social media"


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        (lambda t: t["de"].update(accept_all=""), ["texts.de.accept_all"]),
        (lambda t: t["fr"].update(reject_all="\u00a0 "), ["texts.fr.reject_all"]),
        (lambda t: t["nl"].update(placeholder="Geblokkeerd."), ["texts.nl.placeholder"]),
        (lambda t: t["en"]["categories"]["targeting"].update(description=""),
         ["texts.en.categories.targeting.description"]),
        (lambda t: t["de"].pop("save"), ["texts.de.save"]),
        (lambda t: (t["de"].update(title=" "), t["fr"].update(customize="")),
         ["texts.de.title", "texts.fr.customize"]),
        (lambda t: t.update(xx_x=t["en"]), ["texts.xx_x"]),
    ],
)  # fmt: skip
def test_every_text_is_required_and_non_blank(change: Any, fields: list[str]) -> None:
    texts = copy.deepcopy(DEFAULT_TEXTS)
    change(texts)
    with pytest.raises(InvalidField) as raised:
        validate_texts(texts)
    assert [p.field for p in raised.value.problems] == fields


def test_languages_are_named_in_their_own_words() -> None:
    from consent.core.language_names import language_label

    assert language_label("de") == "Deutsch (de)"
    # A language we ship no texts for has its name too (the admin's list, the history page).
    assert language_label("es") == "Español (es)"
    assert language_label("sv") == "Svenska (sv)"
    assert language_label("xq") == "xq"
