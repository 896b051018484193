"""Drafts: what an owner edits before publishing, and how policies compare.

An owner edits one draft per site; publishing (:func:`consent.sites.versions.publish_draft`)
freezes it as the next policy version.
"""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import urlsplit

from consent.core.texts import DEFAULT_TEXTS
from consent.core.theme import DEFAULT_THEME
from consent.errors import FieldErrors, InvalidField
from consent.models import Site
from consent.sites.custom_vendors import check_own_hosts, check_purpose_languages
from consent.sites.theme import effective_theme, theme_changes, validate_theme
from consent.sites.validation import validate_https_url, validate_texts, validate_vendors
from consent.sites.versions import (
    get_version,
    latest_version,
    list_policies,
    policy_contents,
    reconsent_needed,
)

#: Members a draft PUT may carry (``based_on`` is informative and ignored).
DRAFT_FIELDS = (
    "based_on",
    "privacy_policy_url",
    "cookie_statement_url",
    "texts",
    "vendors",
    "theme",
)


def default_draft(privacy_url: str, vendors: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A draft with the default texts of every language we ship."""
    return {
        "privacy_policy_url": privacy_url,
        "cookie_statement_url": None,
        "texts": copy.deepcopy(DEFAULT_TEXTS),
        "vendors": vendors,
        "theme": dict(DEFAULT_THEME),
    }


def draft_dict(site: Site) -> dict[str, Any]:
    """The site's draft as ``GET …/draft`` shows it."""
    current = latest_version(site.id)
    draft = site.draft
    return {
        "based_on": current.version if current else None,
        "privacy_policy_url": draft["privacy_policy_url"],
        "cookie_statement_url": draft.get("cookie_statement_url"),
        "texts": draft["texts"],
        "vendors": draft["vendors"],
        "theme": effective_theme(draft.get("theme")),
    }


def validate_draft(
    body: object, ids_required: bool = True, default_language: str | None = None
) -> dict[str, Any]:
    """Check a whole draft (``PUT …/draft``), return it as stored; 422 names every bad field.

    A managed vendor's id (GA's measurement id, …) is optional without ``ids_required``: with
    auto-blocking on, the page may carry the vendor's own snippet instead. The texts must
    carry ``default_language`` (the site's): the banner falls back to it.
    """
    if not isinstance(body, dict):
        raise InvalidField("body", "the draft is an object")
    errors = FieldErrors()
    for key in body:
        if key not in DRAFT_FIELDS:
            errors.add(str(key), "unknown member")
    based_on = body.get("based_on")
    if based_on is not None and type(based_on) is not int:
        errors.add("based_on", "must be a version number or null")
    for key in ("privacy_policy_url", "texts", "vendors"):
        if key not in body:
            errors.add(key, "is required")
    draft: dict[str, Any] = {"cookie_statement_url": None}
    with errors.collecting():
        if "privacy_policy_url" in body:
            draft["privacy_policy_url"] = validate_https_url(
                body["privacy_policy_url"], "privacy_policy_url"
            )
    with errors.collecting():
        if body.get("cookie_statement_url") is not None:
            draft["cookie_statement_url"] = validate_https_url(
                body["cookie_statement_url"], "cookie_statement_url"
            )
    with errors.collecting():
        if "texts" in body:
            draft["texts"] = validate_texts(body["texts"], "texts")
            if default_language is not None and default_language not in draft["texts"]:
                raise InvalidField(
                    f"texts.{default_language}",
                    "is required: it is the site's default language (choose another default "
                    "in the site's settings first)",
                )
    with errors.collecting():
        if "vendors" in body:
            draft["vendors"] = validate_vendors(body["vendors"], "vendors", ids_required)
            check_purpose_languages(draft["vendors"], draft.get("texts"))
    with errors.collecting():
        # Absent: the default look.
        draft["theme"] = validate_theme(body.get("theme"), "theme")
    errors.raise_any()
    return {key: draft[key] for key in DRAFT_FIELDS if key in draft}


def validate_site_draft(site: Site, body: object) -> dict[str, Any]:
    """:func:`validate_draft` with the site's rules: its auto-blocking, its default language,
    and no custom vendor's host among its own (auto-blocking would hold the site's scripts)."""
    draft = validate_draft(body, not site.auto_block, site.default_language)
    check_own_hosts(draft["vendors"], [urlsplit(origin).hostname or "" for origin in site.origins])
    return draft


def replace_draft(site: Site, draft: dict[str, Any]) -> None:
    """Store a validated draft; the caller commits."""
    site.draft = draft
    site.state_version += 1


def update_draft(site: Site, **changes: Any) -> None:
    """Change some members of the draft, validating the result as a whole."""
    merged = {key: value for key, value in site.draft.items() if key in DRAFT_FIELDS}
    merged.update(changes)
    replace_draft(site, validate_site_draft(site, merged))


def parse_publish(body: object) -> bool | None:
    """The ``requires_reconsent`` member of a publish body: true, false or null (decide)."""
    if not isinstance(body, dict):
        raise InvalidField("body", 'send {"requires_reconsent": true|false|null}')
    errors = FieldErrors()
    for key in body:
        if key != "requires_reconsent":
            errors.add(str(key), "unknown member")
    value = body.get("requires_reconsent")
    if value is not None and not isinstance(value, bool):
        errors.add("requires_reconsent", "must be true, false or null")
    errors.raise_any()
    return value


def flat_texts(texts: dict[str, Any]) -> dict[str, str]:
    """Texts as ``{"<lang>.<key>": text}``; category texts as ``<lang>.categories.<id>.<key>``."""
    flat: dict[str, str] = {}
    for lang, entries in texts.items():
        for key, value in entries.items():
            if key == "categories":
                for category, words in value.items():
                    for word, text in words.items():
                        flat[f"{lang}.categories.{category}.{word}"] = text
            else:
                flat[f"{lang}.{key}"] = value
    return flat


def _change(old: Any, new: Any) -> dict[str, Any] | None:
    return None if old == new else {"from": old, "to": new}


def diff_contents(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """What changed between two policies (versions or a draft): texts, vendors, links, theme."""
    old_texts, new_texts = flat_texts(old["texts"]), flat_texts(new["texts"])
    texts = {
        key: {"from": old_texts.get(key), "to": new_texts.get(key)}
        for key in sorted(old_texts.keys() | new_texts.keys())
        if old_texts.get(key) != new_texts.get(key)
    }
    old_v, new_v = old["vendors"], new["vendors"]
    common = sorted(old_v.keys() & new_v.keys())
    return {
        "texts": texts,
        "vendors": {
            "added": sorted(new_v.keys() - old_v.keys()),
            "removed": sorted(old_v.keys() - new_v.keys()),
            "moved": {
                v: {"from": old_v[v]["category"], "to": new_v[v]["category"]}
                for v in common
                if old_v[v]["category"] != new_v[v]["category"]
            },
            "settings": {
                v: {"from": old_v[v].get("settings", {}), "to": new_v[v].get("settings", {})}
                for v in common
                if old_v[v].get("settings", {}) != new_v[v].get("settings", {})
            },
            # An own vendor's definition (name, hosts, cookies, link), as a whole.
            "custom": {
                v: {"from": old_v[v].get("custom"), "to": new_v[v].get("custom")}
                for v in common
                if old_v[v].get("custom") != new_v[v].get("custom")
            },
        },
        "privacy_policy_url": _change(old["privacy_policy_url"], new["privacy_policy_url"]),
        "cookie_statement_url": _change(
            old.get("cookie_statement_url"), new.get("cookie_statement_url")
        ),
        "theme": theme_changes(old.get("theme"), new.get("theme")),
    }


def version_diff(site_id: int, a: str | int, b: str | int) -> dict[str, Any]:
    """The diff from version ``a`` to ``b``; 404 when either is not a published version.

    ``requires_reconsent`` says whether a choice made under the older of the two is
    outdated under the newer: some version after it, up to the newer, demanded re-consent.
    """
    old, new = get_version(site_id, a), get_version(site_id, b)
    low, high = sorted((old.version, new.version))
    between = [v for v in list_policies(site_id) if low < v.version <= high]
    return {
        "from": old.version,
        "to": new.version,
        **diff_contents(policy_contents(old), policy_contents(new)),
        "requires_reconsent": any(v.requires_reconsent for v in between),
    }


def draft_diff(site: Site) -> dict[str, Any]:
    """What publishing the draft now would change, and whether re-consent is proposed."""
    current = latest_version(site.id)
    empty: dict[str, Any] = {"privacy_policy_url": None, "texts": {}, "vendors": {}}
    base = policy_contents(current) if current else empty
    return {
        "from": current.version if current else None,
        "to": None,
        **diff_contents(base, site.draft),
        "requires_reconsent": current is not None
        and reconsent_needed(current.vendors, site.draft["vendors"]),
    }
