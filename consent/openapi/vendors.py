"""A site's vendors in the OpenAPI document: a draft's or version's entry (``Vendor``) and the
owner's own definition (``CustomVendor``, with its ``CustomCookie`` list)."""

from __future__ import annotations

from typing import Any

from consent.core.catalog import CATEGORIES, movable_categories
from consent.core.catalog_model import HOST_PATTERN, MAX_HOST
from consent.core.texts import LANGUAGE_PATTERN
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
    SERVES,
    SLUG_PATTERN,
)
from consent.openapi.parts import ref
from consent.sites.custom_vendors import COOKIE_FIELDS, CUSTOM_FIELDS

#: A vendor id: a catalogue id, or a custom vendor's slug.
VENDOR_ID: dict[str, Any] = {"type": "string", "pattern": SLUG_PATTERN, "maxLength": MAX_SLUG}
_HOSTS = {
    "type": "array",
    "maxItems": MAX_HOSTS,
    "items": {"type": "string", "pattern": HOST_PATTERN, "maxLength": MAX_HOST},
}
_COOKIE: dict[str, Any] = {
    "name": {"type": "string", "pattern": COOKIE_NAME_PATTERN},
    "pattern": {
        "type": ["string", "null"],
        "pattern": COOKIE_PATTERN_PATTERN,
        "description": "The names it matches (* ends a prefix: cart_*); null: the name only",
    },
    "purpose": {
        "type": "object",
        "description": "What it is for, per language the draft has texts in",
        "minProperties": 1,
        "propertyNames": {"type": "string", "pattern": LANGUAGE_PATTERN},
        "additionalProperties": {"type": "string", "minLength": 1, "maxLength": MAX_PURPOSE},
    },
    "duration_days": {
        "oneOf": [
            {"type": "integer", "minimum": 1, "maximum": MAX_DURATION_DAYS},
            {"const": "session"},
        ]
    },
}
_CUSTOM: dict[str, Any] = {
    "name": {"type": "string", "minLength": 1, "maxLength": MAX_NAME},
    "hosts": {
        "type": "object",
        "additionalProperties": False,
        "description": "Host names (a host matches its subdomains too) that auto-blocking "
        "holds back; never a catalogue vendor's nor the site's own",
        "properties": dict.fromkeys(HOST_KINDS, _HOSTS),
    },
    "cookies": {"type": "array", "maxItems": MAX_COOKIES, "items": ref("CustomCookie")},
    "privacy_policy_url": {"type": ["string", "null"], "maxLength": 2048},
}

#: A catalogue vendor's settings: text ones (an id, a self-hosted Matomo's host) and a
#: loader's served categories.
SETTINGS: dict[str, Any] = {
    "type": "object",
    "description": "The catalogue's settings of the vendor (an id like measurement_id; host: "
    "the owner's own Matomo server, which auto-blocking holds back and scans name)",
    "properties": {
        SERVES: {
            "type": "array",
            "minItems": 1,
            "uniqueItems": True,
            "items": {"enum": list(movable_categories())},
            "description": "Google Tag Manager: the categories its container serves. The gate "
            "allows it when any of them is allowed (each tag it adds still waits for its own); "
            "unset: its category alone",
        },
    },
    "additionalProperties": {"type": "string"},
}

#: A gate decision's category.
DECIDING_CATEGORY: dict[str, Any] = {
    "enum": [*CATEGORIES, None],
    "description": "The vendor's category on the site; for a loader whose owner named the "
    "categories it serves, the one that allows it, else the first that refuses it",
}

VENDOR_SCHEMAS: dict[str, Any] = {
    "Vendor": {
        "type": "object",
        "description": "A catalogue vendor ({category, settings}), or the owner's own with "
        "custom (its id not a catalogue id; its category may be necessary, for the site's "
        "own strictly necessary cookies; no settings)",
        "additionalProperties": False,
        "properties": {
            "category": {"enum": list(CATEGORIES)},
            "settings": SETTINGS,
            "custom": ref("CustomVendor"),
        },
    },
    "CustomVendor": {
        "type": "object",
        "required": ["name"],
        "additionalProperties": False,
        "properties": {name: _CUSTOM[name] for name in CUSTOM_FIELDS},
    },
    "CustomCookie": {
        "type": "object",
        "required": ["name", "purpose", "duration_days"],
        "additionalProperties": False,
        "properties": {name: _COOKIE[name] for name in COOKIE_FIELDS},
    },
}
