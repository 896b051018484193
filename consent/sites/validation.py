"""Validation of what owners configure: origins, URLs, vendor settings, banner texts."""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from consent.core.catalog import CATEGORIES, VENDORS, Vendor, movable_categories
from consent.core.texts import LANGUAGE_RULE, MAX_TEXT, TEXT_KEYS, is_language
from consent.core.vendors import catalogue_owner
from consent.errors import FieldErrors, InvalidField
from consent.sites.custom_vendors import validate_custom_vendor

#: A vendor entry's members (and ``custom`` for a vendor the owner defines).
_MEMBERS = frozenset({"category", "settings"})
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]", "::1"})
#: A host name's labels (or an IPv4 address), or an IPv6 address (urlsplit drops its brackets).
_LABEL = r"[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?"
_HOST = re.compile(rf"{_LABEL}(?:\.{_LABEL})*|[0-9a-f:.]+")


def normalize_origin(value: object, field: str = "origins") -> str:
    """Return ``value`` as a lower-case ``scheme://host[:port]`` origin, or raise 422."""
    if not isinstance(value, str) or not value or len(value) > 300:
        raise InvalidField(field, "an origin is a string like https://www.example.com")
    text = value.strip()
    if text.endswith("/"):
        text = text[:-1]
    if "://" not in text:
        # The fix named only where it would be an origin (not for "not a url").
        try:
            fixed = normalize_origin(f"https://{text}", field)
        except InvalidField:
            raise InvalidField(
                field, f"{text!r} is not an origin (like https://www.example.com)"
            ) from None
        raise InvalidField(field, f"{text!r} needs its scheme: {fixed}")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as error:
        raise InvalidField(field, f"not a valid origin: {error}") from error
    host = (parts.hostname or "").lower()
    scheme = parts.scheme.lower()
    if parts.path or parts.query or parts.fragment or "@" in parts.netloc or not host:
        raise InvalidField(field, "an origin has no path, query, fragment or user info")
    host = _ascii_host(host, field)
    if scheme not in ("https", "http") or (scheme == "http" and host not in _LOCAL_HOSTS):
        raise InvalidField(field, "origins must use https (http only for localhost)")
    display_host = f"[{host}]" if ":" in host else host
    if port is None or (scheme, port) in (("https", 443), ("http", 80)):
        return f"{scheme}://{display_host}"
    return f"{scheme}://{display_host}:{port}"


def _ascii_host(host: str, field: str) -> str:
    """``host`` as browsers send it in ``Origin``: a name in ASCII (an internationalised one
    in punycode) or an IP address; 422 for anything else (spaces, other punctuation)."""
    try:
        ascii_host = host if host.isascii() else host.encode("idna").decode("ascii")
    except UnicodeError:
        ascii_host = ""
    if not _HOST.fullmatch(ascii_host):
        raise InvalidField(field, f"{host!r} is not a host name")
    return ascii_host


def origin_of(header: str | None) -> str | None:
    """Normalise a request's ``Origin`` header, or ``None`` when absent or not an origin."""
    if not header or header == "null":
        return None
    try:
        parts = urlsplit(header)
        port = parts.port
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if not host or parts.scheme.lower() not in ("http", "https"):
        return None
    display_host = f"[{host}]" if ":" in host else host
    default = {"https": 443, "http": 80}[parts.scheme.lower()]
    suffix = "" if port in (None, default) else f":{port}"
    return f"{parts.scheme.lower()}://{display_host}{suffix}"


def validate_https_url(value: object, field: str) -> str:
    """An owner-provided link: https (http only for localhost), at most 2,048 characters."""
    if not isinstance(value, str) or not value or len(value) > 2048:
        raise InvalidField(field, "must be an https URL of at most 2,048 characters")
    try:
        parts = urlsplit(value)
    except ValueError as error:
        raise InvalidField(field, "not a valid URL") from error
    host = (parts.hostname or "").lower()
    local = parts.scheme == "http" and host in _LOCAL_HOSTS
    if not host or (parts.scheme != "https" and not local) or parts.username or parts.password:
        raise InvalidField(field, "must be an https URL (http only for localhost)")
    if any(ch.isspace() or ord(ch) < 32 for ch in value):
        raise InvalidField(field, "must not contain spaces or control characters")
    return value


def validate_vendors(
    value: object, field: str = "vendors", ids_required: bool = True
) -> dict[str, dict[str, Any]]:
    """Check ``{vendor_id: {category, settings}}`` against the catalogue (or, with
    ``custom``, the owner's own definition); every invalid field is reported at once."""
    if not isinstance(value, dict):
        raise InvalidField(field, "must be an object of vendor id → {category, settings}")
    errors = FieldErrors()
    result: dict[str, dict[str, Any]] = {}
    for vendor_id, entry in value.items():
        with errors.collecting():
            where = f"{field}.{vendor_id}"
            result[vendor_id] = _validate_vendor(vendor_id, entry, where, ids_required)
    errors.raise_any()
    return result


