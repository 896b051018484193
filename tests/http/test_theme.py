"""The banner's theme over HTTP: the draft, publish, policy_hash, the config and the embed."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from consent.audit.replay import policy_hash_checks
from consent.core.canonical import digest
from consent.core.catalog import CATEGORIES
from consent.core.theme import DEFAULT_THEME, dark_accent
from consent.extensions import db
from consent.models import PolicyVersion
from consent.sites.versions import latest_version, policy_dict, policy_hash
from tests.helpers import Visitor
from tests.http.auditing import Page
from tests.http.test_audit_ui import replay_frames, signed_in
from tests.owners import OwnerApi, mint, site_by_key

BRAND = {
    "accent": "#0B5D1E",
    "mode": "dark",
    "layout": "bar",
    "position": "center",
    "radius": 4,
    "font": "inherit",
}


@pytest.fixture
def owner(app: Flask, client: FlaskClient, site: str) -> OwnerApi:
    """The owner API of the test site, with an owner token."""
    return OwnerApi(client, site, mint(app, site, "owner"))


def _embed_config(client: FlaskClient, site: str) -> dict[str, Any]:
    body = client.get(f"/embed/{site}.js").get_data(as_text=True)
    start = body.index('{"site_key"')
    config, _end = json.JSONDecoder().raw_decode(body[start:])
    return config  # type: ignore[no-any-return]


def test_a_new_draft_has_the_default_look(owner: OwnerApi) -> None:
    assert owner.draft()["theme"] == DEFAULT_THEME
    assert DEFAULT_THEME == {
        "accent": "#1f4fa3",
        "mode": "auto",
        "layout": "box",
        "position": "bottom",
        "radius": 12,
        "font": "system",
    }


def test_the_draft_carries_the_theme_there_and_back(owner: OwnerApi) -> None:
    draft = owner.draft()
    draft["theme"] = BRAND
    stored = owner.put_draft(draft)["theme"]
    assert stored == {**BRAND, "accent": "#0b5d1e"}
    assert owner.draft()["theme"] == stored


@pytest.mark.parametrize(
    ("theme", "stored"),
    [
        (None, DEFAULT_THEME),
        ({}, DEFAULT_THEME),
        ({"layout": "cloud"}, {**DEFAULT_THEME, "layout": "cloud"}),
        ({"radius": 0, "mode": "light"}, {**DEFAULT_THEME, "radius": 0, "mode": "light"}),
    ],
)
def test_a_member_left_out_takes_its_default(
    owner: OwnerApi, theme: dict[str, Any] | None, stored: dict[str, Any]
) -> None:
    draft = owner.draft()
    if theme is None:
        del draft["theme"]
    else:
        draft["theme"] = theme
    assert owner.put_draft(draft)["theme"] == stored


@pytest.mark.parametrize(
    ("theme", "field"),
    [
        ({"accent": "blue"}, "theme.accent"),
        ({"accent": "#fff"}, "theme.accent"),
        ({"mode": "sepia"}, "theme.mode"),
        ({"layout": "popup"}, "theme.layout"),
        ({"position": "top"}, "theme.position"),
        ({"radius": 25}, "theme.radius"),
        ({"radius": -1}, "theme.radius"),
        ({"radius": True}, "theme.radius"),
        ({"radius": 4.0}, "theme.radius"),
        ({"font": "comic"}, "theme.font"),
        ({"shadow": "large"}, "theme.shadow"),
        ("dark", "theme"),
    ],
)
def test_an_invalid_member_is_named(owner: OwnerApi, theme: Any, field: str) -> None:
    draft = owner.draft()
    draft["theme"] = theme
    response = owner.call("PUT", "/draft", draft)
    assert response.status_code == 422
    assert response.json["error"]["field"] == field


def test_every_invalid_member_at_once(owner: OwnerApi) -> None:
    draft = owner.draft()
    draft["theme"] = {"accent": "red", "mode": "sepia", "radius": 99}
    error = owner.call("PUT", "/draft", draft).json["error"]
    assert [f["field"] for f in error["fields"]] == ["theme.accent", "theme.mode", "theme.radius"]


def test_low_contrast_and_an_invalid_member_at_once(owner: OwnerApi) -> None:
    # Contrast is judged with the members' own checks, not after them.
    draft = owner.draft()
    draft["theme"] = {"accent": "#ffee00", "radius": 99}
    error = owner.call("PUT", "/draft", draft).json["error"]
    assert [f["field"] for f in error["fields"]] == ["theme.radius", "theme.accent"]
    # An invalid mode leaves the accent's contrast unjudged (its schemes are unknown).
    draft["theme"] = {"accent": "#ffee00", "mode": "sepia"}
    error = owner.call("PUT", "/draft", draft).json["error"]
    assert [f["field"] for f in error["fields"]] == ["theme.mode"]


@pytest.mark.parametrize(
    ("theme", "ratio"),
    [
        # A light blue fails on the light background, in light mode and in auto.
        ({"accent": "#7fa8ff", "mode": "light"}, "2.34:1"),
        ({"accent": "#7fa8ff", "mode": "auto"}, "2.34:1"),
        ({"accent": "#ffeb3b"}, "1.22:1"),
        # Just below the line: never rounded up to 4.5:1.
        ({"accent": "#777777", "mode": "light"}, "4.47:1"),
    ],
)
def test_a_theme_below_aa_contrast_is_refused_with_the_ratio(
    app: Flask, owner: OwnerApi, site: str, theme: dict[str, Any], ratio: str
) -> None:
    before = owner.draft()
    draft = owner.draft()
    draft["theme"] = theme
    response = owner.call("PUT", "/draft", draft)
    assert response.status_code == 422
    error = response.json["error"]
    assert error["field"] == "theme.accent"
    assert ratio in error["message"] and "4.5:1" in error["message"]
    assert owner.draft() == before


def test_a_light_accent_is_fine_in_dark_mode(owner: OwnerApi) -> None:
    draft = owner.draft()
    draft["theme"] = {"accent": "#7fa8ff", "mode": "dark"}
    assert owner.put_draft(draft)["theme"]["accent"] == "#7fa8ff"


def test_publish_refuses_a_stored_theme_below_contrast(
    app: Flask, owner: OwnerApi, site: str
) -> None:
    """A draft stored by other means (older code, the database) is checked again."""
    with app.app_context():
        row = site_by_key(site)
        row.draft = {**row.draft, "theme": {**DEFAULT_THEME, "accent": "#dddddd"}}
        db.session.commit()
    response = owner.call("POST", "/publish", {"requires_reconsent": None})
    assert response.status_code == 422
    assert response.json["error"]["field"] == "theme.accent"
    assert "1.35:1" in response.json["error"]["message"]
    with app.app_context():
        assert latest_version(site_by_key(site).id).version == 1  # type: ignore[union-attr]


def test_a_theme_change_is_a_version_of_its_own_with_its_own_hash(
    app: Flask, owner: OwnerApi, site: str
) -> None:
    with app.app_context():
        first = policy_dict(latest_version(site_by_key(site).id))  # type: ignore[arg-type]
    assert first["theme"] == DEFAULT_THEME
    draft = owner.draft()
    draft["theme"] = BRAND
    owner.put_draft(draft)
    second = owner.publish()
    assert second["version"] == 2 and second["requires_reconsent"] is False
    assert second["theme"]["mode"] == "dark"
    assert second["policy_hash"] != first["policy_hash"]
    assert second["policy_hash"] == policy_hash(
        draft["texts"], draft["vendors"], draft["privacy_policy_url"], None, second["theme"]
    )
    assert owner.ok("GET", "/policies/1/diff/2")["theme"] == {
        key: {"from": DEFAULT_THEME[key], "to": value.lower() if key == "accent" else value}
        for key, value in BRAND.items()
    }
    # The same theme again: nothing to publish.
    assert owner.call("POST", "/publish", {"requires_reconsent": None}).status_code == 409


def test_a_version_without_a_theme_hashes_as_before(app: Flask, site: str) -> None:
    """Versions published before themes store none: their hash (and so every receipt that
    names it) is unchanged, and they show the default look."""
    with app.app_context():
        row = site_by_key(site)
        current = latest_version(row.id)
        assert current is not None
        legacy = digest(
            {
                "texts": current.texts,
                "categories": list(CATEGORIES),
                "vendors": {vid: {"category": v["category"]} for vid, v in current.vendors.items()},
                "privacy_policy_url": current.privacy_policy_url,
            }
        )
        assert policy_hash(current.texts, current.vendors, current.privacy_policy_url) == legacy
        old = PolicyVersion(
            site_id=row.id,
            version=current.version + 1,
            published_at=current.published_at,
            privacy_policy_url=current.privacy_policy_url,
            cookie_statement_url=None,
            texts=current.texts,
            vendors=current.vendors,
            requires_reconsent=False,
            policy_hash=legacy,
            theme=None,
        )
        db.session.add(old)
        db.session.commit()
        shown = policy_dict(old)
        assert shown["theme"] is None
        receipt = {"policy_hash": legacy}
        assert policy_hash_checks(receipt, shown) == {
            "version_intact": True,
            "receipt_matches": True,
        }
        # Its theme would change the hash: the default look is not hashed into it.
        assert (
            policy_hash(
                current.texts, current.vendors, current.privacy_policy_url, None, DEFAULT_THEME
            )
            != legacy
        )


def test_the_config_carries_the_theme(client: FlaskClient, owner: OwnerApi, site: str) -> None:
    config = client.get(f"/api/v1/sites/{site}/config").json
    assert config["theme"] == {**DEFAULT_THEME, "accent_dark": "#8fb3ff"}
    # The default look costs the embed nothing: the stylesheet is that look.
    assert "theme" not in _embed_config(client, site)
    draft = owner.draft()
    draft["theme"] = BRAND
    owner.put_draft(draft)
    owner.publish()
    themed = {**BRAND, "accent": "#0b5d1e", "accent_dark": dark_accent("#0b5d1e")}
    assert client.get(f"/api/v1/sites/{site}/config").json["theme"] == themed
    assert _embed_config(client, site)["theme"] == themed


@pytest.mark.parametrize(
    ("theme", "embedded"),
    [
        ({"mode": "dark"}, {"mode": "dark"}),
        ({"mode": "light", "accent": "#0b5d1e"}, {"mode": "light", "accent": "#0b5d1e"}),
        (
            {"layout": "cloud", "accent": "#8fb3ff", "mode": "dark"},
            {"layout": "cloud", "accent": "#8fb3ff", "mode": "dark", "accent_dark": "#8fb3ff"},
        ),
    ],
)
def test_the_embed_leaves_out_what_is_at_its_default(
    client: FlaskClient,
    owner: OwnerApi,
    site: str,
    theme: dict[str, Any],
    embedded: dict[str, Any],
) -> None:
    draft = owner.draft()
    draft["theme"] = theme
    owner.put_draft(draft)
    owner.publish()
    assert _embed_config(client, site)["theme"] == embedded


def test_the_replay_shows_the_theme_of_the_receipts_version(
    app: Flask, client: FlaskClient, owner: OwnerApi, site: str
) -> None:
    draft = owner.draft()
    draft["theme"] = BRAND
    owner.put_draft(draft)
    owner.publish()
    receipt = Visitor(client, site).choose("accept_all")
    assert receipt["policy_version"] == 2
    draft["theme"] = {"layout": "cloud"}
    owner.put_draft(draft)
    owner.publish()  # version 3 looks otherwise: the replay keeps version 2's look
    page = Page.of(
        signed_in(app, site).get(f"/audit/sites/{site}/receipts/{receipt['receipt_id']}")
    )
    for _scripts, replay in replay_frames(page).values():
        assert replay["config"]["theme"] == {
            **BRAND,
            "accent": "#0b5d1e",
            "accent_dark": dark_accent("#0b5d1e"),
        }
