"""The OpenAPI 3.1 document of the whole HTTP API, served at /openapi.json.

It assembles the parts: the service, embed and log paths described here, the visitor API
(``consent.openapi.visitor``), the owner's (``consent.openapi.admin``) and the auditor's
(``consent.openapi.audit``). All of them build with ``consent.openapi.parts``, and their
enums and field lists are the constants of the code that enforces them.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from consent.openapi.admin import ADMIN_PATHS, ADMIN_SCHEMAS
from consent.openapi.audit import AUDIT_PATHS, AUDIT_SCHEMAS
from consent.openapi.declaration import DECLARATION_PATHS, DECLARATION_SCHEMAS
from consent.openapi.parts import (
    ANY_CLIENT_ERROR,
    SITE_KEY,
    error_schema,
    errors,
    json_response,
    operation,
    param,
)
from consent.openapi.visitor import VISITOR_PATHS, VISITOR_SCHEMAS

bp = Blueprint("openapi", __name__)

_STRING = {"type": "string"}
_INTEGER = {"type": "integer"}
_B64_LIST = {"type": "array", "items": _STRING}

SCHEMAS: dict[str, Any] = {
    "Error": error_schema(),
    "Proof": {
        "type": "object",
        "required": ["leaf_index", "tree_size", "inclusion", "checkpoint"],
        "properties": {
            "leaf_index": _INTEGER,
            "tree_size": _INTEGER,
            "inclusion": _B64_LIST,
            "checkpoint": _STRING,
        },
    },
    "Consistency": {
        "type": "object",
        "required": ["from", "to", "proof"],
        "properties": {"from": _INTEGER, "to": _INTEGER, "proof": _B64_LIST},
    },
    "BannerBuilds": {
        "type": "object",
        "required": ["items"],
        "properties": {
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["build", "first_served_at"],
                    "properties": {
                        "build": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                        "first_served_at": {"type": "string", "format": "date-time"},
                    },
                },
            }
        },
    },
    "Health": {
        "type": "object",
        "required": ["status"],
        "properties": {"status": _STRING, "database": {"type": "boolean"}, "redis": _STRING},
    },
}


#: The If-Match of a conditional GET names another version of the file.
_PRECONDITION = "Precondition Failed: If-Match names another version"


def _media(media_type: str, description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {media_type: {}}}


PATHS: dict[str, Any] = {
    "/openapi.json": {
        "get": operation(
            "getOpenApiDocument",
            "This document",
            "service",
            {"200": _media("application/json", "OpenAPI 3.1"), **ANY_CLIENT_ERROR},
        )
    },
    "/healthz": {
        "get": operation(
            "getHealth",
            "Process alive (no I/O)",
            "service",
            {"200": json_response("Health"), **ANY_CLIENT_ERROR},
        )
    },
    "/readyz": {
        "get": operation(
            "getReadiness",
            "Database reachable",
            "service",
            {
                "200": json_response("Health"),
                "503": json_response("Health", "database unreachable"),
                **ANY_CLIENT_ERROR,
            },
        )
    },
    "/embed/{site_key}.js": {
        "get": operation(
            "getEmbedScript",
            "The loader and banner for one site, config included",
            "embed",
            {
                "200": _media("text/javascript", "JavaScript"),
                "304": {"description": "Not modified"},
                "404": _media("text/javascript", "Unknown site: JavaScript that does nothing"),
                "412": _media("text/javascript", _PRECONDITION),
            },
            params=[SITE_KEY],
        )
    },
    "/embed/builds": {
        "get": operation(
            "listBannerBuilds",
            "Every build of the banner code served, oldest first",
            "embed",
            {"200": json_response("BannerBuilds"), **ANY_CLIENT_ERROR, **errors(503)},
        )
    },
    "/embed/builds/{build}.js": {
        "get": operation(
            "getBannerBuild",
            "The code of one banner build, exactly as served (immutable)",
            "embed",
            {"200": _media("text/javascript", "JavaScript"), **errors(404, 503)},
            params=[param("build", "path")],
        )
    },
    "/embed/builds/{build}/later.js": {
        "get": operation(
            "getBannerBuildLater",
            "What one build loads when first needed (the preferences layer, the placeholders; "
            "immutable, its sha256 named in the build's code)",
            "embed",
            {"200": _media("text/javascript", "JavaScript"), **errors(404, 503)},
            params=[param("build", "path")],
        )
    },
    "/embed/builds/{build}/run.js": {
        "get": operation(
            "runBannerBuild",
            "A build's code called with the page's window.__CONSENT_CONFIG__ (preview, replay)",
            "embed",
            {"200": _media("text/javascript", "JavaScript"), **errors(404, 503)},
            params=[param("build", "path")],
        )
    },
    "/embed/banner.css": {
        "get": operation(
            "getBannerStylesheet",
            "The banner's stylesheet",
            "embed",
            {
                "200": _media("text/css", "CSS"),
                "304": {"description": "Not modified"},
                "412": _media("text/css", _PRECONDITION),
            },
        )
    },
}


_PLAIN = {"text/plain": {"schema": _STRING}}
_SIZE: dict[str, Any] = {"type": "integer", "minimum": 1}

LOG_PATHS: dict[str, Any] = {
    "/log/key": {
        "get": operation(
            "getLogKeys",
            "The log's verifier keys (C2SP vkey), current first",
            "log",
            {"200": {"description": "one key a line", "content": _PLAIN}, **ANY_CLIENT_ERROR},
        )
    },
    "/log/{site_key}/checkpoint": {
        "get": operation(
            "getCheckpoint",
            "The current signed checkpoint (C2SP tlog-checkpoint, signed-note)",
            "log",
            {"200": {"description": "signed note", "content": _PLAIN}, **errors(404, 503)},
            params=[SITE_KEY],
        )
    },
    "/log/{site_key}/tile/{rest}": {
        "get": operation(
            "getTile",
            "C2SP tlog-tiles: <L>/<N>[.p/<W>] or entries/<N>[.p/<W>]",
            "log",
            {"200": _media("application/octet-stream", "tile bytes"), **errors(404, 503)},
            params=[SITE_KEY, param("rest", "path")],
        )
    },
    "/api/v1/sites/{site_key}/receipts/{receipt_id}/proof": {
        "get": operation(
            "getInclusionProof",
            "A receipt's inclusion proof with the checkpoint signed at tree_size",
            "log",
            {"200": json_response("Proof"), **errors(404, 422, 503)},
            params=[SITE_KEY, param("receipt_id", "path"), param("tree_size", **_SIZE)],
        )
    },
    "/api/v1/sites/{site_key}/log/consistency": {
        "get": operation(
            "getConsistencyProof",
            "Consistency proof between two tree sizes (RFC 9162)",
            "log",
            {"200": json_response("Consistency"), **errors(404, 422, 503)},
            params=[
                SITE_KEY,
                param("from", required=True, **_SIZE),
                param("to", required=True, **_SIZE),
            ],
        )
    },
}

TAGS = [
    {"name": "service", "description": "Health and this document"},
    {"name": "embed", "description": "The script tag's loader, banner and stylesheet"},
    {"name": "visitor", "description": "Config, consents, the gate and right of access"},
    {"name": "log", "description": "The transparency log: checkpoints, tiles and proofs"},
    {"name": "owner", "description": "A site owner's settings, drafts and tokens (Bearer)"},
    {"name": "auditor", "description": "The consent history and its proofs (Bearer)"},
]


def document() -> dict[str, Any]:
    """The OpenAPI document: service, embed, visitor and log paths, then owner and auditor."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Consent Ledger",
            "version": "1",
            "description": "Consent banner, gate, consent ledger, audit and transparency log.",
            "license": {"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"},
        },
        # Relative: the API is served by the same service as this document, wherever it runs.
        "servers": [{"url": "/", "description": "This service"}],
        "tags": TAGS,
        "paths": {
            **PATHS,
            **VISITOR_PATHS,
            **DECLARATION_PATHS,
            **LOG_PATHS,
            **ADMIN_PATHS,
            **AUDIT_PATHS,
        },
        "components": {
            "schemas": {
                **SCHEMAS,
                **VISITOR_SCHEMAS,
                **DECLARATION_SCHEMAS,
                **ADMIN_SCHEMAS,
                **AUDIT_SCHEMAS,
            },
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 document of the whole HTTP API."""
    response = jsonify(document())
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
