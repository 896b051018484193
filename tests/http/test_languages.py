"""Languages (#21 item 2): a version carries complete texts for any number of languages; the
owner adds and removes them through the draft (API) and the texts pages' Languages list
(admin); the site's default language is always one of the version's."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from consent import create_app
from consent.core.texts import DEFAULT_TEXTS
from consent.extensions import db
from tests.conftest import base_config
from tests.helpers import Visitor
from tests.http.auditing import Page
from tests.http.test_embed import _inlined_config
from tests.owners import PASSWORD, OwnerApi, add_user, mint, site_by_key

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


def spanish(texts: dict[str, Any]) -> dict[str, Any]:
    """English texts with a Spanish title and buttons (enough to tell them apart)."""
    es = copy.deepcopy(texts)
    es.update(title="Sus opciones de privacidad", accept_all="Aceptar todo")
    es.update(reject_all="Rechazar todo")
    return es


def draft_texts(app: Flask, site_key: str) -> dict[str, Any]:
    with app.app_context():
        return dict(site_by_key(site_key).draft["texts"])


# --- Visitors --------------------------------------------------------------------------


def test_a_new_site_speaks_english_dutch_german_and_french(client: FlaskClient, site: str) -> None:
    visitor = Visitor(client, site)
    assert visitor.config()["languages"] == ["de", "en", "fr", "nl"]
    for asked, language in (("de", "de"), ("fr-CA", "fr"), ("nl-BE", "nl"), ("es", "en")):
        config = visitor.config(lang=asked)
        assert config["language"] == language
        assert config["texts"] == DEFAULT_TEXTS[language]
    assert visitor.config(lang="de")["labels"]["load"] == "„{category}“ erlauben und laden"
    assert visitor.config(lang="fr")["labels"]["vendors"] == "Fournisseurs"
    # The embed carries the default language's texts only, and names the others.
    config = _inlined_config(client.get(f"/embed/{site}.js").get_data(as_text=True))
    assert set(config["translations"]) == {"en"}
    assert config["languages"] == ["de", "fr", "nl"]  # the default is the one it carries
    receipt = visitor.choose("reject_all", language="fr")
    assert receipt["language"] == "fr"


# --- Owner API -------------------------------------------------------------------------


def test_the_api_adds_and_removes_languages_through_the_draft(
    client: FlaskClient, owner: OwnerApi
) -> None:
    draft = owner.draft()
    draft["texts"]["es"] = spanish(draft["texts"]["en"])
    del draft["texts"]["nl"]
    assert set(owner.put_draft(draft)["texts"]) == {"en", "de", "fr", "es"}
    visitor = Visitor(client, owner.site_key)
    assert visitor.config(lang="es")["language"] == "en"  # not published yet
    assert sorted(owner.publish()["texts"]) == ["de", "en", "es", "fr"]
    assert visitor.config(lang="es-MX")["texts"]["title"] == "Sus opciones de privacidad"
    assert visitor.config(lang="nl")["language"] == "en"  # removed: the default
    assert visitor.choose("accept_all", language="es")["language"] == "es"
    refused = visitor.post(visitor.consent_body("accept_all", language="nl"))
    assert refused.status_code == 422 and refused.json["error"]["field"] == "language"


def test_the_default_language_is_one_of_the_versions(client: FlaskClient, owner: OwnerApi) -> None:
    draft = owner.draft()
    draft["texts"]["es"] = spanish(draft["texts"]["en"])
    owner.put_draft(draft)
    # In the draft only: the live banner could not fall back to it.
    refused = owner.call("PATCH", body={"default_language": "es"})
    assert refused.status_code == 422
    assert refused.json["error"]["field"] == "default_language"
    assert "publish" in refused.json["error"]["message"]
    owner.publish()
    assert owner.ok("PATCH", body={"default_language": "es"})["default_language"] == "es"
    assert Visitor(client, owner.site_key).config(lang="it")["language"] == "es"
    # The draft keeps the default language: removing it is refused.
    draft = owner.draft()
    del draft["texts"]["es"]
    response = owner.call("PUT", "/draft", draft)
    assert response.status_code == 422 and response.json["error"]["field"] == "texts.es"
    # A language dropped from the draft can no longer become the default.
    draft = owner.draft()
    del draft["texts"]["nl"]
    owner.put_draft(draft)
    response = owner.call("PATCH", body={"default_language": "nl"})
    assert response.status_code == 422 and response.json["error"]["field"] == "default_language"


@pytest.mark.parametrize("key", ["accept_all", "reject_all", "customize", "save", "title"])
def test_every_language_needs_every_text(owner: OwnerApi, key: str) -> None:
    for language in ("en", "nl", "de", "fr"):
        for blank in ("", " ", "\n\t"):
            draft = owner.draft()
            draft["texts"][language][key] = blank
            response = owner.call("PUT", "/draft", draft)
            assert response.status_code == 422
            assert response.json["error"]["field"] == f"texts.{language}.{key}"
        draft = owner.draft()
        del draft["texts"][language][key]
        response = owner.call("PUT", "/draft", draft)
        assert response.json["error"]["field"] == f"texts.{language}.{key}"


# --- Admin -----------------------------------------------------------------------------


def languages_listed(page: Page) -> dict[str, bool]:
    """The Languages list: each language and whether it can be removed."""
    listed = {}
    for item in page.find("li"):
        tag = item.attrs.get("data-language")
        if tag:
            listed[tag] = "Remove" in item.text
    return listed


def test_texts_pages_list_the_languages(admin: FlaskClient, site: str) -> None:
    page = Page.of(admin.get(f"/admin/sites/{site}/texts/de"))
    assert page.text("h1") == "Banner texts: Deutsch (de)"
    assert page.text("textarea", name="accept_all") == "Alle akzeptieren"
    assert languages_listed(page) == {"en": False, "de": True, "fr": True, "nl": True}
    (current,) = page.find("a", aria_current="page", hreflang="de")
    assert current.attrs["href"] == f"/admin/sites/{site}/texts/de"
    (nav,) = [a for a in page.find("a") if a.text == "Texts"]
    assert nav.attrs["href"] == f"/admin/sites/{site}/texts/en"  # the default language


def test_admin_removes_and_adds_a_shipped_language(
    app: Flask, admin: FlaskClient, site: str
) -> None:
    base = f"/admin/sites/{site}"
    removed = admin.post(f"{base}/languages/de/remove")
    assert removed.status_code == 302
    assert set(draft_texts(app, site)) == {"en", "nl", "fr"}
    # Its page now says how to add it, with the form filled in.
    missing = admin.get(f"{base}/texts/de")
    assert missing.status_code == 404
    page = Page.of(missing)
    assert "Deutsch (de)" in page.text("h1")
    assert page.find("input", name="language", value="de")
    assert [f for f in page.find("form") if f.attrs.get("action") == f"{base}/languages"]
    added = admin.post(f"{base}/languages", data={"language": "de"})
    assert added.status_code == 302 and added.headers["Location"] == f"{base}/texts/de"
    assert draft_texts(app, site)["de"] == DEFAULT_TEXTS["de"]
    assert admin.get(f"{base}/texts/de").status_code == 200


def test_admin_adds_another_language_as_a_copy_to_translate(
    app: Flask, client: FlaskClient, admin: FlaskClient, site: str
) -> None:
    base = f"/admin/sites/{site}"
    texts = {
        e.attrs["name"]: e.text for e in Page.of(admin.get(f"{base}/texts/en")).find("textarea")
    }
    assert (
        admin.post(f"{base}/texts/en", data={**texts, "title": "Cookies at Shop"}).status_code
        == 302
    )
    added = admin.post(f"{base}/languages", data={"language": " ES "})
    assert added.headers["Location"] == f"{base}/texts/es"
    start = draft_texts(app, site)["es"]
    assert start["title"] == "Cookies at Shop"  # the default language's texts, as edited
    page = Page.of(admin.get(f"{base}/texts/es"))
    form = {e.attrs["name"]: e.text for e in page.find("textarea")}
    saved = admin.post(f"{base}/texts/es", data={**form, "title": "Sus opciones"})
    assert saved.status_code == 302
    publish = admin.post(f"{base}/publish", data={})
    assert publish.status_code == 302
    assert Visitor(client, site).config(lang="es")["texts"]["title"] == "Sus opciones"


@pytest.mark.parametrize(
    ("typed", "message"),
    [("english", "lower-case letters"), ("e1", "lower-case letters"), ("", "lower-case"),
     ("nl", "already")],
)  # fmt: skip
def test_adding_a_language_explains_what_is_wrong(
    app: Flask, admin: FlaskClient, site: str, typed: str, message: str
) -> None:
    before = draft_texts(app, site)
    answer = admin.post(f"/admin/sites/{site}/languages", data={"language": typed})
    assert answer.status_code == 422
    page = Page.of(answer)
    assert message in page.text("p", data_field_error="language")
    (field,) = page.find("input", name="language")
    assert field.attrs["aria-invalid"] == "true"
    assert draft_texts(app, site) == before


def test_the_default_language_cannot_be_removed(app: Flask, admin: FlaskClient, site: str) -> None:
    before = draft_texts(app, site)
    answer = admin.post(f"/admin/sites/{site}/languages/en/remove")
    assert answer.status_code == 422
    assert admin.post(f"/admin/sites/{site}/languages/es/remove").status_code == 404
    assert draft_texts(app, site) == before


def test_an_unknown_language_page_says_how_to_add_one(admin: FlaskClient, site: str) -> None:
    answer = admin.get(f"/admin/sites/{site}/texts/de-DE")
    assert answer.status_code == 404
    page = Page.of(answer)
    assert "not a language of this site" in " ".join(p.text for p in page.find("p"))
    assert page.find("input", name="language", value="")


def test_settings_offer_the_published_languages_as_default(
    app: Flask, client: FlaskClient, admin: FlaskClient, site: str
) -> None:
    base = f"/admin/sites/{site}"
    admin.post(f"{base}/languages", data={"language": "es"})
    page = Page.of(admin.get(f"{base}/settings"))
    options = [o.attrs["value"] for o in page.find("option")]
    assert options == ["en", "de", "fr", "nl"]  # es is in the draft only
    form = {
        "name": "Shop",
        "origins": "https://shop.example",
        "default_language": "de",
        "choice_lifetime_days": "182",
        "retention_days": "365",
        "privacy_policy_url": "https://shop.example/privacy",
    }
    assert admin.post(f"{base}/settings", data=form).status_code == 302
    assert Visitor(client, site).config(lang="it")["language"] == "de"
    refused = admin.post(f"{base}/settings", data={**form, "default_language": "es"})
    assert refused.status_code == 422
    assert Page.of(refused).find("p", data_field_error="default_language")


def test_adding_and_removing_need_the_forms_token(db_url: str, site: str) -> None:
    app = create_app({**base_config(db_url), "WTF_CSRF_ENABLED": True})
    add_user(app, OWNER, "owner", site)
    client = app.test_client()
    login = Page.of(client.get("/admin/login"))
    form = {"email": OWNER, "password": PASSWORD, "csrf_token": login.csrf_token()}
    assert client.post("/admin/login", data=form).status_code == 302
    base = f"/admin/sites/{site}"
    assert client.post(f"{base}/languages", data={"language": "es"}).status_code == 403
    assert client.post(f"{base}/languages/de/remove").status_code == 403
    page = Page.of(client.get(f"{base}/texts/en"))
    token = page.csrf_token()
    assert client.post(f"{base}/languages/de/remove", data={"csrf_token": token}).status_code == 302
    added = client.post(f"{base}/languages", data={"language": "es", "csrf_token": token})
    assert added.status_code == 302
    with app.app_context():
        assert set(site_by_key(site).draft["texts"]) == {"en", "nl", "fr", "es"}
        db.engine.dispose()