def _validate_vendor(
    vendor_id: str, entry: object, where: str, ids_required: bool
) -> dict[str, Any]:
    if isinstance(entry, dict) and "custom" in entry:
        return validate_custom_vendor(vendor_id, entry, where, validate_https_url)
    vendor = VENDORS.get(vendor_id)
    if vendor is None:
        raise InvalidField(
            where, f"unknown vendor {vendor_id!r}: a vendor of your own needs its custom member"
        )
    if not isinstance(entry, dict) or set(entry) - _MEMBERS:
        raise InvalidField(where, "must be an object with category and settings")
    errors = FieldErrors()
    category = entry.get("category", vendor.category)
    allowed = CATEGORIES if category == vendor.category else movable_categories()
    if category not in allowed:
        errors.add(f"{where}.category", "no vendor can be moved into this category")
    settings: dict[str, Any] = {}
    with errors.collecting():
        settings = _validate_settings(vendor, entry.get("settings", {}), where, ids_required)
    errors.raise_any()
    return {"category": category, "settings": settings}


def _validate_settings(
    vendor: Vendor, settings: object, where: str, ids_required: bool
) -> dict[str, Any]:
    """A catalogue vendor's settings as stored (served categories in the banner's order)."""
    if not isinstance(settings, dict):
        raise InvalidField(f"{where}.settings", "must be an object")
    errors = FieldErrors()
    known = {s.name: s for s in vendor.settings}
    result = dict(settings)
    for name, value in settings.items():
        field = f"{where}.settings.{name}"
        setting = known.get(name)
        if setting is None:
            errors.add(field, "unknown setting")
        elif setting.kind == "categories":
            with errors.collecting():
                result[name] = _validate_served(value, field)
        elif not setting.valid(value):
            errors.add(field, f"must look like {setting.example}")
        elif setting.kind == "host" and (owner := catalogue_owner(value)) not in (None, vendor.id):
            other = VENDORS[str(owner)].name
            errors.add(field, f"{value} is {other}'s: enter the host of your own server")
    for setting in vendor.settings:
        if setting.required and ids_required and setting.name not in settings:
            errors.add(f"{where}.settings.{setting.name}", "is required")
    errors.raise_any()
    return result


def _validate_served(value: object, field: str) -> list[str]:
    """The categories a loader's container serves: a list of movable category ids, each
    once, at least one (necessary never: what a container runs is never strictly so)."""
    movable = movable_categories()
    if not isinstance(value, list) or not value:
        raise InvalidField(
            field,
            "must list the categories its container serves: one or more of " + ", ".join(movable),
        )
    errors = FieldErrors()
    for index, category in enumerate(value):
        if category == "necessary":
            errors.add(
                f"{field}[{index}]",
                "a tag container is never strictly necessary: name the categories of its tags",
            )
        elif not isinstance(category, str) or category not in movable:
            errors.add(f"{field}[{index}]", f"unknown category: one of {', '.join(movable)}")
        elif category in value[:index]:
            errors.add(f"{field}[{index}]", f"{category} is listed twice")
    errors.raise_any()
    return [c for c in movable if c in value]


def validate_texts(value: object, field: str = "texts") -> dict[str, Any]:
    """Check banner texts: each language a primary subtag, each complete (every key, none
    blank, the placeholder naming ``{vendor}``), plain strings ≤ 2,000; all problems at once."""
    if not isinstance(value, dict) or not value:
        raise InvalidField(field, "must be an object of language → texts")
    errors = FieldErrors()
    for lang, texts in value.items():
        with errors.collecting():
            _validate_language_texts(lang, texts, f"{field}.{lang}")
    errors.raise_any()
    return value


def _validate_language_texts(lang: str, texts: object, where: str) -> None:
    if not is_language(lang):
        raise InvalidField(where, LANGUAGE_RULE)
    if not isinstance(texts, dict):
        raise InvalidField(where, "must be an object of the banner's texts")
    errors = FieldErrors()
    for key in (*TEXT_KEYS, "categories"):
        if key not in texts:
            errors.add(f"{where}.{key}", "is required")
    for key, text in texts.items():
        with errors.collecting():
            if key == "categories":
                _validate_category_texts(text, f"{where}.categories")
            elif key not in TEXT_KEYS:
                raise InvalidField(f"{where}.{key}", "unknown text key")
            else:
                _validate_text(text, f"{where}.{key}")
    if isinstance(texts.get("placeholder"), str) and "{vendor}" not in texts["placeholder"]:
        errors.add(f"{where}.placeholder", "must contain {vendor}, where the vendor's name goes")
    errors.raise_any()


def _validate_category_texts(value: object, field: str) -> None:
    if not isinstance(value, dict) or set(value) != set(CATEGORIES):
        raise InvalidField(field, "must hold title and description for all five categories")
    errors = FieldErrors()
    for cat, entry in value.items():
        if not isinstance(entry, dict) or set(entry) != {"title", "description"}:
            errors.add(f"{field}.{cat}", "must be {title, description}")
            continue
        for key, text in entry.items():
            with errors.collecting():
                _validate_text(text, f"{field}.{cat}.{key}")
    errors.raise_any()


def _validate_text(value: object, field: str) -> None:
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise InvalidField(field, f"must be text of at most {MAX_TEXT} characters")
    if not value.strip():
        raise InvalidField(field, "must not be empty: the banner shows it")


@lru_cache(maxsize=4096)
def ip_prefix(address: str | None) -> str | None:
    """Truncate a client address to its /24 (IPv4) or /48 (IPv6) network, as CIDR text.

    Memoised: a request asks twice (rate limit, receipt context), and clients come back.
    """
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    bits = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{bits}", strict=False))
