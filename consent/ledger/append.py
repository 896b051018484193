"""The only code that writes receipts: append, verify, purge and erase.

Its rows are defined in :mod:`consent.ledger.rows`, and its bulk append for seeding is
:mod:`consent.ledger.seeding`, which builds each receipt with this module's :func:`receipt_draft`
and :func:`chained`. Receipts are never updated or deleted. Personal context lives in a
side table so it can be purged or erased while the hash chain still verifies.
"""

from __future__ import annotations

import secrets
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from flask import Flask, current_app
from sqlalchemy import Connection, CursorResult, bindparam, delete, func, select
from sqlalchemy.exc import IntegrityError

from consent.core.canonical import canonical, sha256_hex
from consent.core.chain import (
    HASHED_FIELDS,
    JSON_FIELDS,
    SORTED_FIELDS,
    Verification,
    receipt_hash,
    walk_stored,
)
from consent.core.times import iso_now
from consent.core.tlog_errors import TileCorrupt
from consent.extensions import db, writer_turn
from consent.ledger import rows as receipt_rows
from consent.ledger import transparency
from consent.models import Erasure, Receipt, ReceiptContext, utcnow
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


def new_subject_id() -> str:
    """A random pseudonymous visitor id."""
    return secrets.token_hex(16)


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
    receipt = {**{name: body[name] for name in HASHED_FIELDS}, "context": choice.context}
    receipt["hash"] = body["hash"]
    return receipt, proof


#: Called with the number of rows just handled, for progress bars.
Progress = Callable[[int], None]


def _no_progress(_rows: int) -> None:
    pass


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
    return {
        "receipt_id": str(uuid.uuid4()),
        "site_key": site.site_key,
        "subject_id": choice.subject_id,
        "policy_version": choice.policy_version,
        "policy_hash": version.policy_hash,
        "language": choice.language,
        "action": choice.action,
        "categories": choice.categories,
        "vendors": {
            vid: choice.categories[cat] for vid, cat in sorted(version.vendor_categories.items())
        },
        "signals": choice.signals,
        "context_digest": sha256_hex(salt + context_json),
    }


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


def receipt_dict(row: Any) -> dict[str, Any]:
    """A stored receipt (joined with its context, if any) as the API shows it."""
    values = row._mapping  # by key: many times faster than attribute access on a Row
    out = {name: values[name] for name in HASHED_FIELDS}
    page_url = values.get("page_url")
    out["context"] = (
        None
        if page_url is None
        else {
            "page_url": page_url,
            "ip_prefix": values["ip_prefix"],
            "user_agent": values["user_agent"],
        }
    )
    out["hash"] = values["hash"]
    return out


def receipts_query(site_id: int):  # type: ignore[no-untyped-def]
    """SELECT of a site's receipts joined with their (possibly erased) context."""
    return (
        select(_R, _C.c.page_url, _C.c.ip_prefix, _C.c.user_agent)
        .outerjoin(_C, _C.c.receipt_pk == _R.c.id)
        .where(_R.c.site_id == site_id)
    )


def subject_receipts(site_id: int, subject_id: str) -> list[dict[str, Any]]:
    """Every receipt of one subject on one site, oldest first."""
    rows = db.session.execute(
        receipts_query(site_id).where(_R.c.subject_id == subject_id).order_by(_R.c.seq)
    )
    return [receipt_dict(row) for row in rows]


def verify_chain(site_id: int, progress: Progress = _no_progress) -> Verification:
    """Walk the chain in seq order; report the first receipt that does not fit."""
    with db.engine.connect() as conn:
        return walk_stored(_stored_rows(conn, site_id, progress))


#: How much of a SQLite file verification maps into memory (address space, not RAM).
_VERIFY_MMAP = 1 << 40
#: The chain's columns in :func:`walk_stored`'s order, JSON as stored text; names are
#: this module's constants, and the site is a bound parameter.
_VERIFY_SQL = "SELECT hash, {} FROM receipts WHERE site_id = {{}} ORDER BY seq".format(  # noqa: S608
    ", ".join(f"CAST({n} AS TEXT)" if n in JSON_FIELDS else n for n in SORTED_FIELDS)
)


def _stored_rows(conn: Connection, site_id: int, progress: Progress) -> Iterator[Sequence[Any]]:
    """Stream a site's receipts as plain driver tuples (a server-side cursor on PostgreSQL).

    Verifying a million receipts is dominated by per-row costs, so this skips the
    SQLAlchemy result layer; the statement is a constant with one bound parameter.
    """
    raw: Any = conn.connection.dbapi_connection
    if conn.dialect.name == "postgresql":
        cursor = raw.cursor(name="verify_chain")
        cursor.execute(_VERIFY_SQL.format("%s"), (site_id,))
    else:
        cursor = raw.cursor()
        cursor.execute(f"PRAGMA mmap_size = {_VERIFY_MMAP}")  # reads without a copy per page
        cursor.execute(_VERIFY_SQL.format("?"), (site_id,))
    try:
        while rows := cursor.fetchmany(5000):
            yield from rows
            progress(len(rows))
    finally:
        cursor.close()
        if conn.dialect.name == "sqlite":
            raw.execute("PRAGMA mmap_size = 0")  # back to the default for the pooled connection


def receipt_count(site_id: int, subject_id: str | None = None) -> int:
    """How many receipts a site has (its chain's length), or one subject has there."""
    count = select(func.count()).where(_R.c.site_id == site_id)
    if subject_id is not None:
        count = count.where(_R.c.subject_id == subject_id)
    return int(db.session.scalar(count) or 0)


def purge_contexts(site_id: int, before: datetime) -> int:
    """Delete personal context recorded before ``before`` (retention); receipts stay."""
    ids = select(_R.c.id).where(_R.c.site_id == site_id)
    result = db.session.execute(
        delete(ReceiptContext).where(
            ReceiptContext.receipt_pk.in_(ids), ReceiptContext.created_at < before
        )
    )
    db.session.commit()
    return int(cast("CursorResult[Any]", result).rowcount or 0)


#: Contexts erased per statement: bounded statements, and progress to show on the way.
_ERASE_BATCH = 2000


def erase_subject(
    site_id: int, subject_id: str, requested_by: str, progress: Progress = _no_progress
) -> Erasure:
    """Erase one subject's personal context on request and record the erasure, atomically."""
    ids = list(
        db.session.scalars(
            select(_R.c.id).where(_R.c.site_id == site_id, _R.c.subject_id == subject_id)
        )
    )
    for start in range(0, len(ids), _ERASE_BATCH):
        batch = ids[start : start + _ERASE_BATCH]
        db.session.execute(delete(ReceiptContext).where(ReceiptContext.receipt_pk.in_(batch)))
        progress(len(batch))
    erasure = Erasure(
        site_id=site_id, subject_id=subject_id, requested_by=requested_by, receipts=len(ids)
    )
    db.session.add(erasure)
    db.session.commit()
    return erasure
