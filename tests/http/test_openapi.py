"""/openapi.json describes the API, and the API keeps to it under fuzzing (schemathesis).

The document must also pass an OpenAPI linter with no error: openapi-spec-validator checks
it against the OpenAPI 3.1 schema, and :func:`lint` applies the rules that Redocly's
``recommended`` set reports as errors or warnings (security declared on every operation, a
server, unique operationIds, documented client errors, required properties defined), so CI
needs no Node. Its enums and field lists must be the code's own constants.
"""

from __future__ import annotations

import copy
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openapi_spec_validator import OpenAPIV31SpecValidator
from schemathesis.specs.openapi.checks import positive_data_acceptance

from consent.access import auth
from consent.audit.streams import MEDIA_TYPES
from consent.core.catalog import CATEGORIES, CONSENT_MODE, VENDORS
from consent.core.chain import ACTIONS, FAILURE_REASONS, HASHED_FIELDS
from consent.core.gate import REASONS
from consent.core.texts import LANGUAGE_PATTERN, TEXT_KEYS
from consent.core.vendors import HOST_KINDS, SLUG_PATTERN
from consent.errors import FALLBACK_CODE, HTTP_CODES, ConsentError
from consent.ledger import kantara, stats
from consent.ledger.choices import CONSENT_FIELDS
from consent.openapi.document import document
from consent.openapi.parts import BODY_ERRORS
from consent.sites import accounts, drafts, owner
from consent.sites.custom_vendors import COOKIE_FIELDS, CUSTOM_FIELDS
from tests.helpers import Visitor

OPERATIONS = [
    (path, method.upper()) for path, item in document()["paths"].items() for method in item
]
#: Owner and auditor operations; every other one is public.
PRIVATE = ("/api/v1/admin/", "/api/v1/audit/")


def test_document_lists_every_visitor_endpoint(client: FlaskClient) -> None:
    served = client.get("/openapi.json").json
    assert served["openapi"].startswith("3.1")
    for path in (
        "/api/v1/sites/{site_key}/config",
        "/api/v1/sites/{site_key}/consents",
        "/api/v1/sites/{site_key}/gate",
        "/api/v1/sites/{site_key}/me",
        "/embed/{site_key}.js",
        "/healthz",
        "/readyz",
    ):
        assert path in served["paths"], path


def test_every_route_is_documented(app: Flask) -> None:
    documented = {path for path, _ in OPERATIONS}
    for rule in app.url_map.iter_rules():
        # HTML pages are not the API: the UIs, the demo and the landing page.
        if rule.endpoint == "static" or rule.rule.startswith(("/demo", "/audit", "/admin")):
            continue
        if rule.rule in ("/", "/favicon.ico"):  # the landing page; the browsers' icon
            continue
        path = rule.rule.replace("<", "{").replace(">", "}")
        path = path.replace("{path:", "{").replace("{int:", "{")
        assert path in documented, rule.rule


@pytest.mark.parametrize(("path", "method"), OPERATIONS, ids=[f"{m} {p}" for p, m in OPERATIONS])
def test_api_keeps_to_its_schema(
    app: Flask, client: FlaskClient, site: str, path: str, method: str
) -> None:
    visitor = Visitor(client, site)
    receipt = visitor.choose("accept_all")
    operation = schemathesis.openapi.from_wsgi("/openapi.json", app)[path][method]

    @given(case=operation.as_strategy(), real_site=st.booleans())
    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
    def fuzz(case, real_site: bool) -> None:  # type: ignore[no-untyped-def]
        if real_site and "site_key" in (case.path_parameters or {}):
            case.path_parameters["site_key"] = site  # reach past the 404
            if "receipt_id" in case.path_parameters:
                case.path_parameters["receipt_id"] = receipt["receipt_id"]
            case.headers = {**(case.headers or {}), "Origin": "https://shop.example"}
        # Semantic rules (a published policy version, a matching hash) cannot be said in a
        # schema, so "schema-valid data must be accepted" does not apply; every other check
        # does: no 5xx, responses and status codes as documented.
        case.call_and_validate(excluded_checks=[positive_data_acceptance])

    fuzz()


# --- The linter ---------------------------------------------------------------------------


