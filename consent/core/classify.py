"""Which vendor (the catalogue's, or the site's own custom one) a request, cookie or storage
key of a site scan belongs to.

Hosts match the host itself or any subdomain (as auto-blocking matches them); cookie names
and storage keys match exactly, or by prefix where the catalogue's name ends in ``*``
(``_ga_*``). A vendor the site's published version enables takes the category the owner
gave it; any other vendor its catalogue category.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from consent.core.catalog import VENDORS, Vendor

#: The product's own first-party cookie (the visitor's consent token): strictly necessary.
OWN_COOKIES: frozenset[str] = frozenset({"consent_token"})
NECESSARY = "necessary"


def host_matches(host: str, pattern: str) -> bool:
    """Whether ``host`` is ``pattern`` or one of its subdomains."""
    return host == pattern or host.endswith("." + pattern)


def name_matches(name: str, pattern: str) -> bool:
    """Whether a cookie name or storage key matches a catalogue name (``*`` ends a prefix)."""
    if pattern.endswith("*"):
        return name.startswith(pattern[:-1])
    return name == pattern


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def _origin(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


@dataclass(frozen=True)
class Classifier:
    """Classification against the catalogue for one site and its published version."""

    #: Vendor id → category, as the published version enables them.
    enabled: Mapping[str, str]
    #: The hosts of the site's origins: a cookie on one of them (or a parent) is first-party.
    site_hosts: frozenset[str]
    #: The consent service's own origin (the embed, the API): strictly necessary.
    service_origin: str
    #: The site's own (custom) vendors, known by their hosts and cookies like the catalogue's,
    #: and catalogue vendors on hosts the owner named (a self-hosted Matomo's).
    custom: tuple[Vendor, ...] = field(default=())

    def _vendors(self) -> tuple[Vendor, ...]:
        return (*VENDORS.values(), *self.custom)

    def category(self, vendor_id: str) -> str:
        """The vendor's category: the owner's where enabled (a custom vendor always is), else
        the catalogue's."""
        return self.enabled.get(vendor_id) or VENDORS[vendor_id].category

    def _tagged(self, vendor: Vendor | None) -> tuple[str | None, str | None]:
        if vendor is None:
            return None, None
        return vendor.id, self.category(vendor.id)

    def request(self, url: str) -> tuple[str | None, str | None]:
        """(vendor, category) of a request's URL; (None, "necessary") for the service."""
        if _origin(url) == self.service_origin:
            return None, NECESSARY
        host = _host(url)
        candidates = [v for v in self._vendors() if any(host_matches(host, h) for h in v.hosts)]
        if len(candidates) > 1:
            # A shared host (connect.facebook.net serves the pixel and the SDK): the
            # vendor's own snippet in the URL decides, else the one the site enables.
            marked = [v for v in candidates if any(m in url for m in v.inline_markers)]
            chosen = [v for v in candidates if v.id in self.enabled]
            candidates = marked or chosen or candidates
        return self._tagged(candidates[0] if candidates else None)

    def cookie(self, name: str) -> tuple[str | None, str | None]:
        """(vendor, category) of a cookie by its name."""
        if name in OWN_COOKIES:
            return None, NECESSARY
        for vendor in self._vendors():
            names = vendor.cookies + vendor.third_party_cookies
            if any(name_matches(name, pattern) for pattern in names):
                return self._tagged(vendor)
        return None, None

    def storage(self, key: str) -> tuple[str | None, str | None]:
        """(vendor, category) of a ``localStorage`` or ``sessionStorage`` key."""
        for vendor in VENDORS.values():
            if any(name_matches(key, pattern) for pattern in vendor.storage_keys):
                return self._tagged(vendor)
        return None, None

    def first_party(self, cookie_domain: str) -> bool:
        """Whether a cookie's domain is one of the site's hosts or a parent of one."""
        domain = cookie_domain.lstrip(".").lower()
        return any(host_matches(host, domain) for host in self.site_hosts)
