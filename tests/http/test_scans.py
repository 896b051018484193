"""Site scans over HTTP and the command line (#18): starting one, its moves from queued to
done or failed, its signed report for owners and auditors (never another tenant), the 422s,
the 409 for a second scan, and a scan left running that times out.

The crawl is a stand-in here (what a browser would have seen, as data), so these run fast
on SQLite and PostgreSQL; tests/browser/test_scans.py runs the real one.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from consent.core.canonical import digest
from consent.core.notes import open_note
from consent.core.observed import SCAN_STATUSES, STATES, Crawl
from consent.core.scan_report import FINDING_KINDS, REPORT_FIELDS, note_text
from consent.extensions import db
from consent.ledger.log_keys import log_keys
from consent.models import Scan, utcnow
from consent.openapi.document import document
from consent.scans.plans import CrawlFailed, CrawlPlan, Progress
from consent.scans.records import QUEUE_LIMIT, RUN_LIMIT, create_scan
from tests.http.scanning import UseCrawl, fake_crawl, stand_in_crawls
from tests.http.test_admin_ui import OWNER, sign_in
from tests.owners import OwnerApi, add_user, mint, site_by_key


@pytest.fixture
def crawler(app: Flask) -> Iterator[UseCrawl]:
    """Replace the browser with a stand-in; the scan threads are done before the test ends."""
    yield from stand_in_crawls(app, fake_crawl)


@pytest.fixture
def owner(app: Flask, client: FlaskClient, site: str) -> OwnerApi:
    """The owner API of the test site."""
    return OwnerApi(client, site, mint(app, site, "owner"))


def wait_for(owner: OwnerApi, scan_id: str, *statuses: str) -> dict[str, Any]:
    """Poll the scan until it is in one of ``statuses``."""
    deadline = time.monotonic() + 15
    while True:
        report: dict[str, Any] = owner.ok("GET", f"/scans/{scan_id}")
        if report["status"] in statuses:
            return report
        assert time.monotonic() < deadline, report
        time.sleep(0.02)


def start(owner: OwnerApi, body: dict[str, Any] | None = None) -> str:
    answer = owner.ok("POST", "/scans", body if body is not None else {}, status=202)
    assert set(answer) == {"scan_id", "status"} and answer["status"] == "queued"
    scan_id: str = answer["scan_id"]
    return scan_id


def test_a_scan_runs_and_its_report_is_signed(app: Flask, owner: OwnerApi, crawler: Any) -> None:
    scan_id = start(owner, {"max_pages": 2})
    report = wait_for(owner, scan_id, "done", "failed")
    assert report["status"] == "done", report
    assert tuple(report) == REPORT_FIELDS and set(report["states"]) == set(STATES)
    # Default start URLs: each of the site's origins at "/".
    assert report["pages"] == [
        {"url": "http://localhost:8000/", "status": 200},
        {"url": "https://shop.example/", "status": 200},
    ]
    assert report["policy_version"] == 1 and report["site_key"] == owner.site_key
    [ga] = [r for r in report["states"]["none"]["requests"] if r["vendor"] == "google-analytics"]
    assert ga == {
        "host": "www.googletagmanager.com",
        "url": "https://www.googletagmanager.com/gtag/js",  # no query
        "type": "script",
        "vendor": "google-analytics",
        "category": "performance",
        "initiator": "http://localhost:8000/",
    }
    [cookie] = report["states"]["none"]["cookies"]
    assert (cookie["vendor"], cookie["first_party"], cookie["duration_days"]) == (
        "google-analytics",
        True,
        365,
    )
    kinds = [(f["kind"], f["state"], f["vendor"]) for f in report["findings"]]
    assert kinds[0] == ("leak", "none", "google-analytics")
    assert [k for k in kinds if k[0] == "declared_unused"] == [
        ("declared_unused", None, v)
        for v in ("hubspot", "linkedin-insight", "meta-pixel", "twitter", "vimeo")
    ]
    assert not [k for k in kinds if k[2] == "stripe"]  # strictly necessary everywhere
    unsigned = {k: v for k, v in report.items() if k not in ("report_hash", "signature")}
    assert digest(unsigned) == report["report_hash"]
    with app.app_context():
        keys = log_keys()
        note = open_note(report["signature"], keys.verifiers)
        assert note.text == note_text(keys.netloc, scan_id, report["report_hash"])
        assert note.text.startswith(f"consent.test/scan/{scan_id}\n")


def test_status_moves_queued_running_done_and_a_second_scan_is_refused(
    owner: OwnerApi, crawler: Any
) -> None:
    release, running = threading.Event(), threading.Event()

    def slow(plan: CrawlPlan, progress: Progress | None = None) -> Crawl:
        running.set()
        assert release.wait(10)
        return fake_crawl(plan, progress)

    crawler(slow)
    scan_id = start(owner, {"urls": ["https://shop.example/shop?page=2"], "max_pages": 1})
    assert running.wait(10)
    report = wait_for(owner, scan_id, "running")
    assert (report["report_hash"], report["signature"], report["pages"]) == (None, None, [])
    assert report["started_at"] and report["finished_at"] is None
    second = owner.call("POST", "/scans", {})
    assert second.status_code == 409 and second.json["error"]["code"] == "conflict"
    release.set()
    report = wait_for(owner, scan_id, "done")
    assert report["pages"] == [{"url": "https://shop.example/shop?page=2", "status": 200}]
    again = start(owner)  # one at a time: the next may start now
    wait_for(owner, again, "done")
    listed = owner.ok("GET", "/scans")["items"]
    assert [item["scan_id"] for item in listed] == [again, scan_id]  # newest first
    assert listed[1]["urls"] == ["https://shop.example/shop?page=2"]
    assert (listed[1]["status"], listed[1]["max_pages"], listed[1]["pages"]) == ("done", 1, 1)


def _fails(reason: str) -> Callable[..., Crawl]:
    def crawl(plan: CrawlPlan, progress: Progress | None = None) -> Crawl:
        if reason == "crash":
            raise RuntimeError("the browser went away")
        raise CrawlFailed(reason)

    return crawl


@pytest.mark.parametrize(
    ("failure", "reason"),
    [
        ("no banner on the first page", "no banner on the first page"),
        ("crash", "the scan stopped: RuntimeError"),
    ],
)
def test_a_failed_crawl_ends_failed_with_its_reason(
    owner: OwnerApi, crawler: Any, failure: str, reason: str
) -> None:
    crawler(_fails(failure))
    report = wait_for(owner, start(owner), "done", "failed")
    assert (report["status"], report["reason"]) == ("failed", reason)
    assert report["report_hash"] is None and report["signature"] is None
    assert owner.ok("GET", "/scans")["items"][0]["reason"] == reason
    start(owner)  # a failed scan holds nothing up


def test_on_the_services_own_origin_a_scan_starts_at_the_sites_demo_page(
    app: Flask, owner: OwnerApi, crawler: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The demo (`make run`): the site's origin is the service's own, whose "/" is the
    # service's landing page (no banner); the site's page there is /demo/<site_key>.
    monkeypatch.setitem(app.config, "CONSENT_PUBLIC_URL", "http://localhost:8000")
    report = wait_for(owner, start(owner), "done", "failed")
    assert [p["url"] for p in report["pages"]] == [
        f"http://localhost:8000/demo/{owner.site_key}",
        "https://shop.example/",
    ]
    # Start URLs asked for are kept as they are, the service's "/" too.
    scan_id = start(owner, {"urls": ["http://localhost:8000/"], "max_pages": 1})
    assert [p["url"] for p in wait_for(owner, scan_id, "done")["pages"]] == [
        "http://localhost:8000/"
    ]
    # The Scan page says where an empty list starts.
    add_user(app, OWNER, "owner", owner.site_key)
    page = sign_in(app, OWNER).get(f"/admin/sites/{owner.site_key}/scans").get_data(as_text=True)
    assert f"Empty: http://localhost:8000/demo/{owner.site_key}, https://shop.example/" in page


@pytest.mark.parametrize(
    ("status", "age", "column"),
    [("running", RUN_LIMIT, "started_at"), ("queued", QUEUE_LIMIT, "created_at")],
)
def test_a_scan_past_its_time_limit_is_failed_when_read(
    app: Flask, owner: OwnerApi, crawler: Any, status: str, age: timedelta, column: str
) -> None:
    with app.app_context():
        row = create_scan(site_by_key(owner.site_key).id, [], 5)
        scan_id = row.id
        row.status = status
        setattr(row, column, utcnow() - age - timedelta(seconds=5))
        db.session.commit()
    report = owner.ok("GET", f"/scans/{scan_id}")
    assert (report["status"], report["reason"]) == ("failed", "timed out")
    wait_for(owner, start(owner), "done")


def test_a_dead_scan_does_not_block_the_next_one(app: Flask, owner: OwnerApi, crawler: Any) -> None:
    with app.app_context():
        row = create_scan(site_by_key(owner.site_key).id, [], 5)
        scan_id = row.id
        row.status, row.started_at = "running", utcnow() - RUN_LIMIT - timedelta(seconds=5)
        db.session.commit()
        fresh = create_scan(site_by_key(owner.site_key).id, [], 5).id  # the stale one ends
        db.session.commit()
        assert db.session.get(Scan, scan_id).reason == "timed out"  # type: ignore[union-attr]
    assert owner.call("POST", "/scans", {}).status_code == 409  # the fresh one is queued
    assert owner.ok("GET", f"/scans/{fresh}")["status"] == "queued"


def test_a_dead_scan_is_failed_by_the_next_job_start(
    app: Flask, owner: OwnerApi, other_site: str, crawler: Any
) -> None:
    with app.app_context():
        row = create_scan(site_by_key(owner.site_key).id, [], 5)
        scan_id = row.id
        row.status, row.started_at = "running", utcnow() - RUN_LIMIT * 2
        db.session.commit()
    other = OwnerApi(owner.client, other_site, mint(app, other_site, "owner"))
    wait_for(other, start(other), "done")
    with app.app_context():
        dead = db.session.get(Scan, scan_id)
        assert dead is not None and (dead.status, dead.reason) == ("failed", "timed out")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ([], "body"),
        ({"urls": "https://shop.example/"}, "urls"),
        ({"urls": ["https://shop.example/"] * 101}, "urls"),
        ({"urls": ["https://evil.example/"]}, "urls[0]"),
        ({"urls": ["https://shop.example/", "http://shop.example/"]}, "urls[1]"),
        ({"urls": ["https://shop.example:8443/"]}, "urls[0]"),
        ({"urls": ["https://user:pw@shop.example/"]}, "urls[0]"),
        ({"urls": ["javascript:alert(1)"]}, "urls[0]"),
        ({"urls": ["https://shop.example/a b"]}, "urls[0]"),
        ({"urls": [42]}, "urls[0]"),
        ({"max_pages": 0}, "max_pages"),
        ({"max_pages": 101}, "max_pages"),
        ({"max_pages": "5"}, "max_pages"),
        ({"max_pages": True}, "max_pages"),
        ({"max_pages": 2.5}, "max_pages"),
        ({"depth": 3}, "depth"),
    ],
)
def test_bad_input_is_422_naming_the_field(
    owner: OwnerApi, crawler: Any, body: Any, field: str
) -> None:
    answer = owner.call("POST", "/scans", body)
    assert answer.status_code == 422, answer.json
    assert answer.json["error"]["field"] == field
    assert owner.ok("GET", "/scans")["items"] == []


def test_auditors_read_scans_and_no_tenant_reads_anothers(
    app: Flask, client: FlaskClient, owner: OwnerApi, other_site: str, crawler: Any
) -> None:
    scan_id = start(owner)
    report = wait_for(owner, scan_id, "done")
    auditor = {"Authorization": f"Bearer {mint(app, owner.site_key, 'auditor')}"}
    audit = f"/api/v1/audit/sites/{owner.site_key}/scans"
    assert client.get(audit, headers=auditor).json["items"][0]["scan_id"] == scan_id
    assert client.get(f"{audit}/{scan_id}", headers=auditor).json == report
    # The auditor may read, not start; the owner API is the owner's.
    assert client.post(f"{owner.base}/scans", json={}, headers=auditor).status_code == 403
    assert client.get(f"{owner.base}/scans", headers=auditor).status_code == 403
    # Another tenant's owner: the site is unknown to it, and so is the scan under its own site.
    stranger = {"Authorization": f"Bearer {mint(app, other_site, 'owner')}"}
    for url in (audit, f"{audit}/{scan_id}", f"{owner.base}/scans/{scan_id}"):
        assert client.get(url, headers=stranger).status_code == 404
    assert client.post(f"{owner.base}/scans", json={}, headers=stranger).status_code == 404
    theirs = f"/api/v1/audit/sites/{other_site}/scans/{scan_id}"
    answer = client.get(theirs, headers=stranger)
    assert answer.status_code == 404 and answer.json["error"]["message"] == "unknown scan"
    assert client.get(f"{audit}/{scan_id}").status_code == 401
    # Every read of a report is in the access log the auditors read.
    log = client.get(f"/api/v1/audit/sites/{owner.site_key}/access-log", headers=auditor).json
    assert f"{audit}/{scan_id}" in {entry["path"] for entry in log["items"]}


def test_the_command_line_scans_in_process(
    app: Flask, runner: Any, site: str, crawler: Any
) -> None:
    result = runner.invoke(
        args=[
            "scan",
            "--site",
            site,
            "--url",
            "https://shop.example/a",
            "--max-pages",
            "3",
            "--json",
        ]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["status"] == "done" and report["pages"][0]["url"] == "https://shop.example/a"
    text = runner.invoke(args=["scan", "--site", site])
    assert text.exit_code == 0 and "leak [none] google-analytics" in text.stdout
    for args, message in (
        (["--url", "https://evil.example/"], "url[0]: is not on one of the site's origins"),
        (["--max-pages", "500"], "max-pages: must be a whole number from 1 to 100"),
    ):
        refused = runner.invoke(args=["scan", "--site", site, *args])
        assert refused.exit_code == 1 and message in refused.output
    unknown = runner.invoke(args=["scan", "--site", "NoSuchSite"])
    assert unknown.exit_code == 1 and "unknown site" in unknown.output
    crawler(_fails("no banner"))
    failed = runner.invoke(args=["scan", "--site", site, "--json"])
    assert failed.exit_code == 1 and json.loads(failed.stdout)["reason"] == "no banner"


def test_the_openapi_document_is_the_codes_own() -> None:
    schemas = document()["components"]["schemas"]
    assert schemas["ScanReport"]["required"] == list(REPORT_FIELDS)
    assert schemas["ScanReport"]["properties"]["status"]["enum"] == list(SCAN_STATUSES)
    assert schemas["ScanReport"]["properties"]["states"]["required"] == list(STATES)
    assert schemas["ScanFinding"]["properties"]["kind"]["enum"] == list(FINDING_KINDS)
