"""The only code that writes receipts: one append, or many in one group commit.

Its rows are defined in :mod:`consent.ledger.rows`, and its bulk append for seeding is
:mod:`consent.ledger.seeding`, which builds each receipt with this module's :func:`receipt_draft`
and :func:`chained`. Receipts are never updated or deleted. Personal context lives in a
side table so it can be purged or erased while the hash chain still verifies.
"""

from __future__ import annotations

import secrets
import threading
import uuid
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app
from sqlalchemy import Connection, bindparam, select
from sqlalchemy.exc import IntegrityError

from consent.core.canonical import canonical, sha256_hex
from consent.core.chain import hashed_body, receipt_hash
from consent.core.times import iso_now
from consent.core.tlog_errors import TileCorrupt
from consent.extensions import db, writer_turn
from consent.ledger import rows as receipt_rows
from consent.ledger import transparency
from consent.models import Receipt, ReceiptContext, utcnow
from consent.sites.state import SiteState

#: Advisory-lock namespace for per-site appends on PostgreSQL.
_LOCK_NAMESPACE = 0x436C  # "Cl"

_R = Receipt.__table__
_C = ReceiptContext.__table__


@dataclass(frozen=True)
class ChoiceToRecord:
    """A visitor's choice, validated, to be recorded as a receipt (by an append or the seeder)."""

    subject_id: str
    action: str
    categories: dict[str, bool]
    policy_version: int
    language: str
    signals: dict[str, bool]
    context: dict[str, Any]
    #: The build of the banner code that collected it (None: not said).
    banner_build: str | None = None


def init_app(app: Flask) -> None:
    """Give ``app`` the queue where its appends wait for their group commit."""
    app.extensions["consent_appends"] = _GroupCommit()


