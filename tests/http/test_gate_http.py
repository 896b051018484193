"""Every gate reason, reached through the HTTP endpoint, and the endpoint's status rules."""

from __future__ import annotations

import time

import pytest
from flask import Flask
from flask.testing import FlaskClient

from consent.access import tokens
from consent.extensions import db
from consent.models import Site
from consent.sites.versions import publish_draft
from tests.helpers import Visitor
from tests.owners import revise_draft

ALL = ("google-analytics", "meta-pixel", "twitter", "vimeo", "stripe", "youtube", "nope")


def reasons(answer: dict) -> dict[str, str]:  # type: ignore[type-arg]
    return {v: d["reason"] for v, d in answer["decisions"].items()}


def test_no_token(client: FlaskClient, site: str) -> None:
    answer = Visitor(client, site).gate(*ALL)
    assert reasons(answer) == {
        "google-analytics": "no_consent",
        "meta-pixel": "no_consent",
        "twitter": "no_consent",
        "vimeo": "no_consent",
        "stripe": "necessary",
        "youtube": "vendor_disabled",
        "nope": "unknown_vendor",
    }
    assert answer["decisions"]["stripe"]["allowed"] is True
    assert answer["show_banner"] is True and answer["categories"] is None
    assert answer["site_key"] == site and answer["policy_version"] == 1


def test_consented_and_refused(client: FlaskClient, site: str) -> None:
    visitor = Visitor(client, site)
    visitor.choose("custom", categories={"performance": True, "social": True})
    answer = visitor.gate(*ALL)
    assert reasons(answer)["google-analytics"] == "consented"
    assert reasons(answer)["twitter"] == "consented"
    assert reasons(answer)["meta-pixel"] == "refused"
    assert reasons(answer)["vimeo"] == "refused"
    assert answer["decisions"]["google-analytics"] == {
        "allowed": True,
        "category": "performance",
        "reason": "consented",
    }
    assert answer["consent_mode"]["analytics_storage"] == "granted"
    assert answer["consent_mode"]["ad_storage"] == "denied"
    assert answer["show_banner"] is False
    assert answer["categories"]["performance"] is True


def test_withdraw_refuses_everything_but_necessary(client: FlaskClient, site: str) -> None:
    visitor = Visitor(client, site)
    visitor.choose("accept_all")
    assert visitor.gate("meta-pixel")["decisions"]["meta-pixel"]["allowed"] is True
    visitor.choose("withdraw")
    answer = visitor.gate("google-analytics", "meta-pixel", "stripe")
    assert reasons(answer) == {
        "google-analytics": "refused",
        "meta-pixel": "refused",
        "stripe": "necessary",
    }


