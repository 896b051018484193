"""The auditor API's part of the OpenAPI document (merged by ``consent.openapi.document``).

``Receipt`` and ``Error`` are ``consent.openapi``'s own schemas.
"""

from __future__ import annotations

from typing import Any

from ..catalog import CATEGORIES
from ..openapi import bearer_operation, param, ref
from ..visitor import ACTIONS
from .queries import MAX_LIMIT


def _page(item: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["items", "next_cursor"],
        "properties": {
            "items": {"type": "array", "items": ref(item)},
            "next_cursor": {"type": ["string", "null"]},
        },
    }


_RATE = {"type": ["number", "null"], "minimum": 0, "maximum": 1}
_COUNTS = {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}}
_TALLY = {
    "total": {"type": "integer", "minimum": 0},
    "actions": _COUNTS,
    "opt_in_rate": {"type": "object", "additionalProperties": _RATE},
    "signals": {
        "type": "object",
        "additionalProperties": {
            "type": "object",
            "required": ["count", "share"],
            "properties": {"count": {"type": "integer"}, "share": _RATE},
        },
    },
}

AUDIT_SCHEMAS: dict[str, Any] = {
    "ReceiptPage": _page("Receipt"),
    "PolicyVersion": {
        "type": "object",
        "required": [
            "version",
            "published_at",
            "privacy_policy_url",
            "texts",
            "vendors",
            "requires_reconsent",
            "policy_hash",
        ],
        "properties": {
            "version": {"type": "integer", "minimum": 1},
            "published_at": {"type": "string"},
            "privacy_policy_url": {"type": "string"},
            "cookie_statement_url": {"type": ["string", "null"]},
            "texts": {"type": "object", "additionalProperties": {"type": "object"}},
            "vendors": {
                "type": "object",
                "additionalProperties": {
                    "type": "object",
                    "properties": {
                        "category": {"enum": list(CATEGORIES)},
                        "settings": {"type": "object"},
                    },
                },
            },
            "requires_reconsent": {"type": "boolean"},
            "policy_hash": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        },
    },
    "PolicyList": {
        "type": "object",
        "required": ["items"],
        "properties": {"items": {"type": "array", "items": ref("PolicyVersion")}},
    },
    "ReceiptDetail": {
        "type": "object",
        "required": ["receipt", "policy"],
        "properties": {
            "receipt": ref("Receipt"),
            "policy": {"oneOf": [ref("PolicyVersion"), {"type": "null"}]},
        },
    },
    "KantaraReceipt": {
        "description": "Kantara Initiative Consent Receipt Specification v1.1.0",
        "type": "object",
        "required": [
            "version",
            "jurisdiction",
            "consentTimestamp",
            "collectionMethod",
            "consentReceiptID",
            "piiPrincipalId",
            "piiControllers",
            "policyUrl",
            "services",
            "sensitive",
            "spiCat",
        ],
        "properties": {
            "version": {"const": "KI-CR-v1.1.0"},
            "consentTimestamp": {"type": "integer"},
            "piiControllers": {"type": "array", "items": {"type": "object"}},
            "services": {"type": "array", "items": {"type": "object"}},
            "sensitive": {"type": "boolean"},
            "spiCat": {"type": "array", "items": {"type": "string"}},
        },
    },
    "Erasure": {
        "type": "object",
        "required": ["subject_id", "erased_at", "receipts"],
        "properties": {
            "subject_id": {"type": "string"},
            "erased_at": {"type": "string"},
            "receipts": {"type": "integer", "minimum": 0},
            "requested_by": {"type": "string"},
        },
    },
    "SubjectHistory": {
        "type": "object",
        "required": ["subject_id", "items", "erasures"],
        "properties": {
            "subject_id": {"type": "string"},
            "items": {"type": "array", "items": ref("Receipt")},
            "erasures": {"type": "array", "items": ref("Erasure")},
        },
    },
    "Verification": {
        "oneOf": [
            {
                "type": "object",
                "required": ["ok", "receipts", "head"],
                "properties": {
                    "ok": {"const": True},
                    "receipts": {"type": "integer", "minimum": 0},
                    "head": {"type": ["string", "null"]},
                },
            },
            {
                "type": "object",
                "required": ["ok", "first_bad_seq", "reason"],
                "properties": {
                    "ok": {"const": False},
                    "first_bad_seq": {"type": "integer"},
                    "reason": {"enum": ["hash_mismatch", "broken_link", "gap"]},
                },
            },
        ]
    },
    "Stats": {
        "type": "object",
        "required": ["bucket", "total", "actions", "opt_in_rate", "signals", "buckets"],
        "properties": {
            "from": {"type": ["string", "null"]},
            "to": {"type": ["string", "null"]},
            "bucket": {"enum": ["day", "week"]},
            **_TALLY,
            "buckets": {
                "type": "array",
                "items": {"type": "object", "properties": {"start": {"type": "string"}, **_TALLY}},
            },
            "policy_versions": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"policy_version": {"type": "integer"}, **_TALLY},
                },
            },
        },
    },
    "AccessLogEntry": {
        "type": "object",
        "required": ["id", "created_at", "actor", "role", "method", "path", "query"],
        "properties": {
            "id": {"type": "integer"},
            "created_at": {"type": "string"},
            "actor": {"type": "string"},
            "role": {"enum": ["owner", "auditor"]},
            "method": {"type": "string"},
            "path": {"type": "string"},
            "query": {"type": "string"},
        },
    },
    "AccessLogPage": _page("AccessLogEntry"),
}

