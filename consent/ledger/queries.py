"""Read-only queries of the ledger for auditors: keyset pages of receipts, one receipt, a
subject's history, and the rows an export streams. The filters they take are
:mod:`consent.ledger.filters`; policy versions are :mod:`consent.sites.versions`.

Everything here reads; the only writes of the auditor's side are the access log and
erasures (:mod:`consent.access.log`, :mod:`consent.audit.erasure`).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import Select, Text, cast, func, select
from sqlalchemy.engine import Engine, Row

from consent.core.chain import JSON_FIELDS
from consent.core.times import iso_ms
from consent.errors import FieldErrors, InvalidField, NotFound
from consent.extensions import db
from consent.ledger.exports import STORED_FIELDS
from consent.ledger.filters import ReceiptFilter, is_subject_id, parse_filter
from consent.ledger.reads import receipt_dict, receipts_query
from consent.models import Erasure, Receipt, ReceiptContext
from consent.params import optional_whole_number, whole

_R = Receipt.__table__
_C = ReceiptContext.__table__

#: Largest page of the receipts and access-log lists.
MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
#: The receipts list counts the matches of a filter up to this many, then says "more than".
COUNT_CAP = 10_000


def parse_limit(args: Mapping[str, str], default: int = DEFAULT_LIMIT) -> int:
    """The ``limit`` parameter: 1..1000."""
    limit = optional_whole_number(args.get("limit"), "limit", 1, MAX_LIMIT)
    return default if limit is None else limit


def parse_search(
    args: Mapping[str, str], default_limit: int = DEFAULT_LIMIT
) -> tuple[ReceiptFilter, int, int | None]:
    """The filters, ``limit`` and ``cursor`` of a receipts search; every bad parameter is
    named at once (one 422)."""
    errors = FieldErrors()
    with errors.collecting():
        flt = parse_filter(args)
    with errors.collecting():
        limit = parse_limit(args, default_limit)
    with errors.collecting():
        before = parse_cursor(args)
    errors.raise_any()
    return flt, limit, before


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


def count_receipts(site_id: int, flt: ReceiptFilter) -> int | None:
    """How many receipts match, or None for more than :data:`COUNT_CAP`: a count reads at most
    that many rows. Without a filter it is the newest seq (an index seek; seq has no gaps)."""
    if flt == ReceiptFilter():
        newest = select(func.max(_R.c.seq)).where(_R.c.site_id == site_id)
        return int(db.session.scalar(newest) or 0)
    matches = flt.apply(select(_R.c.id).where(_R.c.site_id == site_id)).limit(COUNT_CAP + 1)
    found = int(db.session.scalar(select(func.count()).select_from(matches.subquery())) or 0)
    return None if found > COUNT_CAP else found


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
