"""SQLite appends wait for each other in the kernel (flock), not in SQLite's busy-polling."""

from __future__ import annotations

import subprocess
from pathlib import Path

import sqlalchemy as sa

from consent import extensions
from consent.extensions import writer_turn


def can_lock(path: Path) -> bool:
    """Whether another process could take the lock at once."""
    return subprocess.run(["flock", "--nonblock", str(path), "true"], check=False).returncode == 0


def test_an_append_holds_the_lock_beside_the_database(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'consent.sqlite3'}")
    lock = tmp_path / "consent.sqlite3.appends.lock"
    with writer_turn(engine):
        assert not can_lock(lock)
    assert can_lock(lock)
    with writer_turn(engine):  # taken again by the same process
        assert not can_lock(lock)


def test_no_lock_for_memory_databases_or_postgresql(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def no_file(*_args):  # type: ignore[no-untyped-def]
        raise AssertionError("no lock file expected")

    monkeypatch.setattr(extensions.os, "open", no_file)
    for url in ("sqlite://", "sqlite:///:memory:", "postgresql+psycopg://u@127.0.0.1:1/x"):
        with writer_turn(sa.create_engine(url)):
            pass
