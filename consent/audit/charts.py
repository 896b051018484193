"""Geometry of the audit UI's charts, drawn as server-rendered SVG (no JavaScript).

Pure functions from the statistics' buckets to coordinates; the template draws them,
and a data table next to each chart carries the same numbers for screen readers.
"""

from __future__ import annotations

import math
from typing import Any

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 44
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
_MAX_X_LABELS = 6
_MAX_BAR = 40.0


def _x(index: int, count: int) -> float:
    return round(LEFT + PLOT_W * (index + 0.5) / count, 1)


def _x_labels(starts: list[str]) -> list[dict[str, Any]]:
    step = max(1, math.ceil(len(starts) / _MAX_X_LABELS))
    return [
        {"x": _x(i, len(starts)), "text": start} for i, start in enumerate(starts) if i % step == 0
    ]


def _frame(starts: list[str], ticks: list[tuple[float, str]]) -> dict[str, Any]:
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "top": TOP,
        "bottom": TOP + PLOT_H,
        "x_labels": _x_labels(starts),
        "y_ticks": [{"y": round(y, 1), "text": text} for y, text in ticks],
    }


def rate_chart(buckets: list[dict[str, Any]], categories: tuple[str, ...]) -> dict[str, Any]:
    """Lines of the opt-in rate per category over the buckets (0 to 100 %)."""
    starts = [b["start"] for b in buckets]
    count = max(1, len(buckets))
    series = []
    for cat in categories:
        segments: list[list[tuple[float, float]]] = [[]]
        points = []
        for i, bucket in enumerate(buckets):
            rate = bucket["opt_in_rate"][cat]
            if rate is None:  # no decision that day: the line breaks rather than lies
                segments.append([])
                continue
            point = (_x(i, count), round(TOP + PLOT_H * (1 - rate), 1))
            segments[-1].append(point)
            points.append({"x": point[0], "y": point[1], "label": f"{bucket['start']}: {rate:.0%}"})
        series.append(
            {
                "name": cat,
                "lines": [" ".join(f"{x},{y}" for x, y in seg) for seg in segments if seg],
                "points": points,
            }
        )
    ticks = [(TOP + PLOT_H * (1 - share), f"{share:.0%}") for share in (0, 0.25, 0.5, 0.75, 1)]
    return {**_frame(starts, ticks), "series": series}


def nice_ceiling(value: int) -> int:
    """The top of a count axis: four equal, round, whole steps that reach ``value``."""
    wanted = max(1.0, value / 4)
    magnitude = 10 ** math.floor(math.log10(wanted))
    for factor in (1, 2, 2.5, 5, 10):
        step = factor * magnitude
        if step >= wanted and step == int(step):
            return int(step) * 4
    return int(10 * magnitude) * 4


def action_chart(buckets: list[dict[str, Any]], actions: tuple[str, ...]) -> dict[str, Any]:
    """Stacked bars of the number of receipts per action in each bucket."""
    starts = [b["start"] for b in buckets]
    count = max(1, len(buckets))
    top = nice_ceiling(max((b["total"] for b in buckets), default=0))
    width = min(_MAX_BAR, max(1.0, round(PLOT_W / count * 0.7, 1)))
    bars = []
    for i, bucket in enumerate(buckets):
        base = TOP + PLOT_H
        for action in actions:
            n = bucket["actions"].get(action, 0)
            if not n:
                continue
            height = PLOT_H * n / top
            base -= height
            bars.append(
                {
                    "x": round(_x(i, count) - width / 2, 1),
                    "y": round(base, 1),
                    "width": width,
                    "height": round(height, 1),
                    "action": action,
                    "label": f"{bucket['start']}: {n} {action}",
                }
            )
    ticks = [(TOP + PLOT_H * (1 - k / 4), str(top * k // 4)) for k in range(5)]
    return {**_frame(starts, ticks), "bars": bars}
