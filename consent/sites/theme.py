"""A draft's and a version's theme: validated (contrast included), filled in, compared.

A version published before themes existed stores none; it shows (and replays) today's
look, :data:`consent.core.theme.DEFAULT_THEME`, and hashes as it always did.
"""

from __future__ import annotations

from typing import Any

from consent.core.contrast import is_hex_color
from consent.core.theme import (
    DEFAULT_THEME,
    FONTS,
    LAYOUTS,
    MODES,
    POSITIONS,
    RADIUS_RANGE,
    contrast_problems,
)
from consent.errors import FieldErrors, InvalidField

_CHOICES = {"mode": MODES, "layout": LAYOUTS, "position": POSITIONS, "font": FONTS}


def effective_theme(stored: dict[str, Any] | None) -> dict[str, Any]:
    """The theme a draft or version shows: its own, or today's look when it has none."""
    return dict(stored) if stored else dict(DEFAULT_THEME)


def validate_theme(value: object, field: str = "theme") -> dict[str, Any]:
    """Check a theme and return it complete (a member left out takes its default; an absent
    theme is the default look); 422 names every invalid member, and a theme that falls below
    WCAG 2.2 AA contrast in a scheme its mode allows names the field with the ratio."""
    if value is None:
        return dict(DEFAULT_THEME)
    if not isinstance(value, dict):
        raise InvalidField(field, "must be an object: accent, mode, layout, position, radius, font")
    errors = FieldErrors()
    theme = dict(DEFAULT_THEME)
    invalid: set[str] = set()
    for key, member in value.items():
        try:
            theme[key] = _member(str(key), member, f"{field}.{key}")
        except InvalidField as error:
            invalid.add(str(key))
            errors.problems.extend(error.problems)
    # Contrast is judged with the rest (an accent too pale and a radius out of range are
    # both named at once), when the members it depends on are valid themselves.
    if not invalid & {"accent", "mode"}:
        with errors.collecting():
            check_contrast(theme, field)
    errors.raise_any()
    return theme


def _member(key: str, value: object, where: str) -> object:
    if key == "accent":
        color = value.lower() if isinstance(value, str) else value
        if not is_hex_color(color):
            raise InvalidField(where, 'must be a colour written "#rrggbb", e.g. "#1f4fa3"')
        return color
    if key == "radius":
        low, high = RADIUS_RANGE
        if type(value) is not int or not low <= value <= high:
            raise InvalidField(where, f"must be a whole number of pixels from {low} to {high}")
        return value
    choices = _CHOICES.get(key)
    if choices is None:
        raise InvalidField(where, "unknown member")
    if value not in choices:
        raise InvalidField(where, f"must be one of {', '.join(choices)}")
    return value


def check_contrast(theme: dict[str, Any], field: str = "theme") -> None:
    """Raise 422 when a theme (a stored one, at publish) falls below WCAG 2.2 AA contrast."""
    errors = FieldErrors()
    for where, message in contrast_problems(theme).items():
        errors.add(field + where.removeprefix("theme"), message)
    errors.raise_any()


def theme_changes(old: dict[str, Any] | None, new: dict[str, Any] | None) -> dict[str, Any]:
    """What changed between two themes, member → ``{from, to}`` (none → the default look)."""
    before, after = effective_theme(old), effective_theme(new)
    return {
        key: {"from": before.get(key), "to": after.get(key)}
        for key in DEFAULT_THEME
        if before.get(key) != after.get(key)
    }


def embed_theme(theme: dict[str, Any]) -> dict[str, Any]:
    """A config's theme less what the banner's stylesheet already does: the members at their
    default (and the default accent's dark tint); the default look leaves nothing."""
    shown = {key: value for key, value in theme.items() if DEFAULT_THEME.get(key) != value}
    if "accent" not in shown:
        shown.pop("accent_dark", None)
    return shown
