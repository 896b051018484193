"""The owner API's part of the OpenAPI document (assembled by ``consent.openapi.document``)."""

from __future__ import annotations

from typing import Any

from consent.core.texts import LANGUAGE_PATTERN
from consent.openapi.parts import bearer_operation, ref
from consent.openapi.scans import OWNER_SCAN_PATHS, SCAN_SCHEMAS
from consent.openapi.theme import THEME_SCHEMAS
from consent.openapi.vendors import VENDOR_ID, VENDOR_SCHEMAS
from consent.sites.accounts import ROLES
from consent.sites.drafts import DRAFT_FIELDS
from consent.sites.members import MAX_LABEL
from consent.sites.owner import (
    LIFETIME_RANGE,
    MAX_NAME,
    MAX_ORIGINS,
    READ_ONLY,
    RETENTION_RANGE,
    SITE_FIELDS,
)

_URL = {"type": "string", "maxLength": 2048}
_NULLABLE_URL = {"type": ["string", "null"], "maxLength": 2048}
_VENDORS = {
    "type": "object",
    "propertyNames": VENDOR_ID,
    "additionalProperties": ref("Vendor"),
}
#: A language: a BCP 47 primary subtag, lower case.
_LANGUAGE = {"type": "string", "pattern": LANGUAGE_PATTERN}
_TEXTS = {
    "type": "object",
    "description": "Texts per language: at least the site's default language; each complete, "
    "no text blank, the placeholder containing {vendor}",
    "minProperties": 1,
    "propertyNames": _LANGUAGE,
    "additionalProperties": ref("Texts"),
}
#: Each member of a draft; one added to ``consent.sites.drafts.DRAFT_FIELDS`` must be added here.
_DRAFT_MEMBERS = {
    "based_on": {"type": ["integer", "null"]},
    "privacy_policy_url": _URL,
    "cookie_statement_url": _NULLABLE_URL,
    "texts": _TEXTS,
    "vendors": _VENDORS,
    "theme": ref("Theme"),
}
_DRAFT = {name: _DRAFT_MEMBERS[name] for name in DRAFT_FIELDS}
_LIFETIME = {"type": "integer", "minimum": LIFETIME_RANGE[0], "maximum": LIFETIME_RANGE[1]}
_RETENTION = {"type": "integer", "minimum": RETENTION_RANGE[0], "maximum": RETENTION_RANGE[1]}
_AUTO_BLOCK = {
    "type": "boolean",
    "description": "Hold back known trackers the page adds until the gate allows their vendor",
}
_READ_ONLY = {"description": "Read-only: a PATCH may repeat it unchanged, never change it"}
#: What a PATCH may carry: each of SITE_FIELDS, and READ_ONLY members repeated unchanged.
_SITE_MEMBERS: dict[str, Any] = {
    "site_key": {"type": "string", **_READ_ONLY},
    "name": {"type": "string", "minLength": 1, "maxLength": MAX_NAME},
    "origins": {
        "type": "array",
        "items": {"type": "string"},
        "minItems": 1,
        "maxItems": MAX_ORIGINS,
    },
    "default_language": {
        **_LANGUAGE,
        "description": "One of the published version's languages that the draft keeps",
    },
    "choice_lifetime_days": _LIFETIME,
    "retention_days": _RETENTION,
    "privacy_policy_url": _URL,
    "auto_block": _AUTO_BLOCK,
    "policy_version": {"type": ["integer", "null"], **_READ_ONLY},
}
_CHANGE = {"type": ["object", "null"], "properties": {"from": {}, "to": {}}}
_TOKEN = {
    "id": {"type": "integer"},
    "role": {"enum": list(ROLES)},
    "label": {"type": "string", "maxLength": MAX_LABEL},
    "created_at": {"type": "string"},
    "last_used_at": {"type": ["string", "null"]},
}

