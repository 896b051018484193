"""Validation of a custom vendor: the owner's own service or cookies (DESIGN.md "Custom
vendors"), every invalid field named at once."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from consent.core.catalog import CATEGORIES, VENDORS
from consent.core.catalog_model import HOST_PATTERN, MAX_HOST
from consent.core.texts import LANGUAGE_RULE, is_language
from consent.core.vendors import (
    COOKIE_NAME_PATTERN,
    COOKIE_PATTERN_PATTERN,
    HOST_KINDS,
    MAX_COOKIES,
    MAX_DURATION_DAYS,
    MAX_HOSTS,
    MAX_NAME,
    MAX_PURPOSE,
    MAX_SLUG,
    catalogue_owner,
    is_slug,
)
from consent.errors import FieldErrors, InvalidField

#: How an owner's link is checked (``consent.sites.validation.validate_https_url``).
UrlCheck = Callable[[object, str], str]
CUSTOM_FIELDS = ("name", "hosts", "cookies", "privacy_policy_url")
COOKIE_FIELDS = ("name", "pattern", "purpose", "duration_days")
#: What strictly necessary means, recalled wherever an owner puts a vendor there.
NECESSARY_MEANING = (
    "Strictly necessary means the site cannot provide the service the visitor asked for "
    "without it (a shopping cart, a sign-in, load balancing, security): such cookies are "
    "never switched off, so statistics, advertising or convenience never belong there."
)


def necessary_notice(vendors: dict[str, Any]) -> str | None:
    """What publishing recalls when the owner's own vendors are strictly necessary: what that
    means (they are never gated off), naming them; None when none is."""
    names = [
        entry["custom"]["name"]
        for entry in vendors.values()
        if "custom" in entry and entry["category"] == "necessary"
    ]
    if not names:
        return None
    return f"{', '.join(names)}: never switched off. {NECESSARY_MEANING}"


def validate_custom_vendor(
    vendor_id: str, entry: dict[str, Any], where: str, check_url: UrlCheck
) -> dict[str, Any]:
    """A vendor the owner defines (``{category, settings, custom}``), as stored."""
    errors = FieldErrors()
    for key in entry:
        if key not in ("category", "settings", "custom"):
            errors.add(f"{where}.{key}", "unknown member")
    if vendor_id in VENDORS:
        errors.add(
            f"{where}.custom",
            f"{vendor_id!r} is a catalogue vendor: give your own vendor another id",
        )
    elif not is_slug(vendor_id):
        errors.add(where, f"a vendor id is a lower-case slug like my-shop (at most {MAX_SLUG})")
    category = entry.get("category")
    if category not in CATEGORIES:
        errors.add(f"{where}.category", f"must be one of {', '.join(CATEGORIES)}")
    if entry.get("settings", {}) != {}:
        errors.add(f"{where}.settings", "a custom vendor takes no settings")
    custom: dict[str, Any] = {}
    with errors.collecting():
        custom = _custom(entry["custom"], f"{where}.custom", check_url)
    errors.raise_any()
    return {"category": category, "settings": {}, "custom": custom}


def _custom(value: object, where: str, check_url: UrlCheck) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidField(where, "must be an object: name, hosts, cookies, privacy_policy_url")
    errors = FieldErrors()
    for key in value:
        if key not in CUSTOM_FIELDS:
            errors.add(f"{where}.{key}", "unknown member")
    name = value.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
        errors.add(f"{where}.name", f"is required: the vendor's name (at most {MAX_NAME})")
    result: dict[str, Any] = {"name": name, "hosts": {}, "cookies": [], "privacy_policy_url": None}
    with errors.collecting():
        result["hosts"] = _hosts(value.get("hosts", {}), f"{where}.hosts")
    with errors.collecting():
        result["cookies"] = _cookies(value.get("cookies", []), f"{where}.cookies")
    url = value.get("privacy_policy_url")
    if url is not None:
        with errors.collecting():
            result["privacy_policy_url"] = check_url(url, f"{where}.privacy_policy_url")
    errors.raise_any()
    return result


def _hosts(value: object, where: str) -> dict[str, list[str]]:
    if not isinstance(value, dict):
        raise InvalidField(where, "must be an object: script, frame and beacon host lists")
    errors = FieldErrors()
    for key in value:
        if key not in HOST_KINDS:
            errors.add(f"{where}.{key}", "unknown kind: script, frame or beacon")
    hosts: dict[str, list[str]] = {}
    for kind in HOST_KINDS:
        listed = value.get(kind, [])
        if not isinstance(listed, list) or len(listed) > MAX_HOSTS:
            errors.add(f"{where}.{kind}", f"must be a list of at most {MAX_HOSTS} host names")
            continue
        for index, host in enumerate(listed):
            with errors.collecting():
                _host(host, f"{where}.{kind}[{index}]")
        hosts[kind] = list(listed)
    errors.raise_any()
    return hosts


def _host(host: object, where: str) -> None:
    if (
        not isinstance(host, str)
        or len(host) > MAX_HOST
        or not re.fullmatch(HOST_PATTERN[1:-1], host)
    ):
        raise InvalidField(
            where,
            "must be a lower-case host name like cdn.example.com (no scheme, path, port or *)",
        )
    owner = catalogue_owner(host)
    if owner is not None:
        raise InvalidField(where, f"{host} is {VENDORS[owner].name}'s: enable {owner} instead")


def _cookies(value: object, where: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or len(value) > MAX_COOKIES:
        raise InvalidField(where, f"must be a list of at most {MAX_COOKIES} cookies")
    errors = FieldErrors()
    cookies = []
    for index, cookie in enumerate(value):
        with errors.collecting():
            cookies.append(_cookie(cookie, f"{where}[{index}]"))
    errors.raise_any()
    return cookies


def _cookie(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidField(where, "must be {name, pattern, purpose, duration_days}")
    errors = FieldErrors()
    for key in value:
        if key not in COOKIE_FIELDS:
            errors.add(f"{where}.{key}", "unknown member")
    name, pattern = value.get("name"), value.get("pattern")
    if not isinstance(name, str) or not re.fullmatch(COOKIE_NAME_PATTERN[1:-1], name):
        errors.add(f"{where}.name", "a cookie name: letters, digits, _ and - (at most 100)")
    if pattern is not None and (
        not isinstance(pattern, str) or not re.fullmatch(COOKIE_PATTERN_PATTERN[1:-1], pattern)
    ):
        errors.add(f"{where}.pattern", "a cookie name, or its prefix followed by * (like cart_*)")
    with errors.collecting():
        _purpose(value.get("purpose"), f"{where}.purpose")
    duration = value.get("duration_days")
    if duration != "session" and (
        type(duration) is not int or not 1 <= duration <= MAX_DURATION_DAYS
    ):
        errors.add(
            f"{where}.duration_days",
            f'whole days from 1 to {MAX_DURATION_DAYS} (browsers cap cookies there), or "session"',
        )
    errors.raise_any()
    return {
        "name": name,
        "pattern": pattern,
        "purpose": value["purpose"],
        "duration_days": duration,
    }


def _purpose(value: object, where: str) -> None:
    if not isinstance(value, dict) or not value:
        raise InvalidField(where, "is required: what the cookie is for, per language")
    errors = FieldErrors()
    for lang, text in value.items():
        if not is_language(lang):
            errors.add(f"{where}.{lang}", LANGUAGE_RULE)
        elif not isinstance(text, str) or not text.strip() or len(text) > MAX_PURPOSE:
            errors.add(f"{where}.{lang}", f"must be text of 1 to {MAX_PURPOSE} characters")
    errors.raise_any()


def check_purpose_languages(vendors: dict[str, Any], texts: dict[str, Any] | None) -> None:
    """Each purpose of a custom vendor's cookies is in a language the banner has texts in
    (``texts``: the draft's valid texts; None when they are not, and were named already)."""
    if texts is None:
        return
    languages = set(texts)
    errors = FieldErrors()
    for vendor_id, entry in vendors.items():
        for index, cookie in enumerate(entry.get("custom", {}).get("cookies", [])):
            for lang in cookie["purpose"]:
                if lang not in languages:
                    errors.add(
                        f"vendors.{vendor_id}.custom.cookies[{index}].purpose.{lang}",
                        "the draft has no texts in this language: add it or remove the purpose",
                    )
    errors.raise_any()


def check_own_hosts(vendors: dict[str, Any], site_hosts: list[str]) -> None:
    """No host a vendor names (a custom vendor's, a self-hosted Matomo's setting) is the
    site's own host or a parent of it: auto-blocking would hold back the site's own scripts."""
    errors = FieldErrors()
    for vendor_id, entry in vendors.items():
        for field, host in _named_hosts(vendor_id, entry):
            if any(own == host or own.endswith("." + host) for own in site_hosts):
                errors.add(
                    field,
                    f"{host} serves this site itself: name only hosts of the vendor's own"
                    + (
                        ""
                        if "custom" in entry
                        else " (on the site's own host its snippet is recognised: leave this empty)"
                    ),
                )
    errors.raise_any()


def _named_hosts(vendor_id: str, entry: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Each host a vendor's entry names, with its field: a custom vendor's hosts, or a
    catalogue vendor's host setting."""
    for kind, hosts in entry.get("custom", {}).get("hosts", {}).items():
        for index, host in enumerate(hosts):
            yield f"vendors.{vendor_id}.custom.hosts.{kind}[{index}]", host
    vendor = VENDORS.get(vendor_id)
    settings = entry.get("settings", {})
    for setting in vendor.settings if vendor is not None and "custom" not in entry else ():
        if setting.kind == "host" and setting.name in settings:
            yield f"vendors.{vendor_id}.settings.{setting.name}", settings[setting.name]


def without_language(vendors: dict[str, Any], language: str) -> dict[str, Any]:
    """The draft's vendors with the own cookies' purposes in ``language`` dropped (a language
    leaving the draft), where another language's purpose remains."""
    result = {}
    for vendor_id, entry in vendors.items():
        if "custom" in entry:
            cookies = [
                {**c, "purpose": {k: v for k, v in c["purpose"].items() if k != language}}
                if set(c["purpose"]) - {language}
                else c
                for c in entry["custom"]["cookies"]
            ]
            entry = {**entry, "custom": {**entry["custom"], "cookies": cookies}}
        result[vendor_id] = entry
    return result
