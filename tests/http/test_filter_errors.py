"""Every bad filter at once (#19 item 2): the auditor API's receipts answer one 422 whose
``fields`` names each bad parameter (``field`` the first); the audit search form marks each
filter next to its input, and searches nothing."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.http.auditing import (
    PASSWORD,
    Auditor,
    Page,
    invalid_fields,
    make_token,
    make_user,
    marked_invalid,
)

BAD_FILTERS = {
    "subject": "s" * 65,
    "from": "last tuesday",
    "to": "tomorrow",
    "policy_version": "0",
    "action": "shrug",
    "category": "cookies",
    "granted": "maybe",
}


def test_the_receipts_api_lists_every_bad_filter(
    app: Flask, client: FlaskClient, site: str
) -> None:
    auditor = Auditor(client, site, make_token(app, site))
    response = auditor.get("receipts", **BAD_FILTERS, limit="0", cursor="%%%")
    assert invalid_fields(response) == [*BAD_FILTERS, "limit", "cursor"]


def test_the_audit_search_form_marks_every_bad_filter(app: Flask, site: str) -> None:
    make_user(app, site, "auditor@example.com")
    ui = app.test_client()
    signed = ui.post("/audit/login", data={"email": "auditor@example.com", "password": PASSWORD})
    assert signed.status_code == 302
    answer = ui.get(f"/audit/sites/{site}/", query_string={**BAD_FILTERS, "limit": "0"})
    assert answer.status_code == 422
    page = Page.of(answer)
    marked_invalid(page, list(BAD_FILTERS))
    assert page.find("p", data_field_error="limit")  # no input of its own: in the summary
    assert "8 filters" in page.text("div", role="alert")
    assert not page.find("table")  # nothing searched
