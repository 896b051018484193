"""The owner API (/api/v1/admin/sites/…): every endpoint, its authorisation and validation."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance
from sqlalchemy import inspect, select

from consent.extensions import db
from consent.models import ApiToken, PolicyVersion, Site
from consent.openapi.document import document
from consent.sites.state import SiteCache
from tests.helpers import Visitor
from tests.owners import OwnerApi, mint, other_site, site_by_key

GA = {"category": "performance", "settings": {"measurement_id": "G-TEST123"}}

#: Every owner operation: (method, path under the site, body).
OPERATIONS: list[tuple[str, str, Any]] = [
    ("GET", "", None),
    ("PATCH", "", {"name": "Renamed"}),
    ("GET", "/draft", None),
    ("PUT", "/draft", {"privacy_policy_url": "https://x.example/p", "texts": {}, "vendors": {}}),
    ("POST", "/publish", {"requires_reconsent": None}),
    ("GET", "/policies/1/diff/1", None),
    ("GET", "/tokens", None),
    ("POST", "/tokens", {"role": "auditor", "label": "x"}),
    ("DELETE", "/tokens/1", None),
    ("GET", "/snippet", None),
]
OPERATION_IDS = [f"{m} {p or '/'}" for m, p, _ in OPERATIONS]


@pytest.fixture
def owner(app: Flask, client: FlaskClient, site: str) -> OwnerApi:
    """The owner API of the test site, with an owner token."""
    return OwnerApi(client, site, mint(app, site, "owner"))


def state_version(app: Flask, site_key: str) -> int:
    with app.app_context():
        return site_by_key(site_key).state_version


# --- Authorisation ---------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "body"), OPERATIONS, ids=OPERATION_IDS)
def test_authorisation_precedence(
    app: Flask, client: FlaskClient, site: str, method: str, path: str, body: Any
) -> None:
    other = other_site(app)
    cases = [
        (None, 401, "unauthorized"),
        ("cl_not-a-token", 401, "unauthorized"),
        (mint(app, other, "owner"), 404, "not_found"),  # another site's token: as unknown
        (mint(app, other, "auditor"), 404, "not_found"),
        (mint(app, site, "auditor"), 403, "forbidden"),
    ]
    for token, status, code in cases:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = client.open(
            f"/api/v1/admin/sites/{site}{path}", method=method, json=body, headers=headers
        )
        assert response.status_code == status, (token, response.json)
        assert response.json["error"]["code"] == code
        if status == 401:
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
    # A token of another site answers exactly like an unknown site.
    unknown = client.open(
        f"/api/v1/admin/sites/NoSuchSiteKey{path}",
        method=method,
        json=body,
        headers={"Authorization": f"Bearer {mint(app, site, 'owner')}"},
    )
    assert unknown.status_code == 404 and unknown.json["error"]["code"] == "not_found"


def test_revoked_token_gets_401(owner: OwnerApi) -> None:
    created = owner.ok("POST", "/tokens", {"role": "owner", "label": "ci"}, status=201)
    second = OwnerApi(owner.client, owner.site_key, created["token"])
    assert second.ok("GET")["site_key"] == owner.site_key
    assert owner.call("DELETE", f"/tokens/{created['id']}").status_code == 204
    response = second.call("GET")
    assert response.status_code == 401 and response.json["error"]["code"] == "unauthorized"


# --- Site settings ---------------------------------------------------------------------


def test_get_site(owner: OwnerApi) -> None:
    assert owner.ok("GET") == {
        "site_key": owner.site_key,
        "name": "Shop",
        "origins": ["https://shop.example", "http://localhost:8000"],
        "default_language": "en",
        "choice_lifetime_days": 182,
        "retention_days": 365,
        "privacy_policy_url": "https://shop.example/privacy",
        "auto_block": True,
        "policy_version": 1,
    }


def test_patch_changes_any_subset_and_reaches_the_visitor_api(
    app: Flask, client: FlaskClient, owner: OwnerApi
) -> None:
    before = state_version(app, owner.site_key)
    patched = owner.ok(
        "PATCH",
        body={
            "name": "Shop NL",
            "origins": ["HTTPS://WWW.Shop.Example:443/", "http://[::1]:8080"],
            "default_language": "nl",
            "choice_lifetime_days": 395,
            "retention_days": 30,
        },
    )
    assert patched["origins"] == ["https://www.shop.example", "http://[::1]:8080"]
    assert (patched["name"], patched["default_language"]) == ("Shop NL", "nl")
    assert (patched["choice_lifetime_days"], patched["retention_days"]) == (395, 30)
    assert owner.ok("GET") == patched
    assert state_version(app, owner.site_key) > before
    visitor = Visitor(client, owner.site_key, origin="https://www.shop.example")
    config = visitor.config()
    assert config["choice_lifetime_days"] == 395 and config["language"] == "nl"
    # The old origin is no longer allowed (the list was replaced).
    old = client.get(
        f"/api/v1/sites/{owner.site_key}/config", headers={"Origin": "https://shop.example"}
    )
    assert old.status_code == 403


def test_auto_block_round_trip_reaches_every_worker(app: Flask, owner: OwnerApi) -> None:
    other_worker = SiteCache(ttl=0.0)  # a cache the PATCH's own worker cannot forget
    with app.app_context():
        assert other_worker.get(owner.site_key).auto_block is True
    for value in (False, True, False):
        before = state_version(app, owner.site_key)
        assert owner.ok("PATCH", body={"auto_block": value})["auto_block"] is value
        assert owner.ok("GET")["auto_block"] is value
        assert state_version(app, owner.site_key) > before
        with app.app_context():
            assert site_by_key(owner.site_key).auto_block is value
            assert other_worker.get(owner.site_key).auto_block is value


def test_migration_0008_leaves_auto_block_off_for_existing_sites(
    app: Flask, owner: OwnerApi
) -> None:
    from flask_migrate import downgrade, upgrade

    from consent.extensions import init_migrations

    with app.app_context():
        directory = init_migrations(app)
        downgrade(directory=directory, revision="0007")
        assert "auto_block" not in {c["name"] for c in inspect(db.engine).get_columns("sites")}
        upgrade(directory=directory)
    # The site, its token and its version survive; only the new setting starts off.
    assert owner.ok("GET")["auto_block"] is False
    with app.app_context():
        assert site_by_key(owner.site_key).auto_block is False
        assert len(site_by_key(owner.site_key).policies) == 1
    assert owner.ok("PATCH", body={"auto_block": True})["auto_block"] is True
    with app.app_context():
        assert site_by_key(other_site(app)).auto_block is True  # created after: on


def test_patch_privacy_url_goes_into_the_draft(client: FlaskClient, owner: OwnerApi) -> None:
    url = "https://shop.example/privacy-2026"
    assert owner.ok("PATCH", body={"privacy_policy_url": url})["privacy_policy_url"] == url
    assert owner.draft()["privacy_policy_url"] == url
    visitor = Visitor(client, owner.site_key)
    assert visitor.config()["privacy_policy_url"] == "https://shop.example/privacy"
    assert owner.publish()["privacy_policy_url"] == url
    assert visitor.config()["privacy_policy_url"] == url


def test_an_origin_without_scheme_is_told_what_to_write(owner: OwnerApi) -> None:
    answer = owner.call("PATCH", body={"origins": ["shop.example.com"]})
    assert answer.status_code == 422
    assert "https://shop.example.com" in answer.json["error"]["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"origins": ["https://ok.example", "http://shop.example"]}, "origins[1]"),
        ({"origins": ["https://ok.example", "https://shop.example/path"]}, "origins[1]"),
        ({"origins": ["https://user@shop.example"]}, "origins[0]"),
        ({"origins": ["https://shop.example?q=1"]}, "origins[0]"),
        ({"origins": ["https://shop.example#top"]}, "origins[0]"),
        ({"origins": ["ftp://shop.example"]}, "origins[0]"),
        ({"origins": ["shop.example"]}, "origins[0]"),
        ({"origins": [7]}, "origins[0]"),
        ({"origins": []}, "origins"),
        ({"origins": "https://shop.example"}, "origins"),
        ({"choice_lifetime_days": 0}, "choice_lifetime_days"),
        ({"choice_lifetime_days": 396}, "choice_lifetime_days"),
        ({"choice_lifetime_days": True}, "choice_lifetime_days"),
        ({"choice_lifetime_days": 30.0}, "choice_lifetime_days"),
        ({"choice_lifetime_days": "30"}, "choice_lifetime_days"),
        ({"retention_days": 0}, "retention_days"),
        ({"retention_days": None}, "retention_days"),
        ({"default_language": "es"}, "default_language"),
        ({"default_language": "EN"}, "default_language"),
        ({"default_language": "english"}, "default_language"),
        ({"default_language": None}, "default_language"),
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"privacy_policy_url": "javascript:alert(1)"}, "privacy_policy_url"),
        ({"privacy_policy_url": "data:text/html,hi"}, "privacy_policy_url"),
        ({"privacy_policy_url": "http://shop.example/privacy"}, "privacy_policy_url"),
        ({"auto_block": "yes"}, "auto_block"),
        ({"auto_block": 1}, "auto_block"),
        ({"auto_block": 0}, "auto_block"),
        ({"auto_block": None}, "auto_block"),
        ({"auto_block": "false"}, "auto_block"),
        ({"colour": "red"}, "colour"),
        ({"site_key": "another"}, "site_key"),
        ({"policy_version": 7}, "policy_version"),
        ([], "body"),
    ],
)
def test_patch_rejects_invalid_values_and_saves_nothing(
    app: Flask, owner: OwnerApi, body: Any, field: str
) -> None:
    before = owner.ok("GET")
    version = state_version(app, owner.site_key)
    # A valid change rides along: it must not be saved either.
    payload = {"name": "Half saved", **body} if isinstance(body, dict) else body
    response = owner.call("PATCH", body=payload)
    assert response.status_code == 422, response.json
    assert response.json["error"]["code"] == "invalid_field"
    assert response.json["error"]["field"] == field
    assert owner.ok("GET") == before
    assert state_version(app, owner.site_key) == version


def test_patch_accepts_read_only_members_unchanged(owner: OwnerApi) -> None:
    site = owner.ok("GET")
    assert owner.ok("PATCH", body={**site, "name": "Again"})["name"] == "Again"


@pytest.mark.parametrize(
    ("raw", "content_type", "status", "code"),
    [
        (b'{"name": "a", "name": "b"}', "application/json", 400, "malformed_json"),
        (b'{"name": NaN}', "application/json", 400, "malformed_json"),
        (b"name=a", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
        (b'{"name": "' + b"a" * 17000 + b'"}', "application/json", 413, "payload_too_large"),
    ],
)
def test_bodies_follow_the_ijson_rules(
    owner: OwnerApi, raw: bytes, content_type: str, status: int, code: str
) -> None:
    for method, path in (("PATCH", ""), ("PUT", "/draft"), ("POST", "/publish")):
        response = owner.call(method, path, data=raw, headers={"Content-Type": content_type})
        assert response.status_code == status, (method, response.json)
        assert response.json["error"]["code"] == code


# --- Draft -----------------------------------------------------------------------------


def test_draft_round_trip_keeps_owner_markup_exactly(owner: OwnerApi) -> None:
    draft = owner.draft()
    assert draft["based_on"] == 1
    assert set(draft) >= {"based_on", "privacy_policy_url", "texts", "vendors"}
    assert draft["vendors"]["stripe"] == {"category": "necessary", "settings": {}}
    markup = '<b>Cookies</b> & <script>alert("x")</script>'
    draft["texts"]["nl"]["title"] = markup
    draft["vendors"]["vimeo"]["category"] = "targeting"
    draft["vendors"]["youtube"] = {"category": "functionality", "settings": {}}
    stored = owner.put_draft(draft)
    assert stored["texts"]["nl"]["title"] == markup
    assert owner.draft() == stored
    assert owner.publish()["texts"]["nl"]["title"] == markup


def _with(change: Any) -> Any:
    def apply(draft: dict[str, Any]) -> dict[str, Any]:
        change(draft)
        return draft

    return apply


def test_a_managed_vendors_id_is_optional_only_with_auto_blocking(owner: OwnerApi) -> None:
    # With auto-blocking on, the page may carry GA's own snippet instead of the loader's.
    draft = owner.draft()
    draft["vendors"]["google-analytics"]["settings"].clear()
    owner.ok("PATCH", body={"auto_block": False})
    response = owner.call("PUT", "/draft", draft)
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == (
        "vendors.google-analytics.settings.measurement_id"
    )
    owner.ok("PATCH", body={"auto_block": True})
    saved = owner.put_draft(draft)
    assert saved["vendors"]["google-analytics"]["settings"] == {}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d["vendors"]["google-analytics"]["settings"].update(measurement_id="UA-1"),
         "vendors.google-analytics.settings.measurement_id"),
        (lambda d: d["vendors"]["linkedin-insight"]["settings"].update(partner_id="12ab"),
         "vendors.linkedin-insight.settings.partner_id"),
        (lambda d: d["vendors"]["meta-pixel"]["settings"].update(pixel_id=""),
         "vendors.meta-pixel.settings.pixel_id"),
        (lambda d: d["vendors"]["hubspot"]["settings"].update(colour="red"),
         "vendors.hubspot.settings.colour"),
        (lambda d: d["vendors"]["vimeo"].update(category="necessary"), "vendors.vimeo.category"),
        (lambda d: d["vendors"]["vimeo"].update(category="marketing"), "vendors.vimeo.category"),
        (lambda d: d["vendors"].update(tiktok={"category": "targeting"}), "vendors.tiktok"),
        (lambda d: d["texts"]["nl"].update(title="x" * 2001), "texts.nl.title"),
        (lambda d: d["texts"]["nl"].update(title=None), "texts.nl.title"),
        (lambda d: d["texts"]["en"].pop("reject_all"), "texts.en.reject_all"),
        (lambda d: d["texts"]["en"].update(footer="x"), "texts.en.footer"),
        (lambda d: d["texts"]["en"]["categories"]["social"].update(title=1),
         "texts.en.categories.social.title"),
        (lambda d: d["texts"].pop("en"), "texts.en"),  # the site's default language
        (lambda d: d["texts"].update(EN=d["texts"]["en"]), "texts.EN"),
        (lambda d: d["texts"].update(deu_ch=d["texts"]["en"]), "texts.deu_ch"),
        (lambda d: d["texts"].update(es="hola"), "texts.es"),
        (lambda d: d["texts"]["de"].update(accept_all=""), "texts.de.accept_all"),
        (lambda d: d["texts"]["fr"].update(reject_all=" \n\t"), "texts.fr.reject_all"),
        (lambda d: d["texts"]["nl"]["categories"]["social"].update(title=" "),
         "texts.nl.categories.social.title"),
        (lambda d: d["texts"]["de"].update(placeholder="Blockiert."), "texts.de.placeholder"),
        (lambda d: d["texts"]["de"].update(placeholder="{Vendor}"), "texts.de.placeholder"),
        (lambda d: d.update(privacy_policy_url="javascript:alert(1)"), "privacy_policy_url"),
        (lambda d: d.update(cookie_statement_url="data:,x"), "cookie_statement_url"),
        (lambda d: d.pop("vendors"), "vendors"),
        (lambda d: d.update(based_on="1"), "based_on"),
        (lambda d: d.update(extra=1), "extra"),
    ],
)  # fmt: skip
def test_draft_put_names_the_invalid_field_and_saves_nothing(
    owner: OwnerApi, change: Any, field: str
) -> None:
    before = owner.draft()
    draft = copy.deepcopy(before)
    draft["texts"]["en"]["title"] = "Valid change that must not be saved"
    change(draft)
    response = owner.call("PUT", "/draft", draft)
    assert response.status_code == 422, response.json
    assert response.json["error"] == {
        "code": "invalid_field",
        "message": response.json["error"]["message"],
        "field": field,
        "fields": [{"field": field, "message": response.json["error"]["message"]}],
    }
    assert owner.draft() == before


def test_cookie_statement_url_is_optional(owner: OwnerApi) -> None:
    draft = owner.draft()
    draft["cookie_statement_url"] = "https://shop.example/cookies"
    assert owner.put_draft(draft)["cookie_statement_url"] == "https://shop.example/cookies"
    draft.pop("cookie_statement_url")
    assert owner.put_draft(draft)["cookie_statement_url"] is None


# --- Publish, re-consent and diff ------------------------------------------------------


def _add_vendor(draft: dict[str, Any]) -> None:
    draft["vendors"]["youtube"] = {"category": "targeting", "settings": {}}


def _move_vendor(draft: dict[str, Any]) -> None:
    draft["vendors"]["vimeo"]["category"] = "targeting"


def _remove_vendor(draft: dict[str, Any]) -> None:
    del draft["vendors"]["meta-pixel"]


def _edit_text(draft: dict[str, Any]) -> None:
    draft["texts"]["nl"]["description"] = "Nieuwe tekst."


def _edit_setting(draft: dict[str, Any]) -> None:
    draft["vendors"]["google-analytics"]["settings"]["measurement_id"] = "G-NEW999"


def _edit_url(draft: dict[str, Any]) -> None:
    draft["privacy_policy_url"] = "https://shop.example/privacy-v2"


def _swap(draft: dict[str, Any]) -> None:
    _remove_vendor(draft)
    _add_vendor(draft)


@pytest.mark.parametrize(
    ("change", "asked", "expected"),
    [
        (_add_vendor, None, True),
        (_move_vendor, None, True),
        (_swap, None, True),
        (_remove_vendor, None, False),
        (_edit_text, None, False),
        (_edit_setting, None, False),
        (_edit_url, None, False),
        (_add_vendor, False, False),
        (_edit_text, True, True),
        (_remove_vendor, True, True),
    ],
)
def test_publish_decides_reconsent_from_the_diff(
    client: FlaskClient, owner: OwnerApi, change: Any, asked: bool | None, expected: bool
) -> None:
    visitor = Visitor(client, owner.site_key)
    visitor.choose("accept_all")
    draft = owner.draft()
    change(draft)
    owner.put_draft(draft)
    published = owner.publish(asked)
    assert published["version"] == 2 and published["requires_reconsent"] is expected
    answer = visitor.gate("google-analytics")
    assert answer["policy_version"] == 2
    reason = answer["decisions"]["google-analytics"]["reason"]
    assert reason == ("outdated_policy" if expected else "consented")
    assert answer["show_banner"] is expected
    assert owner.ok("GET", "/policies/1/diff/2")["requires_reconsent"] is expected


def test_publish_answers_as_the_audit_api_shows_the_version(
    app: Flask, client: FlaskClient, owner: OwnerApi
) -> None:
    _change_draft(owner, _edit_text)
    published = owner.publish(False)
    assert {
        "version",
        "published_at",
        "privacy_policy_url",
        "texts",
        "vendors",
        "requires_reconsent",
        "policy_hash",
    } <= set(published)
    auditor = mint(app, owner.site_key, "auditor")
    shown = client.get(
        f"/api/v1/audit/sites/{owner.site_key}/policies/2",
        headers={"Authorization": f"Bearer {auditor}"},
    )
    assert shown.status_code == 200 and shown.json == published
    config = Visitor(client, owner.site_key).config()
    assert (config["policy_version"], config["policy_hash"]) == (2, published["policy_hash"])


def test_publish_body_is_validated(owner: OwnerApi) -> None:
    for body, field in (({"requires_reconsent": "yes"}, "requires_reconsent"), ({"x": 1}, "x")):
        response = owner.call("POST", "/publish", body)
        assert response.status_code == 422 and response.json["error"]["field"] == field
    assert owner.ok("GET")["policy_version"] == 1
    _change_draft(owner, _edit_text)
    assert owner.publish(None)["requires_reconsent"] is False  # {} and null both decide
    _change_draft(owner, _edit_url)
    assert owner.ok("POST", "/publish", {}, status=201)["version"] == 3


def _change_draft(owner: OwnerApi, change: Any) -> None:
    draft = owner.draft()
    change(draft)
    owner.put_draft(draft)


def _change_cookie_url(draft: dict[str, Any]) -> None:
    draft["cookie_statement_url"] = "https://shop.example/cookies"


def _reorder(draft: dict[str, Any]) -> None:
    # The same contents in another member order are the same draft.
    draft["vendors"] = dict(reversed(draft["vendors"].items()))
    draft["texts"] = dict(reversed(draft["texts"].items()))


def _change_and_undo(draft: dict[str, Any]) -> None:
    before = copy.deepcopy(draft)
    _edit_text(draft)
    draft.clear()
    draft.update(before)


@pytest.mark.parametrize(
    "change", [_reorder, _change_and_undo, lambda draft: None], ids=["reordered", "undone", "as is"]
)
def test_publishing_a_draft_identical_to_the_current_version_is_a_conflict(
    app: Flask, client: FlaskClient, owner: OwnerApi, change: Any
) -> None:
    _change_draft(owner, change)
    state = state_version(app, owner.site_key)
    for body in ({"requires_reconsent": None}, {"requires_reconsent": True}):
        response = owner.call("POST", "/publish", body)
        assert response.status_code == 409
        assert response.json["error"]["code"] == "conflict"
        assert "identical to version 1" in response.json["error"]["message"]
    assert owner.ok("GET")["policy_version"] == 1
    assert state_version(app, owner.site_key) == state
    with app.app_context():
        site_id = site_by_key(owner.site_key).id
        versions = db.session.scalars(
            select(PolicyVersion.version).where(PolicyVersion.site_id == site_id)
        ).all()
    assert versions == [1]
    assert Visitor(client, owner.site_key).config()["policy_version"] == 1


@pytest.mark.parametrize(
    "change", [_edit_setting, _change_cookie_url, _edit_url, _edit_text, _remove_vendor]
)
def test_any_frozen_change_is_worth_a_version(owner: OwnerApi, change: Any) -> None:
    _change_draft(owner, change)
    assert owner.publish(None)["version"] == 2
    conflict = owner.call("POST", "/publish", {"requires_reconsent": None})
    assert conflict.status_code == 409
    assert "identical to version 2" in conflict.json["error"]["message"]


def test_diff_between_versions(owner: OwnerApi) -> None:
    draft = owner.draft()
    old_description = draft["texts"]["nl"]["description"]
    _add_vendor(draft)
    _move_vendor(draft)
    _remove_vendor(draft)
    _edit_text(draft)
    _edit_url(draft)
    draft["texts"]["en"]["categories"]["social"]["title"] = "Social networks"
    owner.put_draft(draft)
    owner.publish()
    diff = owner.ok("GET", "/policies/1/diff/2")
    assert (diff["from"], diff["to"]) == (1, 2)
    assert diff["texts"] == {
        "en.categories.social.title": {"from": "Social media", "to": "Social networks"},
        "nl.description": {"from": old_description, "to": "Nieuwe tekst."},
    }
    assert diff["vendors"]["added"] == ["youtube"]
    assert diff["vendors"]["removed"] == ["meta-pixel"]
    assert diff["vendors"]["moved"] == {"vimeo": {"from": "functionality", "to": "targeting"}}
    assert diff["privacy_policy_url"] == {
        "from": "https://shop.example/privacy",
        "to": "https://shop.example/privacy-v2",
    }
    assert diff["requires_reconsent"] is True
    back = owner.ok("GET", "/policies/2/diff/1")
    assert back["vendors"]["added"] == ["meta-pixel"] and back["vendors"]["removed"] == ["youtube"]
    same = owner.ok("GET", "/policies/1/diff/1")
    assert same["texts"] == {} and same["vendors"]["moved"] == {}
    assert same["privacy_policy_url"] is None and same["requires_reconsent"] is False


@pytest.mark.parametrize(
    "path",
    [
        "/policies/1/diff/9",
        "/policies/0/diff/1",
        "/policies/x/diff/1",
        "/policies/1/diff/-1",
        "/policies/1/diff/99999999999999",
    ],
)
def test_diff_of_an_unknown_version_is_404(owner: OwnerApi, path: str) -> None:
    response = owner.call("GET", path)
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"


def test_every_owner_change_bumps_the_state_version(app: Flask, owner: OwnerApi) -> None:
    versions = [state_version(app, owner.site_key)]
    owner.ok("PATCH", body={"choice_lifetime_days": 30})
    versions.append(state_version(app, owner.site_key))
    _change_draft(owner, _edit_text)
    versions.append(state_version(app, owner.site_key))
    owner.publish()
    versions.append(state_version(app, owner.site_key))
    assert versions == sorted(set(versions))


# --- Tokens and snippet ----------------------------------------------------------------


def test_tokens_list_create_revoke(app: Flask, client: FlaskClient, owner: OwnerApi) -> None:
    listed = owner.ok("GET", "/tokens")["items"]
    assert len(listed) == 1 and set(listed[0]) == {
        "id",
        "role",
        "label",
        "created_at",
        "last_used_at",
    }
    assert listed[0]["last_used_at"] is not None  # the owner token itself was just used
    created = owner.ok("POST", "/tokens", {"role": "auditor", "label": "DPO"}, status=201)
    assert created["token"].startswith("cl_") and created["role"] == "auditor"
    assert created["label"] == "DPO" and created["created_at"].endswith("Z")
    items = owner.ok("GET", "/tokens")["items"]
    assert [t["id"] for t in items] == [listed[0]["id"], created["id"]]
    assert all("token" not in t and created["token"] not in str(t) for t in items)
    as_auditor = client.get(
        f"/api/v1/audit/sites/{owner.site_key}/verify",
        headers={"Authorization": f"Bearer {created['token']}"},
    )
    assert as_auditor.status_code == 200
    with app.app_context():
        row = db.session.get(ApiToken, created["id"])
        assert row is not None and row.token_hash != created["token"]
        assert created["token"] not in row.token_hash
    assert owner.call("DELETE", f"/tokens/{created['id']}").status_code == 204
    assert [t["id"] for t in owner.ok("GET", "/tokens")["items"]] == [listed[0]["id"]]
    again = owner.call("DELETE", f"/tokens/{created['id']}")
    assert again.status_code == 404
    revoked = client.get(
        f"/api/v1/audit/sites/{owner.site_key}/verify",
        headers={"Authorization": f"Bearer {created['token']}"},
    )
    assert revoked.status_code == 401


def test_token_requests_are_validated(owner: OwnerApi) -> None:
    for body, field in (
        ({"role": "admin"}, "role"),
        ({"label": "x"}, "role"),
        ({"role": "owner", "label": "x" * 201}, "label"),
        ({"role": "owner", "label": 5}, "label"),
        ({"role": "owner", "scope": "all"}, "scope"),
    ):
        response = owner.call("POST", "/tokens", body)
        assert response.status_code == 422 and response.json["error"]["field"] == field
    assert len(owner.ok("GET", "/tokens")["items"]) == 1


def test_another_sites_token_cannot_be_revoked(app: Flask, owner: OwnerApi) -> None:
    other = other_site(app)
    mint(app, other, "auditor")
    with app.app_context():
        foreign = db.session.scalars(
            select(ApiToken).join(Site).where(Site.site_key == other)
        ).one()
    for token_id in (str(foreign.id), "999", "abc", "-1"):
        response = owner.call("DELETE", f"/tokens/{token_id}")
        assert response.status_code == 404, token_id
    with app.app_context():
        assert db.session.get(ApiToken, foreign.id).revoked_at is None


def test_snippet(owner: OwnerApi) -> None:
    assert owner.ok("GET", "/snippet") == {
        "html": f'<script src="http://consent.test/embed/{owner.site_key}.js"></script>'
    }


# --- Fuzzing with an owner token -------------------------------------------------------

ADMIN_OPERATIONS = [
    (path, method.upper())
    for path, item in document()["paths"].items()
    if path.startswith("/api/v1/admin/sites/{site_key}") and "erasure" not in path
    for method in item
]


@pytest.mark.parametrize(
    ("path", "method"), ADMIN_OPERATIONS, ids=[f"{m} {p}" for p, m in ADMIN_OPERATIONS]
)
def test_owner_api_keeps_to_its_schema_when_authorised(
    app: Flask, site: str, path: str, method: str
) -> None:
    # Schemathesis also calls without a token (it must get 401): not a brute force to limit.
    app.config["CONSENT_RATELIMIT_AUTH"] = "100000/minute"
    # A scan it starts stays queued (then 409, as documented): no Chromium behind the fuzz,
    # and no job thread writing to the database beside it.
    app.extensions["consent_scans"].submit = lambda _scan_id: None
    operation = schemathesis.openapi.from_wsgi("/openapi.json", app)[path][method]

    @given(case=operation.as_strategy())
    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    def fuzz(case) -> None:  # type: ignore[no-untyped-def]
        case.path_parameters["site_key"] = site
        case.headers = {
            **(case.headers or {}),
            "Authorization": f"Bearer {mint(app, site, 'owner')}",
        }
        # Semantic rules (valid ids, https URLs, texts of every language) are beyond the schema.
        case.call_and_validate(excluded_checks=[positive_data_acceptance])

    fuzz()
