"""Your account (/admin/account, /audit/account): changing one's own password, the limit on
guessing the current one, and the first sign-in of a user an owner added."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from consent import create_app
from consent.extensions import db
from consent.models import User
from tests.conftest import base_config
from tests.http.auditing import Page
from tests.owners import PASSWORD, add_user, mint

EMAIL = "owner@example.com"
NEW = "a brand new passphrase"
AREAS = ("admin", "audit")


def sign_in(app: Flask, area: str, email: str = EMAIL, password: str = PASSWORD) -> FlaskClient:
    """A fresh client signed in through the area's form."""
    client = app.test_client()
    answer = client.post(f"/{area}/login", data={"email": email, "password": password})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return client


def change(client: FlaskClient, area: str, current: str, new: str, again: str | None = None):  # type: ignore[no-untyped-def]
    form = {"current": current, "new": new, "confirmation": new if again is None else again}
    return client.post(f"/{area}/account", data=form)


def stored(app: Flask, email: str = EMAIL) -> tuple[str, bool]:
    """The user's password hash and whether they must choose a new password."""
    with app.app_context():
        user = db.session.scalars(select(User).where(User.email == email)).one()
        return user.password_hash, user.must_change_password


def field_errors(answer: object) -> dict[str, str]:
    """The messages shown next to the fields, by field name."""
    page = Page.of(answer)
    return {
        e.attrs["data-field-error"]: " ".join(e.text.split())
        for e in page.elements
        if "data-field-error" in e.attrs
    }


@pytest.mark.parametrize("area", AREAS)
def test_a_new_password_keeps_this_session_and_ends_the_others(
    app: Flask, site: str, area: str
) -> None:
    add_user(app, EMAIL, "owner", site)
    me, elsewhere = sign_in(app, area), sign_in(app, area)
    page = Page.of(me.get(f"/{area}/"))
    assert page.find("a", href=f"/{area}/account")  # "Your account" in the masthead
    form = Page.of(me.get(f"/{area}/account"))
    for name, autocomplete in (("current", "current-password"), ("new", "new-password")):
        (field,) = form.find("input", name=name, type="password")
        assert field.attrs["autocomplete"] == autocomplete
        assert form.find("label", **{"for": field.attrs["id"]})
    assert form.find("input", name="confirmation", type="password")
    answer = change(me, area, PASSWORD, NEW)
    assert answer.status_code == 302
    assert answer.headers["Location"] == f"/{area}/account"
    assert "has been changed" in Page.of(me.get(f"/{area}/account")).text("div", data_flash="")
    assert me.get(f"/{area}/").status_code == 200
    assert elsewhere.get(f"/{area}/").headers["Location"].startswith(f"/{area}/login")
    fresh = app.test_client()
    old = {"email": EMAIL, "password": PASSWORD}
    assert fresh.post(f"/{area}/login", data=old).status_code == 401
    assert sign_in(app, area, password=NEW).get(f"/{area}/").status_code == 200


@pytest.mark.parametrize(
    ("current", "new", "again", "errors"),
    [
        ("not my password", NEW, NEW, {"current"}),
        ("", NEW, NEW, {"current"}),
        (PASSWORD, NEW, NEW + " typo", {"confirmation"}),
        (PASSWORD, "too short", "too short", {"new"}),
        (PASSWORD, "x" * 1025, "x" * 1025, {"new"}),
        (PASSWORD, PASSWORD, PASSWORD, {"new"}),
        ("wrong", "short", "other", {"current", "new", "confirmation"}),
    ],
    ids=["wrong", "empty", "mismatch", "short", "long", "unchanged", "all-at-once"],
)
def test_a_refused_change_says_why_next_to_each_field_and_changes_nothing(
    app: Flask, site: str, current: str, new: str, again: str, errors: set[str]
) -> None:
    add_user(app, EMAIL, "owner", site)
    client = sign_in(app, "admin")
    before = stored(app)
    answer = change(client, "admin", current, new, again)
    assert answer.status_code == 422
    shown = field_errors(answer)
    assert set(shown) == errors
    assert all(shown.values())
    page = Page.of(answer)
    for name in errors:
        (field,) = page.find("input", name=name)
        assert field.attrs["aria-invalid"] == "true"
        assert field.attrs.get("value", "") == ""  # a password is never sent back
    assert stored(app) == before
    assert client.get("/admin/").status_code == 200


