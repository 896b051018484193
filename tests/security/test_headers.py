"""Security headers on EVERY HTML page the service renders (found from the URL map, signed
in and not, error pages too) and on the embed: a strict CSP, nosniff, a referrer policy."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from .world import VICTIM_OWNER, World, build_world, every_rule, sign_in

HTML = {"Accept": "text/html"}
REFERRER_POLICIES = frozenset(
    {"no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"}
)


def _directives(csp: str) -> dict[str, list[str]]:
    parts = (part.split() for part in csp.split(";") if part.strip())
    return {words[0]: words[1:] for words in parts}


def assert_strict_page(answer: TestResponse, where: object) -> None:
    """The headers DESIGN.md requires of every HTML page."""
    csp = _directives(answer.headers.get("Content-Security-Policy", ""))
    scripts = csp.get("script-src", csp.get("default-src"))
    assert scripts is not None, where
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts, where
    assert "*" not in scripts and "data:" not in scripts, where
    assert csp.get("object-src") == ["'none'"], where
    assert csp.get("base-uri") == ["'none'"], where
    assert csp.get("frame-ancestors") == ["'none'"], where
    assert answer.headers.get("X-Content-Type-Options") == "nosniff", where
    assert answer.headers.get("Referrer-Policy") in REFERRER_POLICIES, where


@pytest.fixture
def world(app: Flask, client: FlaskClient, site: str) -> World:
    """The test site with a receipt and an owner, and a second tenant."""
    return build_world(app, client, site)


def test_every_html_page_is_strict(world: World) -> None:
    values = world.values()
    anonymous, owner = world.app.test_client(), sign_in(world.app, VICTIM_OWNER)
    pages = set()
    for rule, method in every_rule(world.app):
        if method != "GET":
            continue
        url = rule.build(values, append_unknown=False)[1]
        for who, client in (("anonymous", anonymous), ("owner", owner)):
            answer = client.get(url, headers=HTML)
            answer.close()
            assert answer.headers.get("X-Content-Type-Options") == "nosniff", url
            if answer.mimetype == "text/html":
                assert_strict_page(answer, (who, url, answer.status_code))
                pages.add((rule.rule, answer.status_code))
    # The landing page, the demo pages, the sign-in pages and every admin and audit page.
    assert ("/", 200) in pages
    assert len({rule for rule, _ in pages}) >= 25, sorted(pages)
    print(f"\nheaders: {len(pages)} distinct HTML pages checked")


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/admin/no-such-page", 404),
        ("GET", "/audit/sites/NoSuchSite0000000000000/", 302),
        ("DELETE", "/admin/login", 405),
        ("POST", "/audit/login", 401),
        ("GET", "/demo/NoSuchSite0000000000000", 404),
    ],
)
def test_error_pages_are_strict(client: FlaskClient, method: str, path: str, status: int) -> None:
    data = {"email": "nobody@example.com", "password": "wrong password"}
    answer = client.open(path, method=method, headers=HTML, data=data)
    assert answer.status_code == status
    if answer.mimetype == "text/html":
        assert_strict_page(answer, path)
    assert answer.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", ["/embed/{site}.js", "/embed/banner.css", "/embed/nosuch.js"])
def test_the_embed_is_not_sniffed_nor_credentialed(
    client: FlaskClient, site: str, path: str
) -> None:
    answer = client.get(path.format(site=site), headers={"Origin": "https://evil.example"})
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.mimetype in ("text/javascript", "text/css")
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in answer.headers
    assert "Set-Cookie" not in answer.headers
