"""The cookie declaration's part of the OpenAPI document: its visitor endpoint, its schema
(fields from :mod:`consent.core.declaration`'s words and types) and the embed's script that
renders it on the owner's page."""

from __future__ import annotations

from typing import Any

from consent.core.catalog import CATEGORIES
from consent.core.declaration_words import LABELS
from consent.openapi.parts import SITE_KEY, errors, json_response, keyed, operation, param, ref

_STRING = {"type": "string"}
_NULLABLE_STRING = {"type": ["string", "null"]}

DECLARATION_SCHEMAS: dict[str, Any] = {
    "DeclaredCookie": {
        "description": "A cookie (or storage key) on the site; a name ending in * is a prefix",
        "type": "object",
        "required": [
            "name",
            "vendor",
            "provider",
            "purpose",
            "duration",
            "duration_days",
            "observed",
            "type",
            "first_party",
        ],
        "properties": {
            "name": _STRING,
            "vendor": {**_NULLABLE_STRING, "description": "Catalogue vendor id; null: the site's"},
            "provider": _NULLABLE_STRING,
            "purpose": {**_NULLABLE_STRING, "description": "null when unclassified"},
            "duration": {"type": "string", "description": "How long it lives, as read"},
            "duration_days": {
                "type": ["integer", "null"],
                "description": "Whole days (0: under a day); null for a session or storage",
            },
            "observed": {
                "type": "boolean",
                "description": "true: the duration is what the last scan saw; false: typical",
            },
            "type": {"enum": ["cookie", "local_storage", "session_storage"]},
            "first_party": {"type": "boolean"},
        },
    },
    "Declaration": {
        "type": "object",
        "required": [
            "site_key",
            "policy_version",
            "language",
            "scanned_at",
            "categories",
            "unclassified",
            "labels",
        ],
        "properties": {
            "site_key": _STRING,
            "policy_version": {"type": "integer"},
            "language": _STRING,
            "scanned_at": {
                "type": ["string", "null"],
                "format": "date-time",
                "description": "When the last finished scan ended; null: never scanned",
            },
            "categories": keyed(
                CATEGORIES,
                {
                    "type": "object",
                    "required": ["title", "description", "cookies"],
                    "properties": {
                        "title": _STRING,
                        "description": _STRING,
                        "cookies": {"type": "array", "items": ref("DeclaredCookie")},
                    },
                },
            ),
            "unclassified": {"type": "array", "items": ref("DeclaredCookie")},
            "labels": keyed(LABELS["en"], _STRING),
        },
    },
}

DECLARATION_PATHS: dict[str, Any] = {
    "/api/v1/sites/{site_key}/declaration": {
        "get": operation(
            "getCookieDeclaration",
            "The cookie declaration: per category the cookies of the published version's "
            "vendors, durations the last scan observed, what no vendor explains",
            "visitor",
            {
                "200": json_response("Declaration"),
                "304": {"description": "Not modified"},
                **errors(403, 404, 422, 503),
            },
            params=[SITE_KEY, param("lang")],
        )
    },
    "/embed/declaration.js": {
        "get": operation(
            "getDeclarationScript",
            "The script that fills [data-consent-declaration] (the embed loads it, "
            "with the site key after #, only on a page that has the element)",
            "embed",
            {
                "200": {"description": "JavaScript", "content": {"text/javascript": {}}},
                "304": {"description": "Not modified"},
                "412": {
                    "description": "Precondition Failed: If-Match names another version",
                    "content": {"text/javascript": {}},
                },
            },
        )
    },
}
