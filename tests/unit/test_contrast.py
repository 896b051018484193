"""WCAG 2.2 contrast (consent.core.contrast) and the theme's checks (consent.core.theme)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from consent.core.contrast import contrast_ratio, relative_luminance, shown_ratio
from consent.core.theme import (
    DARK,
    DEFAULT_DARK_ACCENT,
    DEFAULT_THEME,
    LIGHT,
    Scheme,
    contrast_problems,
    dark_accent,
    legible_accent,
)

STYLESHEET = Path(__file__).resolve().parents[2] / "static/banner/src/banner.css"


@pytest.mark.parametrize(
    ("color", "luminance"),
    [
        ("#000000", 0.0),
        ("#ffffff", 1.0),
        ("#ff0000", 0.2126),
        ("#00ff00", 0.7152),
        ("#0000ff", 0.0722),
        ("#808080", 0.2159),
    ],
)
def test_relative_luminance(color: str, luminance: float) -> None:
    assert relative_luminance(color) == pytest.approx(luminance, abs=1e-4)


@pytest.mark.parametrize(
    ("first", "second", "ratio"),
    [
        ("#000000", "#ffffff", 21.0),
        ("#ffffff", "#ffffff", 1.0),
        # The well-known edge of AA for grey text on white: #767676 passes, #777777 fails.
        ("#767676", "#ffffff", 4.54),
        ("#777777", "#ffffff", 4.48),
        ("#0000ff", "#ffffff", 8.59),
        ("#ff0000", "#ffffff", 4.00),
        ("#1f4fa3", "#ffffff", 7.76),
        ("#8fb3ff", "#1b1b1f", 8.22),
    ],
)
def test_contrast_ratio(first: str, second: str, ratio: float) -> None:
    assert contrast_ratio(first, second) == pytest.approx(ratio, abs=0.005)
    assert contrast_ratio(second, first) == contrast_ratio(first, second)


def test_upper_case_is_the_same_colour() -> None:
    assert contrast_ratio("#1F4FA3", "#FFFFFF") == contrast_ratio("#1f4fa3", "#ffffff")


@pytest.mark.parametrize("bad", ["1f4fa3", "#1f4fa", "#1f4fa3f", "#gggggg", "", "#fff"])
def test_not_a_colour(bad: str) -> None:
    with pytest.raises(ValueError):
        relative_luminance(bad)


def test_a_failing_ratio_never_reads_as_the_minimum() -> None:
    assert shown_ratio(4.4999) == "4.49:1"
    assert shown_ratio(21.0) == "21.00:1"


def test_the_default_theme_passes_in_both_schemes() -> None:
    assert contrast_problems(DEFAULT_THEME) == {}
    assert dark_accent(DEFAULT_THEME["accent"]) == DEFAULT_DARK_ACCENT


@pytest.mark.parametrize(
    ("accent", "mode", "ratio"),
    [("#7fa8ff", "light", "2.34:1"), ("#7fa8ff", "auto", "2.34:1"), ("#777777", "auto", "4.47:1")],
)
def test_a_light_accent_is_refused_where_the_light_scheme_shows(
    accent: str, mode: str, ratio: str
) -> None:
    problems = contrast_problems({**DEFAULT_THEME, "accent": accent, "mode": mode})
    assert list(problems) == ["theme.accent"]
    assert ratio in problems["theme.accent"] and "4.5:1" in problems["theme.accent"]
    suggested = re.search(r"#[0-9a-f]{6}\)$", problems["theme.accent"])
    assert suggested is not None
    assert contrast_ratio(suggested.group()[:-1], LIGHT.background) >= 4.5


def test_a_light_accent_suits_the_dark_scheme_as_it_is() -> None:
    assert contrast_problems({**DEFAULT_THEME, "accent": "#7fa8ff", "mode": "dark"}) == {}
    assert dark_accent("#7fa8ff") == "#7fa8ff"


@pytest.mark.parametrize("accent", ["#000000", "#1f4fa3", "#0b5d1e", "#6b21a8", "#c1440e"])
def test_the_dark_scheme_lightens_an_accent_too_dark_for_it(accent: str) -> None:
    shown = dark_accent(accent)
    assert contrast_ratio(shown, DARK.background) >= 4.5
    assert contrast_ratio(DARK.on_accent, shown) >= 4.5
    assert contrast_problems({**DEFAULT_THEME, "accent": accent, "mode": "dark"}) == {}


def test_a_nearest_shade_is_found_for_any_colour() -> None:
    for accent in ("#ffff00", "#00ffff", "#ffffff", "#808080"):
        assert legible_accent(accent, LIGHT) is not None
        assert legible_accent(accent, DARK) is not None


@pytest.mark.parametrize("scheme", [LIGHT, DARK])
def test_the_schemes_mirror_the_stylesheet(scheme: Scheme) -> None:
    """consent.core.theme checks the colours banner.css draws with: they must agree."""
    css = STYLESHEET.read_text()
    light, dark = css.split("/* The dark scheme", 1)
    block = light if scheme is LIGHT else dark
    for value in (scheme.background, scheme.text, scheme.muted, scheme.on_accent):
        short = "#fff" if value == "#ffffff" else value
        assert short in block, value
    assert f"--cl-focus:{scheme.focus}" in css and f"--cl-border:{scheme.border}" in css
    assert f"--cl-accent,{DEFAULT_THEME['accent']}" in css
    assert f"--cl-accent_dark,{DEFAULT_DARK_ACCENT}" in dark
