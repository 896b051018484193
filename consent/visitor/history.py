"""The visitor's history page (``/me?format=html``): their receipts in plain words, in the
page's language, with the downloads and what the proof means."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Response, render_template, url_for

from consent.core.history import (
    HISTORY_WORDS,
    VersionTexts,
    history_entries,
    version_texts,
    words_language,
)
from consent.core.language_names import LANGUAGE_NAMES
from consent.sites.state import SiteState
from consent.sites.versions import find_policy


def page_language(site: SiteState, wanted: str | None, receipts: Sequence[dict[str, Any]]) -> str:
    """``?lang=`` when the site speaks it; without one, the language of the visitor's last
    choice; else the site's default."""
    if not wanted and receipts:
        wanted = receipts[-1]["language"]
    return site.language(wanted)


def _versions(site: SiteState, numbers: set[int], language: str) -> dict[int, VersionTexts]:
    """The texts of each policy version the receipts name (a handful: one read each)."""
    found = {}
    for number in sorted(numbers):
        row = find_policy(site.site_id, number)
        assert row is not None  # a receipt names a published version; versions are immutable
        found[number] = version_texts(
            number, row.texts, row.privacy_policy_url, language, site.default_language
        )
    return found


def history_page(
    site: SiteState, token: str, receipts: Sequence[dict[str, Any]], wanted: str | None
) -> Response:
    """The rendered page (the caller sets the headers every ``/me`` answer carries)."""
    language = page_language(site, wanted, receipts)
    versions = _versions(site, {r["policy_version"] for r in receipts}, language)
    words = HISTORY_WORDS[words_language(language)]
    languages = [
        (lang, LANGUAGE_NAMES.get(lang, lang), _me(site, token, format="html", lang=lang))
        for lang in sorted(site.current["texts"])
    ]
    body = render_template(
        "visitor/history.html",
        language=words_language(language),
        words=words,
        intro=words["intro"].format(site=site.name),
        site_name=site.name,
        entries=history_entries(receipts, versions, language),
        languages=languages if len(languages) > 1 else [],
        current=language,
        json_url=_me(site, token),
        csv_url=_me(site, token, format="csv"),
        checkpoint_url=url_for("log.checkpoint", site_key=site.site_key),
        key_url=url_for("log.keys"),
    )
    return Response(body, mimetype="text/html")


def _me(site: SiteState, token: str, **params: str) -> str:
    values: dict[str, Any] = {"site_key": site.site_key, "token": token, **params}
    return url_for("visitor.me", **values)
