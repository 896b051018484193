"""POST …/consents: receipts, validation, and bad input that must change nothing."""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from consent.core.catalog import CATEGORIES
from consent.core.chain import GENESIS, receipt_hash
from consent.extensions import db
from tests.helpers import Visitor
from tests.owners import revise_draft

ISO_MS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def counts(app: Flask) -> tuple[int, int]:
    with app.app_context():
        receipts = db.session.execute(sa.text("SELECT count(*) FROM receipts")).scalar_one()
        contexts = db.session.execute(sa.text("SELECT count(*) FROM receipt_contexts")).scalar_one()
        return receipts, contexts


def test_receipt_shape_and_chain(client: FlaskClient, site: str) -> None:
    visitor = Visitor(client, site)
    first = visitor.choose("custom", categories={"performance": True})
    assert first["seq"] == 1 and first["prev_hash"] == GENESIS
    assert ISO_MS.fullmatch(first["created_at"])
    assert first["categories"] == {c: c in ("necessary", "performance") for c in CATEGORIES}
    assert first["vendors"] == {
        "google-analytics": True,
        "hubspot": False,
        "linkedin-insight": False,
        "meta-pixel": False,
        "stripe": True,
        "twitter": False,
        "vimeo": False,
    }
    assert first["signals"] == {"gpc": False, "dnt": False}
    assert first["context"]["page_url"] == "https://shop.example/products"
    assert first["context"]["ip_prefix"] == "127.0.0.0/24"
    assert first["hash"] == receipt_hash(first)
    second = visitor.choose("reject_all")
    assert second["seq"] == 2 and second["prev_hash"] == first["hash"]
    assert second["subject_id"] == first["subject_id"]


def test_new_visitor_gets_a_new_subject(client: FlaskClient, site: str) -> None:
    one = Visitor(client, site).choose("accept_all")
    two = Visitor(client, site).choose("accept_all")
    assert one["subject_id"] != two["subject_id"]
    assert re.fullmatch(r"[0-9a-f]{32}", one["subject_id"])


def test_signals_from_headers_and_body(client: FlaskClient, site: str) -> None:
    visitor = Visitor(client, site)
    assert visitor.choose("reject_all", headers={"Sec-GPC": "1"})["signals"] == {
        "gpc": True,
        "dnt": False,
    }
    assert visitor.choose("reject_all", signals={"dnt": True})["signals"] == {
        "gpc": False,
        "dnt": True,
    }


def test_ipv6_is_truncated_to_48(client: FlaskClient, site: str) -> None:
    visitor = Visitor(client, site)
    response = visitor.post(
        visitor.consent_body("accept_all"), environ_base={"REMOTE_ADDR": "2001:db8:1:2:3:4:5:6"}
    )
    assert response.json["receipt"]["context"]["ip_prefix"] == "2001:db8:1::/48"


def test_forwarded_for_is_ignored_without_trusted_proxies(client: FlaskClient, site: str) -> None:
    visitor = Visitor(client, site)
    receipt = visitor.choose("accept_all", headers={"X-Forwarded-For": "198.51.100.7"})
    assert receipt["context"]["ip_prefix"] == "127.0.0.0/24"


def test_older_published_version_is_accepted(app: Flask, client: FlaskClient, site: str) -> None:
    from consent.models import Site
    from consent.sites.versions import publish_draft

    visitor = Visitor(client, site)
    body = visitor.consent_body("accept_all")
    with app.app_context():
        row = db.session.query(Site).filter_by(site_key=site).one()
        revise_draft(row)
        publish_draft(row, requires_reconsent=False)
        db.session.commit()
    response = visitor.post(body)
    assert response.status_code == 201
    assert response.json["receipt"]["policy_version"] == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"action": "maybe"}, "action"),
        ({"action": None}, "action"),
        ({"policy_version": 99}, "policy_version"),
        ({"policy_version": "1"}, "policy_version"),
        ({"policy_version": True}, "policy_version"),
        ({"policy_version": 1.0}, "policy_version"),
        ({"policy_hash": "0" * 64}, "policy_hash"),
        ({"language": "es"}, "language"),
        ({"language": 1}, "language"),
        ({"categories": {"performance": "yes"}}, "categories.performance"),
        ({"categories": {"marketing": True}}, "categories.marketing"),
        ({"categories": {"necessary": False}}, "categories.necessary"),
        ({"categories": ["performance"]}, "categories"),
        ({"page_url": "/relative"}, "page_url"),
        ({"page_url": "javascript:alert(1)"}, "page_url"),
        ({"page_url": "https://shop.example/" + "a" * 2048}, "page_url"),
        ({"page_url": None}, "page_url"),
        ({"signals": {"gpc": "1"}}, "signals.gpc"),
        ({"signals": {"sale": True}}, "signals.sale"),
        ({"token": 5}, "token"),
        ({"extra": 1}, "extra"),
    ],
)
def test_invalid_values(
    app: Flask, client: FlaskClient, site: str, change: dict, field: str
) -> None:  # type: ignore[type-arg]
    visitor = Visitor(client, site)
    body = visitor.consent_body("custom", categories={"performance": True})
    body.update(change)
    response = visitor.post(body)
    assert response.status_code == 422, response.json
    assert response.json["error"]["code"] == "invalid_field"
    assert response.json["error"]["field"] == field
    assert counts(app) == (0, 0)


