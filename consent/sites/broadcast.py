"""A change to a site reaches every worker of every instance at once: Redis pub/sub.

Any commit that moved a site's ``state_version`` (a publish, an owner's settings, a draft)
publishes the site key on one channel after the commit; every worker subscribes in a
background thread and drops that site from its cache, so its next request reloads it.

Redis is an optimisation here too: the per-worker re-check of the state version (at most
once per ``CONSENT_STATE_TTL``) stays, so without Redis, while it is away, or for a message
lost in between, a change still arrives within the TTL. On every (re)subscription the
worker drops its whole cache, since changes made while it was not listening were missed.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from typing import TYPE_CHECKING, Any

import redis
from flask import Flask, current_app, has_app_context
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from consent.models import Site

if TYPE_CHECKING:
    from consent.redis_link import RedisLink
    from consent.sites.state import SiteCache

#: The one channel: every message is a site key whose state changed.
CHANNEL = "consent:site-changed"
#: Seconds a subscriber waits for a message before looking at its stop flag again.
POLL = 1.0
#: Seconds between PINGs on the subscription; one unanswered until the next one ends it.
HEALTH_CHECK = 10.0
_CHANGED = "consent_changed_sites"


class Subscriber:
    """One worker's listener: forgets each site key published, in a daemon thread.

    It shares the link's up/down state: while the link is down it does not connect (the
    link's own re-check finds Redis again), and a broken subscription marks the link down.
    """

    def __init__(self, link: RedisLink, cache: SiteCache) -> None:
        self.link, self.cache = link, cache
        #: Set while subscribed (tests wait on it).
        self.listening = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._lock = threading.Lock()

    def ensure_running(self) -> None:
        """Start the thread in this process unless it runs already (a fork has none)."""
        if self._pid == os.getpid() and self._thread is not None and self._thread.is_alive():
            return
        with self._lock:
            if self._pid == os.getpid() and self._thread is not None and self._thread.is_alive():
                return
            self._pid = os.getpid()
            self.listening.clear()
            self._thread = threading.Thread(
                target=self._run, name="consent-site-changes", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        """End the thread (it notices within ``POLL`` seconds; waited for)."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=POLL + 2)

    def _run(self) -> None:
        while not self._stop.is_set():
            if not self.link.available:
                self._stop.wait(min(self.link.recheck, POLL))
                continue
            try:
                self._listen()
            except (redis.RedisError, OSError, ValueError) as error:
                if not self._stop.is_set():  # else the link was closed under it
                    self.link.mark_down(error)

    def _listen(self) -> None:
        pubsub = self.link.client.pubsub()
        pinged, ponged = time.monotonic(), True
        try:
            pubsub.subscribe(CHANNEL)
            # Leave when the link goes down: its re-check reconnects the pool, and a
            # subscription on a connection from before would be cut then.
            while not self._stop.is_set() and self.link.available:
                if time.monotonic() - pinged > HEALTH_CHECK:
                    if not ponged:  # a black hole accepts and never answers
                        raise redis.TimeoutError("no PONG on the subscription")
                    pubsub.ping()
                    pinged, ponged = time.monotonic(), False
                message = pubsub.get_message(timeout=POLL)
                if message is None:
                    continue
                if message["type"] == "pong":
                    ponged = True
                elif message["type"] == "subscribe":
                    # Whatever changed while nobody listened was missed: reload everything.
                    self.cache.clear()
                    self.listening.set()
                elif message["type"] == "message":
                    self.cache.forget(message["data"].decode("utf-8", "replace"))
        finally:
            self.listening.clear()
            with contextlib.suppress(redis.RedisError, OSError, ValueError):
                pubsub.close()


def init_app(app: Flask, cache: SiteCache) -> None:
    """Subscribe this app's workers when Redis is configured (the thread starts after the
    first request, so a forked worker starts its own and a black-holed Redis is not asked
    before the request path has found it away)."""
    link: RedisLink | None = app.extensions.get("consent_redis")
    if link is None:
        return
    subscriber = app.extensions["consent_site_changes"] = Subscriber(link, cache)

    @app.teardown_request
    def _listen(_error: BaseException | None) -> None:
        subscriber.ensure_running()


def announce(site_keys: set[str]) -> None:
    """Publish changed site keys (after their commit); nothing while Redis is away."""
    if not has_app_context():
        return
    cache: SiteCache | None = current_app.extensions.get("consent_sites")
    for key in site_keys:
        if cache is not None:
            cache.forget(key)
    link: RedisLink | None = current_app.extensions.get("consent_redis")
    if link is None:
        return
    keys = sorted(site_keys)

    def publish() -> None:
        for key in keys:
            link.client.publish(CHANNEL, key)

    link.call(publish, lambda: None)


@event.listens_for(Session, "after_flush")
def _note_changed_sites(session: Session, _context: Any) -> None:
    for obj in session.dirty:
        if isinstance(obj, Site) and inspect(obj).attrs.state_version.history.has_changes():
            session.info.setdefault(_CHANGED, set()).add(obj.site_key)


@event.listens_for(Session, "after_commit")
def _announce_changed_sites(session: Session) -> None:
    changed = session.info.pop(_CHANGED, None)
    if changed:
        announce(changed)


@event.listens_for(Session, "after_rollback")
def _drop_changed_sites(session: Session) -> None:
    session.info.pop(_CHANGED, None)
