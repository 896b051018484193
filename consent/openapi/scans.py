"""Site scans in the OpenAPI document: the report's schemas, the owner's four operations
(``consent.openapi.admin`` adds them) and the auditor's two (``consent.openapi.audit``)."""

from __future__ import annotations

from functools import partial
from typing import Any

from consent.core.catalog import CATEGORIES, VENDORS
from consent.core.observed import SCAN_STATUSES, STATES, STORAGE_KINDS
from consent.core.scan_report import FINDING_KINDS, REPORT_FIELDS
from consent.core.vendors import SLUG_PATTERN
from consent.openapi.parts import HEX64, bearer_operation, keyed, ref
from consent.scans.plans import MAX_PAGES, MAX_URL_LENGTH, MAX_URLS

_TEXT = {"type": "string"}
_MAYBE_TEXT = {"type": ["string", "null"]}
_VENDOR = {
    "type": ["string", "null"],
    "pattern": SLUG_PATTERN,
    "description": "A catalogue vendor or the site's own (custom); null: none known",
}
_CATEGORY = {"enum": [*CATEGORIES, None], "description": "null: unknown"}
_TAGS = {"vendor": _VENDOR, "category": _CATEGORY}
_PAGES = {"type": "integer", "minimum": 1, "maximum": MAX_PAGES}


def _object(properties: dict[str, Any], required: tuple[str, ...] | None = None) -> Any:
    return {
        "type": "object",
        "required": list(properties if required is None else required),
        "properties": properties,
    }


_COOKIE = _object(
    {
        "name": _TEXT,
        "domain": _TEXT,
        "path": _TEXT,
        "first_party": {"type": "boolean"},
        "session": {"type": "boolean"},
        "expires": _MAYBE_TEXT,
        "duration_days": {"type": ["integer", "null"], "minimum": 0},
        "secure": {"type": "boolean"},
        "http_only": {"type": "boolean"},
        "same_site": _TEXT,
        **_TAGS,
        "pages": {"type": "array", "items": _TEXT},
    }
)
_STORAGE = _object({"kind": {"enum": list(STORAGE_KINDS)}, "key": _TEXT, **_TAGS})
_REQUEST = _object({"host": _TEXT, "url": _TEXT, "type": _TEXT, **_TAGS, "initiator": _MAYBE_TEXT})
_FINDING = _object(
    {
        "kind": {"enum": list(FINDING_KINDS)},
        "state": {"enum": [*STATES, None]},
        **_TAGS,
        "detail": _TEXT,
    }
)
_REPORT_MEMBERS: dict[str, Any] = {
    "scan_id": _TEXT,
    "site_key": _TEXT,
    "status": {"enum": list(SCAN_STATUSES)},
    "started_at": _MAYBE_TEXT,
    "finished_at": _MAYBE_TEXT,
    "policy_version": {"type": ["integer", "null"]},
    "pages": {
        "type": "array",
        "items": _object({"url": _TEXT, "status": {"type": ["integer", "null"]}}),
    },
    "states": keyed(STATES, ref("ScanState")),
    "findings": {"type": "array", "items": ref("ScanFinding")},
    "report_hash": {"oneOf": [HEX64, {"type": "null"}]},
    "signature": {"type": ["string", "null"], "description": "C2SP signed note by the log key"},
}

SCAN_SCHEMAS: dict[str, Any] = {
    "ScanCookie": _COOKIE,
    "ScanStorage": _STORAGE,
    "ScanRequest": _REQUEST,
    "ScanState": _object(
        {
            "cookies": {"type": "array", "items": ref("ScanCookie")},
            "storage": {"type": "array", "items": ref("ScanStorage")},
            "requests": {"type": "array", "items": ref("ScanRequest")},
        }
    ),
    "ScanFinding": _FINDING,
    "ScanReport": _object(
        {
            **{name: _REPORT_MEMBERS[name] for name in REPORT_FIELDS},
            "reason": {"type": "string", "description": "Why it failed (failed scans only)"},
        },
        REPORT_FIELDS,
    ),
    "ScanSummary": _object(
        {
            "scan_id": _TEXT,
            "status": {"enum": list(SCAN_STATUSES)},
            "reason": _MAYBE_TEXT,
            "created_at": _TEXT,
            "started_at": _MAYBE_TEXT,
            "finished_at": _MAYBE_TEXT,
            "urls": {"type": "array", "items": _TEXT},
            "max_pages": _PAGES,
            "pages": {"type": ["integer", "null"]},
            "findings": {"type": ["integer", "null"]},
            "report_hash": {"oneOf": [HEX64, {"type": "null"}]},
        }
    ),
    "ScanList": _object({"items": {"type": "array", "items": ref("ScanSummary")}}),
    "ScanStart": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "urls": {
                "type": "array",
                "maxItems": MAX_URLS,
                "items": {"type": "string", "maxLength": MAX_URL_LENGTH},
                "description": "Start URLs on the site's origins (default: each origin's /)",
            },
            "max_pages": _PAGES,
        },
    },
    "ScanQueued": _object({"scan_id": _TEXT, "status": {"const": "queued"}}),
    "ScanApplied": {
        "allOf": [
            ref("OwnerDraft"),
            _object(
                {
                    "added": {
                        "type": "array",
                        "items": {"enum": sorted(VENDORS)},
                        "description": "The vendors this call added (none on a second call)",
                    }
                }
            ),
        ]
    },
}

_owner = partial(bearer_operation, role="owner")
_auditor = partial(bearer_operation, role="auditor")
_OWNER = "/api/v1/admin/sites/{site_key}/scans"
_AUDITOR = "/api/v1/audit/sites/{site_key}/scans"

OWNER_SCAN_PATHS: dict[str, Any] = {
    _OWNER: {
        "get": _owner("listScans", "The site's scans, newest first", "ScanList"),
        "post": _owner(
            "startScan",
            "Queue a scan of the site (409 while another one is queued or running)",
            "ScanQueued",
            body="ScanStart",
            status=202,
            extra_errors=(409,),
        ),
    },
    f"{_OWNER}/{{scan_id}}": {
        "get": _owner(
            "getScan", "A scan's report (signed once done)", "ScanReport", path=("scan_id",)
        ),
    },
    f"{_OWNER}/{{scan_id}}/apply": {
        "post": _owner(
            "applyScan",
            "Add every vendor the done scan found undeclared to the draft, with its catalogue "
            "category (409 unless the scan is done; 422 naming each id a vendor needs while "
            "auto-blocking is off)",
            "ScanApplied",
            path=("scan_id",),
            extra_errors=(409, 422),
        ),
    },
}

AUDITOR_SCAN_PATHS: dict[str, Any] = {
    _AUDITOR: {"get": _auditor("listAuditScans", "The site's scans, newest first", "ScanList")},
    f"{_AUDITOR}/{{scan_id}}": {
        "get": _auditor(
            "getAuditScan", "A scan's report (signed once done)", "ScanReport", path=("scan_id",)
        ),
    },
}
