"""Scans on a real queue: with ``CONSENT_REDIS_URL`` a scan is an RQ job on Redis, run by
``consent worker`` (any number, on any machine that reaches the database, Redis and the
sites), so a scan's browser never runs inside a web worker.

RQ because it is the smallest well-kept queue on the Redis we already run: one job is one
function call with the scan's id, a work horse forked per job (a crash or a kill takes only
that job), and nothing to run besides Redis. The database stays the truth: a job only moves
its scan row, and a scan whose worker died is declared failed by its time limit
(:func:`consent.scans.records.expire_stale`), whatever the queue remembers. The web side
(enqueueing) is :meth:`consent.scans.jobs.ScanJobs.submit`; this module is the worker's.
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import click
from flask import Flask
from rq import Worker

from consent.extensions import db
from consent.scans.jobs import run_job, scan_queue

#: The app a worker's jobs run in (set by :func:`work`; a forked horse inherits it).
_worker_app: Flask | None = None


def perform(scan_id: str) -> None:
    """The job: run one scan in the worker's app (in RQ's forked work horse)."""
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
    queue = scan_queue(app.config["CONSENT_REDIS_URL"])
    # Each job's work horse is a fork of this process: what the worker holds now (the app,
    # its modules) is moved out of the collector's reach, so the horse's collections do not
    # write to (and copy) every page it shares with the worker: about 15 MB less a scan.
    gc.collect()
    gc.freeze()
    worker = Worker([queue], connection=queue.connection)
    return bool(worker.work(burst=burst, logging_level="INFO"))


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