ADMIN_SCHEMAS: dict[str, Any] = {
    **THEME_SCHEMAS,
    **VENDOR_SCHEMAS,
    "OwnerSite": {
        "type": "object",
        "required": ["site_key", *SITE_FIELDS, "policy_version"],
        "properties": {
            "site_key": {"type": "string"},
            "name": {"type": "string"},
            "origins": {"type": "array", "items": {"type": "string"}},
            "default_language": _LANGUAGE,
            "choice_lifetime_days": _LIFETIME,
            "retention_days": _RETENTION,
            "privacy_policy_url": {"type": "string"},
            "auto_block": _AUTO_BLOCK,
            "policy_version": {"type": ["integer", "null"]},
        },
    },
    "OwnerSitePatch": {
        "type": "object",
        "additionalProperties": False,
        "properties": {name: _SITE_MEMBERS[name] for name in (*SITE_FIELDS, *READ_ONLY)},
    },
    "OwnerDraft": {
        "type": "object",
        "required": ["based_on", "privacy_policy_url", "texts", "vendors", "theme"],
        "properties": _DRAFT,
    },
    "OwnerDraftInput": {
        "type": "object",
        "required": ["privacy_policy_url", "texts", "vendors"],
        "additionalProperties": False,
        "properties": _DRAFT,
    },
    "OwnerPublish": {
        "type": "object",
        "additionalProperties": False,
        "properties": {"requires_reconsent": {"type": ["boolean", "null"]}},
    },
    "OwnerDiff": {
        "type": "object",
        "required": ["from", "to", "texts", "vendors", "privacy_policy_url", "requires_reconsent"],
        "properties": {
            "from": {"type": "integer"},
            "to": {"type": "integer"},
            "texts": {"type": "object", "additionalProperties": _CHANGE},
            "vendors": {
                "type": "object",
                "required": ["added", "removed", "moved"],
                "properties": {
                    "added": {"type": "array", "items": {"type": "string"}},
                    "removed": {"type": "array", "items": {"type": "string"}},
                    "moved": {"type": "object", "additionalProperties": _CHANGE},
                    "settings": {"type": "object", "additionalProperties": _CHANGE},
                    "custom": {
                        "type": "object",
                        "description": "Own vendors whose definition changed",
                        "additionalProperties": _CHANGE,
                    },
                },
            },
            "privacy_policy_url": _CHANGE,
            "cookie_statement_url": _CHANGE,
            "theme": {"type": "object", "additionalProperties": _CHANGE},
            "requires_reconsent": {"type": "boolean"},
        },
    },
    "OwnerToken": {
        "type": "object",
        "required": ["id", "role", "label", "created_at", "last_used_at"],
        "properties": _TOKEN,
    },
    "OwnerTokenList": {
        "type": "object",
        "required": ["items"],
        "properties": {"items": {"type": "array", "items": ref("OwnerToken")}},
    },
    "OwnerTokenRequest": {
        "type": "object",
        "required": ["role"],
        "additionalProperties": False,
        "properties": {
            "role": {"enum": list(ROLES)},
            "label": {"type": "string", "maxLength": MAX_LABEL},
        },
    },
    "OwnerTokenCreated": {
        "type": "object",
        "required": ["id", "role", "label", "created_at", "token"],
        "properties": {**_TOKEN, "token": {"type": "string"}},
    },
    "OwnerSnippet": {
        "type": "object",
        "required": ["html"],
        "properties": {"html": {"type": "string"}},
    },
    **SCAN_SCHEMAS,
}


def _operation(
    operation_id: str,
    summary: str,
    path: tuple[str, ...],
    status: int,
    schema: str | None,
    body: str | None = None,
    extra_errors: tuple[int, ...] = (),
) -> dict[str, Any]:
    return bearer_operation(
        operation_id,
        summary,
        schema,
        role="owner",
        path=path,
        body=body,
        status=status,
        extra_errors=extra_errors,
    )


_SITE = "/api/v1/admin/sites/{site_key}"

ADMIN_PATHS: dict[str, Any] = {
    _SITE: {
        "get": _operation("getSite", "The site's settings (owner)", (), 200, "OwnerSite"),
        "patch": _operation(
            "updateSite",
            "Change any subset of the site's settings",
            (),
            200,
            "OwnerSite",
            "OwnerSitePatch",
        ),
    },
    f"{_SITE}/draft": {
        "get": _operation(
            "getDraft", "The draft of the next policy version", (), 200, "OwnerDraft"
        ),
        "put": _operation(
            "replaceDraft", "Replace the draft whole", (), 200, "OwnerDraft", "OwnerDraftInput"
        ),
    },
    f"{_SITE}/publish": {
        "post": _operation(
            "publishDraft",
            "Publish the draft as the next policy version (409 when it is identical to the "
            "current one)",
            (),
            201,
            "PolicyVersion",
            "OwnerPublish",
            extra_errors=(409,),
        ),
    },
    f"{_SITE}/policies/{{a}}/diff/{{b}}": {
        "get": _operation(
            "diffPolicyVersions",
            "What changed between two policy versions",
            ("a", "b"),
            200,
            "OwnerDiff",
        ),
    },
    f"{_SITE}/tokens": {
        "get": _operation(
            "listApiTokens",
            "The site's active API tokens (never their secrets)",
            (),
            200,
            "OwnerTokenList",
        ),
        "post": _operation(
            "createApiToken",
            "Mint an API token (its secret is shown only in this answer)",
            (),
            201,
            "OwnerTokenCreated",
            "OwnerTokenRequest",
        ),
    },
    f"{_SITE}/tokens/{{token_id}}": {
        "delete": _operation("revokeApiToken", "Revoke an API token", ("token_id",), 204, None),
    },
    f"{_SITE}/snippet": {
        "get": _operation(
            "getSnippet", "The script tag to paste into every page", (), 200, "OwnerSnippet"
        ),
    },
    **OWNER_SCAN_PATHS,
}
