"""Health, headers, config, the visitor's own history, the embed and the site-state cache."""

from __future__ import annotations

import csv
import gc
import io

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from consent import create_app
from consent.config import ConfigError
from consent.extensions import db
from consent.models import Site
from tests.helpers import Visitor
from tests.owners import revise_draft


def test_healthz(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_favicon_is_no_content_cached_for_a_year(client: FlaskClient) -> None:
    # Browsers ask for it on every page (/, /admin/login, /audit/login): a 404 would show
    # as an error in their console.
    response = client.get("/favicon.ico")
    assert (response.status_code, response.data) == (204, b"")
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_readyz(client: FlaskClient) -> None:
    assert client.get("/readyz").json == {"status": "ready", "database": True}


def test_readyz_when_the_database_is_unreachable(tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1",
        }
    )
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["database"] is False
    unknown = app.test_client().get("/api/v1/sites/abc/config")
    assert unknown.status_code == 503 and unknown.json["error"]["code"] == "unavailable"


def test_a_dropped_app_closes_its_pooled_connections(db_url: str) -> None:
    # Tests build hundreds of apps: an engine left to the garbage collector keeps its pooled
    # connections open until then (psycopg warns, and PostgreSQL counts them).
    from tests.conftest import base_config

    app = create_app(base_config(db_url))
    with app.app_context():
        engine = db.engine
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    assert engine.pool.checkedin() == 1
    del app
    gc.collect()
    assert engine.pool.checkedin() == 0


def test_secret_is_required_outside_debug(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("CONSENT_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})


def test_config_languages(client: FlaskClient, site: str) -> None:
    visitor = Visitor(client, site)
    english = visitor.config()
    assert english["language"] == "en" and english["texts"]["accept_all"] == "Accept all"
    dutch = visitor.config(lang="nl-BE")
    assert dutch["language"] == "nl" and dutch["texts"]["reject_all"] == "Alles weigeren"
    assert dutch["policy_hash"] == english["policy_hash"]  # one hash per version, all languages
    # A language the version does not carry falls back to the site's default.
    assert visitor.config(lang="ja")["language"] == "en"
    assert visitor.config(lang="fr")["language"] == "fr"
    assert [c["id"] for c in english["categories"]] == [
        "necessary", "performance", "functionality", "targeting", "social",
    ]  # fmt: skip
    assert english["categories"][0] == {"id": "necessary", "locked": True, "vendors": ["stripe"]}
    assert english["vendors"]["vimeo"]["category"] == "functionality"
    assert english["vendors"]["google-analytics"]["cookies"][:2] == ["_ga", "_ga_*"]


def test_config_unknown_site(client: FlaskClient) -> None:
    response = client.get("/api/v1/sites/doesnotexist/config")
    assert response.status_code == 404
    assert response.json == {"error": {"code": "not_found", "message": "unknown site"}}


def test_me_json_and_csv(client: FlaskClient, site: str) -> None:
    visitor = Visitor(client, site)
    first = visitor.choose("accept_all")
    visitor.choose("custom", categories={"performance": True}, page_url="https://shop.example/=cmd")
    mine = client.get(f"/api/v1/sites/{site}/me", query_string={"token": visitor.token})
    assert mine.status_code == 200 and mine.headers["Cache-Control"] == "no-store"
    assert mine.json["subject_id"] == first["subject_id"]
    assert [item["seq"] for item in mine.json["items"]] == [1, 2]
    assert {k: v for k, v in mine.json["items"][0].items() if k != "proof"} == first
    assert mine.json["items"][0]["proof"]["tree_size"] == 2
    exported = client.get(
        f"/api/v1/sites/{site}/me", query_string={"token": visitor.token, "format": "csv"}
    )
    assert exported.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
    assert [row["action"] for row in rows] == ["accept_all", "custom"]
    assert (
        rows[1]["categories.performance"] == "true" and rows[1]["categories.targeting"] == "false"
    )


@pytest.mark.parametrize("token", [None, "", "forged.token"])
def test_me_needs_a_valid_token(client: FlaskClient, site: str, token: str | None) -> None:
    params = {"token": token} if token is not None else {}
    response = client.get(f"/api/v1/sites/{site}/me", query_string=params)
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"


def test_publish_reaches_the_cache(app: Flask, client: FlaskClient, site: str) -> None:
    from consent.sites.versions import publish_draft

    app.config["CONSENT_STATE_TTL"] = 0.0
    visitor = Visitor(client, site)
    assert visitor.config()["policy_version"] == 1
    with app.app_context():
        row = db.session.query(Site).filter_by(site_key=site).one()
        revise_draft(row)
        publish_draft(row, requires_reconsent=True)
        db.session.commit()
    assert visitor.config()["policy_version"] == 2


def test_cached_state_survives_a_database_outage(
    app: Flask, client: FlaskClient, site: str, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    visitor = Visitor(client, site)
    visitor.choose("accept_all")
    from consent.sites import state as sites

    def down(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise sa.exc.OperationalError("SELECT", {}, Exception("database is down"))

    monkeypatch.setattr(sites.SiteCache, "_refresh", down)
    answer = visitor.gate("google-analytics")
    assert answer["decisions"]["google-analytics"]["reason"] == "consented"
    assert visitor.config()["policy_version"] == 1


def test_method_not_allowed_is_json(client: FlaskClient, site: str) -> None:
    response = client.delete(f"/api/v1/sites/{site}/config")
    assert response.status_code == 405
    assert response.json["error"]["code"] == "method_not_allowed"


def test_unknown_path_is_json(client: FlaskClient) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"


def test_nul_in_a_site_key_is_unknown(client: FlaskClient) -> None:
    assert client.get("/api/v1/sites/ab%00cd/config").status_code == 404


def test_public_api_sets_no_session_cookie(client: FlaskClient, site: str) -> None:
    response = client.get(f"/api/v1/sites/{site}/gate?vendors=meta-pixel")
    assert "Set-Cookie" not in response.headers
