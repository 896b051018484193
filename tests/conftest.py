"""Shared fixtures: the app on SQLite (always) and PostgreSQL (when configured)."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings

from consent import create_app
from consent.extensions import db, init_db
from consent.sites.owner import create_site

# No timing in tests: a loaded 2-core machine must not turn into a failure.
settings.register_profile(
    "consent", deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=100
)
settings.load_profile("consent")

PG_URL = os.environ.get("CONSENT_TEST_DATABASE_URL")
BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]
#: Empties a migrated PostgreSQL schema between tests: every table (a partitioned one through
#: its parent), with triggers and foreign-key actions off for the session (the ledger's
#: append-only triggers refuse deletes), and every sequence back at its start. Deleting the
#: few rows a test leaves is far cheaper than TRUNCATE, which renews every partition's and
#: index's file (about 0.6 s a test with the ledger partitioned by site and month).
_EMPTY_SCHEMA = """
DO $$
DECLARE name text;
BEGIN
  SET LOCAL session_replication_role = replica;
  FOR name IN SELECT c.relname FROM pg_class c
      WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
        AND NOT c.relispartition AND c.relname <> 'alembic_version'
  LOOP EXECUTE format('DELETE FROM %I', name); END LOOP;
  FOR name IN SELECT c.relname FROM pg_class c
      WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'S'
  LOOP EXECUTE format('ALTER SEQUENCE %I RESTART', name); END LOOP;
END $$
"""
ORIGIN = "https://shop.example"
VENDORS = {
    "google-analytics": {"category": "performance", "settings": {"measurement_id": "G-TEST123"}},
    "linkedin-insight": {"category": "targeting", "settings": {"partner_id": "1234"}},
    "meta-pixel": {"category": "targeting", "settings": {"pixel_id": "5678"}},
    "hubspot": {"category": "targeting", "settings": {}},
    "vimeo": {"category": "functionality", "settings": {}},
    "twitter": {"category": "social", "settings": {}},
    "stripe": {"category": "necessary", "settings": {}},
}


def base_config(url: str) -> dict[str, Any]:
    """Test configuration around one database URL."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": url,
        "CONSENT_PUBLIC_URL": "http://consent.test",
        "CONSENT_RATELIMIT_CONSENTS": "10000/minute",
        "CONSENT_STATE_TTL": 0.0,
        "WTF_CSRF_ENABLED": False,
    }


def _migrated(url: str) -> None:
    app = create_app(base_config(url))
    with app.app_context():
        init_db()
        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for every test (migrating each time is slow)."""
    path = tmp_path_factory.mktemp("template") / "consent.sqlite3"
    _migrated(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_schema_url() -> Iterator[str]:
    """A migrated schema of its own on the test PostgreSQL, dropped at the end."""
    assert PG_URL
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"
    _migrated(url)
    yield url
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A clean, migrated database for one test."""
    if request.param == "sqlite":
        path = tmp_path / "consent.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("pg_schema_url")
    empty_schema(url)
    return url


def empty_schema(url: str) -> None:
    """Empty the migrated PostgreSQL schema at ``url`` (see ``_EMPTY_SCHEMA``)."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(_EMPTY_SCHEMA))
    engine.dispose()


@pytest.fixture
def app(db_url: str) -> Iterator[Flask]:
    """The application on a clean database (SQLite, and PostgreSQL when configured)."""
    app = create_app(base_config(db_url))
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask):  # type: ignore[no-untyped-def]
    """A CLI runner bound to the app."""
    return app.test_cli_runner()


@pytest.fixture
def site(app: Flask) -> str:
    """A site with GA, LinkedIn, Meta Pixel, HubSpot, Vimeo, X and Stripe; its key."""
    with app.app_context():
        created = create_site(
            name="Shop",
            origins=[ORIGIN, "http://localhost:8000"],
            vendors=VENDORS,
            privacy_url=f"{ORIGIN}/privacy",
        )
        db.session.commit()
        return created.site_key


@pytest.fixture
def other_site(app: Flask) -> str:
    """A second site on the same service, with the same origin and vendors."""
    with app.app_context():
        created = create_site(
            name="Other", origins=[ORIGIN], vendors=VENDORS, privacy_url=f"{ORIGIN}/p"
        )
        db.session.commit()
        return created.site_key


@pytest.fixture
def proxied(db_url: str) -> Iterator[tuple[Flask, str]]:
    """The application behind one trusted proxy hop, and a site's key."""
    app = create_app({**base_config(db_url), "CONSENT_TRUSTED_PROXIES": 1})
    with app.app_context():
        key = create_site(
            name="Proxied", origins=[ORIGIN], vendors=VENDORS, privacy_url=f"{ORIGIN}/p"
        ).site_key
        db.session.commit()
    yield app, key
    with app.app_context():
        db.engine.dispose()
