"""What every benchmark shares: free ports, servers started and stopped by PID, rounds."""

from __future__ import annotations

import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BIN = Path(PYTHON).parent
PG_URL = os.environ.get(
    "CONSENT_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
ROUNDS = int(os.environ.get("CONSENT_BENCH_ROUNDS", "3"))


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, timeout: float = 30.0) -> None:
    """Wait until ``url`` answers (any status), or fail."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


@contextmanager
def gunicorn(env: dict[str, str], workers: int = 2, app: str = "wsgi:app") -> Iterator[str]:
    """Serve ``app`` with gunicorn on a free 127.0.0.1 port; stopped by PID afterwards."""
    with gunicorn_process(env, workers, app) as (base, _pid):
        yield base


@contextmanager
def gunicorn_process(
    env: dict[str, str], workers: int = 2, app: str = "wsgi:app", *extra: str
) -> Iterator[tuple[str, int]]:
    """Like :func:`gunicorn`, also giving the master's PID; ``extra`` gunicorn options."""
    port = free_port()
    # The service must know its own address: the loader calls back to CONSENT_PUBLIC_URL,
    # and the log key is named after its netloc.
    env = {**env, "CONSENT_PUBLIC_URL": f"http://127.0.0.1:{port}"}
    if "CONSENT_LOG_KEY" in env:
        from consent.core.notes import generate_signer_key

        env["CONSENT_LOG_KEY"] = generate_signer_key(f"127.0.0.1:{port}")[0]
    command = [
        str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
        "--log-level", "warning", "--access-logfile", "/dev/null",
        "--chdir", str(ROOT), *extra, app,
    ]  # fmt: skip
    process = subprocess.Popen(command, env={**os.environ, **env}, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/healthz")
        yield base, process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def children(pid: int) -> list[int]:
    """The child processes of ``pid`` (gunicorn's workers)."""
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()]


def memory_mb(pid: int, field: str = "VmHWM") -> float:
    """A process's peak (``VmHWM``) or current (``VmRSS``) resident memory, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} for process {pid}")


@dataclass
class Figure:
    """One measured quantity over several rounds; the median is reported."""

    name: str
    unit: str
    values: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.values)


def alternate(rounds: int, *runs: Callable[[], None]) -> None:
    """Run each measurement once per round, alternating, so drift hits all alike."""
    for _ in range(rounds):
        for run in runs:
            run()


def in_turns(rounds: int, first: Callable[[], None], second: Callable[[], None]) -> None:
    """Run both once per round, in turns (AB, BA, AB, …), so drift and order hit both alike."""
    for turn in range(rounds):
        for run in (first, second) if turn % 2 == 0 else (second, first):
            run()


def paired_ratio(ours: Figure, baseline: Figure) -> float:
    """The median of each round's own ratio: robust to a machine whose speed drifts."""
    pairs = zip(ours.values, baseline.values, strict=True)
    return statistics.median(mine / base for mine, base in pairs)


def table(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def verdict(ok: bool) -> str:
    """Pass/fail cell."""
    return "pass" if ok else "**miss**"
