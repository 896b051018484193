"""Crashes mid-load: kill -9 of gunicorn workers and master, PostgreSQL restarts.

Whatever a client was told with a 201 must be in the ledger exactly as confirmed, and the
chain and the transparency log must still agree; a client may get an error, never a
false confirmation.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from .conftest import FAULTS
from .load import Tally, checkpoint_size, false_confirmations, prepare, run_load, stored
from .servers import PATIENCE, Cluster, Gunicorn

pytestmark = FAULTS

CLIENTS, EACH = 8, 50


def load_with(
    base: str, site_key: str, steps: list[tuple[int, Callable[[], None]]], tally: Tally
) -> Tally:
    """The bounded load; each step runs once that many POSTs were confirmed."""
    ran: list[str] = []

    def inject() -> None:
        deadline = time.monotonic() + PATIENCE * 3
        for threshold, step in steps:
            while tally.outcomes["201"] < threshold:
                if time.monotonic() > deadline:
                    return
                time.sleep(0.01)
            step()
            ran.append(step.__name__)

    faults = threading.Thread(target=inject, daemon=True)
    faults.start()
    run_load(base, [site_key] * CLIENTS, EACH, tally, pause_after_error=0.5)
    faults.join(timeout=PATIENCE)
    assert len(ran) == len(steps), f"the faults did not all happen: {ran}"
    return tally


def assert_intact(url: str, base: str, site_key: str, tally: Tally, label: str) -> None:
    """Every confirmation is stored as confirmed; the chain verifies; the log has them all."""
    held = stored(url, site_key)
    assert false_confirmations(tally, {site_key: held}) == []
    count = len(held.seqs)
    assert held.seqs == list(range(1, count + 1)) and held.forks == 0
    assert held.verify["ok"] is True and held.verify["receipts"] == count
    assert checkpoint_size(base, site_key) == count
    print(
        f"\n[figures] {label}: {tally.attempts} POSTs, {tally.outcomes['201']} confirmed 201, "
        f"{count} stored ({count - tally.outcomes['201']} stored but unconfirmed), "
        f"{tally.failed} client errors {dict(tally.outcomes)}, 0 false confirmations"
    )


def test_kill_9_of_workers_and_master(database_url: str, serve: Callable[..., Gunicorn]) -> None:
    ledger = prepare(database_url)
    server = serve(database_url)
    before = set(server.workers())

    def both_workers() -> None:
        assert len(server.kill_workers(2)) == 2

    def one_worker() -> None:
        assert len(server.kill_workers(1)) == 1

    def master() -> None:
        server.kill_master_and_restart()

    steps = [(40, both_workers), (120, one_worker), (200, master)]
    tally = load_with(server.base, ledger.sites[0], steps, Tally())
    assert not before & set(server.workers())  # every original worker really died
    label = f"{database_url.split(':')[0]} kill -9 (2 workers, 1 worker, master)"
    assert_intact(database_url, server.base, ledger.sites[0], tally, label)


def test_postgresql_restarts_fast_and_immediate(
    cluster: Cluster, serve: Callable[..., Gunicorn]
) -> None:
    ledger = prepare(cluster.url)
    server = serve(cluster.url)
    after_last: list[int] = []

    def fast() -> None:
        cluster.restart("fast")

    def immediate() -> None:
        cluster.restart("immediate")
        after_last.append(tally.outcomes["201"])

    tally = Tally()
    load_with(server.base, ledger.sites[0], [(40, fast), (140, immediate)], tally)
    # The workers recovered on their own: confirmations went on after the last restart.
    assert tally.outcomes["201"] > after_last[0]
    assert set(tally.outcomes) <= {"201", "503"}  # a database failure is a 503, never a 500
    label = "PostgreSQL pg_ctl restart -m fast, then -m immediate"
    assert_intact(cluster.url, server.base, ledger.sites[0], tally, label)
