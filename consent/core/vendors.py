"""A version's vendors, catalogue or custom, resolved in one place.

A site's version names vendors by id: a catalogue id (``consent.core.catalog``) or one the
owner defined with a ``custom`` member (DESIGN.md "Custom vendors"). Whatever needs a
vendor's facts — its name, hosts, cookies, their purpose and duration — asks here, so a
custom vendor is treated like a catalogue vendor everywhere: the config, auto-blocking,
cookie deletion, scans and the declaration.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import Any

from consent.core.catalog import VENDORS, Vendor, blocking_rules
from consent.core.cookie_facts import COOKIE_FACTS, PROVIDERS, CookieFact, Lifetime

#: A custom vendor's id: a lower-case slug (the gate's ids are the same characters).
SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
MAX_SLUG = 40
#: The three kinds of hosts a custom vendor loads from, as auto-blocking knows them.
HOST_KINDS: tuple[str, ...] = ("script", "frame", "beacon")
#: A cookie name the banner can match and delete: letters, digits, ``_`` and ``-``.
COOKIE_NAME_PATTERN = r"^[A-Za-z0-9_-]{1,100}$"
#: A name pattern: a cookie name, or a prefix of one followed by ``*``.
COOKIE_PATTERN_PATTERN = r"^[A-Za-z0-9_-]{1,100}\*?$"
#: Browsers cap a cookie's lifetime at 400 days (RFC 6265bis).
MAX_DURATION_DAYS = 400
MAX_NAME = 100
MAX_HOSTS = 20
MAX_COOKIES = 50
MAX_PURPOSE = 500
#: The setting naming the categories a loader's container serves (Google Tag Manager's).
SERVES = "serves"


def is_slug(value: object) -> bool:
    """Whether ``value`` can name a custom vendor (a catalogue id is one too)."""
    return (
        isinstance(value, str)
        and len(value) <= MAX_SLUG
        and re.fullmatch(SLUG_PATTERN[1:-1], value) is not None
    )


def catalogue_owner(host: str) -> str | None:
    """The catalogue vendor whose host ``host`` is (or is a subdomain of), if any."""
    for vendor in VENDORS.values():
        if any(host == h or host.endswith("." + h) for h in vendor.hosts):
            return vendor.id
    return None


def cookie_pattern(cookie: Mapping[str, Any]) -> str:
    """The name pattern a custom cookie is matched by: its pattern, else its name."""
    return str(cookie.get("pattern") or cookie["name"])


def custom_vendor(vendor_id: str, entry: Mapping[str, Any]) -> Vendor:
    """A vendor's facts from the owner's definition (a validated ``custom`` member)."""
    custom = entry["custom"]
    hosts = custom["hosts"]
    only_frames = hosts["frame"] and not hosts["script"]
    return Vendor(
        vendor_id,
        custom["name"],
        entry["category"],
        "iframe" if only_frames else "script",
        script_hosts=tuple(hosts["script"]),
        frame_hosts=tuple(hosts["frame"]),
        beacon_hosts=tuple(hosts["beacon"]),
        cookies=tuple(cookie_pattern(c) for c in custom["cookies"]),
    )


def setting_hosts(vendor_id: str, entry: Mapping[str, Any]) -> tuple[str, ...]:
    """The hosts a catalogue vendor's settings name (a self-hosted Matomo's ``host``)."""
    vendor = VENDORS.get(vendor_id)
    if vendor is None or "custom" in entry:
        return ()
    settings = entry.get("settings", {})
    return tuple(
        settings[s.name] for s in vendor.settings if s.kind == "host" and s.name in settings
    )


def served(entry: Mapping[str, Any]) -> tuple[str, ...]:
    """The categories any one of which allows a vendor on a site: those a loader's container
    serves (its ``serves`` setting), else its own category."""
    return tuple(entry.get("settings", {}).get(SERVES) or (entry["category"],))


def loaders_served(vendors: Mapping[str, Mapping[str, Any]]) -> dict[str, list[str]]:
    """Each loader of the version whose owner named the categories its container serves."""
    return {
        vendor_id: list(entry["settings"][SERVES])
        for vendor_id, entry in vendors.items()
        if entry.get("settings", {}).get(SERVES)
    }


def vendor_for(vendors: Mapping[str, Mapping[str, Any]], vendor_id: str) -> Vendor | None:
    """The vendor ``vendor_id`` as a version (its ``vendors``) knows it: the owner's own
    definition, else the catalogue's entry (with the hosts its settings name); None for
    neither."""
    entry = vendors.get(vendor_id)
    if entry is not None and "custom" in entry:
        return custom_vendor(vendor_id, entry)
    vendor = VENDORS.get(vendor_id)
    hosts = setting_hosts(vendor_id, entry) if entry is not None else ()
    if vendor is None or not hosts:
        return vendor
    return replace(vendor, script_hosts=vendor.script_hosts + hosts)


def custom_vendors(vendors: Mapping[str, Mapping[str, Any]]) -> Iterator[Vendor]:
    """The version's custom vendors, in its order."""
    for vendor_id, entry in vendors.items():
        if "custom" in entry:
            yield custom_vendor(vendor_id, entry)


