"""Receipt appends end to end vs a bare INSERT, on SQLite and PostgreSQL, 16 clients."""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
import uuid
from pathlib import Path

import sqlalchemy as sa

from .common import PG_URL, ROUNDS, Figure, gunicorn, in_turns, paired_ratio, table, verdict
from .service import ORIGIN, consent_body, consent_cli, create_site, env_for

DURATION = "3s"
#: Rounds per case, each a short run of both in turns (AB, BA, …); ratios are paired.
ROUNDS_APPENDS = max(ROUNDS, 8)
SITES = 16

_LUA = """
local paths = {%s}
local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Origin"] = "%s"
request = function()
  i = i + 1
  local p = paths[(i %% #paths) + 1]
  return wrk.format(nil, p[1], nil, p[2])
end
"""


def wrk_post(
    base: str, targets: list[tuple[str, bytes]], workdir: Path, duration: str = DURATION
) -> tuple[float, int]:
    """Requests/s of 16 connections POSTing to ``targets`` in turn; and non-2xx answers."""
    script = workdir / f"post-{uuid.uuid4().hex}.lua"
    entries = ", ".join(
        f"{{{json.dumps(path)}, {json.dumps(body.decode())}}}" for path, body in targets
    )
    script.write_text(_LUA % (entries, ORIGIN))
    out = subprocess.run(
        ["wrk", "-t2", "-c16", f"-d{duration}", "--timeout", "10s", "-s", str(script), base],
        check=True, capture_output=True, text=True, timeout=90,
    ).stdout  # fmt: skip
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return rps, int(errors.group(1)) if errors else 0


def _database(kind: str, tmp: Path) -> tuple[str, str | None]:
    """A fresh database URL (and PostgreSQL schema to drop afterwards)."""
    if kind == "sqlite":
        return f"sqlite:///{tmp / 'appends.sqlite3'}", None
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    return f"{PG_URL}?options=-csearch_path%3D{schema}", schema


def _drop(schema: str | None) -> None:
    if schema:
        engine = sa.create_engine(PG_URL)
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


def _log_key() -> str:
    from consent.core.notes import generate_signer_key

    return generate_signer_key("127.0.0.1:5000")[0]


def run_backend(kind: str, tmp: Path) -> tuple[list[list[str]], bool]:
    """Rows of the table for one database, and whether the goal and integrity held."""
    url, schema = _database(kind, tmp)
    try:
        env = env_for(url, tmp, CONSENT_LOG_KEY=_log_key())
        keys = [create_site(env, f"Bench {i}", migrate=i == 0) for i in range(SITES)]
        with gunicorn(env, workers=2, app="bench.bare_app:app") as base:
            bodies = {key: consent_body(base, key) for key in keys}
            cases = {
                "one site": [(f"/api/v1/sites/{keys[0]}/consents", bodies[keys[0]])],
                f"{SITES} sites": [(f"/api/v1/sites/{k}/consents", bodies[k]) for k in keys],
            }
            bare = {
                name: [
                    (t[0].replace("/api/v1/sites/", "/bench/bare/").removesuffix("/consents"), t[1])
                    for t in targets
                ]
                for name, targets in cases.items()
            }
            figures: dict[str, Figure] = {}
            errors = 0

            def measure(label: str, targets: list[tuple[str, bytes]]) -> None:
                nonlocal errors
                rps, failed = wrk_post(base, targets, tmp)
                figures.setdefault(label, Figure(label, "req/s")).values.append(rps)
                errors += failed

            for name in cases:
                measure(f"warm-up, {name}", cases[name])
                in_turns(
                    ROUNDS_APPENDS,
                    lambda n=name: measure(f"consents, {n}", cases[n]),
                    lambda n=name: measure(f"bare INSERT, {n}", bare[n]),
                )
        verified = consent_cli(env, "verify-ledger")["sites"]
        intact = all(s["ok"] for s in verified)
        total = sum(s["receipts"] for s in verified)
    finally:
        _drop(schema)
    rows, ok = [], intact and errors == 0
    for name in cases:
        ours, baseline = figures[f"consents, {name}"], figures[f"bare INSERT, {name}"]
        ours_rps, base_rps, ratio = ours.median, baseline.median, paired_ratio(ours, baseline)
        ok = ok and ratio >= 0.6
        rows.append(
            [
                kind,
                name,
                f"{ours_rps:,.0f}",
                f"{base_rps:,.0f}",
                f"{ratio:.2f}×",
                verdict(ratio >= 0.6),
            ]
        )
    rows.append(
        [
            kind,
            "integrity",
            f"{total:,} receipts",
            "",
            ("0 forks, 0 gaps" if intact else "**BROKEN**")
            + (f", **{errors:,} non-2xx answers**" if errors else ""),
            verdict(intact and errors == 0),
        ]
    )
    return rows, ok


def run() -> tuple[str, bool]:
    """Measure both databases; the Markdown section and whether every goal is met."""
    rows, ok = [], True
    for kind in ("sqlite", "postgresql"):
        with tempfile.TemporaryDirectory() as tmp:
            backend_rows, backend_ok = run_backend(kind, Path(tmp))
        rows += backend_rows
        ok = ok and backend_ok
    text = (
        "## 4. Receipt appends\n\nThe consents POST end to end (validation, per-site lock, hash "
        "chain, Merkle tiles, signed checkpoint, token) vs a bare INSERT of a row of the same "
        f"size through the same gunicorn (2 workers, 4 threads each) and database; wrk, 16 connections, "
        f"a warm-up run, then {ROUNDS_APPENDS} rounds of {DURATION} each, the two in turns (AB, BA, "
        "…); req/s are medians, the ratio is the median of each round's own ratio. SQLite runs with "
        "`synchronous=FULL` in WAL mode. After the runs every site's chain is verified.\n\n"
        + table(
            ["database", "sites", "consents req/s", "bare INSERT req/s", "ratio", "goal ≥ 0.6×"],
            rows,
        )
        + "\n"
        + ("" if ok else WHERE)
    )
    return text, ok


#: Where the time of a consents POST goes, printed while the goal is missed.
WHERE = (
    "\n**Where the time goes** (in-process on PostgreSQL, 8 rounds of 300 POSTs of each in "
    "turns; the worker's CPU time, and PostgreSQL's from /proc; 2026-11-23): a consents "
    "POST costs the worker about 1.45 ms of CPU and PostgreSQL 0.3 ms, against 0.86 ms for "
    "the bare INSERT's request; the two cores are shared by the workers, PostgreSQL and "
    "wrk, so the ratio follows that CPU. The extra is spread, no part above about 0.1 ms: "
    "validation and the I-JSON checks, the hash chain (canonical JSON and SHA-256), the "
    "token, the Ed25519 checkpoint signature, the answer's proof, and a transaction with "
    "the lock and head read, the receipt with its context (one statement) and the tile "
    "slice; a receipt also updates eight indexes (the auditor's filters, the chain's "
    "uniqueness) where the bare row updates one. What helped: group commit (a worker's "
    "waiting appends, whatever their sites, share one transaction, one fsync and one "
    "pipelined round trip for their locks and heads: PostgreSQL 16 sites 0.48× → 0.61×), "
    "the append's statements straight to psycopg (PostgreSQL one site 0.46× → 0.65–0.70×), "
    "and on SQLite a kernel lock instead of SQLite's busy-polling naps (0.49× → "
    "0.63–0.72×). Plan: the token and the answer's JSON are the largest parts left.\n"
)
