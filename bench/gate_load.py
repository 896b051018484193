"""Gate throughput and latency: the gate with a valid token vs /healthz on the same server."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import urllib.parse
from pathlib import Path

from .common import ROUNDS, Figure, alternate, gunicorn, table, verdict
from .service import consent_body, create_site, env_for, post_consent

DURATION = "8s"


def wrk(url: str) -> tuple[float, float]:
    """Requests per second and p99 latency (ms) of one bounded wrk run on loopback."""
    out = subprocess.run(
        ["wrk", "-t2", "-c16", f"-d{DURATION}", "--timeout", "5s", "--latency", url],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    assert p99 is not None, out
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    return rps, float(p99.group(1)) * scale


def run() -> tuple[str, bool]:
    """Measure and describe; returns the Markdown section and whether the goal is met."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed (make bench installs it from Debian)")
    with tempfile.TemporaryDirectory() as tmp:
        env = env_for(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}", Path(tmp))
        site_key = create_site(env)
        with gunicorn(env, workers=2) as base:
            token = post_consent(base, site_key, consent_body(base, site_key))["token"]
            query = urllib.parse.urlencode(
                {"vendors": "google-analytics,linkedin-insight,meta-pixel", "token": token}
            )
            urls = {
                "/healthz": f"{base}/healthz",
                "gate (valid token, 3 vendors)": f"{base}/api/v1/sites/{site_key}/gate?{query}",
            }
            rps = {name: Figure(name, "req/s") for name in urls}
            p99 = {name: Figure(name, "ms") for name in urls}

            def measure(name: str) -> None:
                r, p = wrk(urls[name])
                rps[name].values.append(r)
                p99[name].values.append(p)

            alternate(ROUNDS, *[lambda n=name: measure(n) for name in urls])
    gate, health = rps["gate (valid token, 3 vendors)"].median, rps["/healthz"].median
    ratio = gate / health
    ok = ratio >= 0.8
    rows = [
        [
            name,
            f"{rps[name].median:,.0f}",
            f"{p99[name].median:.1f}",
            f"{rps[name].median / health:.2f}×",
        ]
        for name in urls
    ]
    text = (
        "## 3. Gate throughput\n\ngunicorn, 2 workers with 4 threads each (the repository's `gunicorn.conf.py`), SQLite; wrk -t2 -c16 for "
        f"{DURATION} per run on loopback, {ROUNDS} alternating rounds, medians.\n\n"
        + table(["endpoint", "req/s", "p99 (ms)", "vs /healthz"], rows)
        + f"\n\nGoal: gate ≥ 0.8× /healthz: {ratio:.2f}× → {verdict(ok)}\n"
    )
    return text, ok
