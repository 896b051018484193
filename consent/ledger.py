"""The only code that writes receipts: append, verify, purge and erase.

Receipts are never updated or deleted. Personal context lives in a side table so it
can be purged or erased while the hash chain still verifies.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select

from . import transparency
from .canonical import salted_digest
from .chain import GENESIS, HASHED_FIELDS, Verification, receipt_hash, walk_chain
from .extensions import db
from .models import Erasure, Receipt, ReceiptContext, utcnow
from .sites import SiteState, iso_now

#: Advisory-lock namespace for per-site appends on PostgreSQL.
_LOCK_NAMESPACE = 0x436C  # "Cl"

_R = Receipt.__table__
_C = ReceiptContext.__table__


@dataclass(frozen=True)
class Choice:
    """A visitor's choice as the visitor API validated it."""

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


def append_receipt(site: SiteState, choice: Choice) -> tuple[dict[str, Any], dict[str, Any]]:
    """Append one receipt; return it as the API shows it, and its inclusion proof.

    The proof is against a checkpoint signed at exactly the new receipt's ``seq``: the
    visitor's commitment that the choice was logged.
    """
    (body,), proof = _append(site, [choice], prove=True)
    receipt = {**{name: body[name] for name in HASHED_FIELDS}, "context": choice.context}
    receipt["hash"] = body["hash"]
    assert proof is not None
    return receipt, proof


#: Called with the number of rows just handled, for progress bars.
Progress = Callable[[int], None]


def _no_progress(_rows: int) -> None:
    pass


def seed_receipts(
    site: SiteState, choices: Iterable[Choice], batch: int = 5000, progress: Progress = _no_progress
) -> int:
    """Append many receipts in batches (benchmarks and demos); same chain rules as one."""
    count = 0
    pending: list[Choice] = []
    for choice in choices:
        pending.append(choice)
        if len(pending) == batch:
            count += len(_append(site, pending)[0])
            progress(len(pending))
            pending = []
    if pending:
        count += len(_append(site, pending)[0])
        progress(len(pending))
    return count


def _append(
    site: SiteState, choices: list[Choice], prove: bool = False
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """Chain, insert and log receipts in one transaction, serialised per site.

    Receipts, their context and the Merkle tiles commit together or not at all, so the
    chain and the transparency log can never disagree.
    """
    with db.engine.connect().execution_options(sqlite_immediate=True) as conn, conn.begin():
        _lock_site(conn, site.site_id)
        head = conn.execute(
            select(_R.c.seq, _R.c.hash)
            .where(_R.c.site_id == site.site_id)
            .order_by(_R.c.seq.desc())
            .limit(1)
        ).first()
        seq, prev = (head.seq, head.hash) if head is not None else (0, GENESIS)
        size = seq
        bodies, salts = [], []
        for choice in choices:
            salt = secrets.token_bytes(16)
            seq += 1
            body = _body(site, choice, seq, prev, salt)
            prev = body["hash"]
            bodies.append(body)
            salts.append(salt)
        pks = (
            conn.execute(
                insert(_R).returning(_R.c.id, sort_by_parameter_order=True),
                [{"site_id": site.site_id, **body} for body in bodies],
            )
            .scalars()
            .all()
        )
        now = utcnow()
        conn.execute(
            insert(_C),
            [
                {"receipt_pk": pk, "salt": salt, "created_at": now, **_context_columns(c.context)}
                for pk, salt, c in zip(pks, salts, choices, strict=True)
            ],
        )
        read = transparency.append(conn, site.site_id, size, [body["hash"] for body in bodies])
        proof = transparency.proof(site.site_key, seq, seq, read) if prove else None
    return bodies, proof


def _body(site: SiteState, choice: Choice, seq: int, prev: str, salt: bytes) -> dict[str, Any]:
    version = site.versions[choice.policy_version]
    body: dict[str, Any] = {
        "receipt_id": str(uuid.uuid4()),
        "site_key": site.site_key,
        "seq": seq,
        "subject_id": choice.subject_id,
        "created_at": iso_now(),
        "policy_version": choice.policy_version,
        "policy_hash": version.policy_hash,
        "language": choice.language,
        "action": choice.action,
        "categories": choice.categories,
        "vendors": {
            vid: choice.categories[cat] for vid, cat in sorted(version.vendor_categories.items())
        },
        "signals": choice.signals,
        "context_digest": salted_digest(salt, choice.context),
        "prev_hash": prev,
    }
    body["hash"] = receipt_hash(body)
    return body


def _context_columns(context: dict[str, Any]) -> dict[str, Any]:
    return {
        "page_url": context["page_url"],
        "ip_prefix": context["ip_prefix"],
        "user_agent": context["user_agent"],
    }


def _lock_site(conn: Connection, site_id: int) -> None:
    """Serialise appends per site: an advisory lock on PostgreSQL, BEGIN IMMEDIATE on SQLite."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(%s, %s)", (_LOCK_NAMESPACE, site_id))


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
    columns = [_R.c[name] for name in HASHED_FIELDS] + [_R.c.hash]
    query = select(*columns).where(_R.c.site_id == site_id).order_by(_R.c.seq)
    with (
        db.engine.connect() as conn,
        conn.execution_options(yield_per=2000).execute(query) as result,
    ):
        return walk_chain(_counted((row._mapping for row in result), progress))


def _counted(rows: Iterator[Any], progress: Progress, every: int = 2000) -> Iterator[Any]:
    for number, row in enumerate(rows, 1):
        if number % every == 0:
            progress(every)
        yield row


def receipt_count(site_id: int) -> int:
    """How many receipts a site has (its chain's length)."""
    return int(db.session.scalar(select(func.count()).where(_R.c.site_id == site_id)) or 0)


def purge_contexts(site_id: int, before: datetime) -> int:
    """Delete personal context recorded before ``before`` (retention); receipts stay."""
    ids = select(_R.c.id).where(_R.c.site_id == site_id)
    result = db.session.execute(
        delete(ReceiptContext).where(
            ReceiptContext.receipt_pk.in_(ids), ReceiptContext.created_at < before
        )
    )
    db.session.commit()
    return int(result.rowcount or 0)


def erase_subject(site_id: int, subject_id: str, requested_by: str) -> Erasure:
    """Erase one subject's personal context on request and record the erasure."""
    ids = select(_R.c.id).where(_R.c.site_id == site_id, _R.c.subject_id == subject_id)
    count = db.session.scalar(select(func.count()).select_from(ids.subquery())) or 0
    db.session.execute(delete(ReceiptContext).where(ReceiptContext.receipt_pk.in_(ids)))
    erasure = Erasure(
        site_id=site_id, subject_id=subject_id, requested_by=requested_by, receipts=count
    )
    db.session.add(erasure)
    db.session.commit()
    return erasure
