"""The admin's Appearance page through the test client: the form, its errors, the preview."""

from __future__ import annotations

import json

import pytest
from flask import Flask
from flask.testing import FlaskClient

from consent.admin.appearance import CHOICES
from consent.core.theme import DEFAULT_THEME, FONTS, LAYOUTS, MODES, POSITIONS
from tests.http.auditing import Page
from tests.http.test_admin_ui import OWNER, draft_of, sign_in
from tests.owners import add_user

FORM = {
    "accent": "#6b21a8",
    "mode": "light",
    "layout": "cloud",
    "position": "bottom-left",
    "radius": "20",
    "font": "inherit",
}


@pytest.fixture
def ui(app: Flask, site: str) -> FlaskClient:
    """A client signed in as the owner of the test site."""
    add_user(app, OWNER, "owner", site)
    return sign_in(app, OWNER)


def test_every_choice_of_the_theme_is_offered() -> None:
    offered = {key: {value for value, _label, _hint in CHOICES[key]} for key in CHOICES}
    assert offered == {
        "mode": set(MODES),
        "layout": set(LAYOUTS),
        "position": set(POSITIONS),
        "font": set(FONTS),
    }


def test_the_page_shows_the_drafts_theme_and_is_in_the_nav(ui: FlaskClient, site: str) -> None:
    page = Page.of(ui.get(f"/admin/sites/{site}/appearance"))
    links = [a.attrs.get("href") for a in page.find("a")]
    assert f"/admin/sites/{site}/appearance" in links
    (accent,) = page.find("input", name="accent")
    assert accent.attrs["value"] == DEFAULT_THEME["accent"] and accent.attrs["type"] == "color"
    checked = {
        e.attrs["name"]: e.attrs["value"] for e in page.find("input") if "checked" in e.attrs
    }
    assert {k: checked[k] for k in ("mode", "layout", "position", "font")} == {
        k: DEFAULT_THEME[k] for k in ("mode", "layout", "position", "font")
    }


def test_saving_puts_the_theme_in_the_draft(app: Flask, ui: FlaskClient, site: str) -> None:
    answer = ui.post(f"/admin/sites/{site}/appearance", data=FORM)
    assert answer.status_code == 302
    assert draft_of(app, site)["theme"] == {**FORM, "radius": 20}
    # The preview runs the draft: its config carries the theme (and its dark tint if shown).
    frame = Page.of(ui.get(f"/admin/sites/{site}/appearance")).find("iframe")[0]
    inner = Page()
    inner.feed(frame.attrs["srcdoc"])
    config = json.loads(inner.find("html")[0].attrs["data-consent-preview"])
    assert config["theme"] == {**FORM, "radius": 20}


def test_a_low_contrast_accent_is_refused_next_to_its_input(
    app: Flask, ui: FlaskClient, site: str
) -> None:
    before = draft_of(app, site)
    answer = ui.post(f"/admin/sites/{site}/appearance", data={**FORM, "accent": "#7fa8ff"})
    assert answer.status_code == 422
    page = Page.of(answer)
    (error,) = page.find("p", data_field_error="accent")
    assert "2.34:1" in error.text and "4.5:1" in error.text
    (accent,) = page.find("input", name="accent")
    assert accent.attrs["aria-invalid"] == "true" and accent.attrs["value"] == "#7fa8ff"
    assert draft_of(app, site) == before


def test_every_invalid_field_at_once(app: Flask, ui: FlaskClient, site: str) -> None:
    data = {**FORM, "mode": "sepia", "radius": "99", "font": ""}
    page = Page.of(ui.post(f"/admin/sites/{site}/appearance", data=data))
    marked = {e.attrs["data-field-error"] for e in page.find("p") if "data-field-error" in e.attrs}
    assert marked == {"mode", "radius", "font"}


def test_a_low_contrast_accent_and_a_bad_radius_are_both_marked(
    app: Flask, ui: FlaskClient, site: str
) -> None:
    # A yellow accent (too pale on white) and radius 99: both errors at once, each next to
    # its input, not the radius alone.
    data = {**FORM, "accent": "#ffee00", "radius": "99"}
    answer = ui.post(f"/admin/sites/{site}/appearance", data=data)
    assert answer.status_code == 422
    page = Page.of(answer)
    marked = {e.attrs["data-field-error"]: e.text for e in page.find("p")
              if "data-field-error" in e.attrs}  # fmt: skip
    assert set(marked) == {"accent", "radius"}
    assert "4.5:1" in marked["accent"] and "0 to 24" in marked["radius"]
    (accent,) = page.find("input", name="accent")
    assert accent.attrs["aria-invalid"] == "true"