def site_vendors(vendors: Mapping[str, Mapping[str, Any]]) -> Iterator[Vendor]:
    """The version's vendors whose facts are the site's own: its custom vendors, and the
    catalogue's on hosts its settings name (a self-hosted Matomo), in its order."""
    for vendor_id, entry in vendors.items():
        if "custom" in entry or setting_hosts(vendor_id, entry):
            vendor = vendor_for(vendors, vendor_id)
            assert vendor is not None  # a version names only vendors it knows
            yield vendor


def vendor_name(vendors: Mapping[str, Mapping[str, Any]], vendor_id: str) -> str:
    """A vendor's name for people (its id when nothing knows it)."""
    vendor = vendor_for(vendors, vendor_id)
    return vendor.name if vendor else vendor_id


def vendor_names(*versions: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """Each vendor id of ``versions`` (vendor maps; the first that has an id names it) with
    its name for people."""
    names: dict[str, str] = {}
    for vendors in versions:
        for vendor_id in vendors:
            names.setdefault(vendor_id, vendor_name(vendors, vendor_id))
    return names


def _lifetime(duration: object) -> Lifetime:
    return (int(duration), "day") if isinstance(duration, int) else None


def declared_cookies(
    vendors: Mapping[str, Mapping[str, Any]], vendor_id: str
) -> tuple[tuple[CookieFact, str], ...]:
    """Each cookie a vendor declares, with the name pattern a scan's cookies match: the
    owner's purpose and duration for a custom vendor, the catalogue's facts otherwise."""
    entry = vendors.get(vendor_id)
    if entry is not None and "custom" in entry:
        return tuple(
            (
                CookieFact(
                    c["name"], MappingProxyType(dict(c["purpose"])), _lifetime(c["duration_days"])
                ),
                cookie_pattern(c),
            )
            for c in entry["custom"]["cookies"]
        )
    return tuple((fact, fact.name) for fact in COOKIE_FACTS.get(vendor_id, ()))


def provider(vendors: Mapping[str, Mapping[str, Any]], vendor_id: str) -> str:
    """Who sets a vendor's cookies: the catalogue's provider (a self-hosted one's name with
    the host it runs on), or the custom vendor's name."""
    entry = vendors.get(vendor_id)
    if entry is not None and "custom" in entry:
        return str(entry["custom"]["name"])
    hosts = setting_hosts(vendor_id, entry) if entry is not None else ()
    if hosts:
        return f"{VENDORS[vendor_id].name} ({', '.join(hosts)})"
    return PROVIDERS.get(vendor_id, vendor_id)


def site_blocking_rules(vendors: Mapping[str, Mapping[str, Any]]) -> dict[str, list[list[str]]]:
    """What auto-blocking recognises for a version: the catalogue's rules
    (:func:`consent.core.catalog.blocking_rules`), then each custom vendor's hosts (after
    them: a catalogue host decides first; validation keeps custom hosts off the catalogue's),
    strictly necessary ones aside (never held back); a catalogue vendor's hosts that its
    settings name (a self-hosted Matomo's) join its own."""
    rules = blocking_rules(vendors)
    for vendor_id, entry in vendors.items():
        if hosts := setting_hosts(vendor_id, entry):
            rule = rules.setdefault(vendor_id, [[]])
            rule[0] = [*rule[0], *hosts]
    for vendor in custom_vendors(vendors):
        if vendor.hosts and vendor.category != "necessary":
            rules[vendor.id] = [list(vendor.hosts)]
    return rules
