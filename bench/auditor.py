"""Auditor scale: first page, export and verify at 10k, 100k and 1M receipts, both databases.

One site grows step by step (``seed-receipts``), and at each size a fresh gunicorn worker
answers the auditor API: filtered first pages, CSV and NDJSON exports (against a raw
driver SELECT of the same rows written to /dev/null) with the worker's peak memory, and a
full verify. The same points give the auditor section and the growth section with its plot.
"""

from __future__ import annotations

import http.client
import json
import math
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import sqlalchemy as sa

from .common import (
    PG_URL,
    ROOT,
    ROUNDS,
    Figure,
    alternate,
    children,
    gunicorn_process,
    memory_mb,
    table,
    verdict,
)
from .service import consent_cli, create_site, env_for

SIZES = (10_000, 100_000, 1_000_000)
GOAL_PAGE_MS, GOAL_ROWS_S, GOAL_MB, GOAL_VERIFY_S = 50.0, 50_000.0, 100.0, 10.0
#: Requests per filter and round for the first page.
PAGE_REQUESTS = 5
PG_DATABASE = "bench_auditor"
SVG = ROOT / "docs" / "auditor-growth.svg"


@dataclass
class Point:
    """Every figure of one database at one ledger size."""

    kind: str
    size: int
    seed_rate: float = 0.0
    pages: dict[str, Figure] = field(default_factory=dict)
    exports: dict[str, Figure] = field(default_factory=dict)
    idle_mb: float = 0.0
    peak_mb: float = 0.0
    verify: Figure = field(default_factory=lambda: Figure("verify", "s"))
    intact: bool = True

    @property
    def worst_page(self) -> tuple[str, float]:
        """The slowest filter's median first page (ms), HTTP floor excluded."""
        name = max((n for n in self.pages if n != "floor"), key=lambda n: self.pages[n].median)
        return name, self.pages[name].median


def log_key() -> str:
    """A log signing key (gunicorn_process renames it after the port it serves)."""
    from consent.core.notes import generate_signer_key

    return generate_signer_key("127.0.0.1:5000")[0]


def pg_admin(statement: str) -> None:
    """Run one statement on the PostgreSQL server outside any transaction."""
    engine = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(statement))
    engine.dispose()


def database(kind: str, tmp: Path, name: str = PG_DATABASE) -> str:
    """A throwaway database: a temp SQLite file, or a PostgreSQL database made for the run."""
    if kind == "sqlite":
        return f"sqlite:///{tmp / (name + '.sqlite3')}"
    pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    pg_admin(f"CREATE DATABASE {name}")
    return PG_URL.rsplit("/", 1)[0] + f"/{name}"


def drop_database(kind: str, name: str = PG_DATABASE) -> None:
    """Drop what :func:`database` made on PostgreSQL (a SQLite file goes with its folder)."""
    if kind == "postgresql":
        pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def seed(env: dict[str, str], url: str, key: str, count: int) -> float:
    """Append ``count`` receipts with ``seed-receipts``; receipts per second."""
    started = time.monotonic()
    consent_cli(env, "seed-receipts", "--site", key, "--count", str(count))
    rate = count / (time.monotonic() - started)
    if url.startswith("postgresql"):  # as autovacuum would after a bulk load
        engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text("ANALYZE"))
        engine.dispose()
    return rate


def get(url: str, token: str | None = None) -> tuple[float, bytes]:
    """GET (with the auditor's token, if any): milliseconds and body."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(url, headers=headers)
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=900) as response:
        body = response.read()
    return (time.perf_counter() - started) * 1000, body


def _stream_rows(base: str, path: str, token: str) -> float:
    """Rows per second of a streamed export, read in 1 MiB pieces."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=900)
    started = time.perf_counter()
    conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
    response = conn.getresponse()
    assert response.status == 200, response.status
    lines = 0
    while chunk := response.read(1 << 20):
        lines += chunk.count(b"\n")
    elapsed = time.perf_counter() - started
    conn.close()
    rows = lines - 1 if "format=csv" in path else lines
    return rows / elapsed


_RAW_SQL = (
    "SELECT r.receipt_id, r.site_key, r.seq, r.subject_id, r.created_at, r.policy_version, "
    "r.policy_hash, r.language, r.action, r.categories, r.vendors, r.signals, "
    "r.context_digest, r.prev_hash, r.hash, c.page_url, c.ip_prefix, c.user_agent "
    "FROM receipts r LEFT JOIN receipt_contexts c ON c.receipt_pk = r.id "
    "WHERE r.site_id = (SELECT id FROM sites WHERE site_key = {mark}) ORDER BY r.seq"
)


