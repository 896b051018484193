"""Configuration: defaults, then ``CONSENT_*`` environment variables, then the caller's mapping."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask

#: Largest request body accepted anywhere (DESIGN.md: over 16 KiB → 413).
MAX_BODY = 16 * 1024


class ConfigError(RuntimeError):
    """The service cannot start with this configuration."""


def _env_list(name: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


def _positive(raw: str, name: str) -> int:
    if not raw.isascii() or not raw.isdigit() or int(raw) < 1:
        raise ConfigError(f"CONSENT_{name} must be a whole number of at least 1, not {raw!r}")
    return int(raw)


def _seconds(raw: str, name: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 86_400:
        raise ConfigError(f"CONSENT_{name} must be a number of seconds (0 to 86400), not {raw!r}")
    return value


def database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs written without a driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def load(app: Flask, overrides: dict[str, Any] | None) -> None:
    """Fill ``app.config`` and refuse to start without a secret outside debug, demo and CLI."""
    env = os.environ
    app.config.update(
        SQLALCHEMY_DATABASE_URI=database_url(
            env.get("CONSENT_DATABASE_URL")
            or f"sqlite:///{Path(app.instance_path) / 'consent.sqlite3'}"
        ),
        #: A streaming replica for the auditor's reads (``None``: the primary answers).
        CONSENT_READ_DATABASE_URL=database_url(env.get("CONSENT_READ_DATABASE_URL") or "") or None,
        SECRET_KEY=env.get("CONSENT_SECRET_KEY"),
        SECRET_KEY_FALLBACKS=_env_list("CONSENT_SECRET_KEY_FALLBACKS"),
        CONSENT_PUBLIC_URL=env.get("CONSENT_PUBLIC_URL", "http://127.0.0.1:5000").rstrip("/"),
        CONSENT_TRUSTED_PROXIES=int(env.get("CONSENT_TRUSTED_PROXIES", "0")),
        CONSENT_RATELIMIT_CONSENTS=env.get("CONSENT_RATELIMIT_CONSENTS", "60/minute"),
        CONSENT_RATELIMIT_AUTH=env.get("CONSENT_RATELIMIT_AUTH", "30/minute"),
        #: Redis for shared rate limits (``None``: each worker counts in memory).
        CONSENT_REDIS_URL=env.get("CONSENT_REDIS_URL") or None,
        #: Seconds between pings while a configured Redis is unreachable.
        CONSENT_REDIS_RECHECK=_seconds(env.get("CONSENT_REDIS_RECHECK", "5"), "REDIS_RECHECK"),
        RATELIMIT_KEY_PREFIX="consent",
        CONSENT_LOG_KEY=env.get("CONSENT_LOG_KEY"),
        CONSENT_LOG_KEY_RETIRED=_env_list("CONSENT_LOG_KEY_RETIRED"),
        #: Seconds a worker trusts its cached site state before re-checking its version
        #: (with Redis, a change also reaches every worker at once through pub/sub).
        CONSENT_STATE_TTL=_seconds(env.get("CONSENT_STATE_TTL", "1"), "STATE_TTL"),
        #: Sites whose state one worker keeps (least recently used go first).
        CONSENT_SITE_CACHE_SIZE=_positive(
            env.get("CONSENT_SITE_CACHE_SIZE", "10000"), "SITE_CACHE_SIZE"
        ),
        #: Scans one serving process runs at once (1 or 2; each drives its own Chromium).
        CONSENT_SCAN_WORKERS=_positive(env.get("CONSENT_SCAN_WORKERS", "1"), "SCAN_WORKERS"),
        MAX_CONTENT_LENGTH=MAX_BODY,
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    if overrides:
        app.config.update(overrides)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # Fail fast when PostgreSQL is down: visitors get a quick 503, not a hang.
        options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
        options.setdefault("connect_args", {}).setdefault("connect_timeout", 3)
    if not app.config["SECRET_KEY"]:
        if not _may_generate_secret(app):
            raise ConfigError("CONSENT_SECRET_KEY must be set (outside debug and demo mode)")
        app.config["SECRET_KEY"] = _instance_secret(app)


def _may_generate_secret(app: Flask) -> bool:
    """A generated secret is fine for tests, debug, the demo and one-off CLI commands."""
    if app.debug or app.testing or app.config.get("CONSENT_DEMO"):
        return True
    import click

    return click.get_current_context(silent=True) is not None


def _instance_secret(app: Flask) -> str:
    """Read, or create once with mode 0600, the instance folder's secret key."""
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()
