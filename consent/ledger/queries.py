"""Read-only queries of the ledger for auditors: filters, keyset pages, exports, history.

Everything here reads; the only writes of the auditor's side are the access log and
erasures (:mod:`consent.access.log`, :mod:`consent.audit.erasure`).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, Text, cast, func, select
from sqlalchemy.engine import Engine, Row

from consent.core.catalog import CATEGORIES
from consent.core.chain import JSON_FIELDS
from consent.core.times import iso_ms
from consent.errors import InvalidField, NotFound
from consent.extensions import db
from consent.ledger.append import receipt_dict, receipts_query
from consent.ledger.exports import STORED_FIELDS
from consent.models import Erasure, Receipt, ReceiptContext
from consent.params import iso_time, optional_whole_number, whole
from consent.visitor.api import ACTIONS

_R = Receipt.__table__
_C = ReceiptContext.__table__

#: Largest page of the receipts and access-log lists.
MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
MAX_SUBJECT = 64


def parse_limit(args: Mapping[str, str], default: int = DEFAULT_LIMIT) -> int:
    """The ``limit`` parameter: 1..1000."""
    limit = optional_whole_number(args.get("limit"), "limit", 1, MAX_LIMIT)
    return default if limit is None else limit


def encode_cursor(position: int) -> str:
    """An opaque cursor for the page after ``position`` (a seq or an id)."""
    return base64.urlsafe_b64encode(f"k1:{position}".encode()).decode().rstrip("=")


def parse_cursor(args: Mapping[str, str]) -> int | None:
    """The position a ``cursor`` parameter points after, or ``None`` for the first page."""
    value = args.get("cursor") or ""
    if not value:
        return None
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode("ascii")
    except (binascii.Error, ValueError) as error:
        raise InvalidField("cursor", "not a cursor this API returned") from error
    prefix, _, number = raw.partition(":")
    position = whole(number)
    if prefix != "k1" or position is None:
        raise InvalidField("cursor", "not a cursor this API returned")
    return position


@dataclass(frozen=True)
class ReceiptFilter:
    """The auditor's filters; ``since`` is inclusive and ``until`` exclusive."""

    subject: str | None = None
    since: str | None = None
    until: str | None = None
    policy_version: int | None = None
    action: str | None = None
    category: str | None = None
    granted: bool | None = None

    def apply(self, query: Select[Any], *, time_index: bool = True) -> Select[Any]:
        """Add the filters' WHERE clauses to a query of receipts.

        ``time_index=False`` words the period so that no index on ``created_at`` serves
        it (same rows), for a planner that would otherwise sort a whole wide period.
        """
        created = _R.c.created_at if time_index else _R.c.created_at.concat("")
        if self.subject is not None:
            query = query.where(_R.c.subject_id == self.subject)
        if self.since is not None:
            query = query.where(created >= self.since)
        if self.until is not None:
            query = query.where(created < self.until)
        if self.policy_version is not None:
            query = query.where(_R.c.policy_version == self.policy_version)
        if self.action is not None:
            query = query.where(_R.c.action == self.action)
        if self.category is not None:
            chosen = _R.c.categories[self.category].as_boolean()
            query = query.where(chosen.is_(bool(self.granted)))
        return query

    def as_params(self) -> dict[str, str]:
        """The filters as query parameters (for links to the next page or an export)."""
        params = {
            "subject": self.subject,
            "from": self.since,
            "to": self.until,
            "policy_version": None if self.policy_version is None else str(self.policy_version),
            "action": self.action,
            "category": self.category,
            "granted": None if self.granted is None else str(self.granted).lower(),
        }
        return {name: value for name, value in params.items() if value is not None}


def parse_filter(args: Mapping[str, str]) -> ReceiptFilter:
    """Validate the filter parameters; a bad value is a 422 naming the parameter."""

    def given(name: str) -> str | None:
        value = args.get(name)
        return value if value else None

    subject = given("subject")
    if subject is not None and not is_subject_id(subject):
        raise InvalidField("subject", f"not a subject id (at most {MAX_SUBJECT} characters)")
    since = iso_time(args["from"], "from") if given("from") else None
    until = iso_time(args["to"], "to") if given("to") else None
    if since is not None and until is not None and until <= since:
        raise InvalidField("to", "must be later than from")
    action = given("action")
    if action is not None and action not in ACTIONS:
        raise InvalidField("action", f"must be one of {', '.join(ACTIONS)}")
    category, granted_text = given("category"), given("granted")
    if category is not None and category not in CATEGORIES:
        raise InvalidField("category", f"must be one of {', '.join(CATEGORIES)}")
    if granted_text is not None and granted_text not in ("true", "false"):
        raise InvalidField("granted", "must be true or false")
    if granted_text is not None and category is None:
        raise InvalidField("category", "granted needs the category it applies to")
    return ReceiptFilter(
        subject=subject,
        since=since,
        until=until,
        policy_version=optional_whole_number(
            args.get("policy_version"), "policy_version", 1, 2**31 - 1
        ),
        action=action,
        category=category,
        granted=None if category is None else granted_text != "false",
    )


