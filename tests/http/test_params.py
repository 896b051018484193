"""Whole numbers and dates in query strings and paths: one parser, every bad form a 422
naming the parameter (404 for a path part), never a 500."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from consent.errors import InvalidField
from consent.params import iso_time, whole, whole_number
from tests.helpers import Visitor
from tests.owners import mint
from tests.security.world import sign_in

#: Text that is not a plain ASCII whole number; ``"²".isdigit()`` is true in Python.
BAD_NUMBERS = [
    "²",
    "\u0661",
    "\uff11",
    "-1",
    "+1",
    " 1",
    "1 ",
    "1.0",
    "1e3",
    "0x10",
    "9" * 40,
    "",
    "½",
]
BAD_DATES = [
    "\uff12\uff10\uff12\uff15-01-01",
    "2025-13-01",
    "yesterday",
    "2025-01-01T25:00",
    "9" * 40,
    "²",
]


@pytest.mark.parametrize("text", BAD_NUMBERS)
def test_only_ascii_digits_are_whole_numbers(text: str) -> None:
    assert whole(text) is None
    with pytest.raises(InvalidField) as caught:
        whole_number(text or "x", "size", 0, 10)
    assert caught.value.field == "size"


def test_whole_numbers_within_bounds() -> None:
    assert whole("007") == 7
    assert whole_number(None, "size", 1, 9, default=3) == 3
    for outside in ("0", "10"):
        with pytest.raises(InvalidField, match="from 1 to 9"):
            whole_number(outside, "size", 1, 9)
    with pytest.raises(InvalidField, match="required"):
        whole_number(None, "size", 1, 9)


@pytest.mark.parametrize("text", BAD_DATES)
def test_dates(text: str) -> None:
    with pytest.raises(InvalidField) as caught:
        iso_time(text, "from")
    assert caught.value.field == "from"
    assert iso_time("2025-01-31", "from") == "2025-01-31T00:00:00.000Z"


@pytest.fixture
def receipt(client: FlaskClient, site: str) -> str:
    visitor = Visitor(client, site)
    first = visitor.choose("accept_all")
    visitor.choose("reject_all")
    return str(first["receipt_id"])


def _number_endpoints(site: str, receipt: str) -> list[tuple[str, str]]:
    """(URL with {} for the value, the parameter it names) of every API taking a number."""
    audit = f"/api/v1/audit/sites/{site}"
    return [
        (f"/api/v1/sites/{site}/log/consistency?from={{}}&to=2", "from"),
        (f"/api/v1/sites/{site}/log/consistency?from=1&to={{}}", "to"),
        (f"/api/v1/sites/{site}/receipts/{receipt}/proof?tree_size={{}}", "tree_size"),
        (f"{audit}/receipts?limit={{}}", "limit"),
        (f"{audit}/receipts?policy_version={{}}", "policy_version"),
        (f"{audit}/access-log?limit={{}}", "limit"),
    ]


def _date_endpoints(site: str) -> list[tuple[str, str]]:
    audit = f"/api/v1/audit/sites/{site}"
    return [
        (f"{audit}/receipts?from={{}}", "from"),
        (f"{audit}/receipts?to={{}}", "to"),
        (f"{audit}/export?format=ndjson&from={{}}", "from"),
        (f"{audit}/stats?to={{}}", "to"),
    ]


def test_every_number_parameter_refuses_every_bad_form(
    app: Flask, client: FlaskClient, site: str, receipt: str
) -> None:
    headers = {"Authorization": f"Bearer {mint(app, site, 'auditor')}"}
    for url, field in _number_endpoints(site, receipt):
        for bad in [b for b in BAD_NUMBERS if b] + ["0", "99999999999"]:
            answer = client.get(url.format(bad), headers=headers)
            where = (url, bad, answer.status_code, answer.get_data(as_text=True)[:200])
            assert answer.status_code == 422, where
            assert answer.json["error"]["field"] == field, where
        assert client.get(url.format("1"), headers=headers).status_code == 200, url


def test_every_date_parameter_refuses_every_bad_form(
    app: Flask, client: FlaskClient, site: str
) -> None:
    headers = {"Authorization": f"Bearer {mint(app, site, 'auditor')}"}
    for url, field in _date_endpoints(site):
        for bad in BAD_DATES:
            answer = client.get(url.format(bad), headers=headers)
            where = (url, bad, answer.status_code)
            assert answer.status_code == 422, where
            assert answer.json["error"]["field"] == field, where


def test_numbers_in_paths_are_unknown_not_errors(
    app: Flask, client: FlaskClient, site: str
) -> None:
    owner = {"Authorization": f"Bearer {mint(app, site, 'owner')}"}
    for bad in ["²", "\uff11", "-1", "+1", "9" * 40]:
        for method, url in [
            ("get", f"/api/v1/audit/sites/{site}/policies/{bad}"),
            ("get", f"/api/v1/admin/sites/{site}/policies/1/diff/{bad}"),
            ("delete", f"/api/v1/admin/sites/{site}/tokens/{bad}"),
        ]:
            answer = getattr(client, method)(url, headers=owner)
            assert answer.status_code in (404, 422), (url, answer.status_code)
            assert answer.json["error"]["code"] in ("not_found", "invalid_field")


def test_the_audit_ui_checkpoint_refuses_bad_sizes(app: Flask, site: str) -> None:
    from tests.owners import add_user

    add_user(app, "auditor@params.test", "auditor", site)
    ui = sign_in(app, "auditor@params.test")
    for bad in ["²", "-1", "+1", "9" * 40, "\uff11"]:
        answer = ui.get(f"/audit/sites/{site}/checkpoint?tree_size={bad}")
        assert answer.status_code == 422, (bad, answer.status_code)
    assert ui.get(f"/audit/sites/{site}/checkpoint?tree_size=0").status_code == 200
