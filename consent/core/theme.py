"""The banner's theme: its fields and defaults, the colour schemes it is drawn in, and the
contrast it must reach (WCAG 2.2 AA) in every scheme its mode allows.

The owner picks one accent colour. The light scheme uses it as given; the dark scheme
uses it too when it is legible on the dark background, else the nearest lighter tint of
the same hue that is (no single colour reaches 4.5:1 on both backgrounds, so ``auto``
could not work otherwise). The schemes' other colours are fixed: they mirror
static/banner/src/banner.css, and a test keeps the two in step.
"""

from __future__ import annotations

import colorsys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from consent.core.contrast import (
    NON_TEXT_CONTRAST,
    TEXT_CONTRAST,
    contrast_ratio,
    hex_color,
    rgb,
    shown_ratio,
)

MODES = ("light", "dark", "auto")
LAYOUTS = ("box", "bar", "cloud")
POSITIONS = ("bottom-right", "bottom-left", "bottom", "center")
FONTS = ("inherit", "system")
RADIUS_RANGE = (0, 24)

#: Today's look (the look of every version published before themes existed): the accent
#: of banner.css, dark when the visitor's system is, a box at the bottom, 12 px corners
#: (0.75rem), the system font.
DEFAULT_THEME: dict[str, Any] = {
    "accent": "#1f4fa3",
    "mode": "auto",
    "layout": "box",
    "position": "bottom",
    "radius": 12,
    "font": "system",
}
#: The default accent's dark-scheme tint, as banner.css has always had it.
DEFAULT_DARK_ACCENT = "#8fb3ff"


@dataclass(frozen=True)
class Scheme:
    """One colour scheme of the banner (banner.css's custom properties)."""

    name: str
    background: str
    text: str
    muted: str
    #: The filled buttons' text, on the accent.
    on_accent: str
    focus: str
    #: The switches' outline.
    border: str


LIGHT = Scheme("light", "#ffffff", "#1b1b1f", "#4a4a55", "#ffffff", "#c1440e", "#8a8a99")
DARK = Scheme("dark", "#1b1b1f", "#f2f2f5", "#c4c4cf", "#10131a", "#c1440e", "#8a8a99")


def schemes(mode: str) -> tuple[Scheme, ...]:
    """The schemes a mode allows: ``auto`` follows the visitor's system, so both."""
    return {"light": (LIGHT,), "dark": (DARK,), "auto": (LIGHT, DARK)}[mode]


def _legible(accent: str, scheme: Scheme) -> bool:
    return (
        contrast_ratio(accent, scheme.background) >= TEXT_CONTRAST
        and contrast_ratio(scheme.on_accent, accent) >= TEXT_CONTRAST
    )


def _shades(accent: str, step: float) -> Iterator[str]:
    # The accent's hue and saturation at a lightness moving by ``step`` (HLS), to the end.
    # (static/admin/admin.js repeats this for the live preview: the same arithmetic.)
    hue, start, saturation = colorsys.rgb_to_hls(*(c / 255 for c in rgb(accent)))
    for k in range(1, 101):
        lightness = min(1.0, max(0.0, start + k * step))
        yield hex_color(*colorsys.hls_to_rgb(hue, lightness, saturation))
        if lightness in (0.0, 1.0):
            return


def legible_accent(accent: str, scheme: Scheme) -> str | None:
    """The accent as given if it is legible in the scheme, else the nearest shade of its
    hue that is (lighter on a dark background, darker on a light one), else None."""
    if _legible(accent, scheme):
        return accent
    step = 0.01 if scheme is DARK else -0.01
    return next((shade for shade in _shades(accent, step) if _legible(shade, scheme)), None)


def dark_accent(accent: str) -> str:
    """The accent the dark scheme shows: the owner's when legible there, else its nearest
    lighter tint that is (white reaches 4.5:1 on the dark background, so one always is)."""
    if accent == DEFAULT_THEME["accent"]:
        return DEFAULT_DARK_ACCENT
    return legible_accent(accent, DARK) or "#ffffff"


def scheme_accent(accent: str, scheme: Scheme) -> str:
    """The accent as a scheme draws it."""
    return dark_accent(accent) if scheme is DARK else accent


def _pairs(accent: str, scheme: Scheme) -> Iterator[tuple[str, str, str, str, float]]:
    # (field, what, foreground, background, minimum) for every pair of colours the banner
    # shows in the scheme; the fixed ones are the theme's mode's.
    shown = scheme_accent(accent, scheme)
    bg = scheme.background
    yield "theme.accent", "Links and outlined buttons' text", shown, bg, TEXT_CONTRAST
    yield "theme.accent", "The filled buttons' text", scheme.on_accent, shown, TEXT_CONTRAST
    yield "theme.accent", "Buttons and switches", shown, bg, NON_TEXT_CONTRAST
    yield "theme.mode", "The text", scheme.text, bg, TEXT_CONTRAST
    yield "theme.mode", "The secondary text", scheme.muted, bg, TEXT_CONTRAST
    yield "theme.mode", "The focus ring", scheme.focus, bg, NON_TEXT_CONTRAST
    yield "theme.mode", "The switches' outline", scheme.border, bg, NON_TEXT_CONTRAST


def contrast_problems(theme: dict[str, Any]) -> dict[str, str]:
    """Field → what falls below WCAG 2.2 AA contrast, with the measured ratio, in any scheme
    the theme's mode allows (the first problem of each field); empty when all pass."""
    problems: dict[str, str] = {}
    for scheme in schemes(theme["mode"]):
        for field, what, fore, back, minimum in _pairs(theme["accent"], scheme):
            ratio = contrast_ratio(fore, back)
            if field in problems or ratio >= minimum:
                continue
            problems[field] = (
                f"{what} in the {scheme.name} scheme: {fore} on {back} has a contrast of "
                f"{shown_ratio(ratio)}, WCAG 2.2 AA needs {minimum:g}:1"
                + _suggestion(theme["accent"], scheme, field)
            )
    return problems


def _suggestion(accent: str, scheme: Scheme, field: str) -> str:
    better = legible_accent(accent, scheme) if field == "theme.accent" else None
    return f" (the nearest shade that passes is {better})" if better else ""


def config_theme(theme: dict[str, Any]) -> dict[str, Any]:
    """The theme as the banner reads it: with the dark scheme's accent when one is shown."""
    shown = dict(theme)
    if theme["mode"] != "light":
        shown["accent_dark"] = dark_accent(theme["accent"])
    return shown
