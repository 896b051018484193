"""The visitor API's part of the OpenAPI document: config, consents, the gate and the
visitor's own receipts, and the receipt schema that the auditor API shows too.

Every enum and field list here is the visitor code's own constant.
"""

from __future__ import annotations

from typing import Any, get_args, get_type_hints

from consent.core.catalog import CATEGORIES, CONSENT_MODE, Vendor
from consent.core.chain import ACTIONS, HASHED_FIELDS, OPTIONAL_FIELDS
from consent.core.gate import REASONS
from consent.core.texts import MAX_TEXT, TEXT_KEYS
from consent.ledger.choices import CONSENT_FIELDS
from consent.ledger.stats import SIGNALS
from consent.openapi.parts import (
    CATEGORY_MAP,
    HEX64,
    HTML_PAGE,
    SITE_KEY,
    errors,
    json_response,
    keyed,
    operation,
    param,
    ref,
)
from consent.openapi.vendors import DECIDING_CATEGORY, SETTINGS, VENDOR_ID
from consent.visitor.api import MAX_VENDORS

_STRING = {"type": "string"}
_INTEGER = {"type": "integer"}
_BOOL_MAP = {"type": "object", "additionalProperties": {"type": "boolean"}}
#: What the browser reported, in a consents POST (each signal optional).
_SIGNALS = {
    "type": "object",
    "additionalProperties": False,
    "properties": {name: {"type": "boolean"} for name in SIGNALS},
}
_TEXT = {"type": "string", "maxLength": MAX_TEXT}
#: RFC 3339 UTC with milliseconds, as every receipt's ``created_at``.
_TIMESTAMP = {"type": "string", "format": "date-time"}

#: The schema of each receipt field; a hashed field added in ``consent.core.chain``
#: must be added here.
_RECEIPT_FIELDS: dict[str, Any] = {
    "receipt_id": _STRING,
    "site_key": _STRING,
    "seq": {"type": "integer", "minimum": 1},
    "subject_id": _STRING,
    "created_at": _TIMESTAMP,
    "policy_version": _INTEGER,
    "policy_hash": HEX64,
    "language": _STRING,
    "action": {"enum": list(ACTIONS)},
    "categories": CATEGORY_MAP,
    "vendors": _BOOL_MAP,
    "signals": keyed(SIGNALS, {"type": "boolean"}),
    "context_digest": HEX64,
    "prev_hash": HEX64,
    "banner_build": HEX64,
    "hash": HEX64,
}

#: The schema of each member of the consents POST; one added to ``CONSENT_FIELDS`` must be too.
_CONSENT_MEMBERS: dict[str, Any] = {
    "action": {"enum": list(ACTIONS)},
    "categories": {
        "type": "object",
        "propertyNames": {"enum": list(CATEGORIES)},
        "additionalProperties": {"type": "boolean"},
    },
    "policy_version": _INTEGER,
    "policy_hash": _STRING,
    "language": _STRING,
    "page_url": {"type": "string", "maxLength": 2048},
    "token": _STRING,
    "signals": _SIGNALS,
    "build": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
}

_VENDOR_KINDS = list(get_args(get_type_hints(Vendor)["kind"]))
#: ``/me`` also answers as CSV, or as a page to read (``?format=html&lang=``).
_CSV_OR_PAGE = {"text/csv": {}, **HTML_PAGE}
_ME_FORMAT = param("format", enum=["json", "csv", "html"])