_FILTERS = [
    param("subject", maxLength=64),
    param("from", format="date-time"),
    param("to", format="date-time"),
    param("policy_version", type="integer", minimum=1),
    param("action", enum=list(ACTIONS)),
    param("category", enum=list(CATEGORIES)),
    param("granted", enum=["true", "false"]),
]
_PAGING = [param("limit", type="integer", minimum=1, maximum=MAX_LIMIT), param("cursor")]


def _operation(
    summary: str,
    content: str | dict[str, Any],
    params: list[dict[str, Any]] | None = None,
    path: tuple[str, ...] = (),
    errors: tuple[int, ...] = (),
    status: int = 200,
    role: str = "auditor",
) -> dict[str, Any]:
    return bearer_operation(
        summary, role, content, path=path, params=tuple(params or ()), errors=errors, status=status
    )


_SITE = "/api/v1/audit/sites/{site_key}"

AUDIT_PATHS: dict[str, Any] = {
    f"{_SITE}/receipts": {
        "get": _operation(
            "Receipts matching the filters, newest first (keyset pages)",
            "ReceiptPage",
            [*_FILTERS, *_PAGING],
            errors=(422,),
        )
    },
    f"{_SITE}/receipts/{{receipt_id}}": {
        "get": _operation(
            "A receipt and the policy version it references, or its Kantara document",
            {
                "application/json": {
                    "schema": {"anyOf": [ref("ReceiptDetail"), ref("KantaraReceipt")]}
                }
            },
            [param("format", enum=["json", "kantara"])],
            ("receipt_id",),
            (422,),
        )
    },
    f"{_SITE}/subjects/{{subject_id}}": {
        "get": _operation(
            "A subject's history, oldest first, with its erasures",
            "SubjectHistory",
            path=("subject_id",),
        )
    },
    f"{_SITE}/export": {
        "get": _operation(
            "Every matching receipt in ascending seq, streamed",
            {"text/csv": {}, "application/x-ndjson": {}},
            [param("format", enum=["csv", "ndjson"]), *_FILTERS],
            errors=(422,),
        )
    },
    f"{_SITE}/verify": {"get": _operation("Walk the hash chain", "Verification")},
    f"{_SITE}/stats": {
        "get": _operation(
            "Counts per action, opt-in rates and signal shares per bucket and version",
            "Stats",
            [*_FILTERS, param("bucket", enum=["day", "week"])],
            errors=(422,),
        )
    },
    f"{_SITE}/policies": {"get": _operation("Every published policy version", "PolicyList")},
    f"{_SITE}/policies/{{version}}": {
        "get": _operation("One published policy version", "PolicyVersion", path=("version",))
    },
    f"{_SITE}/access-log": {
        "get": _operation(
            "Who read this site's ledger, when, what (this read included)",
            "AccessLogPage",
            _PAGING,
            errors=(422,),
        )
    },
    "/api/v1/admin/sites/{site_key}/subjects/{subject_id}/erasure": {
        "post": _operation(
            "Erase a subject's personal context on request (idempotent)",
            "Erasure",
            path=("subject_id",),
            status=201,
            role="owner",
        )
    },
}
