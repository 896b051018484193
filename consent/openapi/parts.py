"""What every part of the OpenAPI document builds with: references, parameters, the
error answers and the operation builders.

``consent.openapi.document`` assembles the document from its own service, embed and log paths and
from ``consent.openapi.visitor``, ``consent.openapi.admin`` and ``consent.openapi.audit``; each of
those imports this module and none imports ``consent.openapi.document``, so there is no cycle.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from http import HTTPStatus
from typing import Any

from consent.access.limits import RateLimited
from consent.core.catalog import CATEGORIES
from consent.errors import FALLBACK_CODE, HTTP_CODES, ConsentError

#: The Bearer security requirement of owner and auditor operations.
BEARER: list[dict[str, list[str]]] = [{"bearer": []}]
#: Public operations need no credentials, and say so.
PUBLIC: list[dict[str, list[str]]] = []
#: What any Bearer-token operation may answer; one with a JSON body adds BODY_ERRORS.
AUTH_ERRORS = (401, 403, 404, 429, 503)
BODY_ERRORS = (400, 413, 415, 422)

HEX64: dict[str, Any] = {"type": "string", "pattern": "^[0-9a-f]{64}$"}


def keyed(keys: Iterable[str], value: dict[str, Any]) -> dict[str, Any]:
    """An object with exactly these members, each holding ``value``."""
    names = list(keys)
    return {
        "type": "object",
        "required": names,
        "additionalProperties": False,
        "properties": dict.fromkeys(names, value),
    }


#: A choice per category: every id present (``necessary`` is always true).
CATEGORY_MAP = keyed(CATEGORIES, {"type": "boolean"})


def ref(name: str) -> dict[str, str]:
    """A reference to one of the document's schemas."""
    return {"$ref": f"#/components/schemas/{name}"}


def param(name: str, where: str = "query", required: bool = False, **schema: Any) -> dict[str, Any]:
    """A parameter; its schema is a string unless given (path parameters are required)."""
    return {
        "name": name,
        "in": where,
        "required": required or where == "path",
        "schema": schema or {"type": "string"},
    }


SITE_KEY = param("site_key", "path")


def json_response(schema: str, description: str = "OK") -> dict[str, Any]:
    """A JSON answer whose body is one of the document's schemas."""
    return {"description": description, "content": {"application/json": {"schema": ref(schema)}}}


def _error_classes(base: type[ConsentError]) -> Iterator[type[ConsentError]]:
    for cls in base.__subclasses__():
        yield cls
        yield from _error_classes(cls)


def error_codes() -> dict[int, list[str]]:
    """Every stable error code by HTTP status: the ConsentError classes' and Werkzeug's."""
    by_status: dict[int, set[str]] = {}
    # RateLimited is named so that its module is loaded before the classes are walked.
    classes: set[type[ConsentError]] = {ConsentError, RateLimited, *_error_classes(ConsentError)}
    for cls in classes:
        by_status.setdefault(cls.status, set()).add(cls.code)
    for status, code in HTTP_CODES.items():
        by_status.setdefault(status, set()).add(code)
    return {status: sorted(codes) for status, codes in sorted(by_status.items())}


def error_schema() -> dict[str, Any]:
    """``{"error": {"code", "message"}}``; a 422 also names the first invalid ``field`` and
    lists every invalid field in ``fields``."""
    codes = sorted({FALLBACK_CODE, *(c for found in error_codes().values() for c in found)})
    return {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"enum": codes},
                    "message": {"type": "string"},
                    "field": {
                        "type": "string",
                        "description": "422: the first invalid field (dotted path)",
                    },
                    "fields": {
                        "type": "array",
                        "description": "422: every invalid field, the first one first",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "required": ["field", "message"],
                            "additionalProperties": False,
                            "properties": {
                                "field": {"type": "string"},
                                "message": {"type": "string"},
                            },
                        },
                    },
                },
            }
        },
    }


#: What a page (``?format=html``) answers an error with: a page saying it, same status.
HTML_PAGE = {"text/html": {"schema": {"type": "string"}}}


def errors(*statuses: int, page: bool = False) -> dict[str, Any]:
    """The JSON error answers for these statuses, each naming the codes it carries (and, for
    an operation that can answer with a ``page``, that page)."""
    codes = error_codes()
    content = {"application/json": {"schema": ref("Error")}, **(HTML_PAGE if page else {})}
    return {
        str(status): {
            "description": f"{HTTPStatus(status).phrase} (error code: "
            f"{' or '.join(codes.get(status, [FALLBACK_CODE]))})",
            "content": content,
        }
        for status in sorted(statuses)
    }


#: For an operation that has no client error of its own (it takes no input): whatever 4xx
#: the HTTP layer might still give comes as an Error object.
ANY_CLIENT_ERROR: dict[str, Any] = {
    "4XX": {
        "description": "None expected: the request takes no input",
        "content": {"application/json": {"schema": ref("Error")}},
    }
}


def operation(
    operation_id: str,
    summary: str,
    tag: str,
    responses: dict[str, Any],
    *,
    params: Sequence[dict[str, Any]] = (),
    body: str | None = None,
    security: list[dict[str, list[str]]] = PUBLIC,
) -> dict[str, Any]:
    """One operation; public (``security: []``) unless told, with a JSON body if named."""
    built: dict[str, Any] = {
        "operationId": operation_id,
        "summary": summary,
        "tags": [tag],
        "security": list(security),
    }
    if params:
        built["parameters"] = list(params)
    if body:
        built["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": ref(body)}},
        }
    built["responses"] = responses
    return built


def bearer_operation(
    operation_id: str,
    summary: str,
    content: str | dict[str, Any] | None,
    *,
    role: str,
    path: tuple[str, ...] = (),
    params: Sequence[dict[str, Any]] = (),
    body: str | None = None,
    status: int = 200,
    extra_errors: tuple[int, ...] = (),
) -> dict[str, Any]:
    """An owner or auditor operation on a site: Bearer token, ``site_key`` first, JSON errors.

    ``content`` names the JSON schema of the answer, or gives its media types (None: no body).
    """
    ok: dict[str, Any] = {"description": "OK"}
    if content is not None:
        ok["content"] = json_response(content)["content"] if isinstance(content, str) else content
    statuses = {*AUTH_ERRORS, *extra_errors, *(BODY_ERRORS if body else ())}
    return operation(
        operation_id,
        summary,
        role,
        {str(status): ok, **errors(*statuses)},
        params=(SITE_KEY, *(param(p, "path") for p in path), *params),
        body=body,
        security=BEARER,
    )
