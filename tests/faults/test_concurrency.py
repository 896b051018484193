"""16 concurrent clients through gunicorn (2 workers): no fork, no gap, log and chain agree."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from .conftest import FAULTS
from .load import checkpoint_size, false_confirmations, prepare, run_load, stored
from .servers import Gunicorn

pytestmark = FAULTS

CLIENTS, EACH = 16, 20


@pytest.mark.parametrize("spread", ["one site", "16 sites"])
def test_concurrent_appends_through_gunicorn(
    database_url: str, serve: Callable[..., Gunicorn], spread: str
) -> None:
    ledger = prepare(database_url, sites=1 if spread == "one site" else CLIENTS)
    server = serve(database_url)
    clients = [ledger.sites[n % len(ledger.sites)] for n in range(CLIENTS)]
    tally = run_load(server.base, clients, EACH)
    assert tally.outcomes == {"201": CLIENTS * EACH}
    ledgers = {key: stored(database_url, key) for key in ledger.sites}
    per_site = CLIENTS * EACH // len(ledger.sites)
    for key, held in ledgers.items():
        assert held.seqs == list(range(1, per_site + 1))  # no gap, no duplicate
        assert held.forks == 0
        assert held.verify == {"ok": True, "receipts": per_site, "head": held.verify["head"]}
        assert checkpoint_size(server.base, key) == per_site
    assert false_confirmations(tally, ledgers) == []
    backend = database_url.split(":")[0]
    print(f"\n[figures] {backend} {spread}: {tally.attempts} POSTs, {dict(tally.outcomes)}")
