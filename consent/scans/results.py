"""A scan's report as the admin and audit pages show it: findings by weight (leaks first),
and per state the cookies by category with their durations and the requests by vendor.

Only regrouping: every value comes from the signed report as stored (and an own vendor's
name from the version the report was classified against).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from consent.core.catalog import CATEGORIES
from consent.core.classify import OWN_COOKIES
from consent.core.observed import STATES
from consent.core.scan_report import FINDING_KINDS
from consent.core.vendors import vendor_name as name_of
from consent.sites.versions import find_policy

#: No version's vendors: names come from the catalogue alone.
NO_VENDORS: Mapping[str, Any] = MappingProxyType({})

#: How the pages name a state.
STATE_LABELS = {
    "none": "Before any choice",
    "reject_all": "After “Reject all”",
    "accept_all": "After “Accept all”",
}
#: The same within a sentence (a table's caption).
STATE_PHRASES = {
    "none": "before any choice",
    "reject_all": "after “Reject all”",
    "accept_all": "after “Accept all”",
}
#: How the pages name a finding's kind.
KIND_LABELS = {
    "leak": "Leak",
    "undeclared": "Undeclared",
    "unknown_cookie": "Unknown cookie",
    "unknown_host": "Unknown host",
    "declared_unused": "Declared, unused",
}
UNKNOWN = "unknown"


def vendor_name(vendor_id: str | None, vendors: Mapping[str, Any] = NO_VENDORS) -> str:
    """A vendor's name: the owner's own vendor's in ``vendors`` (a version's), else the
    catalogue's (its id when neither knows it)."""
    if vendor_id is None:
        return "unknown"
    return name_of(vendors, vendor_id)


def report_vendors(site_id: int, report: Mapping[str, Any]) -> Mapping[str, Any]:
    """The vendors of the version a report was classified against (its own vendors' names)."""
    version = report.get("policy_version")
    row = find_policy(site_id, version) if isinstance(version, int) else None
    return row.vendors if row is not None else NO_VENDORS


def duration(cookie: Mapping[str, Any]) -> str:
    """A cookie's lifetime as observed: ``session``, ``1 day``, ``395 days``."""
    if cookie["session"] or cookie["duration_days"] is None:
        return "session"
    days = int(cookie["duration_days"])
    return "1 day" if days == 1 else f"{days} days"


def ordered_findings(findings: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Findings by weight: leaks, then undeclared, unknown, declared-unused (stable within)."""
    rank = {kind: index for index, kind in enumerate(FINDING_KINDS)}
    return sorted(findings, key=lambda f: rank.get(f["kind"], len(rank)))


def _named(
    entries: Iterable[Mapping[str, Any]], vendors: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """``entries`` (findings, storage keys) with their vendor's name beside its id (None
    without a vendor)."""
    return [
        {**entry, "vendor_name": entry.get("vendor") and vendor_name(entry["vendor"], vendors)}
        for entry in entries
    ]


def _cookies_by_category(
    cookies: Iterable[Mapping[str, Any]], vendors: Mapping[str, Any], site_name: str
) -> list[dict[str, Any]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for cookie in cookies:
        own = cookie["vendor"] is None and cookie["name"] in OWN_COOKIES
        entry = {
            **cookie,
            "duration": duration(cookie),
            # The banner's own cookie is the site's, as its declaration says.
            "vendor_name": site_name if own else vendor_name(cookie["vendor"], vendors),
        }
        groups.setdefault(cookie["category"] or UNKNOWN, []).append(entry)
    order = [*CATEGORIES, UNKNOWN]
    return [{"category": c, "cookies": groups[c]} for c in order if c in groups]


def _requests_by_vendor(
    requests: Iterable[Mapping[str, Any]], vendors: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """One row per vendor (an unknown host is a row of its own), its URLs once each."""
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for request in requests:
        vendor = request["vendor"]
        key = (vendor, "") if vendor is not None else ("", request["host"])
        group = groups.setdefault(
            key,
            {
                "vendor": vendor,
                "vendor_name": vendor_name(vendor, vendors) if vendor else request["host"],
                "category": request["category"] or UNKNOWN,
                "count": 0,
                "urls": [],
            },
        )
        group["count"] += 1
        if request["url"] not in group["urls"]:
            group["urls"].append(request["url"])
    known = sorted((g for g in groups.values() if g["vendor"]), key=lambda g: g["vendor_name"])
    unknown = sorted(
        (g for g in groups.values() if not g["vendor"]), key=lambda g: g["vendor_name"]
    )
    return [*known, *unknown]


def scan_results(
    report: Mapping[str, Any], site_name: str, vendors: Mapping[str, Any] = NO_VENDORS
) -> dict[str, Any]:
    """What the results pages show of a report (done or not: then everything is empty) of
    the site ``site_name`` (the provider of the banner's own cookie)."""
    states = report.get("states") or {}
    return {
        "findings": _named(ordered_findings(report.get("findings") or ()), vendors),
        "states": [
            {
                "state": name,
                "label": STATE_LABELS[name],
                "phrase": STATE_PHRASES[name],
                "cookies": _cookies_by_category(
                    states.get(name, {}).get("cookies", ()), vendors, site_name
                ),
                "storage": _named(states.get(name, {}).get("storage", ()), vendors),
                "requests": _requests_by_vendor(states.get(name, {}).get("requests", ()), vendors),
            }
            for name in STATES
        ],
        "kind_labels": KIND_LABELS,
        "state_labels": STATE_LABELS,
    }
