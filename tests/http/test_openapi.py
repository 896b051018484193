"""/openapi.json describes the API, and the API keeps to it under fuzzing (schemathesis)."""

from __future__ import annotations

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import positive_data_acceptance

from consent.openapi import document
from tests.helpers import Visitor

OPERATIONS = [
    (path, method.upper()) for path, item in document()["paths"].items() for method in item
]


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
        if rule.endpoint == "static" or rule.rule.startswith(("/demo", "/audit", "/admin")):
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
