"""Reading the ledger: receipts as the API shows them, a subject's history, counts, and
the chain walked end to end (verify).

Everything here reads; :mod:`consent.ledger.append` is the only writer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, func, select

from consent.core.chain import HASHED_FIELDS, JSON_FIELDS, SORTED_FIELDS, Verification, walk_stored
from consent.extensions import db
from consent.models import Receipt, ReceiptContext
from consent.replica import read_engine

_R = Receipt.__table__
_C = ReceiptContext.__table__

Progress = Callable[[int], None]


def _no_progress(_rows: int) -> None:
    pass


def receipt_dict(row: Any) -> dict[str, Any]:
    """A stored receipt (joined with its context, if any) as the API shows it."""
    values = row._mapping  # by key: many times faster than attribute access on a Row
    out = {name: values[name] for name in HASHED_FIELDS}
    if values["banner_build"] is not None:
        out["banner_build"] = values["banner_build"]
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
    with read_engine().connect() as conn:
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