def _raw_rows(url: str, site_key: str) -> float:
    """Rows per second of the same SELECT through the bare driver, written to /dev/null."""
    started, rows = time.perf_counter(), 0
    with open("/dev/null", "w") as sink:
        if url.startswith("sqlite"):
            import sqlite3

            conn = sqlite3.connect(url.removeprefix("sqlite:///"))
            cursor = conn.execute(_RAW_SQL.format(mark="?"), (site_key,))
        else:
            import psycopg

            conn = psycopg.connect(url.replace("postgresql+psycopg", "postgresql"))
            cursor = conn.cursor(name="raw_export")
            cursor.itersize = 2000
            cursor.execute(_RAW_SQL.format(mark="%s"), (site_key,))
        while batch := cursor.fetchmany(2000):
            sink.write("".join("\t".join(map(str, row)) + "\n" for row in batch))
            rows += len(batch)
        conn.close()
    return rows / (time.perf_counter() - started)


def _filters(base: str, token: str) -> dict[str, dict[str, str]]:
    """The auditor's typical searches, built from the ledger itself."""
    _ms, body = get(f"{base}/receipts?limit=1", token)
    newest = json.loads(body)["items"][0]
    moment = datetime.fromisoformat(newest["created_at"].replace("Z", "+00:00"))
    day = (moment - timedelta(days=30)).date()
    return {
        "none": {},
        "action": {"action": "withdraw"},
        "category": {"category": "targeting", "granted": "true"},
        "version + action": {"policy_version": "1", "action": "custom"},
        "subject": {"subject": newest["subject_id"]},
        "last 7 days": {"from": (moment - timedelta(days=7)).date().isoformat()},
        "one day, a month ago": {"from": day.isoformat(), "to": str(day + timedelta(days=1))},
        "that day + action": {
            "from": day.isoformat(),
            "to": str(day + timedelta(days=1)),
            "action": "reject_all",
        },
    }


def _measure_served(point: Point, env: dict[str, str], url: str, key: str, token: str) -> None:
    rounds = ROUNDS if point.size < 500_000 else 1  # a million rows: once is long enough
    with gunicorn_process(env, 1, "wsgi:app", "--timeout", "900") as (origin, master):
        worker = children(master)[0]
        base = f"{origin}/api/v1/audit/sites/{key}"
        searches = _filters(base, token)
        urls = {name: f"{base}/receipts?{urlencode(args)}" for name, args in searches.items()}
        urls["floor"] = f"{origin}/healthz"
        for target in urls.values():
            get(target, token)  # warm caches and the worker

        def page(name: str) -> None:
            figure = point.pages.setdefault(name, Figure(name, "ms"))
            figure.values += [get(urls[name], token)[0] for _ in range(PAGE_REQUESTS)]

        alternate(ROUNDS, *[lambda n=name: page(n) for name in urls])
        point.idle_mb = memory_mb(worker, "VmRSS")

        def export(form: str) -> None:
            rate = _stream_rows(origin, f"{urlsplit(base).path}/export?format={form}", token)
            point.exports.setdefault(form, Figure(form, "rows/s")).values.append(rate)

        def raw() -> None:
            point.exports.setdefault("raw", Figure("raw", "rows/s")).values.append(
                _raw_rows(url, key)
            )

        alternate(rounds, lambda: export("csv"), lambda: export("ndjson"), raw)
        point.peak_mb = memory_mb(worker)
        for _ in range(rounds):
            ms, body = get(f"{base}/verify", token)
            point.verify.values.append(ms / 1000)
            result = json.loads(body)
            point.intact = point.intact and result["ok"] and result["receipts"] == point.size


@dataclass
class GrownSite:
    """A served site's database, key and auditor token at one size of its growth."""

    env: dict[str, str]
    url: str
    key: str
    token: str
    size: int
    seed_rate: float


def grown_site(
    kind: str, tmp: Path, name: str, sizes: list[int], database_name: str = PG_DATABASE
) -> Iterator[GrownSite]:
    """One site grown with ``seed-receipts`` to each of ``sizes`` in turn; dropped after."""
    url = database(kind, tmp, database_name)
    try:
        env = env_for(url, tmp, CONSENT_LOG_KEY=log_key())
        key = create_site(env, name)
        token = consent_cli(env, "create-token", "--site", key, "--role", "auditor")["token"]
        have = 0
        for size in sizes:
            rate = seed(env, url, key, size - have)
            have = size
            yield GrownSite(env, url, key, token, size, rate)
    finally:
        drop_database(kind, database_name)


