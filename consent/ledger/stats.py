"""Statistics of a site's receipts, counted by the database with GROUP BY.

Two aggregate queries (per day and action; per policy version and action) return a
few rows per day whatever the number of receipts; weeks are folded from days here.
Each receipt is one decision, so a rate is "share of decisions that allowed it"; a
``withdraw`` counts as a refusal of every optional category.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, func, select

from consent.core.catalog import CATEGORIES
from consent.core.chain import ACTIONS
from consent.extensions import db
from consent.ledger.filters import ReceiptFilter
from consent.models import Receipt

_R = Receipt.__table__
BUCKETS = ("day", "week")
SIGNALS = ("gpc", "dnt")

#: Longest run of empty buckets filled in between two that have receipts.
_MAX_FILLED = 3660


def _count_true(expression: ColumnElement[Any]) -> ColumnElement[Any]:
    return func.sum(case((expression.as_boolean().is_(True), 1), else_=0))  # type: ignore[attr-defined]


def _sums() -> list[ColumnElement[Any]]:
    return [
        func.count().label("total"),
        *(_count_true(_R.c.categories[cat]).label(f"c_{cat}") for cat in CATEGORIES),
        *(_count_true(_R.c.signals[sig]).label(f"s_{sig}") for sig in SIGNALS),
    ]


@dataclass
class Tally:
    """Counts of one group of receipts (a bucket, a policy version, or all)."""

    total: int = 0
    actions: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ACTIONS, 0))
    granted: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CATEGORIES, 0))
    signals: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SIGNALS, 0))

    def add(self, row: Any) -> None:
        """Add one aggregate row (one action within the group)."""
        total = int(row.total)
        self.total += total
        self.actions[row.action] = self.actions.get(row.action, 0) + total
        for cat in CATEGORIES:
            self.granted[cat] += int(getattr(row, f"c_{cat}") or 0)
        for sig in SIGNALS:
            self.signals[sig] += int(getattr(row, f"s_{sig}") or 0)

    def as_dict(self) -> dict[str, Any]:
        """Counts, opt-in rate per category and share of each privacy signal."""
        return {
            "total": self.total,
            "actions": dict(self.actions),
            "opt_in_rate": {cat: self._share(n) for cat, n in self.granted.items()},
            "signals": {
                sig: {"count": n, "share": self._share(n)} for sig, n in self.signals.items()
            },
        }

    def _share(self, count: int) -> float | None:
        return round(count / self.total, 4) if self.total else None


def receipt_stats(site_id: int, flt: ReceiptFilter, bucket: str) -> dict[str, Any]:
    """Counts per action per bucket, opt-in rates, GPC/DNT shares, per policy version."""
    day = func.substr(_R.c.created_at, 1, 10).label("day")
    base = select(_R.c.action, *_sums()).where(_R.c.site_id == site_id)
    by_day = db.session.execute(
        flt.apply(base.add_columns(day)).group_by(day, _R.c.action).order_by(day)
    ).all()
    by_version = db.session.execute(
        flt.apply(base.add_columns(_R.c.policy_version))
        .group_by(_R.c.policy_version, _R.c.action)
        .order_by(_R.c.policy_version)
    ).all()
    overall, buckets, versions = Tally(), dict[str, Tally](), dict[int, Tally]()
    for row in by_day:
        overall.add(row)
        buckets.setdefault(_bucket_start(row.day, bucket), Tally()).add(row)
    for row in by_version:
        versions.setdefault(int(row.policy_version), Tally()).add(row)
    return {
        "from": flt.since,
        "to": flt.until,
        "bucket": bucket,
        **overall.as_dict(),
        "buckets": [
            {"start": start, **buckets.get(start, Tally()).as_dict()}
            for start in _filled(sorted(buckets), bucket, flt)
        ],
        "policy_versions": [
            {"policy_version": version, **tally.as_dict()}
            for version, tally in sorted(versions.items())
        ],
    }


def _bucket_start(day: str, bucket: str) -> str:
    if bucket == "day":
        return day
    start = date.fromisoformat(day)
    return (start - timedelta(days=start.weekday())).isoformat()  # ISO weeks start on Monday


def _filled(starts: list[str], bucket: str, flt: ReceiptFilter) -> list[str]:
    """Every bucket of the period (or from the first to the last with receipts)."""
    if not starts:
        return []
    step = timedelta(days=1 if bucket == "day" else 7)
    first, last = date.fromisoformat(starts[0]), date.fromisoformat(starts[-1])
    if flt.since is not None:
        first = min(first, date.fromisoformat(_bucket_start(flt.since[:10], bucket)))
    if flt.until is not None:
        # ``until`` is exclusive: the bucket of its last millisecond is the last one.
        end = datetime.fromisoformat(flt.until.replace("Z", "+00:00")) - timedelta(milliseconds=1)
        last = max(last, date.fromisoformat(_bucket_start(end.date().isoformat(), bucket)))
    if (last - first) / step > _MAX_FILLED:
        return starts
    filled = []
    while first <= last:
        filled.append(first.isoformat())
        first += step
    return filled
