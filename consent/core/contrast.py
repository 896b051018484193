"""WCAG 2.2 colour contrast: relative luminance and the contrast ratio of two sRGB colours.

The formulas are WCAG 2.2's definitions of *relative luminance* and *contrast ratio*
(https://www.w3.org/TR/WCAG22/#dfn-relative-luminance): the 0.04045 threshold of the sRGB
standard, not the 0.03928 that WCAG 2.0 printed (no 8-bit colour tells them apart).
"""

from __future__ import annotations

import math
import re

_HEX = re.compile(r"#[0-9a-f]{6}")

#: Contrast WCAG 2.2 AA asks of text (1.4.3) and of controls and focus indicators (1.4.11).
TEXT_CONTRAST = 4.5
NON_TEXT_CONTRAST = 3.0


def is_hex_color(value: object) -> bool:
    """Whether ``value`` is a colour as themes store it: ``#rrggbb``, lower case."""
    return isinstance(value, str) and _HEX.fullmatch(value) is not None


def rgb(color: str) -> tuple[int, int, int]:
    """The 0-255 channels of a ``#rrggbb`` colour (either case)."""
    if len(color) != 7 or not is_hex_color(color.lower()):
        raise ValueError(f"not a #rrggbb colour: {color!r}")
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def hex_color(red: float, green: float, blue: float) -> str:
    """``#rrggbb`` of 0-1 channels (rounded half up, clamped)."""
    channels = (min(255, max(0, int(c * 255 + 0.5))) for c in (red, green, blue))
    return "#" + "".join(f"{c:02x}" for c in channels)


def _linear(channel: int) -> float:
    value = channel / 255
    return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4


def relative_luminance(color: str) -> float:
    """WCAG's relative luminance of a ``#rrggbb`` colour: 0 for black, 1 for white."""
    red, green, blue = (_linear(c) for c in rgb(color))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first: str, second: str) -> float:
    """WCAG's contrast ratio of two colours, 1 to 21, whichever is the lighter."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)))[::-1]
    return (lighter + 0.05) / (darker + 0.05)


def shown_ratio(ratio: float) -> str:
    """A ratio as messages show it, ``4.49:1``: rounded down, so a failing ratio never reads
    as the minimum it misses."""
    return f"{math.floor(ratio * 100) / 100:.2f}:1"
