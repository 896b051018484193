"""Scans on a real queue: with ``CONSENT_REDIS_URL`` a scan is an RQ job on Redis, run by
``consent worker`` (any number, on any machine that reaches the database, Redis and the
sites), so a scan's browser never runs inside a web worker.

RQ because it is the smallest well-kept queue on the Redis we already run: one job is one
function call with the scan's id, a work horse forked per job (a crash or a kill takes only
that job), and nothing to run besides Redis. The database stays the truth: a job only moves
its scan row, and a scan whose worker died is declared failed by its time limit
(:func:`consent.scans.records.expire_stale`), whatever the queue remembers.
"""

from __future__ import annotations

import logging

import redis
from flask import Flask
from rq import Queue, Worker

from consent.extensions import db
from consent.scans.plans import PAGE_SECONDS, SCAN_SECONDS

log = logging.getLogger("consent.scans")

#: The one queue's name.
QUEUE = "consent-scans"
#: RQ stops the work horse past this: the crawl bounds itself first (its watchdog kills
#: Chromium one page's time after the scan's), so this only catches a stuck horse.
JOB_SECONDS = int(SCAN_SECONDS + 2 * PAGE_SECONDS + 30)
#: Seconds RQ keeps a finished or failed job's record (the scan row keeps the outcome).
KEEP_SECONDS = 3600
#: The app a worker's jobs run in (set by :func:`work`; a forked horse inherits it).
_worker_app: Flask | None = None


def _queue(url: str) -> Queue:
    return Queue(QUEUE, connection=redis.Redis.from_url(url, socket_connect_timeout=2))


def enqueue(url: str, scan_id: str) -> bool:
    """Put the scan on the queue; False when Redis does not take it (the caller runs it)."""
    try:
        _queue(url).enqueue_call(
            perform,
            args=(scan_id,),
            job_id=f"scan-{scan_id}",
            timeout=JOB_SECONDS,
            result_ttl=KEEP_SECONDS,
            failure_ttl=KEEP_SECONDS,
        )
    except (redis.RedisError, OSError) as error:
        log.warning("the scan queue is unavailable (%s): scan %s runs here", error, scan_id)
        return False
    return True


def perform(scan_id: str) -> None:
    """The job: run one scan in the worker's app (in RQ's forked work horse)."""
    from consent.scans.jobs import run_job

    app = _worker_app
    if app is None:
        raise RuntimeError("scan jobs run in `consent worker`")
    with app.app_context():
        # The horse is a fork: connections opened by the worker before it are the parent's.
        db.engine.dispose(close=False)
    run_job(app, scan_id)


def work(app: Flask, burst: bool = False) -> bool:
    """Process scan jobs until stopped (SIGTERM/SIGINT; ``burst``: until the queue is
    empty); RQ's own return value."""
    global _worker_app
    _worker_app = app
    queue = _queue(app.config["CONSENT_REDIS_URL"])
    worker = Worker([queue], connection=queue.connection)
    return bool(worker.work(burst=burst, logging_level="INFO"))
