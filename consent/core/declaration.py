"""The cookie declaration (DESIGN.md "Contract: site scans and the cookie declaration"): per
category, every cookie of the published version's vendors with the catalogue's facts, the
durations a finished scan observed in their place, and what the scan saw that no vendor
explains under ``unclassified``.

Pure: the site's facts and the scan's report (or None) in, JSON data out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from consent.core.catalog import CATEGORIES, VENDORS
from consent.core.classify import OWN_COOKIES, name_matches
from consent.core.cookie_facts import CONSENT_TOKEN, CookieFact
from consent.core.cookie_facts import lifetime_days as fact_days
from consent.core.declaration_words import (
    labels_for,
    lifetime_text,
    observed_text,
    persistent_text,
)
from consent.core.observed import STATES
from consent.core.vendors import declared_cookies, provider, vendor_for

_STORAGE_TYPES = {"local": "local_storage", "session": "session_storage"}


@dataclass(frozen=True)
class DeclaredSite:
    """What the declaration needs of a site and its published version."""

    site_key: str
    name: str
    policy_version: int
    #: The published version's vendors: ``{id: {"category": …, …}}``.
    vendors: Mapping[str, Mapping[str, Any]]
    #: The published texts in the declaration's language (categories' titles, descriptions).
    texts: Mapping[str, Any]
    choice_lifetime_days: int


def _seen_cookies(report: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    """Every cookie the report's states saw (the same one in several states repeats)."""
    if report is None:
        return []
    return [c for state in STATES for c in report["states"][state]["cookies"]]


def _row(
    name: str,
    vendor: str | None,
    provider: str | None,
    purpose: str | None,
    duration: tuple[str, int | None, bool],
    kind: str,
    first_party: bool,
) -> dict[str, Any]:
    text, days, observed = duration
    return {
        "name": name,
        "vendor": vendor,
        "provider": provider,
        "purpose": purpose,
        "duration": text,
        "duration_days": days,
        "observed": observed,
        "type": kind,
        "first_party": first_party,
    }


def _observed(seen: Iterable[Mapping[str, Any]], language: str) -> tuple[str, int | None, bool]:
    """The longest lifetime among observations of one cookie (session only if all were)."""
    days = [c["duration_days"] for c in seen if not c["session"]]
    longest = max(days) if days else None
    return observed_text(longest, language), longest, True


def _purpose_in(fact: CookieFact, language: str) -> str:
    """The purpose in ``language``, else English, else the first language the owner gave."""
    purposes = fact.purpose
    return purposes.get(language) or purposes.get("en") or purposes[min(purposes)]


def _fact_row(
    vendor: str,
    provider: str,
    fact: CookieFact,
    third: bool,
    seen: list[Mapping[str, Any]],
    language: str,
) -> dict[str, Any]:
    purpose = _purpose_in(fact, language)
    if seen:
        duration = _observed(seen, language)
        first_party = any(c["first_party"] for c in seen)
    else:
        duration = lifetime_text(fact.lifetime, language), fact_days(fact.lifetime), False
        first_party = not third
    return _row(fact.name, vendor, provider, purpose, duration, "cookie", first_party)


def _vendor_rows(
    site: DeclaredSite,
    vendor: str,
    seen: list[Mapping[str, Any]],
    language: str,
    only_seen: bool,
) -> list[dict[str, Any]]:
    """A vendor's cookies: all it declares (the catalogue's, or the owner's for a custom
    vendor; only those seen for a vendor the version does not enable), each with what the
    scan observed of it."""
    facts = vendor_for(site.vendors, vendor)
    third = set(facts.third_party_cookies if facts else ())
    who = provider(site.vendors, vendor)
    rows = []
    for fact, pattern in declared_cookies(site.vendors, vendor):
        mine = [c for c in seen if c["vendor"] == vendor and name_matches(c["name"], pattern)]
        if mine or not only_seen:
            rows.append(_fact_row(vendor, who, fact, fact.name in third, mine, language))
    return rows


def _own_row(site: DeclaredSite, seen: list[Mapping[str, Any]], language: str) -> dict[str, Any]:
    """The consent token: the site's own cookie, for the site's choice lifetime."""
    days = site.choice_lifetime_days
    purpose = _purpose_in(CONSENT_TOKEN, language)
    duration: tuple[str, int | None, bool] = (lifetime_text((days, "day"), language), days, False)
    mine = [c for c in seen if c["name"] in OWN_COOKIES]
    if mine:
        duration = _observed(mine, language)
    return _row(CONSENT_TOKEN.name, None, site.name, purpose, duration, "cookie", True)


def _unclassified(report: Mapping[str, Any] | None, language: str) -> list[dict[str, Any]]:
    """Cookies and storage keys a scan saw that no vendor (nor the service) explains."""
    if report is None:
        return []
    cookies: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for c in _seen_cookies(report):
        if c["category"] is None:
            cookies.setdefault((c["name"], c["domain"].lstrip(".")), []).append(c)
    rows = [
        _row(name, None, domain, None, _observed(seen, language), "cookie", seen[0]["first_party"])
        for (name, domain), seen in sorted(cookies.items())
    ]
    keys = {
        (s["kind"], s["key"])
        for state in STATES
        for s in report["states"][state]["storage"]
        if s["category"] is None
    }
    for kind, key in sorted(keys):
        text = persistent_text(language) if kind == "local" else observed_text(None, language)
        rows.append(_row(key, None, None, None, (text, None, True), _STORAGE_TYPES[kind], True))
    return rows


def declaration(
    site: DeclaredSite, language: str, report: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The declaration in ``language`` from the site's published version and its last
    finished scan's ``report`` (None: catalogue facts alone)."""
    seen = _seen_cookies(report)
    enabled = {vid: str(entry["category"]) for vid, entry in site.vendors.items()}
    # A catalogue vendor the version does not enable but the scan saw (an "undeclared"
    # finding) is listed too, in its catalogue category: the declaration says what is set.
    # (A custom vendor that a later version dropped is the owner's no more: not listed.)
    others = sorted(
        {c["vendor"] for c in seen if c["vendor"] in VENDORS and c["vendor"] not in enabled}
    )
    rows: dict[str, list[dict[str, Any]]] = {category: [] for category in CATEGORIES}
    rows["necessary"].append(_own_row(site, seen, language))
    for vendor, category in enabled.items():
        rows[category] += _vendor_rows(site, vendor, seen, language, only_seen=False)
    for vendor in others:
        rows[VENDORS[vendor].category] += _vendor_rows(site, vendor, seen, language, True)
    titles = site.texts["categories"]
    return {
        "site_key": site.site_key,
        "policy_version": site.policy_version,
        "language": language,
        "scanned_at": None if report is None else report["finished_at"],
        "categories": {
            category: {
                "title": titles[category]["title"],
                "description": titles[category]["description"],
                "cookies": rows[category],
            }
            for category in CATEGORIES
        },
        "unclassified": _unclassified(report, language),
        "labels": dict(labels_for(language)),
    }
