"""Fault-test fixtures: fresh databases on both backends, gunicorn, a throwaway cluster."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import PG_URL
from tests.http.test_monitor import served  # noqa: F401  (fixture: the app on a real port)

from .servers import BIN, ROOT, Cluster, Gunicorn

#: Fault tests start real processes: one xdist worker runs them all, one after another.
FAULTS = pytest.mark.xdist_group("faults")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of its own: a SQLite file, or a fresh schema on the test PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
        return
    if not PG_URL:
        pytest.skip("CONSENT_TEST_DATABASE_URL is not set")
    schema = f"f_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    yield f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Gunicorn]]:
    """Start gunicorn (2 workers) on a database; every one started is stopped afterwards."""
    started: list[Gunicorn] = []

    def start(url: str, workers: int = 2, **env: str) -> Gunicorn:
        server = Gunicorn(url, tmp_path / f"gunicorn-{len(started)}.log", workers, **env)
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    """A throwaway PostgreSQL cluster, migrated with ``flask --app consent init-db``."""
    throwaway = Cluster()
    try:
        throwaway.start()
        env = {
            **os.environ,
            "CONSENT_DATABASE_URL": throwaway.url,
            "CONSENT_SECRET_KEY": "fault-test-secret",
            "CONSENT_LOG_KEY": _log_key(),
        }
        subprocess.run(
            [str(BIN / "flask"), "--app", "consent", "init-db"],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            timeout=120,
        )
        yield throwaway
    finally:
        throwaway.destroy()


def _log_key() -> str:
    from consent.core.notes import generate_signer_key

    return generate_signer_key("127.0.0.1:5000")[0]