def _operations(doc: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, item in doc["paths"].items():
        for method, op in item.items():
            yield f"{method.upper()} {path}", op


def _schema_objects(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _schema_objects(value)
    elif isinstance(node, list):
        for value in node:
            yield from _schema_objects(value)


def _operation_problems(where: str, op: dict[str, Any], schemes: set[str]) -> Iterator[str]:
    if not op.get("operationId"):
        yield f"operation-operationId: {where}"
    if not op.get("summary"):
        yield f"operation-summary: {where}"
    if "security" not in op:
        yield f"security-defined: {where}"
    elif any(name not in schemes for requirement in op["security"] for name in requirement):
        yield f"security-defined: {where} names an undefined scheme"
    if not any(status.startswith("4") for status in op["responses"]):
        yield f"operation-4xx-response: {where}"
    if not any(status.startswith("2") for status in op["responses"]):
        yield f"operation-2xx-response: {where}"
    declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
    if declared != set(re.findall(r"{([^}]+)}", where)):
        yield f"path-parameters-defined: {where}"


def lint(doc: dict[str, Any]) -> list[str]:
    """Problems as ``rule: where``; each rule is one of Redocly's ``recommended`` set."""
    problems = [f"struct: {error.message}" for error in OpenAPIV31SpecValidator(doc).iter_errors()]
    servers = doc.get("servers") or []
    if not servers or any("example.com" in server["url"] for server in servers):
        problems.append("no-empty-servers: the document names no real server")
    if "license" not in doc["info"]:
        problems.append("info-license: the document names no license")
    schemes = set(doc["components"].get("securitySchemes", {}))
    for where, op in _operations(doc):
        problems.extend(_operation_problems(where, op, schemes))
    ids = Counter(op.get("operationId") for _, op in _operations(doc))
    problems.extend(f"operation-operationId-unique: {i}" for i, n in ids.items() if i and n > 1)
    tags = {tag["name"] for tag in doc.get("tags", [])}
    used = {tag for _, op in _operations(doc) for tag in op.get("tags", [])}
    problems.extend(f"operation-tag-defined: {tag}" for tag in sorted(used - tags))
    for schema in _schema_objects(doc["components"]["schemas"]):
        required, properties = schema.get("required"), schema.get("properties")
        if isinstance(required, list) and isinstance(properties, dict):
            problems.extend(
                f"no-required-schema-properties-undefined: {name}"
                for name in required
                if name not in properties
            )
    return problems


def test_the_linter_finds_no_problem(client: FlaskClient) -> None:
    assert lint(client.get("/openapi.json").json) == []


def test_the_linter_finds_what_it_looks_for() -> None:
    broken = copy.deepcopy(document())  # its parts are shared with every document()
    del broken["servers"]
    config = broken["paths"]["/api/v1/sites/{site_key}/config"]["get"]
    del config["security"], config["operationId"]
    config["responses"] = {"200": config["responses"]["200"]}
    broken["paths"]["/healthz"]["get"]["operationId"] = "getReadiness"
    broken["components"]["schemas"]["Proof"]["required"].append("root")
    found = {problem.split(":")[0] for problem in lint(broken)}
    assert found == {
        "struct",  # openapi-spec-validator refuses a duplicate operationId too
        "no-empty-servers",
        "security-defined",
        "operation-operationId",
        "operation-operationId-unique",
        "operation-4xx-response",
        "no-required-schema-properties-undefined",
    }


# --- The rules, one by one ----------------------------------------------------------------


def test_operation_ids_are_unique_and_url_safe() -> None:
    ids = [op["operationId"] for _, op in _operations(document())]
    assert len(ids) == len(set(ids)) == len(OPERATIONS)
    assert all(re.fullmatch(r"[a-z][A-Za-z0-9]*", i) for i in ids), ids


@pytest.mark.parametrize(("path", "method"), OPERATIONS, ids=[f"{m} {p}" for p, m in OPERATIONS])
def test_security_is_declared(path: str, method: str) -> None:
    op = document()["paths"][path][method.lower()]
    assert op["security"] == ([{"bearer": []}] if path.startswith(PRIVATE) else [])


def test_servers_are_named() -> None:
    assert document()["servers"] == [{"url": "/", "description": "This service"}]


@pytest.mark.parametrize(("path", "method"), OPERATIONS, ids=[f"{m} {p}" for p, m in OPERATIONS])
def test_client_errors_are_documented(path: str, method: str) -> None:
    op = document()["paths"][path][method.lower()]
    statuses = set(op["responses"])
    assert any(status.startswith("4") for status in statuses)
    if path.startswith(PRIVATE):
        assert {"401", "403", "404"} <= statuses
    if "requestBody" in op:
        assert {str(status) for status in BODY_ERRORS} <= statuses
    if "{site_key}" in path:
        assert "404" in statuses


# --- Enums and field lists are the code's own ---------------------------------------------


def _error_codes() -> set[str]:
    classes, found = [ConsentError], set()
    while classes:
        cls = classes.pop()
        found.add(cls.code)
        classes.extend(cls.__subclasses__())
    return found | set(HTTP_CODES.values()) | {FALLBACK_CODE}


def _at(pointer: str) -> Any:
    node: Any = document()["components"]["schemas"]
    for part in pointer.split("/"):
        node = node[int(part)] if part.isdigit() else node[part]
    return node


#: Where the document lists something the code defines, and the code's constant.
SCHEMA_LISTS = [
    ("Receipt/required", (*HASHED_FIELDS, "context", "hash")),
    ("Receipt/properties/action/enum", ACTIONS),
    ("Receipt/properties/categories/required", CATEGORIES),
    ("Receipt/properties/signals/required", stats.SIGNALS),
    ("ConsentRequest/properties", tuple(sorted(CONSENT_FIELDS))),
    ("ConsentRequest/properties/action/enum", ACTIONS),
    ("GateResponse/properties/decisions/additionalProperties/properties/reason/enum", REASONS),
    ("GateResponse/properties/consent_mode/required", tuple(CONSENT_MODE)),
    ("Texts/required", (*TEXT_KEYS, "categories")),
    ("Texts/properties/categories/required", CATEGORIES),
    ("Vendor/properties/category/enum", CATEGORIES),
    ("CustomVendor/properties", CUSTOM_FIELDS),
    ("CustomVendor/properties/hosts/properties", HOST_KINDS),
    ("CustomCookie/properties", COOKIE_FIELDS),
    ("OwnerSitePatch/properties", (*owner.SITE_FIELDS, *owner.READ_ONLY)),
    ("OwnerDraftInput/properties", drafts.DRAFT_FIELDS),
    ("OwnerToken/properties/role/enum", accounts.ROLES),
    ("OwnerTokenRequest/properties/role/enum", accounts.ROLES),
    ("AccessLogEntry/properties/role/enum", auth.ROLES),
    ("Verification/oneOf/1/properties/reason/enum", FAILURE_REASONS),
    ("Stats/properties/bucket/enum", stats.BUCKETS),
    ("Stats/properties/actions/required", ACTIONS),
    ("Stats/properties/opt_in_rate/required", CATEGORIES),
    ("Stats/properties/signals/required", stats.SIGNALS),
]


@pytest.mark.parametrize(("pointer", "constant"), SCHEMA_LISTS, ids=[p for p, _ in SCHEMA_LISTS])
def test_enums_and_fields_are_the_codes_constants(pointer: str, constant: tuple[str, ...]) -> None:
    assert tuple(_at(pointer)) == tuple(constant)


_AUDIT = "/api/v1/audit/sites/{site_key}"


@pytest.mark.parametrize(
    ("path", "name", "constant"),
    [
        (f"{_AUDIT}/receipts", "action", ACTIONS),
        (f"{_AUDIT}/receipts", "category", CATEGORIES),
        (f"{_AUDIT}/export", "format", tuple(MEDIA_TYPES)),
        (f"{_AUDIT}/stats", "bucket", stats.BUCKETS),
    ],
)
def test_parameters_are_the_codes_constants(
    path: str, name: str, constant: tuple[str, ...]
) -> None:
    params = document()["paths"][path]["get"]["parameters"]
    assert tuple(next(p["schema"]["enum"] for p in params if p["name"] == name)) == constant


def test_error_codes_are_every_code_the_service_answers_with() -> None:
    assert set(_at("Error/properties/error/properties/code/enum")) == _error_codes()


def test_vendor_ids_are_the_codes_pattern() -> None:
    for pointer in (
        "Config/properties/vendors/propertyNames/pattern",
        "OwnerDraft/properties/vendors/propertyNames/pattern",
        "OwnerDraftInput/properties/vendors/propertyNames/pattern",
        "ScanRequest/properties/vendor/pattern",
    ):
        assert _at(pointer) == SLUG_PATTERN, pointer
    assert all(re.fullmatch(SLUG_PATTERN, vendor_id) for vendor_id in VENDORS)


def test_languages_are_the_codes_pattern() -> None:
    for pointer in (
        "OwnerSite/properties/default_language/pattern",
        "OwnerSitePatch/properties/default_language/pattern",
        "OwnerDraftInput/properties/texts/propertyNames/pattern",
    ):
        assert _at(pointer) == LANGUAGE_PATTERN, pointer


def test_a_422_lists_every_invalid_field() -> None:
    error = _at("Error/properties/error/properties")
    assert error["field"]["type"] == "string"
    assert error["fields"]["items"]["required"] == ["field", "message"]


def test_kantara_version_is_the_codes() -> None:
    assert _at("KantaraReceipt/properties/version/const") == kantara.VERSION
