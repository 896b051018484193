"""A site scan's report from what the crawl saw: each state classified, the findings, the
hash, and the text its signed note commits to (DESIGN.md "Contract: site scans").

Pure: the report is JSON data whose hash any verifier recomputes with RFC 8785.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from consent.core.canonical import digest
from consent.core.classify import NECESSARY, Classifier
from consent.core.observed import BEFORE_CONSENT, STATES, Crawl, SeenCookie, StateSeen
from consent.core.times import iso_ms

#: Finding kinds, in the order the report lists them (leaks first).
FINDING_KINDS: tuple[str, ...] = (
    "leak",
    "undeclared",
    "unknown_cookie",
    "unknown_host",
    "declared_unused",
)
#: The report's members, in order; the hash covers all but the last two.
REPORT_FIELDS: tuple[str, ...] = (
    "scan_id",
    "site_key",
    "status",
    "started_at",
    "finished_at",
    "policy_version",
    "pages",
    "states",
    "findings",
    "report_hash",
    "signature",
)
UNHASHED = ("report_hash", "signature")
_DAY = 86_400.0


def without_query(url: str) -> str:
    """``scheme://host/path`` of a URL: its query and fragment may carry identifiers."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url.split("?", 1)[0].split("#", 1)[0]
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def _cookie(cookie: SeenCookie, c: Classifier, observed_at: float) -> dict[str, Any]:
    vendor, category = c.cookie(cookie.name)
    expires = cookie.expires
    days = None if expires is None else max(0, round((expires - observed_at) / _DAY))
    return {
        "name": cookie.name,
        "domain": cookie.domain,
        "path": cookie.path,
        "first_party": c.first_party(cookie.domain),
        "session": expires is None,
        "expires": None if expires is None else iso_ms(datetime.fromtimestamp(expires, UTC)),
        "duration_days": days,
        "secure": cookie.secure,
        "http_only": cookie.http_only,
        "same_site": cookie.same_site,
        "vendor": vendor,
        "category": category,
        "pages": list(cookie.pages),
    }


def state_report(seen: StateSeen, c: Classifier, observed_at: float) -> dict[str, Any]:
    """One state's cookies, storage and requests, each with its vendor and category."""
    cookies = sorted(
        (_cookie(cookie, c, observed_at) for cookie in seen.cookies),
        key=lambda x: (x["name"], x["domain"], x["path"]),
    )
    storage = sorted(
        {
            (s.kind, s.key): {"kind": s.kind, "key": s.key, **_tags(c.storage(s.key))}
            for s in seen.storage
        }.values(),
        key=lambda x: (x["kind"], x["key"]),
    )
    requests: dict[tuple[str, str, str], dict[str, Any]] = {}
    for r in seen.requests:
        url = without_query(r.url)
        initiator = None if r.initiator is None else without_query(r.initiator)
        requests.setdefault(
            (url, r.type, initiator or ""),
            {
                "host": (urlsplit(url).hostname or "").lower(),
                "url": url,
                "type": r.type,
                **_tags(c.request(r.url)),
                "initiator": initiator,
            },
        )
    return {
        "cookies": cookies,
        "storage": storage,
        "requests": sorted(requests.values(), key=lambda x: (x["host"], x["url"], x["type"])),
    }


def _tags(pair: tuple[str | None, str | None]) -> dict[str, str | None]:
    return {"vendor": pair[0], "category": pair[1]}


def _finding(
    kind: str, state: str | None, vendor: str | None, category: str | None, detail: str
) -> dict[str, Any]:
    return {"kind": kind, "state": state, "vendor": vendor, "category": category, "detail": detail}


def _by_vendor(state: Mapping[str, Any]) -> dict[str, dict[str, list[str]]]:
    """Vendor → {"cookies": names, "storage": keys, "requests": URLs} seen in one state."""
    found: dict[str, dict[str, list[str]]] = {}
    items = (
        ("cookies", "name", state["cookies"]),
        ("storage", "key", state["storage"]),
        ("requests", "url", state["requests"]),
    )
    for what, label, entries in items:
        for entry in entries:
            if entry["vendor"] is not None:
                kinds = found.setdefault(entry["vendor"], {})
                names = kinds.setdefault(what, [])
                if entry[label] not in names:
                    names.append(entry[label])
    return found


def _summary(kinds: Mapping[str, list[str]]) -> str:
    return "; ".join(f"{what}: {', '.join(names)}" for what, names in kinds.items())


def findings(
    states: Mapping[str, Mapping[str, Any]], c: Classifier, version: int, pages: int
) -> list[dict[str, Any]]:
    """The findings of classified states, leaks first (kinds in FINDING_KINDS order)."""
    seen = {name: _by_vendor(states[name]) for name in STATES}
    found = [*_leaks(seen, c), *_undeclared(seen, c, version)]
    for name in STATES:
        for cookie in states[name]["cookies"]:
            if cookie["category"] is None:
                where = f"{cookie['name']} on {cookie['domain']}{cookie['path']}"
                found.append(_finding("unknown_cookie", name, None, None, where))
    for name in STATES:
        hosts = {r["host"] for r in states[name]["requests"] if r["category"] is None}
        for host in sorted(hosts):
            urls = [r["url"] for r in states[name]["requests"] if r["host"] == host]
            found.append(_finding("unknown_host", name, None, None, f"{host}: {urls[0]}"))
    everywhere = {vendor for name in STATES for vendor in seen[name]}
    for vendor in sorted(set(c.enabled) - everywhere):
        detail = f"enabled in policy version {version}; not seen on {pages} pages in any state"
        found.append(_finding("declared_unused", None, vendor, c.category(vendor), detail))
    return found


def _leaks(seen: Mapping[str, Mapping[str, Any]], c: Classifier) -> Iterable[dict[str, Any]]:
    for name in BEFORE_CONSENT:
        for vendor in sorted(seen[name]):
            category = c.category(vendor)
            if category != NECESSARY:
                yield _finding("leak", name, vendor, category, _summary(seen[name][vendor]))


def _undeclared(
    seen: Mapping[str, Mapping[str, Any]], c: Classifier, version: int
) -> Iterable[dict[str, Any]]:
    everywhere = sorted({vendor for name in STATES for vendor in seen[name]})
    for vendor in everywhere:
        if vendor not in c.enabled:
            where = ", ".join(name for name in STATES if vendor in seen[name])
            detail = f"not enabled in policy version {version}; seen in {where}"
            yield _finding("undeclared", None, vendor, c.category(vendor), detail)


def crawl_report(crawl: Crawl, c: Classifier, version: int) -> dict[str, Any]:
    """``pages``, ``states`` and ``findings`` of a finished crawl."""
    states = {
        name: state_report(crawl.states.get(name, StateSeen()), c, crawl.observed_at)
        for name in STATES
    }
    return {
        "pages": [{"url": page.url, "status": page.status} for page in crawl.pages],
        "states": states,
        "findings": findings(states, c, version, len(crawl.pages)),
    }


def report_hash(report: Mapping[str, Any]) -> str:
    """SHA-256 hex of the RFC 8785 JSON of the report without its hash and signature."""
    return digest({k: v for k, v in report.items() if k not in UNHASHED})


def note_text(netloc: str, scan_id: str, hash_hex: str) -> str:
    """The text the report's signed note commits to: ``<netloc>/scan/<id>\\n<hash>\\n``."""
    return f"{netloc}/scan/{scan_id}\n{hash_hex}\n"