@pytest.mark.parametrize(
    "mangle",
    [
        # One byte of the signature (not its last base64 digit, whose low bits are padding).
        lambda t: t[:-5] + ("A" if t[-5] != "A" else "B") + t[-4:],
        lambda t: t[: len(t) // 2],  # truncated
        lambda t: "x" + t,  # payload changed
        lambda t: "garbage",
    ],
)
def test_invalid_token(client: FlaskClient, site: str, mangle) -> None:  # type: ignore[no-untyped-def]
    visitor = Visitor(client, site)
    visitor.choose("accept_all")
    answer = visitor.gate("google-analytics", token=mangle(visitor.token))
    assert reasons(answer) == {"google-analytics": "invalid_token"}
    assert answer["show_banner"] is True and answer["categories"] is None


def test_token_of_another_site_is_invalid(app: Flask, client: FlaskClient, site: str) -> None:
    from consent.sites.owner import create_site

    with app.app_context():
        other = create_site(
            name="Other",
            origins=["https://other.example"],
            vendors={
                "google-analytics": {
                    "category": "performance",
                    "settings": {"measurement_id": "G-OTHER1"},
                }
            },
            privacy_url="https://other.example/privacy",
        )
        db.session.commit()
        other_key = other.site_key
    foreign = Visitor(client, other_key, origin="https://other.example")
    foreign.choose("accept_all")
    answer = Visitor(client, site).gate("google-analytics", token=foreign.token)
    assert reasons(answer) == {"google-analytics": "invalid_token"}


def test_signed_with_a_retired_key(app: Flask, client: FlaskClient, site: str) -> None:
    visitor = Visitor(client, site)
    visitor.choose("accept_all")
    # Rotate: the old key becomes a fallback, tokens it signed still verify.
    app.config["SECRET_KEY_FALLBACKS"] = ["test-secret"]
    app.config["SECRET_KEY"] = "new-secret"
    assert reasons(visitor.gate("google-analytics")) == {"google-analytics": "consented"}
    # Once the old key is dropped, its tokens are invalid.
    app.config["SECRET_KEY_FALLBACKS"] = []
    assert reasons(visitor.gate("google-analytics")) == {"google-analytics": "invalid_token"}


def test_expired(app: Flask, client: FlaskClient, site: str) -> None:
    visitor = Visitor(client, site)
    receipt = visitor.choose("accept_all")
    with app.test_request_context():
        old = tokens.issue(
            tokens.ConsentClaims(
                site,
                receipt["subject_id"],
                receipt["receipt_id"],
                1,
                receipt["categories"],
                "accept_all",
                False,
                int(time.time()) - 183 * 86400,
            )
        )
    answer = visitor.gate("google-analytics", token=old)
    assert reasons(answer) == {"google-analytics": "expired"}
    assert answer["show_banner"] is True


def _publish(app: Flask, site_key: str, requires_reconsent: bool) -> None:
    with app.app_context():
        row = db.session.query(Site).filter_by(site_key=site_key).one()
        revise_draft(row)
        publish_draft(row, requires_reconsent=requires_reconsent)
        db.session.commit()


def test_outdated_policy_only_after_a_reconsent_publish(
    app: Flask, client: FlaskClient, site: str
) -> None:
    visitor = Visitor(client, site)
    visitor.choose("accept_all")
    _publish(app, site, requires_reconsent=False)
    assert reasons(visitor.gate("google-analytics")) == {"google-analytics": "consented"}
    _publish(app, site, requires_reconsent=True)
    answer = visitor.gate("google-analytics")
    assert reasons(answer) == {"google-analytics": "outdated_policy"}
    assert answer["policy_version"] == 3 and answer["show_banner"] is True
    visitor.choose("accept_all")  # consent under version 3
    assert reasons(visitor.gate("google-analytics")) == {"google-analytics": "consented"}


def test_gpc(client: FlaskClient, site: str) -> None:
    visitor = Visitor(client, site)
    visitor.choose("accept_all")
    answer = visitor.gate("meta-pixel", "twitter", "google-analytics", headers={"Sec-GPC": "1"})
    assert reasons(answer) == {
        "meta-pixel": "gpc",
        "twitter": "gpc",
        "google-analytics": "consented",
    }
    # An opt-in made while GPC was on is explicit and stands.
    visitor.choose("custom", categories={"targeting": True}, headers={"Sec-GPC": "1"})
    answer = visitor.gate("meta-pixel", headers={"Sec-GPC": "1"})
    assert reasons(answer) == {"meta-pixel": "consented"}


def test_dnt_header_is_ignored_by_the_gate(client: FlaskClient, site: str) -> None:
    visitor = Visitor(client, site)
    visitor.choose("accept_all")
    assert reasons(visitor.gate("meta-pixel", headers={"DNT": "1"})) == {"meta-pixel": "consented"}


def test_post_form(client: FlaskClient, site: str) -> None:
    visitor = Visitor(client, site)
    visitor.choose("accept_all")
    response = client.post(
        f"/api/v1/sites/{site}/gate", json={"vendors": ["meta-pixel"], "token": visitor.token}
    )
    assert response.status_code == 200
    assert response.json["decisions"]["meta-pixel"]["reason"] == "consented"
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"vendors": ""},
        {"vendors": ",".join(["google-analytics"] * 51)},
        {"vendors": "Google Analytics"},
        {"vendors": "a,,b"},
    ],
)
def test_malformed_vendors(client: FlaskClient, site: str, params: dict) -> None:  # type: ignore[type-arg]
    response = client.get(f"/api/v1/sites/{site}/gate", query_string=params)
    assert response.status_code == 422
    message = response.json["error"]["message"]
    assert response.json["error"] == {
        "code": "invalid_field",
        "message": message,
        "field": "vendors",
        "fields": [{"field": "vendors", "message": message}],
    }


@pytest.mark.parametrize("body", [{"vendors": "meta-pixel"}, {"vendors": [1]}, {"vendors": []}, []])
def test_malformed_vendors_post(client: FlaskClient, site: str, body: object) -> None:
    response = client.post(f"/api/v1/sites/{site}/gate", json=body)
    assert response.status_code == 422


def test_status_precedence(client: FlaskClient, site: str) -> None:
    # Unknown site 404 → foreign Origin 403 → malformed vendors 422.
    assert client.get("/api/v1/sites/nope/gate").status_code == 404
    foreign = {"Origin": "https://evil.example"}
    assert client.get(f"/api/v1/sites/{site}/gate", headers=foreign).status_code == 403
    allowed = client.get(
        f"/api/v1/sites/{site}/gate?vendors=meta-pixel", headers={"Origin": "https://shop.example"}
    )
    assert allowed.status_code == 200
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://shop.example"
    assert "Access-Control-Allow-Credentials" not in allowed.headers
