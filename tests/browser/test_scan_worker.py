"""Scans on the queue: with Redis configured the web process only enqueues, ``consent worker``
(a process of its own, which runs each job itself: no work horse) runs the scan to a signed
report and leaves no process of it behind; a job past its time limit is stopped, with its
browser, and the worker takes the next; a worker killed mid-scan leaves the scan ``failed``
once its time limit has passed, not ``running`` for ever."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from consent.core.notes import generate_signer_key, open_note, parse_verifier_key
from consent.core.scan_report import note_text
from tests.faults.redis_servers import RedisServer

from . import scan_site
from .conftest import _require_browser, _Server
from .test_scans import _post, _setup

pytestmark = pytest.mark.xdist_group("browser")
CONSENT = Path(sys.executable).with_name("consent")


@dataclass
class Queued:
    """The service (enqueueing only), the owner's site, Redis and a way to start workers."""

    app: Any
    api: str
    owner: str
    site: str
    tokens: dict[str, str]
    env: dict[str, str]
    verifier: str
    workers: list[subprocess.Popen[bytes]]

    def start_worker(self) -> subprocess.Popen[bytes]:
        # A session of its own: a kill reaches the worker, its work horse and their Chromium.
        worker = subprocess.Popen(
            [str(CONSENT), "worker"],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.workers.append(worker)
        return worker

    def scan(self, body: dict[str, Any]) -> str:
        path = f"/api/v1/admin/sites/{self.site}/scans"
        status, queued = _post(self.api, path, self.tokens["owner"], body)
        assert (status, queued["status"]) == (202, "queued")
        return str(queued["scan_id"])

    def status(self, scan_id: str) -> dict[str, Any]:
        with self.app.test_client() as client:
            answer = client.get(
                f"/api/v1/admin/sites/{self.site}/scans/{scan_id}",
                headers={"Authorization": f"Bearer {self.tokens['owner']}"},
            )
            assert answer.status_code == 200
            return answer.json  # type: ignore[no-any-return]

    def left_over(self, worker: subprocess.Popen[bytes], seconds: float = 15) -> list[str]:
        """The processes of the worker's session besides the worker (its driver, Chromium,
        and any Chromium process orphaned by a kill), once they have had time to go."""
        deadline = time.monotonic() + seconds
        while (found := _session(worker.pid)) and time.monotonic() < deadline:
            time.sleep(0.3)
        return found

    def wait_for(self, scan_id: str, statuses: set[str], seconds: float = 150) -> dict[str, Any]:
        deadline = time.monotonic() + seconds
        while (report := self.status(scan_id))["status"] not in statuses:
            assert time.monotonic() < deadline, f"scan still {report['status']}"
            time.sleep(0.3)
        return report


def _session(sid: int) -> list[str]:
    """``pid name`` of every process in session ``sid`` but its leader."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == sid:
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name, fields = stat[stat.index("(") + 1 : stat.rindex(")")], stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z" and int(fields[3]) == sid:
            found.append(f"{entry.name} {name}")
    return found


@pytest.fixture
def queued(tmp_path: Path) -> Iterator[Queued]:
    _require_browser()
    from consent import create_app

    redis = RedisServer(tmp_path)
    redis.start()
    api, owner = _Server(), _Server()
    signer, verifier = generate_signer_key(api.origin.removeprefix("http://"))
    database = f"sqlite:///{tmp_path}/db.sqlite"
    env = {
        **os.environ,
        "CONSENT_DATABASE_URL": database,
        "CONSENT_REDIS_URL": redis.url,
        "CONSENT_SECRET_KEY": "test",
        "CONSENT_LOG_KEY": signer,
        "CONSENT_PUBLIC_URL": api.origin,
    }
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database,
            "SECRET_KEY": "test",
            "CONSENT_LOG_KEY": signer,
            "CONSENT_PUBLIC_URL": api.origin,
            "CONSENT_REDIS_URL": redis.url,
            "CONSENT_STATE_TTL": 0.0,
        }
    )
    site, tokens = _setup(app, owner.origin)
    api.start(app)
    owner.start(scan_site.owner_app(api.origin, site, "http://127.0.0.1:9"))
    state = Queued(app, api.origin, owner.origin, site, tokens, env, verifier, [])
    yield state
    for worker in state.workers:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait()
    for server in (owner, api):
        server.stop()
    from consent.sites.broadcast import Subscriber

    subscriber: Subscriber | None = app.extensions.get("consent_site_changes")
    if subscriber is not None:
        subscriber.stop()
    app.extensions["consent_redis"].close()
    redis.stop()


def test_the_web_process_enqueues_and_consent_worker_scans(queued: Queued) -> None:
    scan_id = queued.scan({"max_pages": 2})
    time.sleep(1.5)
    # Nobody works the queue yet: the web process did not run the scan itself.
    assert queued.status(scan_id)["status"] == "queued"
    worker = queued.start_worker()
    report = queued.wait_for(scan_id, {"done", "failed"})
    assert report["status"] == "done", report.get("reason")
    assert [p["url"].removeprefix(queued.owner) for p in report["pages"]][:1] == ["/"]
    # The scan's driver and Chromium are gone with it: the worker waits alone.
    assert queued.left_over(worker) == []
    assert worker.poll() is None
    # Signed by the log key the worker was given, like a checkpoint.
    verified = open_note(report["signature"], [parse_verifier_key(queued.verifier)])
    assert verified.text == note_text(
        queued.api.removeprefix("http://"), scan_id, report["report_hash"]
    )


def test_a_worker_killed_mid_scan_leaves_the_scan_failed_after_its_limit(queued: Queued) -> None:
    from consent.extensions import db
    from consent.models import Scan
    from consent.scans.records import RUN_LIMIT

    worker = queued.start_worker()
    scan_id = queued.scan({"urls": [f"{queued.owner}/hang"], "max_pages": 1})
    queued.wait_for(scan_id, {"running"}, seconds=60)
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait()
    time.sleep(1)
    assert queued.status(scan_id)["status"] == "running"  # nobody is left to say otherwise
    # Its time limit passes (moved back rather than waited for): a read declares it failed.
    with queued.app.app_context():
        row = db.session.get(Scan, scan_id)
        assert row is not None and row.started_at is not None
        row.started_at -= RUN_LIMIT
        db.session.commit()
    report = queued.status(scan_id)
    assert (report["status"], report["reason"]) == ("failed", "timed out")
    # The site is free again: the next scan is taken by a new worker.
    queued.start_worker()
    second = queued.scan({"max_pages": 1})
    assert queued.wait_for(second, {"done", "failed"})["status"] == "done"


def test_a_job_past_its_time_is_stopped_with_its_browser_and_the_worker_goes_on(
    queued: Queued, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The job's limit (RQ's, SIGALRM in the worker) well before the crawl's own bounds: a
    # page whose script never yields holds the crawl until the job's time is up.
    monkeypatch.setattr("consent.scans.jobs.JOB_SECONDS", 8)
    worker = queued.start_worker()
    scan_id = queued.scan({"urls": [f"{queued.owner}/hang"], "max_pages": 1})
    queued.wait_for(scan_id, {"running"}, seconds=60)
    report = queued.wait_for(scan_id, {"done", "failed"}, seconds=60)
    assert (report["status"], report["reason"]) == ("failed", "timed out after 8 s (stopped)")
    # Its Chromium and driver are stopped; the worker is alive and takes the next job.
    assert queued.left_over(worker) == []
    assert worker.poll() is None
    monkeypatch.undo()
    second = queued.scan({"max_pages": 1})
    assert queued.wait_for(second, {"done", "failed"})["status"] == "done"
    assert queued.left_over(worker) == []
    assert worker.poll() is None


def test_the_demo_starts_a_worker_when_redis_is_configured(queued: Queued) -> None:
    from consent.scans.queue import spawn_worker

    worker = spawn_worker(queued.app, queued.api)
    assert worker is not None
    queued.workers.append(worker)
    scan_id = queued.scan({"max_pages": 1})
    report = queued.wait_for(scan_id, {"done", "failed"})
    assert report["status"] == "done", report.get("reason")
    open_note(report["signature"], [parse_verifier_key(queued.verifier)])
    worker.terminate()
    assert worker.wait(timeout=30) is not None


def test_a_job_time_limit_stops_the_crawl_on_its_thread() -> None:
    # RQ's time limit is SIGALRM, raised in the main thread: it interrupts the wait for the
    # crawl, which is told to stop (its watchdog kills Chromium) and is waited for.
    from rq.timeouts import JobTimeoutException, UnixSignalDeathPenalty

    from consent.scans.plans import CrawlFailed, CrawlPlan
    from consent.scans.queue import crawl_on_thread

    stopped: list[bool] = []

    def stuck(plan: CrawlPlan, progress: Any) -> Any:
        assert plan.stop.wait(30)
        stopped.append(True)
        raise CrawlFailed("stopped")

    plan = CrawlPlan(("http://127.0.0.1:9/",), frozenset({"http://127.0.0.1:9"}), "", 1)
    started = time.monotonic()
    with (
        pytest.raises(CrawlFailed, match=r"timed out after 360 s \(stopped\)"),
        UnixSignalDeathPenalty(1, JobTimeoutException),
    ):
        crawl_on_thread(stuck)(plan, None)
    assert stopped == [True] and time.monotonic() - started < 10
