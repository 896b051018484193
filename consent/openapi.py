"""The OpenAPI 3.1 document of the whole HTTP API, served at /openapi.json.

The visitor API and the log are described here; ``consent.admin.spec`` and
``consent.audit.spec`` describe the owner and auditor APIs with the builders below.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from .catalog import CATEGORIES
from .chain import HASHED_FIELDS

bp = Blueprint("openapi", __name__)

_BOOL_MAP = {"type": "object", "additionalProperties": {"type": "boolean"}}
_CATEGORY_MAP = {
    "type": "object",
    "properties": {c: {"type": "boolean"} for c in CATEGORIES},
    "required": list(CATEGORIES),
}
_HEX64 = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
_B64_LIST = {"type": "array", "items": {"type": "string"}}


def ref(name: str) -> dict[str, str]:
    """A reference to one of the document's schemas."""
    return {"$ref": f"#/components/schemas/{name}"}


SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "field": {"type": "string"},
                },
            }
        },
    },
    "Context": {
        "type": ["object", "null"],
        "properties": {
            "page_url": {"type": "string"},
            "ip_prefix": {"type": ["string", "null"]},
            "user_agent": {"type": "string"},
        },
    },
    "Receipt": {
        "type": "object",
        "required": [*HASHED_FIELDS, "hash"],
        "properties": {
            "receipt_id": {"type": "string"},
            "site_key": {"type": "string"},
            "seq": {"type": "integer", "minimum": 1},
            "subject_id": {"type": "string"},
            "created_at": {"type": "string"},
            "policy_version": {"type": "integer"},
            "policy_hash": _HEX64,
            "language": {"type": "string"},
            "action": {"enum": ["accept_all", "reject_all", "custom", "withdraw"]},
            "categories": _CATEGORY_MAP,
            "vendors": _BOOL_MAP,
            "signals": {
                "type": "object",
                "properties": {"gpc": {"type": "boolean"}, "dnt": {"type": "boolean"}},
            },
            "context": ref("Context"),
            "context_digest": _HEX64,
            "prev_hash": _HEX64,
            "hash": _HEX64,
            "proof": ref("Proof"),
        },
    },
    "Texts": {"type": "object", "additionalProperties": True},
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
            "site_key": {"type": "string"},
            "policy_version": {"type": "integer"},
            "policy_hash": _HEX64,
            "language": {"type": "string"},
            "default_language": {"type": "string"},
            "languages": {"type": "array", "items": {"type": "string"}},
            "texts": ref("Texts"),
            "privacy_policy_url": {"type": "string"},
            "cookie_statement_url": {"type": ["string", "null"]},
            "choice_lifetime_days": {"type": "integer"},
            "categories": {"type": "array", "items": {"type": "object"}},
            "vendors": {"type": "object", "additionalProperties": {"type": "object"}},
        },
    },
    "ConsentRequest": {
        "type": "object",
        "required": ["action", "policy_version", "policy_hash", "language", "page_url"],
        "additionalProperties": False,
        "properties": {
            "action": {"enum": ["accept_all", "reject_all", "custom", "withdraw"]},
            "categories": _BOOL_MAP,
            "policy_version": {"type": "integer"},
            "policy_hash": {"type": "string"},
            "language": {"type": "string"},
            "page_url": {"type": "string", "maxLength": 2048},
            "token": {"type": "string"},
            "signals": {
                "type": "object",
                "additionalProperties": False,
                "properties": {"gpc": {"type": "boolean"}, "dnt": {"type": "boolean"}},
            },
        },
    },
    "ConsentResponse": {
        "type": "object",
        "required": ["receipt", "token"],
        "properties": {
            "receipt": ref("Receipt"),
            "token": {"type": "string"},
            "checkpoint": {"type": "string"},
            "inclusion": ref("Proof"),
        },
    },
    "GateRequest": {
        "type": "object",
        "required": ["vendors"],
        "properties": {
            "vendors": {
                "type": "array",
                "items": {"type": "string"},
                "minItems": 1,
                "maxItems": 50,
            },
            "token": {"type": "string"},
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
            "site_key": {"type": "string"},
            "policy_version": {"type": "integer"},
            "decisions": {
                "type": "object",
                "additionalProperties": {
                    "type": "object",
                    "required": ["allowed", "category", "reason"],
                    "properties": {
                        "allowed": {"type": "boolean"},
                        "category": {"type": ["string", "null"]},
                        "reason": {
                            "enum": [
                                "consented",
                                "refused",
                                "necessary",
                                "no_consent",
                                "invalid_token",
                                "expired",
                                "outdated_policy",
                                "unknown_vendor",
                                "vendor_disabled",
                                "gpc",
                            ]
                        },
                    },
                },
            },
            "consent_mode": {
                "type": "object",
                "additionalProperties": {"enum": ["granted", "denied"]},
            },
            "categories": {"oneOf": [_CATEGORY_MAP, {"type": "null"}]},
            "show_banner": {"type": "boolean"},
        },
    },
    "History": {
        "type": "object",
        "required": ["subject_id", "items"],
        "properties": {
            "subject_id": {"type": "string"},
            "items": {"type": "array", "items": ref("Receipt")},
        },
    },
    "Proof": {
        "type": "object",
        "required": ["leaf_index", "tree_size", "inclusion", "checkpoint"],
        "properties": {
            "leaf_index": {"type": "integer"},
            "tree_size": {"type": "integer"},
            "inclusion": _B64_LIST,
            "checkpoint": {"type": "string"},
        },
    },
    "Consistency": {
        "type": "object",
        "required": ["from", "to", "proof"],
        "properties": {"from": {"type": "integer"}, "to": {"type": "integer"}, "proof": _B64_LIST},
    },
    "Health": {"type": "object", "properties": {"status": {"type": "string"}}},
}

