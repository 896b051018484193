"""Scans on a real queue: with ``CONSENT_REDIS_URL`` a scan is an RQ job on Redis, run by
``consent worker`` (any number, on any machine that reaches the database, Redis and the
sites), so a scan's browser never runs inside a web worker.

RQ because it is the smallest well-kept queue on the Redis we already run: one job is one
function call with the scan's id, and nothing to run besides Redis. The database stays the
truth: a job only moves its scan row, and a scan whose worker died is declared failed by its
time limit (:func:`consent.scans.records.expire_stale`), whatever the queue remembers. The
web side (enqueueing) is :meth:`consent.scans.jobs.ScanJobs.submit`; this module is the
worker's.

The worker runs each job in its own process (RQ's ``SimpleWorker``, no work horse forked per
job: one Python process less at a scan's peak, about 45 MB). What the fork kept apart is kept
apart here instead:

- a crash of the scan (any exception) ends it ``failed`` with a reason in
  :func:`consent.scans.jobs.run_job`, and the worker takes the next job;
- the crawl runs on a thread of its own while the job's thread waits for it, so the job's
  time limit (RQ's SIGALRM, raised in the main thread) interrupts the wait, never
  Playwright: the crawl is then stopped (its plan's ``stop``: Chromium is killed, the crawl
  fails and closes its browser and driver), and the scan ends ``failed``, ``timed out``;
- after every job no process of the scan is left: Playwright's driver and Chromium are
  stopped (any child of the worker still there is killed);
- a crawl that does not stop, or a worker killed outright (``kill -9``, out of memory), ends
  the worker: systemd starts another (``Restart=on-failure`` in
  ``deploy/systemd/consent-worker.service``) and the scan fails by its time limit.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit

import click
from flask import Flask, current_app
from rq import SimpleWorker, get_current_job
from rq.timeouts import BaseTimeoutException

from consent.core.observed import Crawl
from consent.scans.jobs import JOB_SECONDS, Crawler, ScanJobs, run_job, scan_queue
from consent.scans.plans import PAGE_SECONDS, CrawlFailed, CrawlPlan, Progress
from consent.scans.threads import OnThread

#: The app a worker's jobs run in (set by :func:`work`).
_worker_app: Flask | None = None
#: How long a stopped crawl has to end (Chromium killed, browser and driver closed; a launch
#: in progress first ends by its own bound, the crawler's 30 s) before the worker gives up
#: on it and exits.
STOP_SECONDS = 30.0 + 2 * PAGE_SECONDS
#: Set when a crawl did not stop: the worker exits after the job (systemd starts another).
_wedged = threading.Event()


def perform(scan_id: str) -> None:
    """The job: run one scan in the worker's app, in the worker's own process."""
    app = _worker_app
    if app is None:
        raise RuntimeError("scan jobs run in `consent worker`")
    try:
        run_job(app, scan_id)
    finally:
        _reap(app)
    if _wedged.is_set():
        # Warm shutdown (RQ's own): the job is recorded, then work() returns.
        os.kill(os.getpid(), signal.SIGTERM)


def crawl_on_thread(crawler: Crawler) -> Crawler:
    """``crawler`` run on a thread of its own, the caller waiting: an exception raised in
    the waiting thread (the job's time limit, a cold shutdown) stops the crawl and waits for
    it to end; a time limit then fails the scan with ``timed out``."""

    def crawl(plan: CrawlPlan, progress: Progress | None = None) -> Crawl:
        running = OnThread(crawler, plan, progress)
        try:
            running.ended.wait()
        except BaseException as error:
            plan.stop.set()
            if not running.ended.wait(STOP_SECONDS):
                _wedged.set()
                current_app.logger.critical(
                    "a crawl did not stop in %.0f s: the worker exits after this job",
                    STOP_SECONDS,
                )
            if isinstance(error, BaseTimeoutException):
                job = get_current_job()
                limit = job.timeout if job is not None and job.timeout else JOB_SECONDS
                raise CrawlFailed(f"timed out after {limit} s (stopped)") from error
            raise
        crawled: Crawl = running.result()
        return crawled

    return crawl


def work(app: Flask, burst: bool = False) -> bool:
    """Process scan jobs until stopped (SIGTERM/SIGINT; ``burst``: until the queue is
    empty); False when RQ's own return value is, or a crawl would not stop."""
    global _worker_app
    _worker_app = app
    scans: ScanJobs = app.extensions["consent_scans"]
    scans.crawler = crawl_on_thread(scans.crawler)
    queue = scan_queue(app.config["CONSENT_REDIS_URL"])
    worker = SimpleWorker([queue], connection=queue.connection)
    done = bool(worker.work(burst=burst, logging_level="INFO"))
    return done and not _wedged.is_set()


def _children() -> list[int]:
    """This process's children (from /proc; none elsewhere)."""
    me, found = os.getpid(), []
    with contextlib.suppress(OSError):
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/stat", encoding="ascii") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except (OSError, IndexError, UnicodeDecodeError):
                continue
            if int(fields[1]) == me:
                found.append(int(entry.name))
    return found


def _reap(app: Flask) -> None:
    """No process of a scan outlives its job: the crawl closes Playwright's driver and
    Chromium; whatever is still a child of the worker is killed (and logged)."""
    for pid in _children():
        app.logger.warning("a process of the last scan was left (pid %d): killed", pid)
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(pid, 0)


def spawn_worker(app: Flask, public: str) -> subprocess.Popen[bytes] | None:
    """With Redis configured, run one ``consent worker`` beside a development server (the
    demo), on its database and log key (an example's are in its own instance folder)."""
    if not app.config["CONSENT_REDIS_URL"]:
        return None
    env = {
        **os.environ,
        "CONSENT_PUBLIC_URL": public,
        "CONSENT_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "CONSENT_SECRET_KEY": app.config["SECRET_KEY"],
        "CONSENT_REDIS_URL": app.config["CONSENT_REDIS_URL"],
    }
    netloc = urlsplit(public).netloc
    key = Path(app.instance_path) / "log-keys" / f"{netloc.replace('/', '_')}.key"
    if app.config.get("CONSENT_LOG_KEY"):
        env["CONSENT_LOG_KEY"] = app.config["CONSENT_LOG_KEY"]
    elif key.exists():
        env["CONSENT_LOG_KEY"] = key.read_text().strip()
    command = [str(Path(sys.executable).with_name("consent")), "worker"]
    click.echo(f"Scans run on Redis's queue: started `consent worker` ({' '.join(command)}).")
    return subprocess.Popen(command, env=env)  # noqa: S603 (our own console script)