def append_receipt(
    site: SiteState, choice: ChoiceToRecord
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Append one receipt; return it as the API shows it, and its inclusion proof.

    The proof is against a checkpoint signed at exactly the new receipt's ``seq``: the
    visitor's commitment that the choice was logged.
    """
    body, proof = _append(site, choice)
    receipt = {**hashed_body(body), "context": choice.context, "hash": body["hash"]}
    return receipt, proof


#: Called with the number of rows just handled, for progress bars.
def _append(site: SiteState, choice: ChoiceToRecord) -> tuple[dict[str, Any], dict[str, Any]]:
    """Append one receipt with the appends that wait for the same lock; its signed proof.

    The checkpoint is signed after commit, outside the lock: for a given size it depends on
    the root alone.
    """
    salt = secrets.token_bytes(16)
    pending = _Pending(site, choice, salt, receipt_draft(site, choice, salt))
    body, path, root = current_app.extensions["consent_appends"].append(pending)
    return body, transparency.newest_proof(site.site_key, body["seq"], path, root)


#: What one append wrote: the receipt, its inclusion proof and the tree's new root.
_Written = tuple[dict[str, Any], list[bytes], bytes]
#: The most appends one transaction takes.
BATCH_MAX = 64


@dataclass
class _Pending:
    """An append waiting for its turn: what to write, then what was written or what failed."""

    site: SiteState
    choice: ChoiceToRecord
    salt: bytes
    draft: dict[str, Any]
    woken: threading.Event = field(default_factory=threading.Event)
    outcome: _Written | BaseException | None = None


class _GroupCommit:
    """A worker's appends, taken in batches: one transaction, one commit each.

    The first append to arrive leads: it writes every append waiting by then, whatever its
    site, in one transaction (one fsync for all), hands each its outcome, then wakes the
    first of those that arrived meanwhile to lead the next batch. A 201 still means
    committed: nobody answers before the commit of their batch. Other workers and
    instances are serialised by the database's locks as before (SQLite's write lock,
    PostgreSQL's per-site advisory locks, which a batch takes in site order).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: list[_Pending] = []
        self._busy = False

    def append(self, pending: _Pending) -> _Written:
        with self._lock:
            self._waiting.append(pending)
            leads, self._busy = not self._busy, True
        if not leads:
            pending.woken.wait()  # for the outcome, or to lead the next batch
        if pending.outcome is None:
            self._lead()
        if isinstance(pending.outcome, BaseException):
            raise pending.outcome
        assert pending.outcome is not None
        return pending.outcome

    def _lead(self) -> None:
        with self._lock:
            batch, self._waiting = self._waiting[:BATCH_MAX], self._waiting[BATCH_MAX:]
        for pending, outcome in zip(batch, _outcomes(batch), strict=True):
            pending.outcome = outcome
            pending.woken.set()
        with self._lock:
            if self._waiting:
                self._waiting[0].woken.set()  # no outcome yet: it leads
            else:
                self._busy = False


def _outcomes(batch: list[_Pending]) -> list[_Written | BaseException]:
    """Each append's outcome; a batch that fails is retried site by site.

    So one site's failure (a tile or chain conflict) fails that site's appends only, not
    those of the other sites that happened to wait with them. A database that is down is
    not asked again.
    """
    try:
        return list(_append_batch(batch))
    except BaseException as error:
        sites = {pending.site.site_id for pending in batch}
        if len(sites) == 1 or not _one_sites_fault(error):
            return [error] * len(batch)
    outcome: dict[int, _Written | BaseException] = {}
    for site_id in sorted(sites):
        alone = [pending for pending in batch if pending.site.site_id == site_id]
        outcome.update(zip(map(id, alone), _outcomes(alone), strict=True))
    return [outcome[id(pending)] for pending in batch]


def _one_sites_fault(error: BaseException) -> bool:
    """Whether ``error`` comes from one site's data (its tiles, its chain's uniqueness)."""
    integrity = (IntegrityError, db.engine.dialect.dbapi.IntegrityError)  # type: ignore[union-attr]
    return isinstance(error, (TileCorrupt, *integrity))


def _append_batch(batch: list[_Pending]) -> list[_Written]:
    """Chain, insert and log receipts in one transaction, under their sites' locks.

    The receipts, their context and the Merkle tiles commit together or not at all, so the
    chain and the transparency log can never disagree.
    """
    written = []
    with (
        writer_turn(db.engine),
        db.engine.connect().execution_options(sqlite_immediate=True) as conn,
        conn.begin() as tx,
    ):
        # In site order: two batches that need the same sites cannot wait for each other.
        recent = lock_chains(conn, sorted({pending.site.site_id for pending in batch}))
        heads = {site_id: transparency.open_head(conn, site_id, rows) for site_id, rows in recent}
        with _pipelined(conn):
            for pending in batch:
                head = heads[pending.site.site_id]
                body = chained(pending.draft, head.size + 1, head.hash)
                row = receipt_rows.row(
                    pending.site.site_id, body, pending.salt, pending.choice.context, utcnow()
                )
                receipt_rows.insert_one(conn, row)
                written.append((body, *transparency.add_leaf(head, body["hash"])))
            for site_id, head in heads.items():
                transparency.save(conn, site_id, head)
                # Kept while the lock is held, so the append waiting for it finds the head;
                # if the commit fails, the next append sees that the receipts lack it.
                transparency.keep(site_id, head)
            tx.commit()  # in the pipeline: the writes and COMMIT take one round trip
    return written


def _pipelined(conn: Connection) -> AbstractContextManager[Any]:
    """On PostgreSQL, send the statements inside without waiting for each (one round trip).

    Only for single-row statements whose results are not read (SQLAlchemy's executemany
    reads results): psycopg's pipeline mode answers them at the end of the block, where
    any error is raised and rolls the transaction back.
    """
    if conn.dialect.name == "postgresql":
        return conn.connection.dbapi_connection.pipeline()  # type: ignore[no-any-return,union-attr]
    return nullcontext()


def receipt_draft(
    site: SiteState, choice: ChoiceToRecord, salt: bytes, context_json: bytes | None = None
) -> dict[str, Any]:
    """A receipt's fields that do not depend on its place in the chain (made before the lock).

    With :func:`chained`, the one definition of a receipt's hashed body, for appends and
    seeding alike. ``context_json``: the context's RFC 8785 JSON, when the caller has it
    already (the seeder's few contexts); the digest covers the context, salted.
    """
    version = site.versions[choice.policy_version]
    if context_json is None:
        context_json = canonical(choice.context)
    draft = {
        "receipt_id": str(uuid.uuid4()),
        "site_key": site.site_key,
        "subject_id": choice.subject_id,
        "policy_version": choice.policy_version,
        "policy_hash": version.policy_hash,
        "language": choice.language,
        "action": choice.action,
        "categories": choice.categories,
        "vendors": version.receipt_vendors(choice.categories),
        "signals": choice.signals,
        "context_digest": sha256_hex(salt + context_json),
    }
    if choice.banner_build is not None:
        draft["banner_build"] = choice.banner_build
    return draft


def chained(
    draft: dict[str, Any], seq: int, prev_hash: str, created_at: str | None = None
) -> dict[str, Any]:
    """The receipt at ``seq`` after ``prev_hash``, hashed; stamped now unless ``created_at``.

    An append stamps it under the lock, so time follows seq; the seeder spreads its times.
    """
    body = {**draft, "seq": seq, "created_at": created_at or iso_now(), "prev_hash": prev_hash}
    body["hash"] = receipt_hash(body)
    return body


def lock_chain(conn: Connection, site_id: int) -> list[tuple[int, str]]:
    """Serialise appends per site; the site's newest receipts (seq, hash), read under the lock."""
    return lock_chains(conn, [site_id])[0][1]


def lock_chains(
    conn: Connection, site_ids: Sequence[int]
) -> list[tuple[int, list[tuple[int, str]]]]:
    """:func:`lock_chain` for several sites, locked in the order given.

    Advisory locks on PostgreSQL, sent in one pipeline with the reads: one round trip, and
    each read starts once its lock is granted, so it sees every append committed before.
    On SQLite the transaction's BEGIN IMMEDIATE holds the database's write lock already.
    """
    params = [{"site": site_id, "limit": transparency.RECENT} for site_id in site_ids]
    if conn.dialect.name == "postgresql":
        raw = conn.connection.dbapi_connection
        with raw.pipeline():  # type: ignore[union-attr]
            cursors = []
            for site_id, one in zip(site_ids, params, strict=True):
                raw.execute(_PG_LOCK, (_LOCK_NAMESPACE, site_id))  # type: ignore[union-attr]
                cursors.append(raw.execute(_PG_RECENT, one))  # type: ignore[union-attr]
        return [(s, c.fetchall()) for s, c in zip(site_ids, cursors, strict=True)]
    return [
        (site_id, [(seq, value) for seq, value in conn.execute(_RECENT, one)])
        for site_id, one in zip(site_ids, params, strict=True)
    ]


_PG_LOCK = "SELECT pg_advisory_xact_lock(%s, %s)"
#: A site's newest receipts, newest first.
_RECENT = (
    select(_R.c.seq, _R.c.hash)
    .where(_R.c.site_id == bindparam("site"))
    .order_by(_R.c.seq.desc())
    .limit(bindparam("limit"))
)
_PG_RECENT = (
    "SELECT seq, hash FROM receipts WHERE site_id = %(site)s ORDER BY seq DESC LIMIT %(limit)s"
)
