"""Gate throughput and latency: the gate with a valid token vs /healthz on the same server.

The gate's GET is answered by its WSGI fast path in front of Flask (consent/visitor/fast_gate.py:
the same ``decide()`` and token reader, the same bytes as the view; the first request of a site,
and one a second after that, go through Flask to read it); /healthz goes through Flask.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import urllib.parse
from pathlib import Path

from .common import ROUNDS, Figure, gunicorn, in_turns, paired_ratio, table, verdict
from .service import consent_body, create_site, env_for, post_consent

DURATION = "4s"
#: Short rounds in turns, the ratio being the median of each round's own ratio: a shared
#: machine's speed drifts within a minute, and both endpoints should see the same drift.
ROUNDS_GATE = max(ROUNDS, 6)
#: Issue #20: the gate at least as fast as /healthz on the same gunicorn.
GOAL = 1.0


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

            health_name, gate_name = urls
            measure(health_name), measure(gate_name)  # warm-up: both workers, both paths
            for figure in (*rps.values(), *p99.values()):
                figure.values.clear()
            in_turns(ROUNDS_GATE, lambda: measure(health_name), lambda: measure(gate_name))
    ratio = paired_ratio(rps["gate (valid token, 3 vendors)"], rps["/healthz"])
    ok = ratio >= GOAL
    rows = [
        [
            name,
            f"{rps[name].median:,.0f}",
            f"{p99[name].median:.1f}",
            "1.00×" if name == "/healthz" else f"{ratio:.2f}×",
        ]
        for name in urls
    ]
    text = (
        "## 3. Gate throughput\n\ngunicorn, 2 workers with 4 threads each (the repository's `gunicorn.conf.py`), SQLite; wrk -t2 -c16 for "
        f"{DURATION} per run on loopback; after a warm-up run of each, {ROUNDS_GATE} rounds "
        "in turns (AB, BA, …). req/s and p99 are the medians over the rounds; the ratio is the "
        "median of the rounds' own ratios. The gate's GET is answered by its fast path in front "
        "of Flask (`consent/visitor/fast_gate.py`: the same `decide()`, the same bytes as the "
        "view; Flask whenever the site's cached state is older than its one-second TTL); "
        "/healthz goes through Flask.\n\n"
        + table(["endpoint", "req/s", "p99 (ms)", "vs /healthz"], rows)
        + f"\n\nGoal (#20): gate ≥ {GOAL}× /healthz: {ratio:.2f}× → {verdict(ok)}\n"
    )
    return text, ok