_ERROR = {"description": "error", "content": {"application/json": {"schema": ref("Error")}}}

#: What any Bearer-token operation may answer; one with a JSON body adds BODY_ERRORS.
AUTH_ERRORS = (401, 403, 404, 429, 503)
BODY_ERRORS = (400, 413, 415, 422)


def _json(schema: str, description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ref(schema)}}}


def _errors(*statuses: int) -> dict[str, Any]:
    return {str(status): _ERROR for status in statuses}


def param(name: str, where: str = "query", required: bool = False, **schema: Any) -> dict[str, Any]:
    """A parameter; its schema is a string unless given (path parameters are required)."""
    return {
        "name": name,
        "in": where,
        "required": required or where == "path",
        "schema": schema or {"type": "string"},
    }


def bearer_operation(
    summary: str,
    role: str,
    content: str | dict[str, Any] | None,
    *,
    path: tuple[str, ...] = (),
    params: tuple[dict[str, Any], ...] = (),
    body: str | None = None,
    status: int = 200,
    errors: tuple[int, ...] = (),
) -> dict[str, Any]:
    """An owner or auditor operation on a site: Bearer token, ``site_key`` first, JSON errors.

    ``content`` names the JSON schema of the answer, or gives its media types (None: no body).
    """
    ok: dict[str, Any] = {"description": "OK"}
    if content is not None:
        ok["content"] = _json(content)["content"] if isinstance(content, str) else content
    statuses = sorted({*AUTH_ERRORS, *errors, *(BODY_ERRORS if body else ())})
    operation: dict[str, Any] = {
        "summary": summary,
        "tags": [role],
        "security": [{"bearer": []}],
        "parameters": [param("site_key", "path"), *(param(p, "path") for p in path), *params],
        "responses": {str(status): ok, **_errors(*statuses)},
    }
    if body:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": ref(body)}},
        }
    return operation


SITE_KEY = param("site_key", "path", True)

