"""The auditor API's part of the OpenAPI document (assembled by ``consent.openapi.document``).

``Receipt`` is ``consent.openapi.visitor``'s schema and ``Error`` ``consent.openapi.document``'s.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from consent.audit.streams import MEDIA_TYPES
from consent.core.catalog import CATEGORIES
from consent.core.chain import ACTIONS, FAILURE_REASONS
from consent.ledger.filters import MAX_SUBJECT
from consent.ledger.kantara import VERSION as KANTARA_VERSION
from consent.ledger.queries import MAX_LIMIT
from consent.ledger.stats import BUCKETS, SIGNALS
from consent.openapi.parts import HEX64, bearer_operation, keyed, param, ref
from consent.openapi.scans import AUDITOR_SCAN_PATHS
from consent.sites.accounts import ROLES


def _page(item: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["items", "next_cursor"],
        "properties": {
            "items": {"type": "array", "items": ref(item)},
            "next_cursor": {"type": ["string", "null"]},
        },
    }


_COUNT = {"type": "integer", "minimum": 0}
_RATE = {"type": ["number", "null"], "minimum": 0, "maximum": 1}
_SHARE = {
    "type": "object",
    "required": ["count", "share"],
    "properties": {"count": _COUNT, "share": _RATE},
}
_TALLY = {
    "total": _COUNT,
    "actions": keyed(ACTIONS, _COUNT),
    "opt_in_rate": keyed(CATEGORIES, _RATE),
    "signals": keyed(SIGNALS, _SHARE),
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
            "texts": {"type": "object", "additionalProperties": ref("Texts")},
            "vendors": {"type": "object", "additionalProperties": ref("Vendor")},
            "requires_reconsent": {"type": "boolean"},
            "policy_hash": HEX64,
            "theme": ref("VersionTheme"),
            "notice": {
                "type": "string",
                "description": "Publish's answer only: what strictly necessary means, when the "
                "owner's own vendors are in that category",
            },
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
            "version": {"const": KANTARA_VERSION},
            "jurisdiction": {"type": "string"},
            "consentTimestamp": {"type": "integer"},
            "collectionMethod": {"type": "string"},
            "consentReceiptID": {"type": "string"},
            "language": {"type": "string"},
            "piiPrincipalId": {"type": "string"},
            "policyUrl": {"type": ["string", "null"]},
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
                    "reason": {"enum": list(FAILURE_REASONS)},
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
            "bucket": {"enum": list(BUCKETS)},
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
            "role": {"enum": list(ROLES)},
            "method": {"type": "string"},
            "path": {"type": "string"},
            "query": {"type": "string"},
        },
    },
    "AccessLogPage": _page("AccessLogEntry"),
}

_FILTERS = [
    param("subject", maxLength=MAX_SUBJECT),
    param("from", format="date-time"),
    param("to", format="date-time"),
    param("policy_version", type="integer", minimum=1),
    param("action", enum=list(ACTIONS)),
    param("category", enum=list(CATEGORIES)),
    param("granted", enum=["true", "false"]),
]
_PAGING = [param("limit", type="integer", minimum=1, maximum=MAX_LIMIT), param("cursor")]


_auditor = partial(bearer_operation, role="auditor")

_SITE = "/api/v1/audit/sites/{site_key}"

AUDIT_PATHS: dict[str, Any] = {
    f"{_SITE}/receipts": {
        "get": _auditor(
            "listReceipts",
            "Receipts matching the filters, newest first (keyset pages)",
            "ReceiptPage",
            params=[*_FILTERS, *_PAGING],
            extra_errors=(422,),
        )
    },
    f"{_SITE}/receipts/{{receipt_id}}": {
        "get": _auditor(
            "getReceipt",
            "A receipt and the policy version it references, or its Kantara document",
            {
                "application/json": {
                    "schema": {"anyOf": [ref("ReceiptDetail"), ref("KantaraReceipt")]}
                }
            },
            params=[param("format", enum=["json", "kantara"])],
            path=("receipt_id",),
            extra_errors=(422,),
        )
    },
    f"{_SITE}/subjects/{{subject_id}}": {
        "get": _auditor(
            "getSubjectHistory",
            "A subject's history, oldest first, with its erasures",
            "SubjectHistory",
            path=("subject_id",),
        )
    },
    f"{_SITE}/export": {
        "get": _auditor(
            "exportReceipts",
            "Every matching receipt in ascending seq, streamed",
            {media_type.split(";")[0]: {} for media_type in MEDIA_TYPES.values()},
            params=[param("format", enum=list(MEDIA_TYPES)), *_FILTERS],
            extra_errors=(422,),
        )
    },
    f"{_SITE}/verify": {"get": _auditor("verifyChain", "Walk the hash chain", "Verification")},
    f"{_SITE}/stats": {
        "get": _auditor(
            "getStats",
            "Counts per action, opt-in rates and signal shares per bucket and version",
            "Stats",
            params=[*_FILTERS, param("bucket", enum=list(BUCKETS))],
            extra_errors=(422,),
        )
    },
    f"{_SITE}/policies": {
        "get": _auditor("listPolicyVersions", "Every published policy version", "PolicyList")
    },
    f"{_SITE}/policies/{{version}}": {
        "get": _auditor(
            "getPolicyVersion", "One published policy version", "PolicyVersion", path=("version",)
        )
    },
    f"{_SITE}/access-log": {
        "get": _auditor(
            "listAccessLog",
            "Who read this site's ledger, when, what (this read included)",
            "AccessLogPage",
            params=_PAGING,
            extra_errors=(422,),
        )
    },
    "/api/v1/admin/sites/{site_key}/subjects/{subject_id}/erasure": {
        "post": bearer_operation(
            "eraseSubject",
            "Erase a subject's personal context on request (idempotent)",
            "Erasure",
            path=("subject_id",),
            status=201,
            role="owner",
        )
    },
    **AUDITOR_SCAN_PATHS,
}