#: More to measure on the grown site at each size (seeding a million receipts is most of
#: the time, so other sections share it): called with the database kind, site and a folder.
AlsoAt = Callable[[str, GrownSite, Path], None]


def _measure_backend(kind: str, sizes: list[int], tmp: Path, also: AlsoAt | None) -> list[Point]:
    points = []
    for site in grown_site(kind, tmp, "Auditor scale", sizes):
        point = Point(kind, site.size, seed_rate=site.seed_rate)
        _measure_served(point, site.env, site.url, site.key, site.token)
        points.append(point)
        if also is not None:
            also(kind, site, tmp)
    return points


def measure(scale: int, also: AlsoAt | None = None) -> list[Point]:
    """Every figure on SQLite and PostgreSQL at each size up to ``scale``."""
    sizes = [size for size in SIZES if size < scale] + [scale]
    points = []
    for kind in ("sqlite", "postgresql"):
        with tempfile.TemporaryDirectory() as tmp:
            points += _measure_backend(kind, sizes, Path(tmp), also)
    return points


def _ok(point: Point) -> dict[str, bool]:
    return {
        "page": point.worst_page[1] < GOAL_PAGE_MS,
        "export": min(point.exports[f].median for f in ("csv", "ndjson")) >= GOAL_ROWS_S,
        "memory": point.peak_mb < GOAL_MB,
        "verify": point.verify.median < GOAL_VERIFY_S and point.intact,
    }


def auditor_section(points: list[Point], stamp: str) -> tuple[str, bool]:
    """Section 5: every figure at the largest size, with its goal."""
    top = max(p.size for p in points)
    rows, ok = [], True
    for point in (p for p in points if p.size == top):
        passed = _ok(point)
        ok = ok and all(passed.values())
        floor = point.pages["floor"].median
        for name, figure in point.pages.items():
            if name != "floor":
                rows.append(
                    [point.kind, f"first page: {name}", f"{figure.median:.1f} ms",
                     f"HTTP floor {floor:.1f} ms", f"< {GOAL_PAGE_MS:.0f} ms",
                     verdict(figure.median < GOAL_PAGE_MS)]
                )  # fmt: skip
        raw = point.exports["raw"].median
        for form in ("csv", "ndjson"):
            rate = point.exports[form].median
            rows.append(
                [point.kind, f"export {form.upper()}", f"{rate:,.0f} rows/s",
                 f"raw SELECT {raw:,.0f} rows/s ({rate / raw:.2f}×)",
                 f"≥ {GOAL_ROWS_S:,.0f} rows/s", verdict(rate >= GOAL_ROWS_S)]
            )  # fmt: skip
        rows.append(
            [point.kind, "export peak RSS (worker)", f"{point.peak_mb:.0f} MB",
             f"idle {point.idle_mb:.0f} MB", f"< {GOAL_MB:.0f} MB", verdict(passed["memory"])]
        )  # fmt: skip
        rows.append(
            [point.kind, "full verify (HTTP)", f"{point.verify.median:.1f} s",
             "intact" if point.intact else "**BROKEN**", f"< {GOAL_VERIFY_S:.0f} s",
             verdict(passed["verify"])]
        )  # fmt: skip
        rows.append([point.kind, "seed-receipts", f"{point.seed_rate:,.0f} receipts/s", "", "", ""])
    text = (
        f"## 5. Auditor at scale\n\n{stamp}. One site with {top:,} receipts "
        "(`seed-receipts`, spread over 90 days), served by gunicorn (1 worker, 4 threads) on each "
        f"database. First pages: `limit=100`, {PAGE_REQUESTS} requests per filter in each of "
        f"{ROUNDS} alternating rounds, medians, each read also written to the access log. "
        "Exports stream the whole ledger over HTTP (rows/s end to end) against a raw driver "
        "SELECT of the same rows to /dev/null; at a million receipts each export and verify "
        "runs once. Peak RSS is the worker's VmHWM after the exports.\n\n"
        + table(["database", "figure", "measured", "baseline", "goal", "pass"], rows)
        + "\n"
    )
    return text, ok