def test_guessing_the_current_password_is_rate_limited(db_url: str) -> None:
    app = create_app({**base_config(db_url), "CONSENT_RATELIMIT_AUTH": "3/day"})
    add_user(app, EMAIL, "owner", None)
    client = sign_in(app, "audit")  # the sign-in is the first attempt of three
    before = stored(app)
    statuses = [change(client, "audit", "a wrong guess", NEW).status_code for _ in range(3)]
    assert statuses == [422, 422, 429]
    limited = change(client, "audit", PASSWORD, NEW)  # the right one, past the limit
    assert limited.status_code == 429
    assert limited.json["error"]["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) > 0
    assert stored(app) == before
    fresh = app.test_client()
    # The account's budget is shared with its sign-ins: no more guesses there either.
    other_network = {"REMOTE_ADDR": "198.51.100.7"}
    answer = fresh.post(
        "/audit/login", data={"email": EMAIL, "password": PASSWORD}, environ_base=other_network
    )
    assert answer.status_code == 429
    with app.app_context():
        db.engine.dispose()


def test_a_user_an_owner_added_chooses_a_password_first(app: Flask, site: str) -> None:
    add_user(app, EMAIL, "owner", site)
    owner = sign_in(app, "admin")
    added = Page.of(
        owner.post(
            f"/admin/sites/{site}/users",
            data={"email": "new@example.com", "role": "owner"},
            follow_redirects=True,
        )
    )
    given = added.text("code", id="new-password")
    assert stored(app, "new@example.com")[1] is True
    user = sign_in(app, "audit", "new@example.com", given)
    pages = ("/audit/", f"/audit/sites/{site}/", "/admin/", f"/admin/sites/{site}/settings")
    for path in pages:
        answer = user.get(path)
        assert answer.status_code == 302, path
        assert answer.headers["Location"] == f"/{path.split('/')[1]}/account", path
    assert user.post(f"/admin/sites/{site}/settings", data={"name": "Taken"}).status_code == 302
    static = user.get("/static/shared/app.css")
    static.close()
    assert static.status_code == 200
    page = Page.of(user.get("/admin/account"))
    assert page.find("div", data_must_change_password="")
    assert user.post("/audit/logout").status_code == 302
    user = sign_in(app, "admin", "new@example.com", given)
    answer = change(user, "admin", given, NEW)
    assert answer.headers["Location"] == "/admin/"
    assert stored(app, "new@example.com")[1] is False
    for path in pages:
        assert user.get(path).status_code == 200, path
    assert not Page.of(user.get("/admin/account")).find("div", data_must_change_password="")
    # The owner's own account and the site were never touched by the redirected POST.
    assert Page.of(owner.get(f"/admin/sites/{site}/settings")).find("input", value="Shop")


def test_cli_users_choose_their_password_and_are_not_asked_again(app: Flask, site: str) -> None:
    runner = app.test_cli_runner()
    args = ["create-user", "--email", EMAIL, "--role", "owner", "--site", site]
    assert runner.invoke(args=args, input=f"{PASSWORD}\n").exit_code == 0
    assert stored(app)[1] is False
    assert sign_in(app, "admin").get("/admin/").status_code == 200


def test_api_tokens_are_unaffected_by_a_pending_password_change(app: Flask, site: str) -> None:
    add_user(app, EMAIL, "owner", site)
    owner = sign_in(app, "admin")
    owner.post(f"/admin/sites/{site}/users", data={"email": "new@example.com", "role": "owner"})
    assert stored(app, "new@example.com")[1] is True
    urls = {
        "owner": f"/api/v1/admin/sites/{site}",
        "auditor": f"/api/v1/audit/sites/{site}/receipts",
    }
    for role, url in urls.items():
        answer = owner.get(url, headers={"Authorization": f"Bearer {mint(app, site, role)}"})
        assert answer.status_code == 200, (url, answer.get_data(as_text=True))
        assert owner.get(url).status_code == 401  # no redirect: a session never counts there


def test_the_account_form_needs_its_csrf_token(db_url: str) -> None:
    app = create_app({**base_config(db_url), "WTF_CSRF_ENABLED": True})
    add_user(app, EMAIL, "owner", None)
    client = app.test_client()
    token = Page.of(client.get("/admin/login")).csrf_token()
    form = {"email": EMAIL, "password": PASSWORD, "csrf_token": token}
    assert client.post("/admin/login", data=form).status_code == 302
    before = stored(app)
    assert change(client, "admin", PASSWORD, NEW).status_code == 403
    assert stored(app) == before
    token = Page.of(client.get("/admin/account")).csrf_token()
    form = {"current": PASSWORD, "new": NEW, "confirmation": NEW, "csrf_token": token}
    assert client.post("/admin/account", data=form).status_code == 302
    assert stored(app) != before
    with app.app_context():
        db.engine.dispose()
