"""The page origins a site's embed is requested from, counted for its owner.

A page on an origin the site does not list shows no banner (its consents could not be
recorded: the visitor API answers only the site's origins), so the owner must hear of it:
the embed counts its requests per page origin (the ``Referer``'s origin, never its path),
and the admin overview lists the unlisted ones with a one-click add.

Counting costs the embed no database write per request: each worker adds up in memory and
writes a (site, origin) pair's count at its first request and then at most once a minute.
A site keeps at most :data:`MAX_ORIGINS` origins (a hostile ``Referer`` cannot grow the
table without bound).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from cachetools import LRUCache
from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from consent.extensions import db
from consent.models import EmbedOrigin, utcnow
from consent.sites.validation import origin_of

#: The most origins kept per site, and how often a worker writes a pair's count (seconds).
MAX_ORIGINS = 50
FLUSH_EVERY = 60.0


@dataclass
class _Tally:
    pending: int = 0
    written_at: float = 0.0


#: By (site key, origin): keys are never reused, row ids may be (another database).
_tallies: LRUCache[tuple[str, str], _Tally] = LRUCache(maxsize=10_000)
_lock = threading.Lock()


def note_embed(site_id: int, site_key: str, referer: str | None) -> None:
    """Count one embed request from the page at ``referer`` (nothing without one)."""
    origin = origin_of(referer)
    if origin is None or len(origin) > 255:
        return
    now = time.monotonic()
    with _lock:
        tally = _tallies.get((site_key, origin))
        if tally is None:
            tally = _tallies[(site_key, origin)] = _Tally()
        tally.pending += 1
        due = now - tally.written_at >= FLUSH_EVERY
        if due:
            count, tally.pending, tally.written_at = tally.pending, 0, now
    if due:
        _write(site_id, origin, count)


def _write(site_id: int, origin: str, count: int) -> None:
    """Add ``count`` to the pair's row (a new one only while the site has room)."""
    try:
        known = db.session.scalar(
            select(func.count()).select_from(EmbedOrigin).where(EmbedOrigin.site_id == site_id)
        )
        dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
        insert = dialect.insert(EmbedOrigin).values(
            site_id=site_id, origin=origin, requests=count, first_seen=utcnow(), last_seen=utcnow()
        )
        if (known or 0) >= MAX_ORIGINS:
            statement: Any = (
                EmbedOrigin.__table__.update()
                .where(EmbedOrigin.site_id == site_id, EmbedOrigin.origin == origin)
                .values(requests=EmbedOrigin.requests + count, last_seen=utcnow())
            )
        else:
            statement = insert.on_conflict_do_update(
                index_elements=["site_id", "origin"],
                set_={"requests": EmbedOrigin.requests + count, "last_seen": utcnow()},
            )
        db.session.execute(statement)
        db.session.commit()
    except SQLAlchemyError:
        # The embed is served anyway; this count is lost.
        db.session.rollback()
        current_app.logger.warning("embed origin count not written")


def unlisted_origins(site_id: int, listed: list[str]) -> list[dict[str, Any]]:
    """The origins the embed was requested from that the site does not list, busiest first."""
    rows = db.session.execute(
        select(EmbedOrigin.origin, EmbedOrigin.requests, EmbedOrigin.last_seen)
        .where(EmbedOrigin.site_id == site_id, EmbedOrigin.origin.not_in(listed or [""]))
        .order_by(EmbedOrigin.requests.desc(), EmbedOrigin.origin)
    )
    return [{"origin": o, "requests": n, "last_seen": at} for o, n, at in rows]
