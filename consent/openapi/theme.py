"""The banner's theme in the OpenAPI document: a draft's and a version's (``Theme``), a
version's that may predate themes (``VersionTheme``), and the config's (``ConfigTheme``)."""

from __future__ import annotations

from typing import Any

from consent.core.theme import DEFAULT_THEME, FONTS, LAYOUTS, MODES, POSITIONS, RADIUS_RANGE

_COLOR = {"type": "string", "pattern": "^#[0-9a-fA-F]{6}$"}
_MEMBERS: dict[str, Any] = {
    "accent": _COLOR,
    "mode": {"enum": list(MODES), "description": "auto follows the visitor's system"},
    "layout": {"enum": list(LAYOUTS)},
    "position": {"enum": list(POSITIONS)},
    "radius": {"type": "integer", "minimum": RADIUS_RANGE[0], "maximum": RADIUS_RANGE[1]},
    "font": {"enum": list(FONTS), "description": "inherit: the page's font family"},
}

THEME_SCHEMAS: dict[str, Any] = {
    "Theme": {
        "type": "object",
        "description": "The banner's look. A draft PUT without it (or a member) takes the "
        "default, today's look. Refused (422 naming theme.accent, with the measured ratio) "
        "when its colours fall below WCAG 2.2 AA contrast in a scheme the mode allows (auto: "
        "both); the dark scheme shows a lighter tint of an accent too dark for it. Accept all "
        "and Reject all always share one style.",
        "additionalProperties": False,
        "properties": _MEMBERS,
        "default": DEFAULT_THEME,
    },
    "VersionTheme": {
        "description": "As published; null for a version older than themes (it shows the "
        "default look, and its policy_hash covers no theme)",
        "oneOf": [{"$ref": "#/components/schemas/Theme"}, {"type": "null"}],
    },
    "ConfigTheme": {
        "type": "object",
        "description": "The version's theme (the default look for a version older than "
        "themes) with accent_dark, the accent the dark scheme shows (the owner's, or a lighter "
        "tint of it legible there) when the mode allows that scheme. The embed leaves out the "
        "members at their default.",
        "properties": {**_MEMBERS, "accent_dark": _COLOR},
    },
}
