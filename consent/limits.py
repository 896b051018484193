"""Rate limits: Flask-Limiter's storage (memory, or Redis shared by every worker) per app.

Views call :func:`hit` at the point the rule applies (after the site and origin checks),
so the gate, config, embed, log and health endpoints are never limited.
"""

from __future__ import annotations

import math
import time

from flask import Flask, current_app
from flask_limiter import Limiter
from limits import parse

from .errors import ConsentError


class RateLimited(ConsentError):
    """Too many requests for this key; retry after the window resets."""

    status, code = 429, "rate_limited"

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many requests; retry in {retry_after} s")
        self.retry_after = retry_after


def init_app(app: Flask) -> None:
    """Create this app's limiter on the configured storage."""
    limiter = Limiter(
        key_func=lambda: "unused",
        storage_uri=app.config["RATELIMIT_STORAGE_URI"],
        key_prefix=app.config.get("RATELIMIT_KEY_PREFIX", "consent"),
        default_limits=[],
    )
    limiter.init_app(app)
    app.extensions["consent_limiter"] = limiter


def hit(name: str, limit: str, key: str) -> None:
    """Count one request against ``limit`` for ``key``; raise :class:`RateLimited` past it."""
    limiter: Limiter = current_app.extensions["consent_limiter"]
    item = parse(limit)
    identity = (current_app.config["RATELIMIT_KEY_PREFIX"], name, key)
    if not limiter.limiter.hit(item, *identity):
        reset = limiter.limiter.get_window_stats(item, *identity).reset_time
        raise RateLimited(max(1, math.ceil(reset - time.time())))