VISITOR_SCHEMAS: dict[str, Any] = {
    "Context": {
        "type": ["object", "null"],
        "properties": {
            "page_url": _STRING,
            "ip_prefix": {"type": ["string", "null"]},
            "user_agent": _STRING,
        },
    },
    "Receipt": {
        "type": "object",
        "required": [*HASHED_FIELDS, "context", "hash"],
        "properties": {
            **{name: _RECEIPT_FIELDS[name] for name in (*HASHED_FIELDS, *OPTIONAL_FIELDS, "hash")},
            "context": ref("Context"),
            "proof": ref("Proof"),
        },
    },
    "Texts": {
        "description": "One language's banner texts, exactly as the owner gave them",
        "type": "object",
        "required": [*TEXT_KEYS, "categories"],
        "additionalProperties": False,
        "properties": {
            **{key: _TEXT for key in TEXT_KEYS},
            "categories": keyed(CATEGORIES, keyed(("title", "description"), _TEXT)),
        },
    },
    "Config": {
        "type": "object",
        "required": [
            "site_key",
            "policy_version",
            "policy_hash",
            "language",
            "texts",
            "categories",
            "vendors",
        ],
        "properties": {
            "site_key": _STRING,
            "policy_version": _INTEGER,
            "policy_hash": HEX64,
            "language": _STRING,
            "default_language": _STRING,
            "languages": {"type": "array", "items": _STRING},
            "texts": ref("Texts"),
            "labels": keyed(("cookies", "load", "vendors", "disabled", "withdrawn"), _STRING),
            "auto_block": {"type": "boolean"},
            "origins": {"type": "array", "items": _STRING},
            "build": HEX64,
            "privacy_policy_url": _STRING,
            "cookie_statement_url": {"type": ["string", "null"]},
            "choice_lifetime_days": _INTEGER,
            "theme": ref("ConfigTheme"),
            "categories": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "locked", "vendors"],
                    "properties": {
                        "id": {"enum": list(CATEGORIES)},
                        "locked": {"type": "boolean"},
                        "vendors": {"type": "array", "items": _STRING},
                    },
                },
            },
            "vendors": {
                "type": "object",
                "propertyNames": VENDOR_ID,
                "additionalProperties": {
                    "type": "object",
                    "required": ["name", "category", "settings", "cookies", "kind"],
                    "properties": {
                        "name": _STRING,
                        "category": {"enum": list(CATEGORIES)},
                        "settings": SETTINGS,
                        "cookies": {"type": "array", "items": _STRING},
                        "kind": {"enum": _VENDOR_KINDS},
                    },
                },
            },
        },
    },
    "ConsentRequest": {
        "type": "object",
        "required": ["action", "policy_version", "policy_hash", "language", "page_url"],
        "additionalProperties": False,
        "properties": {name: _CONSENT_MEMBERS[name] for name in sorted(CONSENT_FIELDS)},
    },
    "ConsentResponse": {
        "type": "object",
        "required": ["receipt", "token", "checkpoint", "inclusion"],
        "properties": {
            "receipt": ref("Receipt"),
            "token": _STRING,
            "checkpoint": _STRING,
            "inclusion": ref("Proof"),
        },
    },
    "GateRequest": {
        "type": "object",
        "required": ["vendors"],
        "properties": {
            "vendors": {
                "type": "array",
                "items": _STRING,
                "minItems": 1,
                "maxItems": MAX_VENDORS,
            },
            "token": _STRING,
        },
    },
    "GateResponse": {
        "type": "object",
        "required": [
            "site_key",
            "policy_version",
            "decisions",
            "consent_mode",
            "categories",
            "show_banner",
        ],
        "properties": {
            "site_key": _STRING,
            "policy_version": _INTEGER,
            "decisions": {
                "type": "object",
                "additionalProperties": {
                    "type": "object",
                    "required": ["allowed", "category", "reason"],
                    "properties": {
                        "allowed": {"type": "boolean"},
                        "category": DECIDING_CATEGORY,
                        "reason": {"enum": list(REASONS)},
                    },
                },
            },
            # Google Consent Mode's parameters, each with its own two values.
            "consent_mode": keyed(CONSENT_MODE, {"enum": ["granted", "denied"]}),
            "categories": {"oneOf": [CATEGORY_MAP, {"type": "null"}]},
            "show_banner": {"type": "boolean"},
        },
    },
    "History": {
        "type": "object",
        "required": ["subject_id", "items"],
        "properties": {
            "subject_id": _STRING,
            "items": {"type": "array", "items": ref("Receipt")},
        },
    },
}

VISITOR_PATHS: dict[str, Any] = {
    "/api/v1/sites/{site_key}/config": {
        "get": operation(
            "getBannerConfig",
            "Banner configuration, policy version and hash",
            "visitor",
            {"200": json_response("Config"), **errors(403, 404, 503)},
            params=[SITE_KEY, param("lang")],
        )
    },
    "/api/v1/sites/{site_key}/consents": {
        "post": operation(
            "recordConsent",
            "Record a choice as a receipt",
            "visitor",
            {
                "201": json_response("ConsentResponse", "Recorded"),
                **errors(400, 403, 404, 413, 415, 422, 429, 503),
            },
            params=[SITE_KEY],
            body="ConsentRequest",
        )
    },
    "/api/v1/sites/{site_key}/gate": {
        "get": operation(
            "decideVendors",
            "May these vendors load, and why",
            "visitor",
            {"200": json_response("GateResponse"), **errors(403, 404, 422, 503)},
            params=[SITE_KEY, param("vendors", required=True), param("token")],
        ),
        "post": operation(
            "decideVendorsWithBody",
            "May these vendors load, and why (JSON body)",
            "visitor",
            {"200": json_response("GateResponse"), **errors(400, 403, 404, 413, 415, 422, 503)},
            params=[SITE_KEY],
            body="GateRequest",
        ),
    },
    "/api/v1/sites/{site_key}/me": {
        "get": operation(
            "getOwnReceipts",
            "The visitor's own receipts (right of access): JSON, CSV, or a page to read (html)",
            "visitor",
            {
                "200": {
                    "description": "OK",
                    "content": {"application/json": {"schema": ref("History")}, **_CSV_OR_PAGE},
                },
                **errors(401, 403, 404, 503, page=True),
            },
            params=[SITE_KEY, param("token", required=True), _ME_FORMAT, param("lang")],
        )
    },
}
