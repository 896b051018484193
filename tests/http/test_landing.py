"""The landing page at ``/``: what the service is, and links that lead somewhere."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from consent.demo.server import ensure_demo_site
from consent.extensions import db
from tests.http.auditing import Page
from tests.security.test_headers import assert_strict_page


def _links(client: FlaskClient) -> set[str]:
    answer = client.get("/")
    assert answer.status_code == 200 and answer.mimetype == "text/html"
    assert_strict_page(answer, "/")
    return {a.attrs["href"] for a in Page.of(answer).find("a")}


def test_the_landing_page_links_the_uis_and_the_api(client: FlaskClient) -> None:
    links = _links(client)
    assert {"/admin/", "/audit/", "/openapi.json"} <= links
    assert not [href for href in links if href.startswith("/demo/")]  # no demo set up here
    for href in links - {"#main"}:
        assert client.get(href).status_code in (200, 302), href  # the UIs ask to sign in


def test_the_landing_page_links_the_demo_page_once_the_demo_is_set_up(
    app: Flask, client: FlaskClient
) -> None:
    with app.app_context():
        key = ensure_demo_site("http://127.0.0.1:5000").site_key
        db.session.commit()
    demo = f"/demo/{key}"
    assert demo in _links(client)
    assert client.get(demo).status_code == 200