def test_custom_without_categories(client: FlaskClient, site: str) -> None:
    visitor = Visitor(client, site)
    response = visitor.post(visitor.consent_body("custom"))
    assert response.status_code == 422 and response.json["error"]["field"] == "categories"


@pytest.mark.parametrize(
    "raw",
    [
        b'{"action": "accept_all",',
        b'{"action": "accept_all", "action": "reject_all"}',
        b'{"policy_version": NaN}',
        b'{"policy_version": Infinity}',
        b'{"language": "\\ud800"}',
        b"\xff\xfe{}",
        b"[" * 40 + b"]" * 40,
        b'{"a":' * 33 + b"1" + b"}" * 33,
        b"",
    ],
)
def test_malformed_json(app: Flask, client: FlaskClient, site: str, raw: bytes) -> None:
    response = client.post(
        f"/api/v1/sites/{site}/consents",
        data=raw,
        content_type="application/json",
        headers={"Origin": "https://shop.example"},
    )
    assert response.status_code == 400
    assert response.json["error"]["code"] == "malformed_json"
    assert counts(app) == (0, 0)


def test_wrong_content_type(client: FlaskClient, site: str) -> None:
    response = client.post(
        f"/api/v1/sites/{site}/consents",
        data="action=accept_all",
        content_type="application/x-www-form-urlencoded",
        headers={"Origin": "https://shop.example"},
    )
    assert response.status_code == 415
    assert response.json["error"]["code"] == "unsupported_media_type"


def test_too_large_with_content_length(client: FlaskClient, site: str) -> None:
    visitor = Visitor(client, site)
    body = visitor.consent_body("accept_all", token="x" * 17000)
    response = visitor.post(body)
    assert response.status_code == 413
    assert response.json["error"]["code"] == "payload_too_large"


def test_too_large_chunked(client: FlaskClient, site: str) -> None:
    # No Content-Length: the server (gunicorn) marks the input terminated; we still cut it off.
    response = client.post(
        f"/api/v1/sites/{site}/consents",
        input_stream=io.BytesIO(b'{"token": "' + b"x" * 40_000 + b'"}'),
        environ_base={"wsgi.input_terminated": True},
        content_type="application/json",
        headers={"Origin": "https://shop.example", "Transfer-Encoding": "chunked"},
    )
    assert response.status_code == 413, response.json


@pytest.mark.parametrize("origin", [None, "https://evil.example", "http://shop.example", "null"])
def test_origin_is_required_and_checked(
    app: Flask, client: FlaskClient, site: str, origin: str | None
) -> None:
    visitor = Visitor(client, site)
    headers = {"Origin": origin} if origin else {}
    response = client.post(
        f"/api/v1/sites/{site}/consents", json=visitor.consent_body("accept_all"), headers=headers
    )
    assert response.status_code == 403
    assert response.json["error"]["code"] == "forbidden"
    assert "Access-Control-Allow-Origin" not in response.headers
    assert counts(app) == (0, 0)


def test_origin_compares_without_default_port_and_case(client: FlaskClient, site: str) -> None:
    visitor = Visitor(client, site, origin="HTTPS://Shop.Example:443")
    assert visitor.post(visitor.consent_body("accept_all")).status_code == 201


def test_unknown_site(client: FlaskClient) -> None:
    response = client.post(
        "/api/v1/sites/unknown/consents", json={}, headers={"Origin": "https://shop.example"}
    )
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


def test_cors_preflight(client: FlaskClient, site: str) -> None:
    response = client.options(
        f"/api/v1/sites/{site}/consents",
        headers={"Origin": "https://shop.example", "Access-Control-Request-Method": "POST"},
    )
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "https://shop.example"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert "Access-Control-Allow-Credentials" not in response.headers
    foreign = client.options(
        f"/api/v1/sites/{site}/consents",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "Access-Control-Allow-Origin" not in foreign.headers


def test_no_cookies_are_set(client: FlaskClient, site: str) -> None:
    visitor = Visitor(client, site)
    response = visitor.post(visitor.consent_body("accept_all"))
    assert "Set-Cookie" not in response.headers


def test_rate_limited_per_site_and_ip_prefix(app: Flask, client: FlaskClient, site: str) -> None:
    app.config["CONSENT_RATELIMIT_CONSENTS"] = "3/day"
    visitor = Visitor(client, site)
    body = visitor.consent_body("accept_all")
    statuses = [visitor.post(body).status_code for _ in range(4)]
    assert statuses == [201, 201, 201, 429]
    limited = visitor.post(body)
    assert limited.json["error"]["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) > 0
    # Another address of the same /24 shares the counter (the key is the network).
    same_network = visitor.post(body, environ_base={"REMOTE_ADDR": "127.0.0.99"})
    assert same_network.status_code == 429
    # Another /24 is counted apart.
    other = visitor.post(body, environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert other.status_code == 201
    assert counts(app) == (4, 4)


def test_forwarded_for_is_used_behind_a_trusted_proxy(proxied: tuple[Flask, str]) -> None:
    app, key = proxied
    visitor = Visitor(app.test_client(), key)
    receipt = visitor.choose("accept_all", headers={"X-Forwarded-For": "198.51.100.7"})
    assert receipt["context"]["ip_prefix"] == "198.51.100.0/24"