def growth_section(points: list[Point], stamp: str) -> tuple[str, bool]:
    """Section 6: how each figure grows with the ledger, as a table and a plot."""
    rows = []
    for point in points:
        name, worst = point.worst_page
        rows.append(
            [point.kind, f"{point.size:,}", f"{worst:.1f} ({name})",
             f"{point.exports['csv'].median:,.0f}", f"{point.exports['ndjson'].median:,.0f}",
             f"{point.peak_mb:.0f}", f"{point.verify.median:.2f}", f"{point.seed_rate:,.0f}"]
        )  # fmt: skip
    SVG.write_text(growth_svg(points))
    text = (
        f"## 6. Growth\n\n{stamp}. The same figures at each size: a flat first page and a "
        "flat export rate and memory mean the cost does not grow with the ledger; verify "
        f"grows linearly.\n\n![growth](./{SVG.name})\n\n"
        + table(
            [
                "database",
                "receipts",
                "slowest first page (ms)",
                "CSV rows/s",
                "NDJSON rows/s",
                "peak RSS (MB)",
                "verify (s)",
                "seed receipts/s",
            ],
            rows,
        )
        + "\n"
    )
    return text, all(all(_ok(p).values()) for p in points)


_PANELS = (
    ("slowest first page (ms)", lambda p: p.worst_page[1], GOAL_PAGE_MS),
    ("CSV export (k rows/s)", lambda p: p.exports["csv"].median / 1000, GOAL_ROWS_S / 1000),
    ("peak RSS (MB)", lambda p: p.peak_mb, GOAL_MB),
    ("full verify (s)", lambda p: p.verify.median, GOAL_VERIFY_S),
)
_COLORS = {"sqlite": "#1f77b4", "postgresql": "#d62728"}


def growth_svg(points: list[Point]) -> str:
    """A small hand-made SVG: one panel per figure, receipts on a log axis, goal dashed."""
    width, height, pad = 220, 160, 34
    sizes = sorted({p.size for p in points})
    low, high = math.log10(sizes[0]), math.log10(sizes[-1]) or 1

    def x(size: int) -> float:
        span = (high - low) or 1
        return pad + (math.log10(size) - low) / span * (width - pad - 10)

    parts = []
    for index, (title, value, goal) in enumerate(_PANELS):
        left = index * (width + 10)
        top = max([value(p) for p in points] + [goal]) * 1.15

        def y(v: float, top: float = top) -> float:
            return height - pad + 10 - v / top * (height - pad - 10)

        parts.append(f'<g transform="translate({left},0)">')
        parts.append(f'<text x="{width / 2}" y="14" text-anchor="middle">{title}</text>')
        parts.append(f'<line x1="{pad}" y1="{y(0)}" x2="{width - 10}" y2="{y(0)}" stroke="#999"/>')
        parts.append(
            f'<line x1="{pad}" y1="{y(goal):.1f}" x2="{width - 10}" y2="{y(goal):.1f}" '
            'stroke="#2ca02c" stroke-dasharray="4 3"/>'
        )
        parts.append(f'<text x="{pad - 4}" y="{y(goal) + 4:.1f}" text-anchor="end">{goal:g}</text>')
        for size in sizes:
            label = f"{size // 1000:,}k" if size < 1_000_000 else f"{size / 1e6:g}M"
            parts.append(
                f'<text x="{x(size)}" y="{height - 8}" text-anchor="middle">{label}</text>'
            )
        for kind, color in _COLORS.items():
            line = [(x(p.size), y(value(p))) for p in points if p.kind == kind]
            if line:
                coords = " ".join(f"{a:.1f},{b:.1f}" for a, b in line)
                parts.append(
                    f'<polyline points="{coords}" fill="none" stroke="{color}" stroke-width="2"/>'
                )
                parts += [
                    f'<circle cx="{a:.1f}" cy="{b:.1f}" r="3" fill="{color}"/>' for a, b in line
                ]
        parts.append("</g>")
    legend = " ".join(f'<tspan fill="{color}">■ {kind}</tspan>' for kind, color in _COLORS.items())
    total = len(_PANELS) * (width + 10)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="{height + 20}" '
        f'font-family="sans-serif" font-size="11">\n'
        f'<rect width="100%" height="100%" fill="white"/>\n'
        + "\n".join(parts)
        + f'\n<text x="{pad}" y="{height + 14}">{legend} '
        '<tspan fill="#2ca02c">– – goal</tspan> · receipts on a log scale</text>\n</svg>\n'
    )
