"""The admin web UI through the test client: sign-in, sites, settings, vendors, texts, publish,
versions, snippet, tokens, users — and who may see or change which site."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from consent import banner, create_app
from consent.core.catalog import VENDORS as CATALOGUE
from consent.core.times import readable_utc
from consent.extensions import db
from consent.models import ApiToken, Membership, Site, User
from consent.sites.members import token_dict
from tests.conftest import VENDORS as SITE_VENDORS
from tests.conftest import base_config
from tests.helpers import Visitor
from tests.http.auditing import Page
from tests.owners import (
    PASSWORD,
    OwnerApi,
    add_user,
    mint,
    other_site,
    site_by_key,
    site_snapshot,
)

OWNER = "owner@example.com"
MARKUP = '<img src=x onerror="alert(1)"> <b>Bold</b> & "quoted"'


def banner_build(app: Flask) -> str:
    """The build of the banner code the app serves."""
    with app.app_context():
        return banner.current().build


def sign_in(app: Flask, email: str) -> FlaskClient:
    """A fresh client signed in through the form."""
    client = app.test_client()
    answer = client.post("/admin/login", data={"email": email, "password": PASSWORD})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return client


@pytest.fixture
def ui(app: Flask, site: str) -> FlaskClient:
    """A client signed in as the owner of the test site."""
    add_user(app, OWNER, "owner", site)
    return sign_in(app, OWNER)


def draft_of(app: Flask, site_key: str) -> dict[str, Any]:
    with app.app_context():
        return dict(site_by_key(site_key).draft)


#: Every site page: (method, path under /admin/sites/<k>, form data for a POST).
SITE_PAGES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/", None),
    ("GET", "/settings", None),
    ("POST", "/settings", {"name": "Taken over", "origins": "https://evil.example"}),
    ("GET", "/vendors", None),
    ("POST", "/vendors", {"enabled": ["youtube"]}),
    ("GET", "/vendors/own", None),
    ("POST", "/vendors/own", {"name": "Taken", "id": "taken", "category": "necessary"}),
    ("GET", "/texts/nl", None),
    ("POST", "/texts/nl", {"title": "Overgenomen"}),
    ("GET", "/appearance", None),
    ("POST", "/appearance", {"accent": "#000000", "mode": "dark"}),
    ("GET", "/scans", None),  # the rest of the scan pages: tests/http/test_scan_pages.py
    ("GET", "/publish", None),
    ("POST", "/publish", {"requires_reconsent": "y"}),
    ("GET", "/versions", None),
    ("GET", "/versions/1/diff/1", None),
    ("GET", "/snippet", None),
    ("GET", "/tokens", None),
    ("POST", "/tokens", {"role": "owner", "label": "stolen"}),
    ("GET", "/tokens/1/revoke", None),
    ("POST", "/tokens/1/revoke", {}),
    ("GET", "/users", None),
    ("POST", "/users", {"email": "intruder@example.com", "role": "owner"}),
    ("POST", "/users/1/remove", {}),
]
PAGE_IDS = [f"{m} {p}" for m, p, _ in SITE_PAGES]


@pytest.mark.parametrize(("method", "path", "data"), SITE_PAGES, ids=PAGE_IDS)
def test_isolation_matrix(
    app: Flask, site: str, method: str, path: str, data: dict[str, Any] | None
) -> None:
    other = other_site(app)
    mint(app, site, "auditor")  # token 1 may exist on the site
    add_user(app, OWNER, "owner", site)
    add_user(app, "other-owner@example.com", "owner", other)
    add_user(app, "auditor@example.com", "auditor", site)
    before = site_snapshot(app, site)
    anonymous = app.test_client()
    cases = [
        (sign_in(app, "other-owner@example.com"), 404),  # another owner: as if unknown
        (sign_in(app, "auditor@example.com"), 403),  # the site's own auditor
        (anonymous, 302),  # not signed in: to the sign-in page
    ]
    for client, status in cases:
        answer = client.open(f"/admin/sites/{site}{path}", method=method, data=data)
        assert answer.status_code == status, (status, answer.get_data(as_text=True)[:300])
        if status == 302:
            assert answer.headers["Location"].startswith("/admin/login?next=")
    assert site_snapshot(app, site) == before
    mine = sign_in(app, OWNER).open(f"/admin/sites/{site}{path}", method=method, data=data)
    # 409: the draft is still version 1's, so its owner's publish finds nothing to publish.
    assert mine.status_code in (200, 302, 303, 422) or (path, mine.status_code) == ("/publish", 409)


def test_the_api_matrix_between_two_owners(app: Flask, client: FlaskClient, site: str) -> None:
    other = other_site(app)
    mine, theirs = mint(app, site, "owner"), mint(app, other, "owner")
    for key, token, status in ((site, mine, 200), (other, mine, 404), (site, theirs, 404)):
        answer = OwnerApi(client, key, token).call("GET")
        assert answer.status_code == status
    assert OwnerApi(client, other, mine).call("PATCH", body={"name": "x"}).status_code == 404
    with app.app_context():
        assert site_by_key(other).name == "Other"


def test_sign_in_form_and_site_list(app: Flask, site: str) -> None:
    add_user(app, OWNER, "owner", site)
    client = app.test_client()
    page = Page.of(client.get("/admin/login"))
    assert page.find("input", name="email") and page.find("input", name="password")
    wrong = client.post("/admin/login", data={"email": OWNER, "password": "wrong password"})
    assert wrong.status_code == 401
    signed = sign_in(app, OWNER)
    other_site(app)  # not the owner's: not listed
    rows = Page.of(signed.get("/admin/")).find("tr", data_site_key=site)
    assert len(rows) == 1
    assert len(Page.of(signed.get("/admin/")).find("tr")) == 2  # header + the one site


def test_create_site_makes_the_signed_in_user_its_owner(app: Flask) -> None:
    add_user(app, OWNER, "owner", None)
    ui = sign_in(app, OWNER)
    form = {
        "name": MARKUP,
        "origins": "https://www.bakery.example/\nhttp://localhost:8000",
        "language": "nl",
        "privacy_policy_url": "https://www.bakery.example/privacy",
    }
    answer = ui.post("/admin/sites/new", data=form)
    assert answer.status_code == 302
    with app.app_context():
        site = db.session.scalars(select(Site).where(Site.name == MARKUP)).one()
        user = db.session.scalars(select(User).where(User.email == OWNER)).one()
        role = db.session.scalar(
            select(Membership.role).where(
                Membership.site_id == site.id, Membership.user_id == user.id
            )
        )
        assert role == "owner"
        assert site.origins == ["https://www.bakery.example", "http://localhost:8000"]
        assert site.default_language == "nl" and len(site.policies) == 1
        assert site.auto_block is True
        key = site.site_key
    page = Page.of(ui.get(f"/admin/sites/{key}/"))
    assert page.text("h1") == MARKUP  # owner text shown as text
    assert not page.find("img")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"origins": "https://ok.example\nhttps://bad.example/path"}, "origins"),
        ({"privacy_policy_url": "javascript:alert(1)"}, "privacy_policy_url"),
        ({"name": ""}, "name"),
        ({"language": "es"}, "language"),
    ],
)
def test_create_site_shows_the_error_next_to_the_field(
    app: Flask, change: dict[str, str], field: str
) -> None:
    add_user(app, OWNER, "owner", None)
    ui = sign_in(app, OWNER)
    form = {
        "name": "Bakery",
        "origins": "https://www.bakery.example",
        "language": "en",
        "privacy_policy_url": "https://www.bakery.example/privacy",
        **change,
    }
    answer = ui.post("/admin/sites/new", data=form)
    assert answer.status_code == 422
    page = Page.of(answer)
    assert page.find("p", data_field_error=field)
    with app.app_context():
        assert db.session.scalars(select(Site)).all() == []


def test_an_auditor_account_cannot_create_sites(app: Flask, site: str) -> None:
    add_user(app, "auditor@example.com", "auditor", site)
    ui = sign_in(app, "auditor@example.com")
    assert ui.get("/admin/sites/new").status_code == 403


def test_settings_save_all_or_nothing(
    app: Flask, client: FlaskClient, ui: FlaskClient, site: str
) -> None:
    url = f"/admin/sites/{site}/settings"
    form = {
        "name": "Shop NL",
        "origins": "https://shop.example\nhttp://localhost:8000",
        "default_language": "nl",
        "choice_lifetime_days": "90",
        "retention_days": "30",
        "privacy_policy_url": "https://shop.example/privacy-nl",
        "cookie_statement_url": "https://shop.example/cookies",
    }
    bad = ui.post(url, data={**form, "choice_lifetime_days": "396"})
    assert bad.status_code == 422
    assert Page.of(bad).find("p", data_field_error="choice_lifetime_days")
    line = ui.post(url, data={**form, "origins": "https://shop.example\nhttp://shop.example"})
    assert "Line 2" in Page.of(line).text("p", data_field_error="origins")
    # Each wrong line's message on a line of its own.
    lines = ui.post(url, data={**form, "origins": "https://shop.example\nhttp://shop.example\nx y"})
    (message,) = Page.of(lines).find("p", data_field_error="origins")
    assert [text[:7] for text in message.text.strip().split("\n")] == ["Line 2:", "Line 3:"]
    with app.app_context():
        assert site_by_key(site).name == "Shop"
    assert ui.post(url, data=form).status_code == 302
    with app.app_context():
        row = site_by_key(site)
        assert (row.name, row.choice_lifetime_days, row.retention_days) == ("Shop NL", 90, 30)
        assert row.draft["cookie_statement_url"] == "https://shop.example/cookies"
        assert row.draft["privacy_policy_url"] == "https://shop.example/privacy-nl"
    assert Visitor(client, site).config()["choice_lifetime_days"] == 90


def test_settings_checkbox_turns_auto_blocking_on_and_off(
    app: Flask, ui: FlaskClient, site: str
) -> None:
    url = f"/admin/sites/{site}/settings"
    page = Page.of(ui.get(url))
    (box,) = page.find("input", name="auto_block", type="checkbox")
    assert "checked" in box.attrs  # new sites start with it on
    assert page.find("a", href=f"/admin/sites/{site}/snippet")
    form = {
        "name": "Shop",
        "origins": "https://shop.example\nhttp://localhost:8000",
        "default_language": "en",
        "choice_lifetime_days": "182",
        "retention_days": "365",
        "privacy_policy_url": "https://shop.example/privacy",
    }
    # An unticked checkbox is simply not sent.
    for data, expected in ((form, False), ({**form, "auto_block": "y"}, True), (form, False)):
        assert ui.post(url, data=data).status_code == 302
        with app.app_context():
            assert site_by_key(site).auto_block is expected
        (box,) = Page.of(ui.get(url)).find("input", name="auto_block")
        assert ("checked" in box.attrs) is expected
    # A rejected submit saves nothing, and shows the box as it was sent.
    bad = ui.post(url, data={**form, "auto_block": "y", "retention_days": "0"})
    assert bad.status_code == 422
    assert "checked" in Page.of(bad).find("input", name="auto_block")[0].attrs
    with app.app_context():
        assert site_by_key(site).auto_block is False


def test_the_vendors_page_names_what_the_snippet_loads(ui: FlaskClient, site: str) -> None:
    # The loader injects Google Analytics, LinkedIn, Meta and HubSpot (vendor-apis.js's
    # MANAGED, the catalogue's LOADER_VENDORS): the page says so, each with its setting.
    (intro,) = Page.of(ui.get(f"/admin/sites/{site}/vendors")).find("p", data_loader_vendors="")
    text = " ".join(intro.text.split())
    assert (
        "Google Analytics (once its Measurement ID is entered), LinkedIn Insight Tag (once its "
        "Partner ID is entered), Meta Pixel (once its Pixel ID is entered) and HubSpot (once "
        "its Portal ID is entered) are loaded by the snippet itself"
    ) in text


def test_vendors_form(app: Flask, ui: FlaskClient, site: str) -> None:
    url = f"/admin/sites/{site}/vendors"
    page = Page.of(ui.get(url))
    checked = {e.attrs["value"] for e in page.find("input", name="enabled") if "checked" in e.attrs}
    assert checked == set(draft_of(app, site)["vendors"])
    # Only the catalogue's own category may be "necessary": vimeo cannot be moved there.
    options = [e.attrs["value"] for e in page.find("option") if e.attrs.get("value") == "necessary"]
    assert len(options) == 1  # stripe's own
    form = {
        "enabled": ["google-analytics", "vimeo", "leadinfo"],
        "category.google-analytics": "performance",
        "setting.google-analytics.measurement_id": "G-NEW12345",
        "category.vimeo": "necessary",
        "category.leadinfo": "targeting",
    }
    bad = ui.post(url, data=form)
    assert bad.status_code == 422
    assert Page.of(bad).find("p", data_field_error="category.vimeo")
    bad = ui.post(url, data={**form, "category.vimeo": "functionality",
                             "setting.google-analytics.measurement_id": "UA-1"})  # fmt: skip
    error = Page.of(bad).find("p", data_field_error="setting.google-analytics.measurement_id")
    assert error and "G-XXXXXXX" in error[0].text
    assert set(draft_of(app, site)["vendors"]) >= {"meta-pixel"}  # nothing saved
    assert ui.post(url, data={**form, "category.vimeo": "functionality"}).status_code == 302
    assert draft_of(app, site)["vendors"] == {
        "google-analytics": {
            "category": "performance",
            "settings": {"measurement_id": "G-NEW12345"},
        },
        "vimeo": {"category": "functionality", "settings": {}},
        "leadinfo": {"category": "targeting", "settings": {}},
    }


def test_texts_form_stores_markup_exactly_and_previews_the_draft(
    app: Flask, ui: FlaskClient, site: str
) -> None:
    url = f"/admin/sites/{site}/texts/nl"
    page = Page.of(ui.get(url))
    fields = {e.attrs["name"]: e.text for e in page.find("textarea")}
    assert fields["title"] == "Uw privacykeuzes" and len(fields) == 19
    answer = ui.post(url, data={**fields, "title": MARKUP, "description": "a\r\nb"})
    assert answer.status_code == 302
    texts = draft_of(app, site)["texts"]["nl"]
    assert texts["title"] == MARKUP and texts["description"] == "a\nb"
    too_long = ui.post(url, data={**fields, "categories.social.title": "x" * 2001})
    assert too_long.status_code == 422
    assert Page.of(too_long).find("p", data_field_error="categories.social.title")
    assert draft_of(app, site)["texts"]["nl"]["title"] == MARKUP
    assert ui.get(f"/admin/sites/{site}/texts/es").status_code == 404
    # The preview frame runs the real bundle on the draft: its config carries the new text.
    frame = Page.of(ui.get(url)).find("iframe", data_preview_frame="nl")[0]
    assert frame.attrs["sandbox"] == "allow-scripts"
    inner = Page()
    inner.feed(frame.attrs["srcdoc"])
    (root,) = inner.find("html")
    config = json.loads(root.attrs["data-consent-preview"])
    assert config["translations"]["nl"]["title"] == MARKUP and config["language"] == "nl"
    scripts = [e.attrs.get("src") for e in inner.find("script")]
    # The banner code the embed serves, run with the draft's config.
    assert scripts == [
        "/static/admin/preview-frame.js",
        f"/embed/builds/{banner_build(app)}/run.js",
    ]


def test_preview_config_matches_what_the_embed_serves(
    app: Flask, client: FlaskClient, ui: FlaskClient, site: str
) -> None:
    frame = Page.of(ui.get(f"/admin/sites/{site}/texts/en")).find("iframe")[0]
    inner = Page()
    inner.feed(frame.attrs["srcdoc"])
    preview = json.loads(inner.find("html")[0].attrs["data-consent-preview"])
    served = Visitor(client, site).config()
    # The preview runs the current build whatever the site's auto-blocking, on the admin's origin.
    for key in (
        *("policy_version", "api_base", "preview", "translations"),
        *("auto_block", "build", "origins"),
    ):
        preview.pop(key, None)
        served.pop(key, None)
    served.pop("policy_version", None)
    assert preview == served


@pytest.mark.parametrize(
    ("vendors", "proposed"),
    [
        ({"youtube": {"category": "targeting", "settings": {}}}, True),
        ({}, False),
    ],
)
def test_publish_proposes_reconsent_when_vendors_are_added(
    app: Flask, client: FlaskClient, ui: FlaskClient, site: str, vendors: dict[str, Any],
    proposed: bool,
) -> None:  # fmt: skip
    visitor = Visitor(client, site)
    visitor.choose("accept_all")
    with app.app_context():
        row = site_by_key(site)
        draft = dict(row.draft)
        draft["vendors"] = {**draft["vendors"], **vendors}
        draft["texts"] = {**draft["texts"], "en": {**draft["texts"]["en"], "title": "New"}}
        row.draft = draft
        db.session.commit()
    url = f"/admin/sites/{site}/publish"
    page = Page.of(ui.get(url))
    (box,) = page.find("input", name="requires_reconsent")
    assert ("checked" in box.attrs) is proposed
    assert page.find("tr", data_text_change="en.title")
    # A vendor by its name, as the owner knows it (its id in data-vendor).
    added = [
        (e.attrs["data-vendor"], " ".join(e.text.split()))
        for e in page.find("li", data_change="added")
    ]
    assert added == ([("youtube", "Added YouTube")] if proposed else [])
    data = {"requires_reconsent": "y"} if proposed else {}
    assert ui.post(url, data=data).status_code == 302
    reason = visitor.gate("google-analytics")["decisions"]["google-analytics"]["reason"]
    assert reason == ("outdated_policy" if proposed else "consented")
    diff = Page.of(ui.get(f"/admin/sites/{site}/versions/1/diff/2"))
    assert diff.find("p", data_reconsent="yes" if proposed else "no")
    assert [e.text for e in diff.find("li", data_change="added")] == (
        ["Added YouTube"] if proposed else []
    )
    assert ui.get(f"/admin/sites/{site}/versions/1/diff/3").status_code == 404
    compare = ui.get(f"/admin/sites/{site}/versions/compare?from=1&to=2")
    assert compare.headers["Location"].endswith("/versions/1/diff/2")


def _versions(app: Flask, site_key: str) -> list[int]:
    with app.app_context():
        return sorted(v.version for v in site_by_key(site_key).policies)


def test_publish_refuses_a_draft_identical_to_the_current_version(
    app: Flask, ui: FlaskClient, site: str
) -> None:
    url = f"/admin/sites/{site}/publish"
    page = Page.of(ui.get(url))
    assert "identical to version 1" in page.text("p", data_nothing_to_publish="1")
    assert not page.find("input", name="requires_reconsent")  # no publish form to submit
    refused = ui.post(url, data={"requires_reconsent": "y"})
    assert refused.status_code == 409
    assert Page.of(refused).find("p", data_nothing_to_publish="1")
    assert _versions(app, site) == [1]
    # A change makes it publishable again, once.
    texts = f"/admin/sites/{site}/texts/en"
    fields = {e.attrs["name"]: e.text for e in Page.of(ui.get(texts)).find("textarea")}
    assert ui.post(texts, data={**fields, "title": "Hello"}).status_code == 302
    changed = Page.of(ui.get(url))
    assert not changed.find("p", data_nothing_to_publish="1")
    assert changed.find("input", name="requires_reconsent")
    assert ui.post(url, data={}).status_code == 302
    assert ui.post(url, data={}).status_code == 409
    assert Page.of(ui.get(url)).find("p", data_nothing_to_publish="2")
    assert _versions(app, site) == [1, 2]


def test_snippet_page(ui: FlaskClient, site: str) -> None:
    page = Page.of(ui.get(f"/admin/sites/{site}/snippet"))
    expected = f'<script src="http://consent.test/embed/{site}.js"></script>'
    assert page.text("code", id="snippet") == expected
    assert page.find("button", data_copy_target="snippet")
    # The examples name the site's own vendors (issue 19 item 7), not fixed ones.
    scripts, frames = (e.text for e in page.find("pre", data_snippet_examples=""))
    assert 'data-consent-vendor="google-analytics"' in scripts
    assert 'data-consent-vendor="twitter"' in scripts and "youtube" not in scripts + frames
    assert frames == (
        '<iframe data-consent-vendor="vimeo" data-src="https://player.vimeo.com/video/76979871"'
        ' title="…"></iframe>'
    )


def test_tokens_page(app: Flask, client: FlaskClient, ui: FlaskClient, site: str) -> None:
    url = f"/admin/sites/{site}/tokens"
    # The form redirects to the page that shows the new token, once: reloading that page
    # neither shows it again nor sends the form again (a second token).
    posted = ui.post(url, data={"role": "auditor", "label": "DPO"})
    assert posted.status_code == 303 and posted.headers["Location"] == url
    token = Page.of(ui.get(url)).text("code", id="new-token")
    assert token.startswith("cl_")
    # On its way it was in the session cookie, which is signed, not encrypted: not readable.
    cookie = posted.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    session = serializer.loads(cookie)
    assert session.get(f"once.token.{site}") and token not in json.dumps(session)
    reloaded = ui.get(url)
    assert token not in reloaded.get_data(as_text=True)
    listed = Page.of(reloaded)
    assert not listed.find("code", id="new-token")
    (row,) = [r for r in listed.find("tr") if "data-token-id" in r.attrs]
    assert row.cells[0].text.strip() == "DPO" and row.cells[3].text.strip() == "never"
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get(f"/api/v1/audit/sites/{site}/verify", headers=headers).status_code == 200
    used = [r for r in Page.of(ui.get(url)).find("tr") if "data-token-id" in r.attrs]
    assert used[0].cells[3].text.strip() != "never"
    bad = ui.post(url, data={"role": "root", "label": "x"})
    assert bad.status_code == 422 and Page.of(bad).find("p", data_field_error="role")
    token_id = row.attrs["data-token-id"]
    assert ui.post(f"{url}/{token_id}/revoke").status_code == 302
    assert client.get(f"/api/v1/audit/sites/{site}/verify", headers=headers).status_code == 401
    with app.app_context():
        stored = db.session.get(ApiToken, int(token_id))
        assert stored is not None and stored.revoked_at is not None
        assert token not in stored.token_hash


def _token_row(app: Flask, token_id: str) -> ApiToken:
    with app.app_context():
        row = db.session.get(ApiToken, int(token_id))
        assert row is not None
        return row


@pytest.mark.parametrize(
    ("label", "named"),
    [("DPO export", "“DPO export”"), ("", "(no label)"), ("   ", "(no label)")],
)
def test_revoking_a_token_asks_first_and_says_which(
    app: Flask, client: FlaskClient, ui: FlaskClient, site: str, label: str, named: str
) -> None:
    url = f"/admin/sites/{site}/tokens"
    created = Page.of(ui.post(url, data={"role": "auditor", "label": label}, follow_redirects=True))
    (notice,) = [e for e in created.elements if "data-new-token" in e.attrs]
    assert f"New auditor token {named}." in " ".join(notice.text.split())
    secret = created.text("code", id="new-token")
    verify = f"/api/v1/audit/sites/{site}/verify"
    headers = {"Authorization": f"Bearer {secret}"}
    listed = Page.of(ui.get(url))
    (row,) = [r for r in listed.find("tr") if "data-token-id" in r.attrs]
    token_id = row.attrs["data-token-id"]
    assert row.cells[0].text.strip() == (label.strip() or "(no label)")
    href = listed.find("a", data_revoke_link=token_id)[0].attrs["href"]
    assert href == f"{url}/{token_id}/revoke"
    # The link asks first, naming the token; asking revokes nothing.
    confirm = ui.get(href)
    assert confirm.status_code == 200
    page = Page.of(confirm)
    created_at = page.find("time")[0].attrs["datetime"]
    stored = _token_row(app, token_id)
    assert stored.revoked_at is None and created_at == token_dict(stored)["created_at"]
    question = page.text("p", data_revoke_token=token_id)
    assert question == f"Revoke token {named} (auditor, created {readable_utc(created_at)})?"
    assert page.find("form", method="post", action=href)
    assert page.find("a", href=url)  # cancel: back to the list
    assert client.get(verify, headers=headers).status_code == 200
    # Confirming revokes it and says which one.
    done = ui.post(href)
    assert done.status_code == 302 and done.headers["Location"] == url
    after = Page.of(ui.get(url))
    flashed = after.text("div", data_flash="")
    assert flashed == f"Revoked token {named} (auditor, created {readable_utc(created_at)})."
    assert not [r for r in after.find("tr") if "data-token-id" in r.attrs]
    assert _token_row(app, token_id).revoked_at is not None
    assert client.get(verify, headers=headers).status_code == 401
    # A revoked (or unknown) token has nothing left to confirm or revoke.
    for answer in (ui.get(href), ui.post(href), ui.get(f"{url}/999999/revoke")):
        assert answer.status_code == 404


def test_users_page(app: Flask, ui: FlaskClient, site: str) -> None:
    url = f"/admin/sites/{site}/users"
    posted = ui.post(url, data={"email": "New.Auditor@example.com", "role": "auditor"})
    assert posted.status_code == 303 and posted.headers["Location"] == url
    added = Page.of(ui.get(url))
    password = added.text("code", id="new-password")
    assert password not in ui.get(url).get_data(as_text=True)  # shown once
    fresh = app.test_client()
    login = {"email": "new.auditor@example.com", "password": password}
    assert fresh.post("/audit/login", data=login).status_code == 302
    # A member again with the role they have: refused, the field named; with another, said.
    twice = ui.post(url, data={"email": "new.auditor@example.com", "role": "auditor"})
    assert twice.status_code == 422
    assert "already auditor" in Page.of(twice).text("p", data_field_error="email")
    promoted = Page.of(
        ui.post(
            url, data={"email": "new.auditor@example.com", "role": "owner"}, follow_redirects=True
        )
    )
    said = promoted.text("div", data_added_user="new.auditor@example.com")
    assert "was auditor and is now owner" in said
    assert "one-time password" in said  # they have not signed in since they were added
    assert (
        ui.post(url, data={"email": "new.auditor@example.com", "role": "auditor"}).status_code
        == 303
    )
    # An existing account keeps its password: an owner grants access, never takes over.
    add_user(app, "someone@example.com", "owner", None)
    again = Page.of(
        ui.post(url, data={"email": "someone@example.com", "role": "owner"}, follow_redirects=True)
    )
    assert not again.find("code", id="new-password")
    assert sign_in(app, "someone@example.com").get(f"/admin/sites/{site}/").status_code == 200
    with app.app_context():
        me = db.session.scalars(select(User).where(User.email == OWNER)).one()
        someone = db.session.scalars(select(User).where(User.email == "someone@example.com")).one()
        my_id, their_id = me.id, someone.id
    # One's own access only after a second step: the first answers with the question.
    add_user(app, "other.owner@example.com", "owner", site)
    asked = ui.post(f"{url}/{my_id}/remove")
    assert asked.status_code == 200
    assert "You are removing your own access" in asked.get_data(as_text=True)
    assert ui.get(f"/admin/sites/{site}/").status_code == 200
    # Another's access too, after the question that names them.
    question = ui.post(f"{url}/{their_id}/remove")
    assert question.status_code == 200
    assert Page.of(question).find("p", data_remove_member="someone@example.com")
    assert sign_in(app, "someone@example.com").get(f"/admin/sites/{site}/").status_code == 200
    removed = ui.post(f"{url}/{their_id}/remove", data={"confirm": "remove"})
    assert removed.status_code == 302
    users_page = Page.of(ui.get(url))
    assert "Removed someone@example.com (owner)" in users_page.text("div", data_flash="")
    assert sign_in(app, "someone@example.com").get(f"/admin/sites/{site}/").status_code == 404
    left = ui.post(f"{url}/{my_id}/remove", data={"confirm": "leave"})
    assert left.status_code == 302 and left.headers["Location"].endswith("/admin/")
    assert ui.get(f"/admin/sites/{site}/").status_code == 404
    # The last owner stays, confirmed or not.
    other = sign_in(app, "other.owner@example.com")
    with app.app_context():
        other_id = (
            db.session.scalars(select(User).where(User.email == "other.owner@example.com")).one().id
        )
    other.post(f"{url}/{other_id}/remove", data={"confirm": "leave"})
    assert other.get(f"/admin/sites/{site}/").status_code == 200
    # Asked to leave, the last owner is told at once, with no button to try.
    asking = Page.of(other.post(f"{url}/{other_id}/remove"))
    assert asking.find("p", data_leave_site="last-owner")
    assert not asking.find("input", name="confirm")


def test_pages_are_strict_about_scripts_styles_and_caching(ui: FlaskClient, site: str) -> None:
    for path in ("/", "/settings", "/vendors", "/texts/en", "/publish", "/versions",
                 "/snippet", "/tokens", "/users"):  # fmt: skip
        answer = ui.get(f"/admin/sites/{site}{path}")
        csp = answer.headers["Content-Security-Policy"]
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
            assert directive in csp
        assert answer.headers["Cache-Control"] == "no-store"
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        page = Page.of(answer)
        assert all(e.attrs.get("src") for e in page.find("script")), path
        assert not page.find("style")
        assert not [e for e in page.elements if "style" in e.attrs], path
        assert not [e for e in page.elements if any(k.startswith("on") for k in e.attrs)], path


def test_forms_need_a_csrf_token(db_url: str, site: str) -> None:
    app = create_app({**base_config(db_url), "WTF_CSRF_ENABLED": True})
    add_user(app, OWNER, "owner", site)
    client = app.test_client()
    login = Page.of(client.get("/admin/login"))
    signed = client.post(
        "/admin/login",
        data={"email": OWNER, "password": PASSWORD, "csrf_token": login.csrf_token()},
    )
    assert signed.status_code == 302
    url = f"/admin/sites/{site}/settings"
    assert client.post(url, data={"name": "No token"}).status_code == 403
    with app.app_context():
        assert site_by_key(site).auto_block is True  # the unticked box was not saved either
    token = Page.of(client.get(url)).csrf_token()
    form = {
        "csrf_token": token,
        "name": "With token",
        "origins": "https://shop.example",
        "default_language": "en",
        "choice_lifetime_days": "182",
        "retention_days": "365",
        "privacy_policy_url": "https://shop.example/privacy",
        "cookie_statement_url": "",
    }
    assert client.post(url, data=form).status_code == 302
    with app.app_context():
        assert site_by_key(site).name == "With token"
        assert site_by_key(site).auto_block is False
    with app.app_context():
        db.engine.dispose()


def _held(page: Page) -> dict[str, set[str]]:
    """The vendors the snippet page says auto-blocking holds back, with the hosts it names."""
    return {
        vid: {code.text for code in page.find("code", data_host_of=vid)}
        for vid in (e.attrs.get("data-held-vendor") for e in page.find("li"))
        if vid
    }


def test_snippet_page_lists_what_auto_blocking_holds_back(
    app: Flask, ui: FlaskClient, site: str
) -> None:
    url = f"/admin/sites/{site}/snippet"
    page = Page.of(ui.get(url))
    said = page.text("p", data_auto_block="on")
    assert "Auto-blocking is on" in said and "Settings" in said
    assert not page.find("p", data_auto_block="off")
    assert _held(page) == {vid: set(CATALOGUE[vid].hosts) for vid in SITE_VENDORS}
    assert all(_held(page).values())  # each with the hosts it is recognised by
    # The embed carries the published version: a vendor only in the draft is not listed yet.
    with app.app_context():
        row = site_by_key(site)
        vendors = {**row.draft["vendors"], "youtube": {"category": "targeting", "settings": {}}}
        del vendors["vimeo"]
        row.draft = {**row.draft, "vendors": vendors}
        db.session.commit()
    assert set(_held(Page.of(ui.get(url)))) == set(SITE_VENDORS)
    assert ui.post(f"/admin/sites/{site}/publish", data={}).status_code == 302
    assert set(_held(Page.of(ui.get(url)))) == set(vendors)


def test_snippet_page_says_when_auto_blocking_is_off(
    app: Flask, ui: FlaskClient, site: str
) -> None:
    with app.app_context():
        row = site_by_key(site)
        row.auto_block = False
        row.state_version += 1
        db.session.commit()
    page = Page.of(ui.get(f"/admin/sites/{site}/snippet"))
    said = page.text("p", data_auto_block="off")
    assert "Auto-blocking is off" in said and "Settings" in said
    assert not page.find("p", data_auto_block="on")
    # What turning it on would hold back.
    assert _held(page) == {vid: set(CATALOGUE[vid].hosts) for vid in SITE_VENDORS}


def test_snippet_page_shows_tags_as_text_never_as_elements(ui: FlaskClient, site: str) -> None:
    page = Page.of(ui.get(f"/admin/sites/{site}/snippet"))
    for name in ("data-consent-vendor", "data-consent-ignore", "data-src", "data-consent-open"):
        assert not [e for e in page.elements if name in e.attrs], name
    scripts = [e.attrs.get("src") for e in page.find("script")]
    assert scripts == ["/static/shared/local-time.js", "/static/admin/admin.js"]
    assert not page.find("iframe")
    shown = " ".join(code.text for code in page.find("code"))
    for example in ("data-consent-ignore", 'type="text/plain"', "data-src=", "data-consent-open"):
        assert example in shown, example


def test_the_overview_names_the_drafts_vendors(ui: FlaskClient, site: str) -> None:
    page = Page.of(ui.get(f"/admin/sites/{site}/"))
    terms = [e for e in page.elements if e.tag in ("dt", "dd")]
    (at,) = [i for i, e in enumerate(terms) if e.text == "Vendors in the draft"]
    shown = " ".join(terms[at + 1].text.split())
    assert "Google Analytics (performance)" in shown and "google-analytics" not in shown
