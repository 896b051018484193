"""The access log: every auditor or owner read is itself recorded, append-only.

The database refuses UPDATE and DELETE on ``access_log`` (migration 0003), like receipts.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import request
from sqlalchemy import Executable, insert, select

from consent.core.times import iso_now
from consent.extensions import db
from consent.models import AccessLogEntry

#: Query parameters that may carry a secret; they never reach the log.
SECRET_PARAMS = frozenset({"token", "access_token", "api_token", "csrf_token", "password"})

#: Longest query string kept (the filters an auditor can send are short).
_MAX_QUERY = 2000


def logged_query() -> str:
    """The request's query string as asked, without any parameter that may be a secret."""
    kept = [
        (name, value)
        for name, value in request.args.items(multi=True)
        if name.lower() not in SECRET_PARAMS
    ]
    return urlencode(kept)[:_MAX_QUERY]


def write_apart(statement: Executable) -> None:
    """Run one small write in a transaction of its own (BEGIN IMMEDIATE on SQLite).

    The request's read transaction ends first: on SQLite a transaction that has read
    cannot start writing after another connection committed (its snapshot is stale),
    and later reads of this request must see what was just written.
    """
    db.session.commit()
    with db.engine.connect().execution_options(sqlite_immediate=True) as conn, conn.begin():
        conn.execute(statement)


def record_access(site_id: int, actor: str, role: str) -> None:
    """Append who asked what, when, for this request; committed at once."""
    write_apart(
        insert(AccessLogEntry).values(
            site_id=site_id,
            created_at=iso_now(),
            actor=actor[:300],
            role=role,
            method=request.method[:8],
            path=request.path.replace("\x00", "%00")[:1000],
            query=logged_query(),
        )
    )


def entry_dict(row: AccessLogEntry) -> dict[str, Any]:
    """One access-log entry as the API shows it."""
    return {
        "id": row.id,
        "created_at": row.created_at,
        "actor": row.actor,
        "role": row.role,
        "method": row.method,
        "path": row.path,
        "query": row.query,
    }


def access_log_page(
    site_id: int, limit: int, before_id: int | None
) -> tuple[list[dict[str, Any]], int | None]:
    """A page of the site's access log, newest first; keyset on id (stable under appends)."""
    query = select(AccessLogEntry).where(AccessLogEntry.site_id == site_id)
    if before_id is not None:
        query = query.where(AccessLogEntry.id < before_id)
    rows = db.session.scalars(query.order_by(AccessLogEntry.id.desc()).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return [entry_dict(row) for row in rows], (rows[-1].id if more and rows else None)
