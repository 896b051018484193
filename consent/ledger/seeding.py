"""The ledger's bulk append, for seeding benchmarks and demos: many receipts of one site.

Only the ledger writes receipts: a seeded receipt is built by the append's own
:func:`consent.ledger.append.receipt_draft` and :func:`consent.ledger.append.chained`,
stored through :mod:`consent.ledger.rows` and logged by the append's transparency calls,
under the same per-site lock, so a seeded chain is one that appends could have written.
What differs is the batch: thousands of receipts a transaction, rows inserted in bulk, no
proofs.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any

from sqlalchemy import func, select

from consent.core.canonical import canonical
from consent.core.catalog import CATEGORIES
from consent.extensions import db, writer_turn
from consent.ledger import append as ledger
from consent.ledger import rows as receipt_rows
from consent.ledger import transparency
from consent.ledger.choices import categories_for
from consent.ledger.reads import Progress
from consent.models import Receipt, utcnow
from consent.sites.state import SiteState

_R = Receipt.__table__
#: Seeded receipts: how many per transaction, and the period they are spread over.
BATCH = 20_000
SPAN = timedelta(days=90)


def seed_receipts(site: SiteState, count: int, progress: Progress = lambda _rows: None) -> int:
    """Append ``count`` valid, chained receipts with varied choices; how many were added."""
    choices = seed_choices(site, count)
    times = seed_times(site.site_id, count)
    added = 0
    while added < count:
        batch = list(islice(choices, BATCH))
        added += append_many(site, batch, times)
        progress(len(batch))
    return added


def append_many(
    site: SiteState, choices: Sequence[ledger.ChoiceToRecord], times: Iterator[str]
) -> int:
    """Append receipts for ``choices`` to one site in one transaction, stamped with ``times``.

    The bulk variant of :func:`consent.ledger.append.append_receipt`: the same body, rows, lock,
    and log tiles; the drafts are made before the lock, as an append's are.
    """
    salts = [os.urandom(16) for _ in choices]
    drafts = _drafts(site, choices, salts)
    recorded_at = utcnow()
    with (
        writer_turn(db.engine),
        db.engine.connect().execution_options(sqlite_immediate=True) as conn,
        conn.begin() as tx,
    ):
        if conn.dialect.name == "sqlite":  # the random-keyed indexes must stay in memory
            conn.exec_driver_sql("PRAGMA cache_size = -262144")
        ((_site, recent),) = ledger.lock_chains(conn, [site.site_id])
        head = transparency.open_head(conn, site.site_id, recent)
        seq, prev, rows = head.size, head.hash, []
        for draft, salt, choice in zip(drafts, salts, choices, strict=True):
            seq += 1
            body = ledger.chained(draft, seq, prev, next(times))
            prev = body["hash"]
            rows.append(receipt_rows.row(site.site_id, body, salt, choice.context, recorded_at))
        receipt_rows.insert_many(conn, site.site_id, rows)
        transparency.add_leaves(head, [row["hash"] for row in rows])
        transparency.save(conn, site.site_id, head)
        transparency.keep(site.site_id, head)  # held under the lock, as an append keeps it
        tx.commit()
    return len(rows)


def _drafts(
    site: SiteState, choices: Sequence[ledger.ChoiceToRecord], salts: list[bytes]
) -> list[dict[str, Any]]:
    """Each choice's draft, each distinct context serialised once (the batch shares a few)."""
    serialised: dict[int, bytes] = {}  # by identity: ``choices`` holds every context meanwhile
    drafts = []
    for choice, salt in zip(choices, salts, strict=True):
        context_json = serialised.get(id(choice.context))
        if context_json is None:
            context_json = serialised[id(choice.context)] = canonical(choice.context)
        drafts.append(ledger.receipt_draft(site, choice, salt, context_json))
    return drafts


def seed_choices(site: SiteState, count: int) -> Iterator[ledger.ChoiceToRecord]:
    """Varied choices on the site's current policy: actions, categories, signals, languages."""
    rng = random.Random(count)
    subjects = [f"{rng.getrandbits(128):032x}" for _ in range(max(1, count // 3))]
    signals = [{"gpc": gpc, "dnt": dnt} for gpc in (False, True) for dnt in (False, True)]
    contexts = [
        {
            "page_url": "https://www.example.com/",
            "ip_prefix": f"203.0.{octet}.0/24",
            "user_agent": "Mozilla/5.0 (seed-receipts)",
        }
        for octet in range(256)
    ]
    # custom twice as often as each other action (its 16 shapes share that weight)
    shapes = [(action, 0) for action in ("accept_all", "reject_all", "withdraw")] * 16
    shapes += [("custom", bits) for bits in range(16)] * 2
    choices = []
    for action, bits in shapes:
        given = {c: bool(bits >> i & 1) for i, c in enumerate(CATEGORIES[1:])}
        choices.append((action, categories_for(action, given if action == "custom" else None)))
    version = site.gate.policy_version
    for _ in range(count):
        action, categories = rng.choice(choices)
        signal = signals[(rng.random() < 0.1) * 2 + (rng.random() < 0.05)]
        language = "nl" if rng.random() < 0.4 else "en"
        context = contexts[rng.getrandbits(8)]
        subject = rng.choice(subjects)
        yield ledger.ChoiceToRecord(subject, action, categories, version, language, signal, context)


def seed_times(site_id: int, count: int) -> Iterator[str]:
    """Creation times spread evenly up to now, after the site's newest receipt."""
    now = utcnow()
    newest = db.session.scalar(select(func.max(_R.c.created_at)).where(_R.c.site_id == site_id))
    start = now - SPAN
    if newest is not None:
        start = max(start, datetime.fromisoformat(newest).astimezone(UTC))
    step = (now - start) / count
    # The ledger's format (``iso_ms``) for these UTC times, at half its cost per receipt.
    return (
        (start + step * number).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        for number in range(1, count + 1)
    )
