"""Flask extensions, created unbound and initialised in the factory."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import flask
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, Table, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with a constraint naming convention for stable migrations."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    if TYPE_CHECKING:  # SQLAlchemy types it FromClause; every model here maps one Table
        __table__: ClassVar[Table]


db = SQLAlchemy(model_class=Base)
csrf = CSRFProtect()

#: The Alembic migrations that ``init-db`` applies.
MIGRATIONS = str(Path(__file__).parent / "migrations")


def init_migrations(app: Flask) -> str:
    """Set up Flask-Migrate on ``app`` once (and its ``db`` commands); the migrations' folder.

    Only the command line needs it: imported here rather than at start-up, Alembic (with
    Mako and Pygments) stays out of every web worker's memory.
    """
    if "migrate" not in app.extensions:
        from flask_migrate import Migrate

        Migrate(render_as_batch=True, compare_type=True).init_app(app, db, directory=MIGRATIONS)
    return str(app.extensions["migrate"].directory)


def init_db() -> None:
    """Apply every migration (works on an empty database)."""
    from flask_migrate import upgrade

    upgrade(directory=init_migrations(flask.current_app))


def tune_sqlite(engine: Engine) -> None:
    """WAL, full fsync, foreign keys, and explicit BEGINs so appends can BEGIN IMMEDIATE."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):  # type: ignore[no-untyped-def]
        immediate = connection.get_execution_options().get("sqlite_immediate")
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


_writer_locks: dict[tuple[int, str], int] = {}


@contextmanager
def writer_turn(engine: Engine) -> Iterator[None]:
    """On a SQLite file, wait for the write lock in the kernel rather than in busy-polling.

    SQLite's busy handler sleeps and retries (up to 100 ms a nap), so a worker that finds
    another worker's append in progress idles long after the lock is free; an exclusive
    ``flock`` on a file beside the database wakes it the moment the other one commits.
    Other writers need not take it: SQLite's own lock still guards the data.
    """
    path = engine.url.database if engine.dialect.name == "sqlite" else None
    if not path or path == ":memory:" or path.startswith("file:"):
        yield
        return
    key = (os.getpid(), path)  # per process: a descriptor shared over fork shares the lock
    if key not in _writer_locks:
        _writer_locks[key] = os.open(f"{path}.appends.lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(_writer_locks[key], fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(_writer_locks[key], fcntl.LOCK_UN)


def fail_fast_after_timeouts(engine: Engine, pause: float = 5.0, slow: float = 1.0) -> None:
    """After a connect attempt that timed out, refuse new connects at once for ``pause`` s.

    A refused connection fails in milliseconds anyway; a black-holed database costs every
    request the whole connect timeout, so for a moment requests that need it get their 503
    (and cached site state) at once instead of each waiting the timeout out.
    """
    if engine.dialect.name != "postgresql":
        return
    closed_until = [0.0]

    @event.listens_for(engine, "do_connect")
    def _connect(dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
        dbapi = dialect.loaded_dbapi
        if time.monotonic() < closed_until[0]:
            raise dbapi.OperationalError("the database did not answer; not retrying yet")
        started = time.monotonic()
        try:
            return dialect.connect(*cargs, **cparams)
        except dbapi.Error:
            if time.monotonic() - started >= slow:
                closed_until[0] = time.monotonic() + pause
            raise
