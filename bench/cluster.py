"""Section 11: consents through the reference deployment (deploy/topology.py: nginx in front
of two instances of gunicorn with 2 workers each, PostgreSQL and Redis, all on this
machine; its PostgreSQL runs with fsync off, as the topology does for tests) against the
same POSTs sent to one instance directly, with the CPU each part used.

wrk, 16 connections, 3 s per run, after a warm-up run of each, in turns (AB, BA, …); req/s
are medians, the ratio the median of the rounds' own ratios. The CPU split sums the user and
system time of each part's processes (every gunicorn master and worker, PostgreSQL's
postmaster and backends, nginx's master and workers, wrk itself) over all rounds, divided by
the requests answered. On 2 cores a second instance cannot add throughput: the ratio shows
what the proxy hop costs, and docs/capacity.md carries the scaling argument from the
per-request CPU figures.
"""

from __future__ import annotations

import json
import os
import urllib.request
from pathlib import Path

from deploy import topology

from .appends import wrk_post
from .common import ROUNDS, Figure, in_turns, paired_ratio, table
from .service import ORIGIN

TICK = os.sysconf("SC_CLK_TCK")
ROUNDS_CLUSTER = max(ROUNDS, 6)
SITES = 4


def _cpu(pids: list[int]) -> float:
    """CPU seconds (user + system) the processes have used so far."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / TICK


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def run(tmp: Path) -> tuple[str, bool]:
    """The Markdown section; always True (information: no goal on 2 cores)."""
    topo = topology.Topology(
        tmp / "topology", env={"CONSENT_RATELIMIT_CONSENTS": "100000000/minute"}
    )
    topo.up()
    try:
        keys = [
            json.loads(
                topo.consent("create-site", "--name", f"C{i}", "--origin", ORIGIN, "--json")
            )["site_key"]
            for i in range(SITES)
        ]
        bodies = []
        for key in keys:
            config = json.loads(
                urllib.request.urlopen(f"{topo.url}/api/v1/sites/{key}/config").read()
            )
            body = {
                "action": "accept_all",
                "policy_version": config["policy_version"],
                "policy_hash": config["policy_hash"],
                "language": "en",
                "page_url": f"{ORIGIN}/page",
            }
            bodies.append((f"/api/v1/sites/{key}/consents", json.dumps(body).encode()))
        bases = {
            "through nginx, two instances": topo.url,
            "instance A directly": topo.instances["a"],
        }
        figures = {name: Figure(name, "req/s") for name in bases}
        cpu: dict[str, dict[str, float]] = {name: {} for name in bases}
        answered = dict.fromkeys(bases, 0.0)
        errors = 0

        def parts() -> dict[str, list[int]]:
            found = topo.pids()
            return {
                "app (gunicorn)": found.get("a", []) + found.get("b", []),
                "PostgreSQL": found.get("postgres", []),
                "nginx": found.get("nginx", []),
            }

        def measure(name: str, record: bool = True) -> None:
            nonlocal errors
            before = {part: _cpu(pids) for part, pids in parts().items()}
            wrk_cpu = os.times()
            rps, failed = wrk_post(bases[name], bodies, tmp)
            wrk_after = os.times()
            after = {part: _cpu(pids) for part, pids in parts().items()}
            if not record:
                return
            errors += failed
            figures[name].values.append(rps)
            answered[name] += rps * 3
            for part in before:
                cpu[name][part] = cpu[name].get(part, 0.0) + after[part] - before[part]
            spent = (wrk_after.children_user - wrk_cpu.children_user) + (
                wrk_after.children_system - wrk_cpu.children_system
            )
            cpu[name]["wrk (the load)"] = cpu[name].get("wrk (the load)", 0.0) + spent

        names = list(bases)
        for name in names:
            measure(name, record=False)
        in_turns(ROUNDS_CLUSTER, lambda: measure(names[0]), lambda: measure(names[1]))
        ledger = json.loads(topo.consent("verify-ledger", "--json"))["sites"]
        intact = all(site["ok"] for site in ledger)
    finally:
        topo.down()
    ratio = paired_ratio(figures[names[0]], figures[names[1]])
    rows = []
    for name in names:
        per = {part: seconds / answered[name] * 1000 for part, seconds in cpu[name].items()}
        split = ", ".join(f"{part} {ms:.2f}" for part, ms in per.items())
        rows.append([name, f"{figures[name].median:,.0f}", f"{sum(per.values()):.2f}", split])
    text = (
        "## 11. Consents through the reference deployment\n\n"
        + _sentence((__doc__ or "").split("\n\n", 1)[0].replace("\n", " ").split(": ", 1)[1])
        + " "
        + (__doc__ or "").split("\n\n", 1)[1].replace("\n", " ").strip()
        + "\n\n"
        + table(["path", "consents req/s", "CPU ms per consent", "of it (ms)"], rows)
        + f"\n\nThrough nginx with two instances: {ratio:.2f}× one instance directly. After the "
        f"runs every chain verifies: {'yes' if intact else '**no**'}; non-2xx answers: "
        f"{errors}.\n"
    )
    return text, intact and errors == 0
