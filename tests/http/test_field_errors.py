"""Every invalid field at once (#19 item 2): a 422 keeps ``field`` (the first) and lists all
in ``fields``, in the owner API and the admin forms (the auditor's filters:
``test_filter_errors``); the forms show each message next to its input, and nothing is
saved."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from consent.extensions import db
from consent.models import Site
from tests.http.auditing import Page, invalid_fields, marked_invalid
from tests.owners import PASSWORD, OwnerApi, add_user, mint, site_by_key, site_snapshot

OWNER = "owner@example.com"


@pytest.fixture
def owner(app: Flask, client: FlaskClient, site: str) -> OwnerApi:
    """The owner API of the test site."""
    return OwnerApi(client, site, mint(app, site, "owner"))


@pytest.fixture
def admin(app: Flask, site: str) -> FlaskClient:
    """A client signed in to /admin/ as the test site's owner."""
    add_user(app, OWNER, "owner", site)
    client = app.test_client()
    assert client.post("/admin/login", data={"email": OWNER, "password": PASSWORD}).status_code
    return client


def saved(app: Flask, site_key: str) -> dict[str, Any]:
    """What a form could have saved (the access log counts page reads: left out)."""
    snapshot = site_snapshot(app, site_key)
    del snapshot["access_log"]
    return snapshot


# --- Owner API -------------------------------------------------------------------------


def test_a_patch_lists_every_invalid_member(app: Flask, owner: OwnerApi) -> None:
    before = saved(app, owner.site_key)
    body = {
        "colour": "red",
        "name": "",
        "origins": ["https://ok.example", "http://shop.example", "ftp://shop.example"],
        "default_language": "xx",
        "choice_lifetime_days": 0,
        "retention_days": 90,  # valid: not saved either
        "privacy_policy_url": "javascript:alert(1)",
        "auto_block": "yes",
    }
    assert invalid_fields(owner.call("PATCH", body=body)) == [
        "colour",
        "name",
        "origins[1]",
        "origins[2]",
        "default_language",
        "choice_lifetime_days",
        "privacy_policy_url",
        "auto_block",
    ]
    assert saved(app, owner.site_key) == before


def test_a_draft_put_lists_every_invalid_field(app: Flask, owner: OwnerApi) -> None:
    before = owner.draft()
    draft = copy.deepcopy(before)
    draft["extra"] = 1
    draft["cookie_statement_url"] = "data:,x"
    draft["texts"]["de"]["accept_all"] = " "
    draft["texts"]["fr"]["placeholder"] = "Bloqué."
    draft["texts"]["nl"]["categories"]["social"]["title"] = ""
    draft["vendors"]["google-analytics"]["settings"]["measurement_id"] = "UA-1"
    draft["vendors"]["vimeo"]["category"] = "necessary"
    draft["vendors"]["tiktok"] = {"category": "targeting"}
    fields = invalid_fields(owner.call("PUT", "/draft", draft))
    assert fields[0] == "extra"
    assert set(fields) == {
        "extra",
        "cookie_statement_url",
        "texts.de.accept_all",
        "texts.fr.placeholder",
        "texts.nl.categories.social.title",
        "vendors.google-analytics.settings.measurement_id",
        "vendors.vimeo.category",
        "vendors.tiktok",
    }
    assert owner.draft() == before


def test_a_publish_lists_every_invalid_member(app: Flask, owner: OwnerApi) -> None:
    response = owner.call("POST", "/publish", {"requires_reconsent": "yes", "x": 1})
    assert invalid_fields(response) == ["x", "requires_reconsent"]
    with app.app_context():
        assert len(site_by_key(owner.site_key).policies) == 1


def test_a_single_invalid_field_is_listed_alone(owner: OwnerApi) -> None:
    response = owner.call("PATCH", body={"name": ""})
    error = response.get_json()["error"]
    assert error["fields"] == [{"field": "name", "message": error["message"]}]


# --- Admin forms -----------------------------------------------------------------------


def test_create_site_shows_every_error_at_once(app: Flask, admin: FlaskClient) -> None:
    form = {
        "name": "",
        "origins": "https://ok.example\nhttps://bad.example/path\nftp://x.example",
        "language": "xx",
        "privacy_policy_url": "javascript:alert(1)",
    }
    answer = admin.post("/admin/sites/new", data=form)
    assert answer.status_code == 422
    page = Page.of(answer)
    marked_invalid(page, ["name", "origins", "language", "privacy_policy_url"])
    origins = page.text("p", data_field_error="origins")
    assert "Line 2" in origins and "Line 3" in origins
    with app.app_context():
        assert db.session.scalars(select(Site).where(Site.name == "")).all() == []
        assert len(db.session.scalars(select(Site)).all()) == 1  # the fixture's only


def test_settings_show_every_error_and_save_nothing(
    app: Flask, admin: FlaskClient, site: str
) -> None:
    before = saved(app, site)
    form = {
        "name": "Renamed, but not saved",
        "origins": "https://shop.example\nhttp://shop.example",
        "default_language": "es",
        "choice_lifetime_days": "396",
        "retention_days": "0",
        "privacy_policy_url": "https://shop.example/privacy-new",
        "cookie_statement_url": "javascript:alert(1)",
    }
    answer = admin.post(f"/admin/sites/{site}/settings", data=form)
    assert answer.status_code == 422
    marked_invalid(
        Page.of(answer),
        [
            "origins",
            "default_language",
            "choice_lifetime_days",
            "retention_days",
            "cookie_statement_url",
        ],
    )
    assert saved(app, site) == before


def test_vendors_form_shows_every_error_and_saves_nothing(
    app: Flask, admin: FlaskClient, site: str
) -> None:
    before = saved(app, site)
    form = {
        "enabled": ["google-analytics", "meta-pixel", "vimeo"],
        "setting.google-analytics.measurement_id": "UA-1",
        "setting.meta-pixel.pixel_id": "abc",
        "category.vimeo": "necessary",
    }
    answer = admin.post(f"/admin/sites/{site}/vendors", data=form)
    assert answer.status_code == 422
    marked_invalid(
        Page.of(answer),
        [
            "setting.google-analytics.measurement_id",
            "setting.meta-pixel.pixel_id",
            "category.vimeo",
        ],
    )
    assert saved(app, site) == before


def test_texts_form_shows_every_error_and_saves_nothing(
    app: Flask, admin: FlaskClient, site: str
) -> None:
    url = f"/admin/sites/{site}/texts/de"
    typed = {e.attrs["name"]: e.text for e in Page.of(admin.get(url)).find("textarea")}
    before = saved(app, site)
    form = {
        **typed,
        "title": "Neuer Titel, nicht gespeichert",
        "accept_all": "",
        "reject_all": "   ",
        "placeholder": "Blockiert, bis Sie zustimmen.",
        "categories.targeting.description": "x" * 2001,
    }
    answer = admin.post(url, data=form)
    assert answer.status_code == 422
    page = Page.of(answer)
    marked_invalid(
        page,
        ["accept_all", "reject_all", "placeholder", "categories.targeting.description"],
    )
    assert "{vendor}" in page.text("p", data_field_error="placeholder")
    # What was typed stays in the form.
    assert page.text("textarea", name="title") == "Neuer Titel, nicht gespeichert"
    assert saved(app, site) == before
