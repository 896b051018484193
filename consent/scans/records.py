"""Scans as stored: a new one (one queued or running per site), its moves from queued to
running to done or failed, and its reads for owners and auditors.

A move is a conditional UPDATE (``WHERE status = …``), so a scan that was declared timed
out meanwhile stays failed whatever its worker still writes.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Update, and_, or_, select, update
from sqlalchemy.exc import IntegrityError

from consent.core.observed import STATES
from consent.core.scan_report import REPORT_FIELDS
from consent.core.times import iso_or_none
from consent.errors import Conflict, NotFound
from consent.extensions import db
from consent.models import Scan, utcnow
from consent.scans.plans import SCAN_SECONDS

#: A scan running longer than its bound (plus a minute for the browser to stop) has died.
RUN_LIMIT = timedelta(seconds=SCAN_SECONDS + 60)
#: A scan queued this long will not start: the process holding it is gone.
QUEUE_LIMIT = timedelta(minutes=30)
TIMED_OUT = "timed out"
#: The newest scans a list shows.
LISTED = 100
ACTIVE = ("queued", "running")


class ScanInProgress(Conflict):
    """The site already has a queued or running scan."""

    def __init__(self) -> None:
        super().__init__("a scan of this site is already queued or running; wait for it to end")


def _stale(site_id: int | None) -> Update:
    now = utcnow()
    stale = or_(
        and_(Scan.status == "running", Scan.started_at < now - RUN_LIMIT),
        and_(Scan.status == "queued", Scan.created_at < now - QUEUE_LIMIT),
    )
    statement = update(Scan).where(stale)
    if site_id is not None:
        statement = statement.where(Scan.site_id == site_id)
    return statement.values(status="failed", reason=TIMED_OUT, finished_at=now)


def _write_apart(statement: Update) -> int:
    """Run one UPDATE in a transaction of its own (holding SQLite's write lock); rows hit."""
    session = db.session()
    if session.in_transaction():
        session.commit()
    session.connection(execution_options={"sqlite_immediate": True})
    result = session.execute(statement)
    session.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]


def expire_stale(site_id: int | None = None) -> int:
    """Mark scans past their time limit failed ("timed out"), committed; how many."""
    return _write_apart(_stale(site_id))


def create_scan(site_id: int, urls: list[str], max_pages: int) -> Scan:
    """A new queued scan, in the caller's (writing) transaction; 409 when one is active."""
    db.session.execute(_stale(site_id))
    row = Scan(
        id=secrets.token_urlsafe(16),
        site_id=site_id,
        status="queued",
        urls=urls,
        max_pages=max_pages,
        created_at=utcnow(),
    )
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError as error:
        db.session.rollback()
        raise ScanInProgress() from error
    return row


def mark_running(scan_id: str, started: datetime) -> bool:
    """queued → running; False when the scan is no longer queued (timed out meanwhile)."""
    statement = (
        update(Scan)
        .where(Scan.id == scan_id, Scan.status == "queued")
        .values(status="running", started_at=started)
    )
    return _write_apart(statement) == 1


def mark_done(scan_id: str, report: dict[str, Any], finished: datetime) -> bool:
    """running → done with its signed report; False when it was failed meanwhile."""
    statement = (
        update(Scan)
        .where(Scan.id == scan_id, Scan.status == "running")
        .values(status="done", finished_at=finished, report=report)
    )
    return _write_apart(statement) == 1


def mark_failed(scan_id: str, reason: str) -> bool:
    """queued or running → failed with a reason."""
    statement = (
        update(Scan)
        .where(Scan.id == scan_id, Scan.status.in_(ACTIVE))
        .values(status="failed", reason=reason[:500], finished_at=utcnow())
    )
    return _write_apart(statement) == 1


def scan_row(scan_id: str) -> Scan | None:
    """A scan by its id (any site: for the worker that runs it)."""
    return db.session.get(Scan, scan_id)


def _refreshed(site_id: int) -> None:
    """Time out the site's stale scans before they are read (rarely any: one cheap read)."""
    now = utcnow()
    stale = db.session.scalar(
        select(Scan.id)
        .where(Scan.site_id == site_id, Scan.status.in_(ACTIVE))
        .where(
            or_(
                and_(Scan.status == "running", Scan.started_at < now - RUN_LIMIT),
                and_(Scan.status == "queued", Scan.created_at < now - QUEUE_LIMIT),
            )
        )
        .limit(1)
    )
    if stale is not None:
        expire_stale(site_id)


def list_scans(site_id: int) -> list[Scan]:
    """The site's newest scans, newest first."""
    _refreshed(site_id)
    query = select(Scan).where(Scan.site_id == site_id)
    return list(db.session.scalars(query.order_by(Scan.created_at.desc()).limit(LISTED)))


def find_scan(site_id: int, scan_id: str) -> Scan:
    """One of the site's scans; another site's is exactly an unknown one (404)."""
    _refreshed(site_id)
    row = db.session.scalar(select(Scan).where(Scan.site_id == site_id, Scan.id == scan_id))
    if row is None:
        raise NotFound("unknown scan")
    return row


def last_done(site_id: int) -> str | None:
    """The id of the site's last finished (done) scan, or None when it has none."""
    query = select(Scan.id).where(Scan.site_id == site_id, Scan.status == "done")
    found: str | None = db.session.scalar(query.order_by(Scan.finished_at.desc()).limit(1))
    return found


def scan_summary(row: Scan) -> dict[str, Any]:
    """A scan as the list shows it: where it is, what was asked, how much it found."""
    report = row.report or {}
    return {
        "scan_id": row.id,
        "status": row.status,
        "reason": row.reason,
        "created_at": iso_or_none(row.created_at),
        "started_at": iso_or_none(row.started_at),
        "finished_at": iso_or_none(row.finished_at),
        "urls": list(row.urls),
        "max_pages": row.max_pages,
        "pages": len(report["pages"]) if report else None,
        "findings": len(report["findings"]) if report else None,
        "report_hash": report.get("report_hash"),
    }


def scan_report(row: Scan, site_key: str) -> dict[str, Any]:
    """The report: as signed once done; before that (or failed) the same shape, empty,
    with the ``reason`` of a failure."""
    if row.report is not None:
        return dict(row.report)
    empty: dict[str, Any] = {
        "scan_id": row.id,
        "site_key": site_key,
        "status": row.status,
        "started_at": iso_or_none(row.started_at),
        "finished_at": iso_or_none(row.finished_at),
        "policy_version": None,
        "pages": [],
        "states": {name: {"cookies": [], "storage": [], "requests": []} for name in STATES},
        "findings": [],
        "report_hash": None,
        "signature": None,
    }
    assert tuple(empty) == REPORT_FIELDS
    if row.status == "failed":
        empty["reason"] = row.reason
    return empty
