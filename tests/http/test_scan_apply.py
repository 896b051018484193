"""From scan to policy over the owner API (#18 item 4): ``POST …/scans/<id>/apply`` adds
every vendor a done scan found undeclared to the draft, once; 409 before the scan is done,
404 for an unknown one, 422 naming the id a vendor needs while auto-blocking is off, and
only the site's owner may call it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator

from consent.core.catalog import VENDORS
from consent.extensions import db
from consent.models import Scan
from consent.openapi.document import document
from consent.scans.plans import CrawlPlan, Progress
from consent.sites.owner import create_site
from tests.http.scanning import UseCrawl, fake_crawl, stand_in_crawls, tracker_crawl
from tests.http.test_scans import start, wait_for
from tests.owners import OwnerApi, mint, site_by_key


@pytest.fixture
def crawler(app: Flask) -> Iterator[UseCrawl]:
    """Stand-in crawls (the browser is tests/browser's); the scan threads end with the test."""
    yield from stand_in_crawls(app, tracker_crawl)


@pytest.fixture
def owner(app: Flask, client: FlaskClient, site: str) -> OwnerApi:
    """The owner API of the test site."""
    return OwnerApi(client, site, mint(app, site, "owner"))


def done_scan(owner: OwnerApi, crawler: Any) -> tuple[str, dict[str, Any]]:
    """A done scan of the site by the crawl that finds Leadinfo and YouTube; its id, report."""
    crawler(tracker_crawl)
    scan_id = start(owner)
    return scan_id, wait_for(owner, scan_id, "done")


def test_apply_adds_the_undeclared_vendors_once(owner: OwnerApi, crawler: Any) -> None:
    scan_id, report = done_scan(owner, crawler)
    undeclared = [f["vendor"] for f in report["findings"] if f["kind"] == "undeclared"]
    assert undeclared == ["leadinfo", "youtube"]
    before = owner.draft()
    answer = owner.ok("POST", f"/scans/{scan_id}/apply")
    assert answer["added"] == ["leadinfo", "youtube"]
    draft = owner.draft()
    assert {k: v for k, v in answer.items() if k != "added"} == draft
    assert draft["vendors"] == {
        **before["vendors"],
        "leadinfo": {"category": VENDORS["leadinfo"].category, "settings": {}},
        "youtube": {"category": VENDORS["youtube"].category, "settings": {}},
    }
    again = owner.ok("POST", f"/scans/{scan_id}/apply")
    assert again["added"] == [] and owner.draft() == draft
    # The draft is what the next version publishes: the two are new, so re-consent is asked.
    assert owner.publish()["requires_reconsent"] is True


def test_a_vendor_the_owner_moved_keeps_its_category(owner: OwnerApi, crawler: Any) -> None:
    scan_id, _report = done_scan(owner, crawler)
    draft = owner.draft()
    draft["vendors"]["youtube"] = {"category": "functionality", "settings": {}}
    owner.put_draft(draft)
    assert owner.ok("POST", f"/scans/{scan_id}/apply")["added"] == ["leadinfo"]
    assert owner.draft()["vendors"]["youtube"]["category"] == "functionality"


def test_a_scan_without_undeclared_vendors_adds_nothing(owner: OwnerApi, crawler: Any) -> None:
    crawler(fake_crawl)  # GA (enabled, a leak) and Stripe only
    scan_id = start(owner)
    wait_for(owner, scan_id, "done")
    before = owner.draft()
    assert owner.ok("POST", f"/scans/{scan_id}/apply")["added"] == []
    assert owner.draft() == before


def test_a_scan_not_done_is_409_and_an_unknown_one_404(
    app: Flask, owner: OwnerApi, crawler: Any
) -> None:
    release, running = threading.Event(), threading.Event()

    def slow(plan: CrawlPlan, progress: Progress | None = None) -> Any:
        running.set()
        assert release.wait(10)
        return tracker_crawl(plan, progress)

    crawler(slow)
    scan_id = start(owner)
    assert running.wait(10)
    before = owner.draft()
    answer = owner.call("POST", f"/scans/{scan_id}/apply")
    assert answer.status_code == 409 and answer.json["error"]["code"] == "conflict"
    assert "running" in answer.json["error"]["message"]
    release.set()
    wait_for(owner, scan_id, "done")
    with app.app_context():
        row = db.session.get(Scan, scan_id)
        assert row is not None
        row.status, row.report = "failed", None
        db.session.commit()
    assert owner.call("POST", f"/scans/{scan_id}/apply").status_code == 409
    unknown = owner.call("POST", "/scans/no-such-scan/apply")
    assert unknown.status_code == 404 and unknown.json["error"]["message"] == "unknown scan"
    assert owner.draft() == before


def test_a_vendor_needing_an_id_is_named_while_auto_blocking_is_off(
    app: Flask, client: FlaskClient, crawler: Any
) -> None:
    with app.app_context():
        key = create_site(
            name="Bare",
            origins=["https://shop.example"],
            vendors={},
            privacy_url="https://shop.example/privacy",
            auto_block=False,
        ).site_key
        db.session.commit()
    bare = OwnerApi(client, key, mint(app, key, "owner"))
    scan_id, report = done_scan(bare, crawler)
    undeclared = [f["vendor"] for f in report["findings"] if f["kind"] == "undeclared"]
    assert undeclared == ["google-analytics", "leadinfo", "stripe", "youtube"]
    before = bare.draft()
    answer = bare.call("POST", f"/scans/{scan_id}/apply")
    assert answer.status_code == 422
    error = answer.json["error"]
    field = "vendors.google-analytics.settings.measurement_id"
    assert error["field"] == field and [f["field"] for f in error["fields"]] == [field]
    assert "Google Analytics" in error["message"] and "auto-blocking" in error["message"]
    assert bare.draft() == before  # nothing added half
    # The owner enters the id (or turns auto-blocking on): then the rest follows.
    draft = bare.draft()
    draft["vendors"]["google-analytics"] = {
        "category": "performance",
        "settings": {"measurement_id": "G-TEST123"},
    }
    bare.put_draft(draft)
    added = bare.ok("POST", f"/scans/{scan_id}/apply")["added"]
    assert added == ["leadinfo", "stripe", "youtube"]
    assert bare.draft()["vendors"]["stripe"]["category"] == "necessary"


def test_with_auto_blocking_on_a_vendor_is_added_without_its_id(
    app: Flask, client: FlaskClient, crawler: Any
) -> None:
    with app.app_context():
        key = create_site(
            name="Bare",
            origins=["https://shop.example"],
            vendors={},
            privacy_url="https://shop.example/privacy",
        ).site_key
        db.session.commit()
        assert site_by_key(key).auto_block is True
    bare = OwnerApi(client, key, mint(app, key, "owner"))
    scan_id, _report = done_scan(bare, crawler)
    added = bare.ok("POST", f"/scans/{scan_id}/apply")["added"]
    assert added == ["google-analytics", "leadinfo", "stripe", "youtube"]
    assert bare.draft()["vendors"]["google-analytics"] == {
        "category": "performance",
        "settings": {},
    }


def test_only_the_sites_owner_applies(
    app: Flask, client: FlaskClient, owner: OwnerApi, other_site: str, crawler: Any
) -> None:
    scan_id, _report = done_scan(owner, crawler)
    before = owner.draft()
    url = f"{owner.base}/scans/{scan_id}/apply"
    auditor = {"Authorization": f"Bearer {mint(app, owner.site_key, 'auditor')}"}
    stranger = {"Authorization": f"Bearer {mint(app, other_site, 'owner')}"}
    assert client.post(url).status_code == 401
    assert client.post(url, headers=auditor).status_code == 403
    assert client.post(url, headers=stranger).status_code == 404
    # Under the stranger's own site the scan is unknown too.
    theirs = f"/api/v1/admin/sites/{other_site}/scans/{scan_id}/apply"
    answer = client.post(theirs, headers=stranger)
    assert answer.status_code == 404 and answer.json["error"]["message"] == "unknown scan"
    assert owner.draft() == before
    assert client.get(url, headers=auditor).status_code == 405


def test_the_answer_keeps_to_its_schema(owner: OwnerApi, crawler: Any) -> None:
    scan_id, _report = done_scan(owner, crawler)
    answer = owner.ok("POST", f"/scans/{scan_id}/apply")
    schemas = document()["components"]
    validator = Draft202012Validator(
        {"$ref": "#/components/schemas/ScanApplied", "components": schemas}
    )
    assert list(validator.iter_errors(answer)) == []
    assert list(validator.iter_errors({**answer, "added": "youtube"}))  # the schema says something


def test_a_scan_request_names_every_invalid_field(owner: OwnerApi, crawler: Any) -> None:
    body = {
        "urls": ["https://evil.example/", "https://shop.example/", "javascript:x"],
        "max_pages": 0,
        "depth": 2,
    }
    answer = owner.call("POST", "/scans", body)
    assert answer.status_code == 422
    error = answer.json["error"]
    assert [f["field"] for f in error["fields"]] == ["depth", "urls[0]", "urls[2]", "max_pages"]
    assert error["field"] == "depth"
    assert owner.ok("GET", "/scans")["items"] == []
