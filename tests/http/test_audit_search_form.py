"""The receipts search as an auditor reads it: day pickers with labels that say which end is
included, and how many receipts match (counted up to a cap). The "category was granted or
refused" phrase is laid out in tests/browser/test_readability.py."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from consent.audit import pages
from consent.ledger import queries
from tests.helpers import Visitor
from tests.http.auditing import PASSWORD, Page, make_user

AUDITOR = "search-form@example.com"


@pytest.fixture
def ui(app: Flask, client: FlaskClient, site: str) -> FlaskClient:
    """The site's auditor, signed in, after three choices: accept, reject, targeting only."""
    visitor = Visitor(client, site)
    visitor.choose("accept_all")
    visitor.choose("reject_all")
    visitor.choose("custom", categories={"targeting": True})
    make_user(app, site, AUDITOR)
    signed_in = app.test_client()
    answer = signed_in.post("/audit/login", data={"email": AUDITOR, "password": PASSWORD})
    assert answer.status_code == 302
    return signed_in


@pytest.mark.parametrize(
    ("path", "given", "shown"),
    [
        ("/audit/sites/{site}/", "2025-01-31", "2025-01-31"),
        # The next-page link carries the normalised form; a day picker shows its day.
        ("/audit/sites/{site}/", "2025-01-31T00:00:00.000Z", "2025-01-31"),
        ("/audit/sites/{site}/stats", "2025-01-31", "2025-01-31"),
    ],
)
def test_the_period_is_two_labelled_day_pickers(
    ui: FlaskClient, site: str, path: str, given: str, shown: str
) -> None:
    page = Page.of(ui.get(path.format(site=site), query_string={"from": given}))
    labels = {label.attrs["for"]: " ".join(label.text.split()) for label in page.find("label")}
    fields = {name: page.find("input", name=name)[0].attrs for name in ("from", "to")}
    assert labels[fields["from"]["id"]] == "Recorded on or after"
    assert labels[fields["to"]["id"]] == "Recorded before"
    for attrs in fields.values():
        assert attrs["type"] == "date" and "placeholder" not in attrs
    assert fields["from"]["value"] == shown and fields["to"]["value"] == ""


@pytest.mark.parametrize(
    ("query", "count", "words"),
    [
        ({}, "3", "3 receipts match."),
        ({"action": "reject_all"}, "1", "1 receipt matches."),
        # As the form sends it: "Category targeting was granted" (the empty default) …
        ({"category": "targeting", "granted": ""}, "2", "2 receipts match."),
        # … and "was refused".
        ({"category": "targeting", "granted": "false"}, "1", "1 receipt matches."),
        ({"action": "withdraw"}, "0", "0 receipts match."),
    ],
)
def test_the_list_counts_the_matches(
    ui: FlaskClient, site: str, query: dict[str, str], count: str, words: str
) -> None:
    page = Page.of(ui.get(f"/audit/sites/{site}/", query_string={**query, "limit": "1"}))
    (shown,) = page.find("p", data_receipt_count=count)
    assert " ".join(shown.text.split()) == words
    assert len(page.rows()) == 1  # a page of one (or the "none" row): the count is of all


def test_past_the_cap_the_count_says_more_than(
    ui: FlaskClient, site: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queries, "COUNT_CAP", 1)
    monkeypatch.setattr(pages, "COUNT_CAP", 1)
    url = f"/audit/sites/{site}/"
    (shown,) = Page.of(ui.get(url, query_string={"category": "targeting"})).find(
        "p", data_receipt_count=""
    )
    assert " ".join(shown.text.split()) == "More than 1 receipts match."
    # Without a filter the newest seq is the count, exact at any size.
    assert Page.of(ui.get(url)).find("p", data_receipt_count="3")


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        # "any category … was refused": the form says what to choose, not the API's names.
        ({"category": "", "granted": "false"}, "category", "choose the category that was"),
        # The same day at both ends: an empty period.
        ({"from": "2026-01-02", "to": "2026-01-02"}, "to", "a later day than “Recorded on or"),
    ],
)
def test_a_refused_filter_speaks_the_forms_words(
    ui: FlaskClient, site: str, query: dict[str, str], field: str, words: str
) -> None:
    answer = ui.get(f"/audit/sites/{site}/", query_string=query)
    assert answer.status_code == 422
    message = Page.of(answer).text("p", data_field_error=field)
    assert words in message and "granted" not in message.replace("granted or", "")


def test_a_pasted_subject_id_with_spaces_is_found(ui: FlaskClient, site: str) -> None:
    listed = Page.of(ui.get(f"/audit/sites/{site}/"))
    (subject,) = {a.text.strip() for a in listed.find("a") if "/subjects/" in a.attrs["href"]}
    page = Page.of(ui.get(f"/audit/sites/{site}/", query_string={"subject": f"  {subject}\n"}))
    assert page.find("p", data_receipt_count="3")
    assert page.find("input", name="subject")[0].attrs["value"] == subject
