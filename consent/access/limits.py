"""Rate limits on the `limits` library (Flask-Limiter's engine): memory, or Redis shared by
every worker and instance when CONSENT_REDIS_URL is set.

Views call :func:`hit` at the point the rule applies (after the site and origin checks),
so the gate, config, embed, log and health endpoints never pay for a limiter.
"""

from __future__ import annotations

import functools
import math
import threading
import time
from typing import TYPE_CHECKING

from flask import Flask, current_app
from limits import RateLimitItem, parse
from limits.strategies import FixedWindowRateLimiter

from consent.errors import ConsentError

if TYPE_CHECKING:
    from consent.redis_link import RedisLink


class RateLimited(ConsentError):
    """Too many requests for this key; retry after the window resets."""

    status, code = 429, "rate_limited"

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many requests; retry in {retry_after} s")
        self.retry_after = retry_after


class LocalWindows:
    """Fixed windows counted in this process, for when no Redis is configured.

    What the ``limits`` library's memory storage does, without the expiry thread it starts
    on a hit (a thread per request under load). Windows are aligned to the clock; expired
    ones are swept at most once a second.
    """

    def __init__(self) -> None:
        self._counts: dict[tuple[str, ...], tuple[float, int]] = {}
        self._lock = threading.Lock()
        self._sweep_at = 0.0

    def hit(self, item: RateLimitItem, *identity: str) -> float | None:
        """Count one hit; None while within the limit, else the time the window resets."""
        now = time.time()
        length = item.get_expiry()
        reset = now - now % length + length
        key = (item.key_for(), *identity)
        with self._lock:
            if now >= self._sweep_at:
                self._counts = {k: v for k, v in self._counts.items() if v[0] > now}
                self._sweep_at = now + 1
            ends, count = self._counts.get(key, (reset, 0))
            if ends <= now:
                ends, count = reset, 0
            self._counts[key] = (ends, count + 1)
        return None if count < item.amount else ends


class SharedWindows:
    """Fixed windows in the ``limits`` library's Redis storage: shared by every worker.

    While Redis is unreachable the windows are counted in this worker (``LocalWindows``)
    instead: a rate-limit store is not worth a lost consent.
    """

    def __init__(self, link: RedisLink) -> None:
        from limits.storage import RedisStorage

        self.link = link
        storage = RedisStorage(link.url, connection_pool=link.pool)
        self._limiter = FixedWindowRateLimiter(storage)
        self._local = LocalWindows()

    def hit(self, item: RateLimitItem, *identity: str) -> float | None:
        """Count one hit; None while within the limit, else the time the window resets."""
        return self.link.call(
            lambda: self._shared_hit(item, *identity),
            lambda: self._local.hit(item, *identity),
        )

    def _shared_hit(self, item: RateLimitItem, *identity: str) -> float | None:
        if self._limiter.hit(item, *identity):
            return None
        return self._limiter.get_window_stats(item, *identity).reset_time


def init_app(app: Flask) -> None:
    """Create this app's limiter: in memory, or on the app's Redis link when configured."""
    link: RedisLink | None = app.extensions.get("consent_redis")
    app.extensions["consent_limiter"] = SharedWindows(link) if link else LocalWindows()


def hit(name: str, limit: str, key: str) -> None:
    """Count one request against ``limit`` for ``key``; raise :class:`RateLimited` past it."""
    limiter: LocalWindows | SharedWindows = current_app.extensions["consent_limiter"]
    identity = (current_app.config["RATELIMIT_KEY_PREFIX"], name, key)
    reset = limiter.hit(_parsed(limit), *identity)
    if reset is not None:
        raise RateLimited(max(1, math.ceil(reset - time.time())))


@functools.lru_cache(maxsize=64)
def _parsed(limit: str) -> RateLimitItem:
    return parse(limit)
