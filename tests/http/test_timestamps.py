"""Timestamps in the admin and audit pages: readable UTC text in a ``<time>`` whose
``datetime`` and ``title`` hold the exact stored value (tests/browser/test_readability.py
sees them in the viewer's time zone)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from consent.core.times import readable_utc
from tests.helpers import Visitor
from tests.http.auditing import PASSWORD, Page, make_token, make_user

OWNER = "owner-times@example.com"
EXACT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


@pytest.fixture
def receipt(client: FlaskClient, site: str) -> dict[str, Any]:
    """One receipt on the site."""
    return Visitor(client, site).choose("accept_all")


@pytest.fixture
def owner(app: Flask, site: str, receipt: dict[str, Any]) -> FlaskClient:
    """The site's owner, signed in, with an API token used once and a read in the access log."""
    make_user(app, site, OWNER, "owner")
    token = make_token(app, site, "auditor")
    ui = app.test_client()
    assert ui.post("/admin/login", data={"email": OWNER, "password": PASSWORD}).status_code == 302
    headers = {"Authorization": f"Bearer {token}"}
    assert ui.get(f"/api/v1/audit/sites/{site}/verify", headers=headers).status_code == 200
    return ui


@pytest.mark.parametrize(
    ("path", "about_the_receipt"),
    [
        ("/admin/sites/{site}/", False),
        ("/admin/sites/{site}/versions", False),
        ("/admin/sites/{site}/tokens", False),
        ("/audit/sites/{site}/", True),
        ("/audit/sites/{site}/receipts/{receipt_id}", True),
        ("/audit/sites/{site}/subjects/{subject_id}", True),
        ("/audit/sites/{site}/policies/", False),
        ("/audit/sites/{site}/policies/1", False),
        ("/audit/sites/{site}/access-log", False),
        ("/audit/sites/{site}/stats", False),  # the period its summary covers
    ],
)
def test_timestamps_read_as_utc_and_keep_the_exact_value(
    owner: FlaskClient, site: str, receipt: dict[str, Any], path: str, about_the_receipt: bool
) -> None:
    answer = owner.get(path.format(site=site, **receipt))
    assert answer.status_code == 200
    times = Page.of(answer).find("time")
    assert times, path
    for time in times:
        exact = time.attrs["datetime"]
        assert EXACT.fullmatch(exact), exact
        assert time.attrs["title"] == exact
        assert "data-local-time" in time.attrs  # static/shared/local-time.js rewrites these
        assert " ".join(time.text.split()) == readable_utc(exact)
    if about_the_receipt:
        assert receipt["created_at"] in {time.attrs["datetime"] for time in times}
