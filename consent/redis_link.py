"""The one connection to Redis, and what happens when Redis is away.

Redis is an optimisation here (shared rate limits, site changes announced to every
worker; job queues later), never a dependency of recording a consent: every use goes through
:meth:`RedisLink.call` with a fallback. Connect and read timeouts are short, so a
black-holed Redis costs one request about ``timeout`` seconds; after that the link is
marked down and every caller gets the fallback at once, while one background thread
pings Redis every ``recheck`` seconds and marks the link up again when it answers.
A warning is logged at most once a minute while Redis is down.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

import redis

log = logging.getLogger("consent.redis")

T = TypeVar("T")

#: Seconds a connect or a reply may take before Redis counts as unavailable.
TIMEOUT = 0.1
#: Seconds between pings while Redis is down.
RECHECK = 5.0
#: Seconds between two "Redis is unavailable" warnings.
WARN_EVERY = 60.0


class RedisLink:
    """A Redis connection pool with short timeouts and an up/down state shared by callers."""

    def __init__(self, url: str, *, timeout: float = TIMEOUT, recheck: float = RECHECK) -> None:
        self.url = url
        self.pool = redis.ConnectionPool.from_url(
            url, socket_connect_timeout=timeout, socket_timeout=timeout
        )
        self.client = redis.Redis(connection_pool=self.pool)
        self.recheck = recheck
        self._down = False
        self._warned_at = -WARN_EVERY
        self._lock = threading.Lock()
        self._prober: threading.Thread | None = None
        self._closed = False

    @property
    def available(self) -> bool:
        """False from a failed call until a ping answers again."""
        return not self._down

    def call(self, action: Callable[[], T], fallback: Callable[[], T]) -> T:
        """``action()`` while Redis answers; ``fallback()`` at once while it does not."""
        if self._down:
            return fallback()
        try:
            return action()
        except redis.RedisError as error:
            self.mark_down(error)
            return fallback()

    def ping(self) -> bool:
        """Ask Redis now (bounded by the timeout); marks the link up or down."""
        try:
            self.client.ping()
        except redis.RedisError as error:
            self.mark_down(error)
            return False
        self._down = False
        return True

    def mark_down(self, error: Exception) -> None:
        """Record a failure: warn (once a minute) and start the background re-check."""
        if self._closed:
            return
        with self._lock:
            self._down = True
            now = time.monotonic()
            if now - self._warned_at >= WARN_EVERY:
                self._warned_at = now
                log.warning(
                    "Redis at %s is unavailable (%s); rate limits are counted per worker "
                    "and site changes wait for each worker's re-check until it answers again",
                    self.pool.connection_kwargs.get("host", self.url),
                    type(error).__name__,
                )
            if self._prober is None or not self._prober.is_alive():
                self._prober = threading.Thread(
                    target=self._probe, name="consent-redis-recheck", daemon=True
                )
                self._prober.start()

    def close(self) -> None:
        """Stop using Redis for good: no more re-checks, every caller gets the fallback."""
        self._closed = self._down = True
        self.pool.disconnect()

    def _probe(self) -> None:
        while self._down and not self._closed:
            time.sleep(self.recheck)
            if self._closed:
                return
            try:
                self.client.ping()
            except redis.RedisError:
                continue
            self.pool.disconnect()  # drop connections opened before the outage
            self._down = False
            log.warning(
                "Redis at %s answers again; rate limits and site changes are shared again",
                self.pool.connection_kwargs.get("host", self.url),
            )
