"""Section 8: a worker's memory as it serves more and more sites.

Sites are seeded once through the domain code (``create_site``, not the CLI) into a
SQLite file; then, for each cache size, a fresh worker process serves the embed and the
gate for the first 10, 1,000, 10,000 and 100,000 of them and reports its RSS after each
step. Goal: flat once the cache is full, and at most 4 kB per cached site.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .common import PYTHON, ROOT

STEPS = (10, 1_000, 10_000, 100_000)
SIZES = (10_000, 1_000)
GOAL_PER_SITE = 4096
ORIGIN = "https://bench.example"
VENDORS = {
    "google-analytics": {"category": "performance", "settings": {"measurement_id": "G-BENCH1"}},
    "meta-pixel": {"category": "targeting", "settings": {"pixel_id": "456"}},
    "vimeo": {"category": "functionality", "settings": {}},
}


def _app(path: Path, cache_size: int):  # type: ignore[no-untyped-def]
    from consent import create_app

    return create_app(
        {
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
            "TESTING": True,
            "CONSENT_SITE_CACHE_SIZE": cache_size,
        }
    )


def seed(path: Path, count: int) -> None:
    """``count`` sites with the default texts and three vendors, keys in ``path.keys``."""
    from consent.extensions import db, init_db
    from consent.sites.owner import create_site

    app = _app(path, 1)
    keys = []
    with app.app_context():
        init_db()
        for number in range(count):
            site = create_site(
                name=f"Site {number}",
                origins=[f"https://s{number}.example"],
                vendors=VENDORS,
                privacy_url=f"{ORIGIN}/privacy",
            )
            keys.append(site.site_key)
            if number % 1000 == 999:
                db.session.commit()
        db.session.commit()
    path.with_suffix(".keys").write_text("\n".join(keys))


def _rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def serve(path: Path, cache_size: int) -> None:
    """In this (fresh) process: serve sites step by step; print {sites: rss} as JSON."""
    keys = path.with_suffix(".keys").read_text().split("\n")
    client = _app(path, cache_size).test_client()
    figures: dict[int, int] = {}
    served = 0
    for step in STEPS:
        for key in keys[served:step]:
            assert client.get(f"/embed/{key}.js").status_code == 200
            gate = client.get(f"/api/v1/sites/{key}/gate?vendors=google-analytics")
            assert gate.status_code == 200
        served = step
        figures[step] = _rss()
    print(json.dumps(figures))


def run(tmp: Path) -> tuple[str, bool]:
    """Seed, measure each cache size in its own process; the Markdown section."""
    path = tmp / "sites.sqlite3"
    seed(path, STEPS[-1])
    # One fresh process per cache size, side by side (one core each).
    workers = {
        size: subprocess.Popen(
            [PYTHON, "-m", "bench.site_cache", "serve", str(path), str(size)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for size in SIZES
    }
    results = {}
    for size, worker in workers.items():
        out, _ = worker.communicate()
        if worker.returncode != 0:
            raise RuntimeError(f"serving with a cache of {size} failed")
        results[size] = {int(k): v for k, v in json.loads(out).items()}
    return section(results)


def section(results: dict[int, dict[int, int]]) -> tuple[str, bool]:
    """The table, and whether each cache size stays flat once full within the goal."""
    lines = [
        "## 8. Worker memory per site",
        "",
        "One worker process serves `GET /embed/<key>.js` and the gate for more and more "
        "sites (seeded through `create_site`, default texts, three vendors). RSS after "
        "each step; per site = growth from 10 sites, divided by the sites added while the "
        "cache still had room.",
        "",
        "| cache size | " + " | ".join(f"{n:,} sites" for n in STEPS) + " | per cached site |",
        "|---|" + "---|" * (len(STEPS) + 1),
    ]
    ok = True
    for size, figures in results.items():
        full = min(size, STEPS[-1])
        # Growth while filling (from 10 sites up to the last step at or below the size).
        filled = max(step for step in STEPS if step <= full)
        per_site = (figures[filled] - figures[STEPS[0]]) / max(1, filled - STEPS[0])
        flat = figures[STEPS[-1]] - figures[filled]
        # Once full the RSS may still grow by what allocator slack and indexes take, but not
        # by anything per site: at most a tenth of what the full cache itself took.
        good = per_site <= GOAL_PER_SITE and flat <= max(0.1 * per_site * full, 4 << 20)
        ok &= good
        cells = " | ".join(f"{figures[n] / 2**20:.1f} MB" for n in STEPS)
        verdict = "" if good else " **miss**"
        lines.append(f"| {size:,} | {cells} | {per_site / 1024:.1f} kB{verdict} |")
    lines += [
        "",
        f"Goal: at most {GOAL_PER_SITE // 1024} kB per cached site, and flat once the "
        "cache is full (`CONSENT_SITE_CACHE_SIZE`, default 10,000). Before the bounded "
        "cache: 12.6 kB per site, never released (71 MB after 10 sites, 134 MB after "
        "5,000, measured with gunicorn).",
        "",
    ]
    return "\n".join(lines), ok


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(Path(sys.argv[2]), int(sys.argv[3]))
