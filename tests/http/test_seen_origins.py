"""Unlisted origins (issue 19 item 1, DESIGN "Unlisted origins"): the config names the
site's origins, the embed counts its requests per page origin, and the admin overview lists
the unlisted ones with a one-click add."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from consent.extensions import db
from consent.models import EmbedOrigin
from consent.sites.seen_origins import MAX_ORIGINS
from tests.helpers import ORIGIN, Visitor
from tests.http.auditing import Page
from tests.owners import add_user, site_by_key

OWNER = "owner@example.com"


def _embed(client: FlaskClient, site: str, referer: str | None) -> None:
    headers = {"Referer": referer} if referer else {}
    assert client.get(f"/embed/{site}.js", headers=headers).status_code == 200


def _signed_in(app: Flask, site: str) -> FlaskClient:
    from tests.http.test_admin_ui import sign_in

    add_user(app, OWNER, "owner", site)
    return sign_in(app, OWNER)


def test_the_config_names_the_sites_origins(client: FlaskClient, site: str) -> None:
    assert ORIGIN in Visitor(client, site).config()["origins"]


def test_unlisted_origins_are_counted_shown_and_added_in_one_click(
    app: Flask, client: FlaskClient, site: str
) -> None:
    for referer in (
        "https://staging.shop.example/products?id=7",
        "https://staging.shop.example/other",
        f"{ORIGIN}/cart",
        None,
    ):
        _embed(client, site, referer)
    ui = _signed_in(app, site)
    page = Page.of(ui.get(f"/admin/sites/{site}/"))
    listed = " ".join(page.find("dd", data_unlisted_origins="")[0].text.split())
    # The origin only, never the path, with its count (a worker writes a count at the first
    # request, then at most once a minute); the site's own origin is not unlisted.
    assert "https://staging.shop.example (1 request)" in listed
    assert "/products" not in listed and ORIGIN not in listed
    answer = ui.post(
        f"/admin/sites/{site}/origins", data={"origin": "https://staging.shop.example"}
    )
    assert answer.status_code == 302
    with app.app_context():
        assert "https://staging.shop.example" in site_by_key(site).origins
    assert "data-unlisted-origins" not in ui.get(f"/admin/sites/{site}/").get_data(as_text=True)
    # The visitor API answers that origin now.
    assert Visitor(client, site, origin="https://staging.shop.example").config()


def test_only_an_origin_seen_can_be_added_that_way(
    app: Flask, client: FlaskClient, site: str
) -> None:
    ui = _signed_in(app, site)
    answer = ui.post(f"/admin/sites/{site}/origins", data={"origin": "https://evil.example"})
    assert answer.status_code == 404
    with app.app_context():
        assert "https://evil.example" not in site_by_key(site).origins


def test_a_hostile_referer_cannot_grow_the_table_without_bound(
    app: Flask, client: FlaskClient, site: str
) -> None:
    for n in range(MAX_ORIGINS + 10):
        _embed(client, site, f"https://x{n}.example/")
    _embed(client, site, "javascript:alert(1)")
    with app.app_context():
        site_id = site_by_key(site).id
        rows = db.session.scalar(
            select(func.count()).select_from(EmbedOrigin).where(EmbedOrigin.site_id == site_id)
        )
    assert rows == MAX_ORIGINS