def search_receipts(
    site_id: int, flt: ReceiptFilter, limit: int, before_seq: int | None
) -> tuple[list[dict[str, Any]], int | None]:
    """One page, newest first; keyset on seq, so appends between pages shift nothing."""
    query = planned(site_id, flt, limit, before_seq)
    if before_seq is not None:
        query = query.where(_R.c.seq < before_seq)
    rows = db.session.execute(query.order_by(_R.c.seq.desc()).limit(limit + 1)).all()
    items = [receipt_dict(row) for row in rows[:limit]]
    more = len(rows) > limit
    return items, (items[-1]["seq"] if more else None)


def planned(
    site_id: int, flt: ReceiptFilter, limit: int, before_seq: int | None = None
) -> Select[Any]:
    """The filtered query, worded so that SQLite (which plans without statistics) uses the
    index a page needs; PostgreSQL chooses from its statistics, so it gets the plain query.
    """
    query = receipts_query(site_id)
    if db.session.get_bind().dialect.name != "sqlite":
        return flt.apply(query)
    if flt.subject is not None:  # a handful of rows: find them by subject, then sort
        return flt.apply(query).with_hint(_R, "INDEXED BY ix_receipts_site_subject_seq", "sqlite")
    if flt.since is None and flt.until is None:
        return flt.apply(query)
    # Walking down the seq index first passes the receipts newer than the period (or the
    # cursor); reading the period by time sorts all of it. Both give the same rows.
    low, high, head = _period_seqs(site_id, flt)
    if before_seq is not None:
        head = min(head, before_seq - 1)
    return flt.apply(query, time_index=max(0, head - high) > max(high - low, 20 * limit))


def _period_seqs(site_id: int, flt: ReceiptFilter) -> tuple[int, int, int]:
    """About where the period starts and ends in seq, and the newest seq: three seeks."""
    first = select(_R.c.seq).where(_R.c.site_id == site_id)
    if flt.since is not None:
        first = first.where(_R.c.created_at >= flt.since)
    last = select(_R.c.seq).where(_R.c.site_id == site_id)
    if flt.until is not None:
        last = last.where(_R.c.created_at < flt.until)
    low = db.session.scalar(first.order_by(_R.c.created_at).limit(1))
    high = db.session.scalar(last.order_by(_R.c.created_at.desc()).limit(1))
    head = db.session.scalar(select(func.max(_R.c.seq)).where(_R.c.site_id == site_id))
    if low is None or high is None or head is None:
        return 0, 0, 0
    return low, high, head


#: The columns of :data:`consent.ledger.exports.STORED_FIELDS`; JSON columns come as stored text.
_EXPORT_COLUMNS = [
    _C.c[name] if name in ("page_url", "ip_prefix", "user_agent")
    else cast(_R.c[name], Text) if name in JSON_FIELDS
    else _R.c[name]
    for name in STORED_FIELDS
]  # fmt: skip


def receipt_batches(
    engine: Engine, site_id: int, flt: ReceiptFilter, batch: int = 500
) -> Iterator[Sequence[Row[Any]]]:
    """Every matching receipt as a stored row (:data:`~consent.ledger.exports.STORED_FIELDS`), in
    ascending seq, a batch at a time: constant memory at any size.

    It opens its own connection (a server-side cursor on PostgreSQL), so it can run
    while the response streams, after the request's session is gone.
    """
    query = flt.apply(
        select(*_EXPORT_COLUMNS)
        .outerjoin(_C, _C.c.receipt_pk == _R.c.id)
        .where(_R.c.site_id == site_id)
    ).order_by(_R.c.seq)
    with engine.connect() as conn:
        result = conn.execution_options(yield_per=batch).execute(query)
        try:
            yield from result.partitions()
        finally:
            result.close()


def is_subject_id(value: str) -> bool:
    """Could this be a subject id? (Short, and no NUL, which PostgreSQL refuses in text.)"""
    return len(value) <= MAX_SUBJECT and "\x00" not in value


def find_receipt(site_id: int, receipt_id: str) -> dict[str, Any] | None:
    """One receipt of the site with its (possibly erased) context."""
    if len(receipt_id) > 40 or "\x00" in receipt_id:
        return None
    row = db.session.execute(receipts_query(site_id).where(_R.c.receipt_id == receipt_id)).first()
    return None if row is None else receipt_dict(row)


def erasure_dict(row: Erasure) -> dict[str, Any]:
    """An erasure as the subject history shows it."""
    return {
        "subject_id": row.subject_id,
        "erased_at": iso_ms(row.erased_at),
        "receipts": row.receipts,
        "requested_by": row.requested_by,
    }


def subject_history(site_id: int, subject_id: str) -> dict[str, Any]:
    """A subject's receipts oldest first, and the erasures of its personal context."""
    if not is_subject_id(subject_id):
        raise NotFound("unknown subject")
    rows = db.session.execute(
        receipts_query(site_id).where(_R.c.subject_id == subject_id).order_by(_R.c.seq)
    ).all()
    erasures = db.session.scalars(
        select(Erasure)
        .where(Erasure.site_id == site_id, Erasure.subject_id == subject_id)
        .order_by(Erasure.erased_at, Erasure.id)
    ).all()
    if not rows and not erasures:
        raise NotFound("unknown subject")
    return {
        "subject_id": subject_id,
        "items": [receipt_dict(row) for row in rows],
        "erasures": [erasure_dict(row) for row in erasures],
    }
