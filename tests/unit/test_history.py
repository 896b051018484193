"""The history page's words: readable times per language, and version titles' fallbacks."""

from __future__ import annotations

import pytest

from consent.core.catalog import CATEGORIES
from consent.core.history import HISTORY_WORDS, MONTHS, readable_time, version_texts
from consent.core.texts import DEFAULT_TEXTS, LABELS


@pytest.mark.parametrize(
    ("created_at", "language", "expected"),
    [
        ("2026-12-07T02:52:10.123Z", "en", "7 December 2026, 02:52 UTC"),
        ("2026-03-01T23:05:00.000Z", "nl", "1 maart 2026, 23:05 UTC"),
        ("2026-03-07T02:52:10.123Z", "de", "7. März 2026, 02:52 UTC"),
        ("2026-08-01T09:00:00.000Z", "fr", "1er août 2026, 09:00 UTC"),
        ("2026-08-02T09:00:00.000Z", "fr", "2 août 2026, 09:00 UTC"),
        ("2026-12-07T02:52:10.123Z", "es", "7 December 2026, 02:52 UTC"),  # English's words
    ],
)
def test_readable_time(created_at: str, language: str, expected: str) -> None:
    assert readable_time(created_at, language) == expected


def test_every_language_has_every_word() -> None:
    assert set(HISTORY_WORDS) == set(MONTHS) == set(LABELS)
    for words in HISTORY_WORDS.values():
        assert words.keys() == HISTORY_WORDS["en"].keys()
        assert all(value.strip() for value in words.values())
    assert all(len(months) == 12 for months in MONTHS.values())


@pytest.mark.parametrize(
    ("wanted", "fallback", "language"),
    [("nl", "en", "nl"), ("de", "en", "en"), ("de", "xx", "nl")],
)
def test_version_titles_fall_back_to_the_default_then_the_first(
    wanted: str, fallback: str, language: str
) -> None:
    texts = {"nl": DEFAULT_TEXTS["nl"], "en": DEFAULT_TEXTS["en"]}
    found = version_texts(3, texts, None, wanted, fallback)
    assert found.language == language
    assert list(found.titles) == list(CATEGORIES)
    assert (
        found.titles["performance"] == DEFAULT_TEXTS[language]["categories"]["performance"]["title"]
    )
    assert found.privacy_link == DEFAULT_TEXTS[language]["privacy_link"]
