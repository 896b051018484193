"""Scan jobs: :func:`run_job` runs one scan from queued to done or failed; with Redis it is
queued for ``consent worker`` (:func:`enqueue`), without a queue a small thread pool of the
serving process calls it (:class:`ScanJobs`).

:func:`run_job` takes only the app and the scan id and reads everything else from the
database, so a queue worker in another process can call it in place of the pool.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import redis
from flask import Flask, current_app
from rq import Queue
from rq.timeouts import BaseTimeoutException
from sqlalchemy.exc import SQLAlchemyError

from consent.core.observed import Crawl
from consent.extensions import db
from consent.models import Site, utcnow
from consent.scans.plans import (
    PAGE_SECONDS,
    SCAN_SECONDS,
    CrawlFailed,
    CrawlPlan,
    Progress,
    origin_of,
    start_urls,
)
from consent.scans.records import expire_stale, mark_done, mark_failed, mark_running, scan_row
from consent.scans.reports import signed_report
from consent.sites.state import SiteState, site_state

#: Runs a crawl: the browser in production, a stand-in in tests.
Crawler = Callable[[CrawlPlan, Progress | None], Crawl]
#: Threads that scan at once in one serving process (each drives its own Chromium).
MAX_WORKERS = 2
#: The queue's name on Redis.
QUEUE = "consent-scans"
#: RQ stops the work horse past this: the crawl bounds itself first (its watchdog kills
#: Chromium one page's time after the scan's), so this only catches a stuck horse.
JOB_SECONDS = int(SCAN_SECONDS + 2 * PAGE_SECONDS + 30)
#: Seconds RQ keeps a finished or failed job's record (the scan row keeps the outcome).
KEEP_SECONDS = 3600


def browser_crawl(plan: CrawlPlan, progress: Progress | None = None) -> Crawl:
    """The real crawl (Playwright and Chromium, the ``[scan]`` extra)."""
    try:
        from consent.scans.crawler import crawl  # the optional extra, only where scans run
    except ImportError as error:
        raise CrawlFailed(
            "the scanner is not installed: pip install 'consent-ledger[scan]'"
        ) from error
    return crawl(plan, progress)


def scan_queue(url: str) -> Queue:
    """The one RQ queue of scans on Redis at ``url``."""
    return Queue(QUEUE, connection=redis.Redis.from_url(url, socket_connect_timeout=2))


def enqueue(url: str, scan_id: str) -> bool:
    """Put the scan on the queue for ``consent worker`` (:mod:`consent.scans.queue`); False
    when Redis does not take it (the caller runs it itself)."""
    try:
        scan_queue(url).enqueue_call(
            "consent.scans.queue.perform",
            args=(scan_id,),
            job_id=f"scan-{scan_id}",
            timeout=JOB_SECONDS,
            result_ttl=KEEP_SECONDS,
            failure_ttl=KEEP_SECONDS,
        )
    except (redis.RedisError, OSError) as error:
        current_app.logger.warning(
            "the scan queue is unavailable (%s): scan %s runs here", error, scan_id
        )
        return False
    return True


class ScanJobs:
    """The serving process's scan workers: a pool of one or two threads, started on first use."""

    def __init__(self, app: Flask, workers: int, crawler: Crawler = browser_crawl) -> None:
        self._app = app
        self._workers = max(1, min(MAX_WORKERS, workers))
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        #: What runs a crawl (tests replace it).
        self.crawler = crawler

    def submit(self, scan_id: str) -> None:
        """Put the scan on the queue (``consent worker``) when Redis is configured, else, or
        while Redis does not take it, run it in a worker thread (after those before it)."""
        url = self._app.config["CONSENT_REDIS_URL"]
        if url and enqueue(url, scan_id):
            return
        with self._lock:
            if self._pool is None:
                # Created on first use, so a forked web worker gets threads of its own.
                self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="scan")
            self._pool.submit(run_job, self._app, scan_id)

    def shutdown(self) -> None:
        """Wait for the running scans and stop the threads."""
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
                self._pool = None


def init_app(app: Flask) -> None:
    """The scan workers of this process."""
    app.extensions["consent_scans"] = ScanJobs(app, app.config["CONSENT_SCAN_WORKERS"])


def jobs() -> ScanJobs:
    """This app's scan workers."""
    found: ScanJobs = current_app.extensions["consent_scans"]
    return found


def run_job(app: Flask, scan_id: str, progress: Progress | None = None) -> None:
    """Run one queued scan to its end: done with a signed report, or failed with a reason."""
    with app.app_context():
        try:
            expire_stale()
            started = utcnow()
            if not mark_running(scan_id, started):
                return  # gone, taken, or timed out while it waited
            _scan(scan_id, started, progress)
        except CrawlFailed as error:
            mark_failed(scan_id, str(error))
        except BaseTimeoutException:  # `consent worker`: the job's time ran out
            db.session.rollback()
            _fail_quietly(scan_id, "timed out")
        except SQLAlchemyError:
            db.session.rollback()
            current_app.logger.exception("scan %s: database failure", scan_id)
            _fail_quietly(scan_id, "the database failed during the scan")
        except Exception as error:  # a crashed scan ends failed; nothing else is affected
            current_app.logger.exception("scan %s crashed", scan_id)
            _fail_quietly(scan_id, f"the scan stopped: {type(error).__name__}")
        finally:
            db.session.remove()


def _fail_quietly(scan_id: str, reason: str) -> None:
    try:
        mark_failed(scan_id, reason)
    except SQLAlchemyError:
        db.session.rollback()  # left running: timed out when next read


def _scan(scan_id: str, started: datetime, progress: Progress | None) -> None:
    row = scan_row(scan_id)
    site_row = None if row is None else db.session.get(Site, row.site_id)
    if row is None or site_row is None:
        return
    site = site_state(site_row.site_key)
    service = current_app.config["CONSENT_PUBLIC_URL"]
    plan = plan_for(site, row.urls, row.max_pages, service, scan_id)
    db.session.rollback()  # no transaction held open while the browser runs
    crawl = jobs().crawler(plan, progress)
    finished = utcnow()
    report = signed_report(scan_id, site, started, finished, crawl, service)
    if not mark_done(scan_id, report, finished):
        current_app.logger.warning("scan %s ended after it was declared timed out", scan_id)


def plan_for(
    site: SiteState, urls: list[str], max_pages: int, service_url: str, scan_id: str = ""
) -> CrawlPlan:
    """The crawl of a site: its origins, the service's origin, the start URLs and limit, and
    the scan it is for (its browser's User-Agent names it)."""
    service = origin_of(service_url)
    return CrawlPlan(
        start_urls=start_urls(urls, site.origins, service, site.site_key),
        site_origins=frozenset(site.origins),
        service_origin=service,
        max_pages=max_pages,
        scan_id=scan_id,
    )
