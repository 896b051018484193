"""Auditor reads from a streaming replica (``CONSENT_READ_DATABASE_URL``), when configured.

Only the auditor's GETs (the audit API and pages: receipts, exports, stats, verify, the
access log) read from the replica, and only statements that are plain SELECTs of the
ledger's own tables; a ``FOR UPDATE``, every write (the access log the same request
appends to), and every read of sites, users, tokens and memberships go to the primary, so
a token minted a moment ago works and the ledger's lock and head are the primary's. Each
replica transaction is REPEATABLE READ: one request's reads see one moment of the replica.

Every such answer says how fresh it is: ``X-Consent-Read-From`` (``replica`` or
``primary``) and, from the replica, ``X-Consent-Replica-Lag`` in seconds (0 while it has
replayed everything it received). A replica that does not answer is left alone for
``RECHECK`` seconds and the primary answers meanwhile.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from flask import Flask, Response, current_app, g, has_request_context, request
from sqlalchemy import Table, create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.sql.util import find_tables

log = logging.getLogger("consent.replica")

#: Blueprints whose GETs may read from the replica.
READERS = frozenset({"audit_api", "audit", "audit_reports"})
#: Tables a replica read may touch: the ledger and what auditors read beside it.
LEDGER_TABLES = frozenset(
    {
        "receipts",
        "receipt_contexts",
        "log_tiles",
        "erasures",
        "access_log",
        "policy_versions",
        "banner_builds",
        "scans",
    }
)
#: Seconds a replica that failed is left alone.
RECHECK = 5.0
#: Seconds between two "replica is unavailable" warnings.
WARN_EVERY = 60.0
_LAG = text(
    "SELECT CASE WHEN NOT pg_is_in_recovery() "
    "OR pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
    "ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END"
)


class Replica:
    """The replica's engine, and whether it answered lately."""

    def __init__(self, url: str, recheck: float = RECHECK) -> None:
        options: dict[str, Any] = {"pool_pre_ping": True}
        if url.startswith("postgresql"):
            options["connect_args"] = {"connect_timeout": 2}
            options["isolation_level"] = "REPEATABLE READ"
        self.engine: Engine = create_engine(url, **options)
        self.recheck = recheck
        self._down_until = 0.0
        self._warned_at = -WARN_EVERY
        self._lock = threading.Lock()

    def lag(self) -> float | None:
        """Seconds the replica is behind (0 when caught up), or None while it is down."""
        if time.monotonic() < self._down_until:
            return None
        try:
            with self.engine.connect() as conn:
                if self.engine.dialect.name != "postgresql":
                    return 0.0
                return max(0.0, float(conn.execute(_LAG).scalar_one()))
        except SQLAlchemyError as error:
            self._mark_down(error)
            return None

    def _mark_down(self, error: Exception) -> None:
        with self._lock:
            now = time.monotonic()
            self._down_until = now + self.recheck
            if now - self._warned_at >= WARN_EVERY:
                self._warned_at = now
                log.warning(
                    "the read replica is unavailable (%s); auditor reads use the primary",
                    type(error).__name__,
                )


def init_app(app: Flask) -> None:
    """Route the auditor's reads when ``CONSENT_READ_DATABASE_URL`` is set."""
    url = app.config.get("CONSENT_READ_DATABASE_URL")
    if not url:
        return
    replica = app.extensions["consent_replica"] = Replica(url)

    @app.before_request
    def _choose() -> None:
        if request.blueprint in READERS and request.method in ("GET", "HEAD"):
            g.consent_replica_lag = replica.lag()
            g.consent_read_from = "primary" if g.consent_replica_lag is None else "replica"

    @app.after_request
    def _say_how_fresh(response: Response) -> Response:
        source = g.get("consent_read_from")
        if source is not None:
            response.headers["X-Consent-Read-From"] = source
            if source == "replica":
                response.headers["X-Consent-Replica-Lag"] = f"{g.consent_replica_lag:.3f}"
        return response


def read_engine() -> Engine:
    """The engine for a ledger read outside the session (verify, exports): the replica's
    when this request reads from it, else the primary's."""
    from consent.extensions import db

    if has_request_context() and g.get("consent_read_from") == "replica":
        replica: Replica = current_app.extensions["consent_replica"]
        return replica.engine
    return db.engine


def _replica_safe(state: ORMExecuteState) -> bool:
    """A plain SELECT of ledger tables only."""
    statement = state.statement
    if not state.is_select or not isinstance(statement, ClauseElement):
        return False
    if getattr(statement, "_for_update_arg", None) is not None:
        return False
    tables = [t for t in find_tables(statement, include_joins=True) if isinstance(t, Table)]
    return bool(tables) and all(t.name in LEDGER_TABLES for t in tables)


@event.listens_for(Session, "do_orm_execute")
def _route_to_replica(state: ORMExecuteState) -> None:
    if not has_request_context() or g.get("consent_read_from") != "replica":
        return
    if state.session._flushing or "bind" in state.bind_arguments:
        return
    if _replica_safe(state):
        replica: Replica = current_app.extensions["consent_replica"]
        state.bind_arguments["bind"] = replica.engine
