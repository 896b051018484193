"""Authentication: Bearer API tokens, session sign-in, cookies, CSRF, rate limits, scoping."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from http.cookies import SimpleCookie

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from consent import create_app
from consent.extensions import db
from consent.models import ApiToken, utcnow
from consent.sites.owner import create_site
from tests.conftest import ORIGIN, VENDORS, base_config
from tests.helpers import Visitor
from tests.http.auditing import PASSWORD, Auditor, Page, make_token, make_user

AUDIT = "/api/v1/audit/sites/{key}/receipts"


def limited_app(db_url: str, **config: object) -> Flask:
    """The app with a small authentication limit."""
    return create_app({**base_config(db_url), "CONSENT_RATELIMIT_AUTH": "3/day", **config})


def cookie_of(response: object, name: str) -> dict[str, str | bool]:
    """The attributes of a Set-Cookie header of ``response``."""
    for header in response.headers.getlist("Set-Cookie"):  # type: ignore[attr-defined]
        jar = SimpleCookie()
        jar.load(header)
        if name in jar:
            morsel = jar[name]
            return {k: morsel[k] for k in morsel if morsel[k]} | {"value": morsel.value}
    raise AssertionError(f"no cookie {name}")


# --- Bearer tokens ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer cl_nope", "Bearer " + "x" * 300],
)
def test_missing_or_invalid_token_is_401_with_challenge(
    client: FlaskClient, site: str, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = client.get(AUDIT.format(key=site), headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json["error"]["code"] == "unauthorized"


def test_tokens_are_stored_as_sha256_only(app: Flask, site: str) -> None:
    token = make_token(app, site)
    with app.app_context():
        stored = db.session.scalars(select(ApiToken.token_hash)).all()
    assert stored == [hashlib.sha256(token.encode()).hexdigest()]


def test_revoked_token_is_401(app: Flask, client: FlaskClient, site: str) -> None:
    token = make_token(app, site)
    auditor = Auditor(client, site, token)
    assert auditor.get("receipts").status_code == 200
    with app.app_context():
        db.session.execute(update(ApiToken).values(revoked_at=utcnow()))
        db.session.commit()
    response = auditor.get("receipts")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_another_sites_token_answers_exactly_like_an_unknown_site(
    app: Flask, client: FlaskClient, site: str, other_site: str
) -> None:
    foreign = Auditor(client, other_site, make_token(app, site, "owner"))
    unknown = Auditor(client, "NoSuchSiteKey000000000", make_token(app, site, "owner"))
    for path in ("receipts", "verify", "policies/1", "access-log"):
        a, b = foreign.get(path), unknown.get(path)
        assert (a.status_code, a.json) == (b.status_code, b.json) == (404, b.json)
        assert b.json["error"]["code"] == "not_found"


def test_authentication_comes_before_existence(app: Flask, client: FlaskClient, site: str) -> None:
    response = client.get(AUDIT.format(key="NoSuchSiteKey000000000"))
    assert response.status_code == 401
    token = {"Authorization": f"Bearer {make_token(app, site)}"}
    for key in ("NoSuchSiteKey000000000", "%00", "k" * 100):
        assert client.get(AUDIT.format(key=key), headers=token).status_code == 404


def test_both_roles_read_and_only_owners_erase(app: Flask, client: FlaskClient, site: str) -> None:
    subject = Visitor(client, site).choose("accept_all")["subject_id"]
    erasure = f"/api/v1/admin/sites/{site}/subjects/{subject}/erasure"
    for role, status in (("auditor", 403), ("owner", 201)):
        token = make_token(app, site, role)
        assert Auditor(client, site, token).get("receipts").status_code == 200
        response = client.post(erasure, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == status, response.json
    assert client.post(erasure).status_code == 401


def test_last_used_is_written_at_most_once_a_minute(
    app: Flask, client: FlaskClient, site: str
) -> None:
    auditor = Auditor(client, site, make_token(app, site))

    def last_used():  # type: ignore[no-untyped-def]
        with app.app_context():
            return db.session.scalar(select(ApiToken.last_used_at))

    assert last_used() is None
    auditor.json("receipts")
    first = last_used()
    assert first is not None
    auditor.json("receipts")
    assert last_used() == first
    with app.app_context():
        db.session.execute(update(ApiToken).values(last_used_at=utcnow() - timedelta(minutes=2)))
        db.session.commit()
    auditor.json("receipts")
    assert last_used().replace(tzinfo=None) > first.replace(tzinfo=None)


def test_failed_api_authentication_is_rate_limited_per_network(db_url: str) -> None:
    app = limited_app(db_url)
    with app.app_context():
        key = create_site(
            name="S", origins=[ORIGIN], vendors=VENDORS, privacy_url=f"{ORIGIN}/p"
        ).site_key
        db.session.commit()
    client, url = app.test_client(), AUDIT.format(key=key)
    bad = {"Authorization": "Bearer cl_wrong"}
    assert [client.get(url, headers=bad).status_code for _ in range(3)] == [401] * 3
    limited = client.get(url, headers=bad)
    assert limited.status_code == 429
    assert limited.json["error"]["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) > 0
    # Another /24 is counted apart; a valid token is never refused for others' failures.
    other = client.get(url, headers=bad, environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert other.status_code == 401
    good = {"Authorization": f"Bearer {make_token(app, key)}"}
    assert client.get(url, headers=good).status_code == 200
    with app.app_context():
        db.engine.dispose()


# --- Sessions ---------------------------------------------------------------------------


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD, **kwargs: object):  # type: ignore[no-untyped-def]
    return client.post("/audit/login", data={"email": email, "password": password}, **kwargs)


def test_login_form_has_the_contract_fields(client: FlaskClient) -> None:
    page = Page.of(client.get("/audit/login"))
    assert page.find("input", name="email", type="email")
    assert page.find("input", name="password", type="password")
    for field in ("email", "password"):
        assert page.find("label", **{"for": field})


def test_sign_in_sets_a_hardened_session_cookie(app: Flask, client: FlaskClient, site: str) -> None:
    make_user(app, site, "auditor@example.com")
    response = sign_in(client, "Auditor@Example.com ")
    assert response.status_code == 302
    assert response.headers["Location"] == "/audit/"
    cookie = cookie_of(response, "session")
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert "secure" not in cookie  # plain http, as in the tests
    assert client.get("/audit/").status_code == 200


def test_wrong_password_and_unknown_account_look_the_same(
    app: Flask, client: FlaskClient, site: str
) -> None:
    make_user(app, site, "auditor@example.com")
    wrong = sign_in(client, "auditor@example.com", "not the password")
    unknown = sign_in(client, "nobody@example.com")
    assert sign_in(client, "nul\x00@example.com").status_code == 401
    assert wrong.status_code == unknown.status_code == 401
    assert Page.of(wrong).text("p", role="alert") == Page.of(unknown).text("p", role="alert")
    assert client.get("/audit/").status_code == 302


def test_session_cookie_over_https(db_url: str) -> None:
    app = create_app({**base_config(db_url), "CONSENT_PUBLIC_URL": "https://consent.example"})
    with app.app_context():
        key = create_site(
            name="S", origins=[ORIGIN], vendors=VENDORS, privacy_url=f"{ORIGIN}/p"
        ).site_key
        db.session.commit()
    make_user(app, key, "auditor@example.com")
    response = sign_in(app.test_client(), "auditor@example.com", base_url="https://consent.example")
    cookie = cookie_of(response, "__Host-consent_session")
    assert cookie["secure"] is True and cookie["path"] == "/" and "domain" not in cookie
    with app.app_context():
        db.engine.dispose()


def test_session_cookie_is_secure_whenever_served_over_https(
    app: Flask, client: FlaskClient, site: str
) -> None:
    make_user(app, site, "auditor@example.com")
    response = sign_in(client, "auditor@example.com", base_url="https://localhost")
    assert cookie_of(response, "session")["secure"] is True


def test_logout_ends_the_session(app: Flask, client: FlaskClient, site: str) -> None:
    make_user(app, site, "auditor@example.com")
    sign_in(client, "auditor@example.com")
    assert client.post("/audit/logout").status_code == 302
    answer = client.get("/audit/")
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/audit/login")


def test_a_new_password_ends_existing_sessions(app: Flask, client: FlaskClient, site: str) -> None:
    make_user(app, site, "auditor@example.com")
    sign_in(client, "auditor@example.com")
    make_user(app, site, "auditor@example.com")  # password reset (same text, new salt)
    assert client.get("/audit/").status_code == 302


@pytest.mark.parametrize(
    ("next_path", "landing"),
    [
        ("/audit/sites/x/?action=custom", "/audit/sites/x/?action=custom"),
        ("https://evil.example/", "/audit/"),
        ("//evil.example/audit/", "/audit/"),
        ("/admin/", "/audit/"),
        ("/audit/\x00", "/audit/"),
    ],
)
def test_sign_in_returns_only_inside_the_audit(
    app: Flask, client: FlaskClient, site: str, next_path: str, landing: str
) -> None:
    make_user(app, site, "auditor@example.com")
    response = sign_in(client, "auditor@example.com", query_string={"next": next_path})
    assert response.headers["Location"] == landing


def test_pages_redirect_to_sign_in_and_back(app: Flask, client: FlaskClient, site: str) -> None:
    answer = client.get(f"/audit/sites/{site}/stats?bucket=week")
    assert answer.status_code == 302
    login = answer.headers["Location"]
    assert login.startswith("/audit/login?next=")
    make_user(app, site, "auditor@example.com")
    back = client.post(login, data={"email": "auditor@example.com", "password": PASSWORD})
    assert back.headers["Location"] == f"/audit/sites/{site}/stats?bucket=week"


@pytest.mark.parametrize(
    ("same_email", "same_network"), [(True, False), (False, True)], ids=["account", "network"]
)
def test_logins_are_rate_limited_per_account_and_per_network(
    db_url: str, same_email: bool, same_network: bool
) -> None:
    app = limited_app(db_url)
    client = app.test_client()
    statuses = []
    for i in range(4):
        email = "auditor@example.com" if same_email else f"user{i}@example.com"
        address = "203.0.113.9" if same_network else f"198.51.{i}.1"
        statuses.append(
            sign_in(client, email, "wrong", environ_base={"REMOTE_ADDR": address}).status_code
        )
    assert statuses == [401, 401, 401, 429]
    with app.app_context():
        db.engine.dispose()


def test_users_see_only_their_sites(
    app: Flask, client: FlaskClient, site: str, other_site: str
) -> None:
    make_user(app, site, "auditor@example.com")
    make_user(app, other_site, "owner@example.com", "owner")
    sign_in(client, "auditor@example.com")
    rows = Page.of(client.get("/audit/")).rows()
    assert [row[1] for row in rows] == [site]
    assert client.get(f"/audit/sites/{site}/").status_code == 200
    not_member = client.get(f"/audit/sites/{other_site}/")
    unknown = client.get("/audit/sites/NoSuchSiteKey000000000/")
    assert not_member.status_code == unknown.status_code == 404


def test_csrf_failures_are_403(db_url: str) -> None:
    app = create_app({**base_config(db_url), "WTF_CSRF_ENABLED": True})
    with app.app_context():
        key = create_site(
            name="S", origins=[ORIGIN], vendors=VENDORS, privacy_url=f"{ORIGIN}/p"
        ).site_key
        db.session.commit()
    make_user(app, key, "auditor@example.com")
    client = app.test_client()
    form = {"email": "auditor@example.com", "password": PASSWORD}
    refused = client.post("/audit/login", data=form, headers={"Accept": "application/json"})
    assert refused.status_code == 403
    assert refused.json["error"]["code"] == "forbidden"
    assert client.post("/audit/login", data=form).status_code == 403  # the HTML page, too
    token = Page.of(client.get("/audit/login")).csrf_token()
    assert client.post("/audit/login", data={**form, "csrf_token": token}).status_code == 302
    verify = f"/audit/sites/{key}/verify"
    assert client.post(verify).status_code == 403
    token = Page.of(client.get(verify)).csrf_token()
    assert client.post(verify, data={"csrf_token": token}).status_code == 200
    assert client.post("/audit/logout").status_code == 403
    # The Bearer API needs no CSRF token: no cookie authenticates it.
    owner = make_token(app, key, "owner")
    subject = Visitor(client, key).choose("accept_all")["subject_id"]
    erasure = client.post(
        f"/api/v1/admin/sites/{key}/subjects/{subject}/erasure",
        headers={"Authorization": f"Bearer {owner}"},
    )
    assert erasure.status_code == 201
    with app.app_context():
        db.engine.dispose()


def test_public_endpoints_set_no_cookie(client: FlaskClient, site: str) -> None:
    visitor = Visitor(client, site)
    visitor.choose("accept_all")
    response = client.get(f"/api/v1/sites/{site}/config")
    assert "Set-Cookie" not in response.headers