PATHS: dict[str, Any] = {
    "/openapi.json": {
        "get": {
            "summary": "This document",
            "responses": {
                "200": {"description": "OpenAPI 3.1", "content": {"application/json": {}}}
            },
        }
    },
    "/healthz": {
        "get": {"summary": "Process alive (no I/O)", "responses": {"200": _json("Health")}}
    },
    "/readyz": {
        "get": {
            "summary": "Database reachable",
            "responses": {"200": _json("Health"), "503": _json("Health", "database unreachable")},
        }
    },
    "/embed/{site_key}.js": {
        "get": {
            "summary": "The loader and banner for one site, config included",
            "parameters": [SITE_KEY],
            "responses": {
                "200": {"description": "JavaScript", "content": {"text/javascript": {}}},
                "304": {"description": "Not modified"},
                "404": {
                    "description": "Unknown site: JavaScript that does nothing",
                    "content": {"text/javascript": {}},
                },
            },
        }
    },
    "/embed/banner.css": {
        "get": {
            "summary": "The banner's stylesheet",
            "responses": {
                "200": {"description": "CSS", "content": {"text/css": {}}},
                "304": {"description": "Not modified"},
            },
        }
    },
    "/api/v1/sites/{site_key}/config": {
        "get": {
            "summary": "Banner configuration, policy version and hash",
            "parameters": [SITE_KEY, param("lang")],
            "responses": {"200": _json("Config"), **_errors(403, 404, 503)},
        }
    },
    "/api/v1/sites/{site_key}/consents": {
        "post": {
            "summary": "Record a choice as a receipt",
            "parameters": [SITE_KEY],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ref("ConsentRequest")}},
            },
            "responses": {
                "201": _json("ConsentResponse", "Recorded"),
                **_errors(400, 403, 404, 413, 415, 422, 429, 503),
            },
        }
    },
    "/api/v1/sites/{site_key}/gate": {
        "get": {
            "summary": "May these vendors load, and why",
            "parameters": [SITE_KEY, param("vendors", required=True), param("token")],
            "responses": {"200": _json("GateResponse"), **_errors(403, 404, 422, 503)},
        },
        "post": {
            "summary": "May these vendors load, and why (JSON body)",
            "parameters": [SITE_KEY],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ref("GateRequest")}},
            },
            "responses": {
                "200": _json("GateResponse"),
                **_errors(400, 403, 404, 413, 415, 422, 503),
            },
        },
    },
    "/api/v1/sites/{site_key}/me": {
        "get": {
            "summary": "The visitor's own receipts (right of access)",
            "parameters": [
                SITE_KEY,
                param("token", required=True),
                param("format", enum=["json", "csv"]),
            ],
            "responses": {
                "200": {
                    "description": "OK",
                    "content": {"application/json": {"schema": ref("History")}, "text/csv": {}},
                },
                **_errors(401, 403, 404, 503),
            },
        }
    },
}


_TEXT = {"text/plain": {"schema": {"type": "string"}}}
_SIZE = {"type": "integer", "minimum": 1}

PATHS.update(
    {
        "/log/key": {
            "get": {
                "summary": "The log's verifier keys (C2SP vkey), current first",
                "responses": {"200": {"description": "one key a line", "content": _TEXT}},
            }
        },
        "/log/{site_key}/checkpoint": {
            "get": {
                "summary": "The current signed checkpoint (C2SP tlog-checkpoint, signed-note)",
                "parameters": [SITE_KEY],
                "responses": {
                    "200": {"description": "signed note", "content": _TEXT},
                    **_errors(404, 503),
                },
            }
        },
        "/log/{site_key}/tile/{rest}": {
            "get": {
                "summary": "C2SP tlog-tiles: <L>/<N>[.p/<W>] or entries/<N>[.p/<W>]",
                "parameters": [SITE_KEY, param("rest", "path", True)],
                "responses": {
                    "200": {
                        "description": "tile bytes",
                        "content": {"application/octet-stream": {}},
                    },
                    **_errors(404, 503),
                },
            }
        },
        "/api/v1/sites/{site_key}/receipts/{receipt_id}/proof": {
            "get": {
                "summary": "A receipt's inclusion proof with the checkpoint signed at tree_size",
                "parameters": [
                    SITE_KEY,
                    param("receipt_id", "path", True),
                    param("tree_size", **_SIZE),
                ],
                "responses": {"200": _json("Proof"), **_errors(404, 422, 503)},
            }
        },
        "/api/v1/sites/{site_key}/log/consistency": {
            "get": {
                "summary": "Consistency proof between two tree sizes (RFC 9162)",
                "parameters": [
                    SITE_KEY,
                    param("from", required=True, **_SIZE),
                    param("to", required=True, **_SIZE),
                ],
                "responses": {"200": _json("Consistency"), **_errors(404, 422, 503)},
            }
        },
    }
)


def document() -> dict[str, Any]:
    """The OpenAPI document: the visitor and log paths, then the owner's and the auditor's."""
    from .admin.spec import ADMIN_PATHS, ADMIN_SCHEMAS
    from .audit.spec import AUDIT_PATHS, AUDIT_SCHEMAS

    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Consent Ledger",
            "version": "1",
            "description": "Consent banner, gate, consent ledger, audit and transparency log.",
        },
        "paths": {**PATHS, **ADMIN_PATHS, **AUDIT_PATHS},
        "components": {
            "schemas": {**SCHEMAS, **ADMIN_SCHEMAS, **AUDIT_SCHEMAS},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 document of the whole HTTP API."""
    response = jsonify(document())
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
