"""The audit UI's scan reports (#18 item 1): the site's list, a report page read-only (the
admin's results partial), its JSON as signed, every read in the access log, and no tenant
reading another's."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from consent.core.observed import Crawl
from consent.scans.jobs import ScanJobs
from consent.service import PAGE_CSP
from tests.http.auditing import Auditor, Page, make_token
from tests.http.scanning import tracker_crawl
from tests.http.test_audit_ui import signed_in
from tests.owners import OwnerApi, mint


@pytest.fixture
def scanned(app: Flask, client: FlaskClient, site: str) -> Iterator[dict[str, Any]]:
    """A done scan of the site (the stand-in crawl that finds Leadinfo and YouTube): its
    report as the owner API serves it."""
    jobs: ScanJobs = app.extensions["consent_scans"]
    crawl: Callable[..., Crawl] = tracker_crawl
    jobs.crawler = crawl
    owner = OwnerApi(client, site, mint(app, site, "owner"))
    scan_id = owner.ok("POST", "/scans", {"max_pages": 1}, status=202)["scan_id"]
    deadline = time.monotonic() + 15
    while (report := owner.ok("GET", f"/scans/{scan_id}"))["status"] not in ("done", "failed"):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert report["status"] == "done"
    yield report
    jobs.shutdown()


def test_the_list_links_each_report(app: Flask, site: str, scanned: dict[str, Any]) -> None:
    ui = signed_in(app, site)
    page = Page.of(ui.get(f"/audit/sites/{site}/scans/"))
    assert f"/audit/sites/{site}/scans/" in [a.attrs.get("href") for a in page.find("a")]  # nav
    (row,) = [r for r in page.find("tr") if r.attrs.get("data-scan-id")]
    assert row.attrs["data-scan-id"] == scanned["scan_id"]
    assert f"/audit/sites/{site}/scans/{scanned['scan_id']}" in {
        a.attrs.get("href") for a in page.find("a")
    }
    assert page.text("td", data_status="done") == "done"


def test_a_report_page_reads_as_the_admins_and_offers_its_json(
    app: Flask, client: FlaskClient, site: str, scanned: dict[str, Any]
) -> None:
    ui = signed_in(app, site)
    scan_id = scanned["scan_id"]
    answer = ui.get(f"/audit/sites/{site}/scans/{scan_id}")
    assert answer.headers["Content-Security-Policy"] == PAGE_CSP
    page = Page.of(answer)
    kinds = [e.attrs["data-finding"] for e in page.find("tr") if "data-finding" in e.attrs]
    assert kinds == [f["kind"] for f in scanned["findings"]] and kinds[0] == "leak"
    assert page.text("code", data_report_hash="") == scanned["report_hash"]
    (note,) = page.find("pre", data_report_signature="")
    assert note.text == scanned["signature"]  # the signed note, line by line
    assert not page.find("form", method="post") or all(
        "logout" in f.attrs["action"] for f in page.find("form", method="post")
    )  # read-only: only the sign-out form
    assert not page.find("button", data_apply_scan="")
    (link,) = page.find("a", data_report_json="")
    download = ui.get(link.attrs["href"])
    assert download.mimetype == "application/json"
    assert "attachment" in download.headers["Content-Disposition"]
    assert json.loads(download.get_data(as_text=True)) == scanned
    # Every page read is in the access log, as the API's reads are.
    auditor = Auditor(client, site, make_token(app, site))
    paths = {entry["path"] for entry in auditor.json("access-log")["items"]}
    assert {f"/audit/sites/{site}/scans/{scan_id}", link.attrs["href"]} <= paths


def test_no_one_else_reads_a_report(
    app: Flask, site: str, other_site: str, scanned: dict[str, Any]
) -> None:
    scan_id = scanned["scan_id"]
    paths = ("scans/", f"scans/{scan_id}", f"scans/{scan_id}/report.json")
    anonymous = app.test_client()
    stranger = signed_in(app, other_site, "stranger@example.com")
    for path in paths:
        answer = anonymous.get(f"/audit/sites/{site}/{path}")
        assert answer.status_code == 302
        assert answer.headers["Location"].startswith("/audit/login?next=")
        assert stranger.get(f"/audit/sites/{site}/{path}").status_code == 404
    # Under the stranger's own site the scan is unknown.
    assert stranger.get(f"/audit/sites/{other_site}/scans/{scan_id}").status_code == 404
    assert stranger.get(f"/audit/sites/{other_site}/scans/").status_code == 200
    # The site's owner reads the audit pages too.
    owner = signed_in(app, site, "owner@example.com", "owner")
    assert owner.get(f"/audit/sites/{site}/scans/{scan_id}").status_code == 200
