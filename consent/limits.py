"""Rate limits on the `limits` library (Flask-Limiter's engine): memory, or Redis shared by
every worker and instance when CONSENT_REDIS_URL is set.

Views call :func:`hit` at the point the rule applies (after the site and origin checks),
so the gate, config, embed, log and health endpoints never pay for a limiter.
"""

from __future__ import annotations

import math
import time

from flask import Flask, current_app
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from .errors import ConsentError


class RateLimited(ConsentError):
    """Too many requests for this key; retry after the window resets."""

    status, code = 429, "rate_limited"

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many requests; retry in {retry_after} s")
        self.retry_after = retry_after


def init_app(app: Flask) -> None:
    """Create this app's limiter on the configured storage."""
    storage = storage_from_string(app.config["RATELIMIT_STORAGE_URI"])
    app.extensions["consent_limiter"] = FixedWindowRateLimiter(storage)


def hit(name: str, limit: str, key: str) -> None:
    """Count one request against ``limit`` for ``key``; raise :class:`RateLimited` past it."""
    limiter: FixedWindowRateLimiter = current_app.extensions["consent_limiter"]
    item = parse(limit)
    identity = (current_app.config["RATELIMIT_KEY_PREFIX"], name, key)
    if not limiter.hit(item, *identity):
        reset = limiter.get_window_stats(item, *identity).reset_time
        raise RateLimited(max(1, math.ceil(reset - time.time())))
