"""The audit web UI through the test client: sign-in, search, replay, timeline, export, verify."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from consent import banner, create_app
from consent.admin.ui import ADMIN_CSP
from consent.core.notes import open_checkpoint, parse_verifier_key
from consent.extensions import db
from consent.offline.verify import verify_export
from consent.service import PAGE_CSP
from tests.conftest import base_config
from tests.helpers import Visitor
from tests.http.auditing import (
    PASSWORD,
    Auditor,
    Page,
    make_token,
    make_user,
    publish_texts,
)
from tests.http.test_banner_builds import served_build, swapped_bundle
from tests.http.test_ledger import run_sql

AUDITOR = "auditor@example.com"
OWNER = "owner@example.com"
MARKUP = '<img src=x onerror="alert(1)"> <b>Bold</b> & "quoted"'
#: The one script of every audit page: timestamps in the viewer's time zone.
LOCAL_TIME = "/static/shared/local-time.js"


def signed_in(app: Flask, site: str, email: str = AUDITOR, role: str = "auditor") -> FlaskClient:
    """A fresh client signed in as a member of the site."""
    make_user(app, site, email, role)
    client = app.test_client()
    answer = client.post("/audit/login", data={"email": email, "password": PASSWORD})
    assert answer.status_code == 302
    return client


@pytest.fixture
def ui(app: Flask, site: str) -> FlaskClient:
    """A client signed in as the site's auditor."""
    return signed_in(app, site)


def test_search_lists_receipts_newest_first(
    client: FlaskClient, ui: FlaskClient, site: str
) -> None:
    visitor = Visitor(client, site)
    receipts = [
        visitor.choose("accept_all"),
        visitor.choose("custom", categories={"targeting": True}),
        visitor.choose("withdraw"),
    ]
    page = Page.of(ui.get(f"/audit/sites/{site}/"))
    rows = page.rows()
    assert [row[0] for row in rows] == ["3", "2", "1"]
    assert [row[3] for row in rows] == ["withdraw", "custom", "accept_all"]
    assert rows[2][4:8] == ["on", "on", "on", "on"]
    links = {a.attrs["href"] for a in page.find("a")}
    assert f"/audit/sites/{site}/receipts/{receipts[0]['receipt_id']}" in links
    assert page.find("caption")


def test_search_filters_and_pages(client: FlaskClient, ui: FlaskClient, site: str) -> None:
    visitor = Visitor(client, site)
    for action in ("accept_all", "custom", "custom", "reject_all", "custom"):
        visitor.choose(action, categories={"social": True} if action == "custom" else None)
    url = f"/audit/sites/{site}/"
    page = Page.of(ui.get(url, query_string={"action": "custom", "limit": "2"}))
    assert [row[0] for row in page.rows()] == ["5", "3"]
    assert page.find("option", value="custom", selected="")  # the form keeps the filter
    (older,) = page.find("a", rel="next")
    assert "action=custom" in older.attrs["href"]
    second = Page.of(ui.get(older.attrs["href"]))
    assert [row[0] for row in second.rows()] == ["2"]
    assert not second.find("a", rel="next")
    refused = Page.of(ui.get(url, query_string={"category": "social", "granted": "false"}))
    assert [row[0] for row in refused.rows()] == ["4"]


def test_bad_filter_shows_the_error_with_422(ui: FlaskClient, site: str) -> None:
    response = ui.get(f"/audit/sites/{site}/", query_string={"from": "last tuesday"})
    assert response.status_code == 422
    page = Page.of(response)
    assert "1 filter" in page.text("div", role="alert")
    assert page.find("input", name="from", aria_invalid="true")
    assert "ISO 8601" in page.text("p", data_field_error="from")


def replay_frames(page: Page) -> dict[str, tuple[list[str], dict[str, Any]]]:
    """Each replay frame of a receipt page: its scripts, and what its boot script reads."""
    frames = {}
    for frame in page.find("iframe"):
        assert frame.attrs["sandbox"] == "allow-scripts"
        inner = Page()
        inner.feed(frame.attrs["srcdoc"])
        (root,) = inner.find("html")
        replay = json.loads(root.attrs["data-consent-replay"])
        assert root.attrs["lang"] == replay["config"]["language"]
        scripts = [e.attrs.get("src", "") for e in inner.find("script")]
        frames[frame.attrs["data-replay-frame"]] = (scripts, replay)
    return frames


def two_builds(app: Flask, site: str, db_url: str, tmp_path: Path) -> tuple[dict[str, Any], str]:
    """A receipt recorded under an older build (another bundle, on the same database), and
    the build the app serves now."""
    older = create_app({**base_config(db_url), "CONSENT_BANNER_DIR": str(swapped_bundle(tmp_path))})
    old_client = older.test_client()
    old_build = served_build(old_client, site)
    receipt = Visitor(old_client, site).choose(
        "custom", build=old_build, categories={"performance": True}
    )
    with older.app_context():
        db.engine.dispose()
    with app.app_context():
        current = banner.current().build
    assert receipt["banner_build"] == old_build != current
    return receipt, current


def test_receipt_page_replays_the_receipts_own_build(
    app: Flask, ui: FlaskClient, site: str, db_url: str, tmp_path: Path
) -> None:
    publish_texts(app, site, title=MARKUP, description="Line one.\nLine two.")
    receipt, current = two_builds(app, site, db_url, tmp_path)
    build = receipt["banner_build"]
    response = ui.get(f"/audit/sites/{site}/receipts/{receipt['receipt_id']}")
    assert response.status_code == 200
    # The frames inherit the page's CSP: it lets them connect nowhere, so nothing is recorded.
    assert response.headers["Content-Security-Policy"] == ADMIN_CSP
    assert "connect-src 'none'" in ADMIN_CSP
    page = Page.of(response)
    frames = replay_frames(page)
    assert set(frames) == {"first", "preferences"}
    for scripts, replay in frames.values():
        # The receipt's own build, not today's, run on its version's texts in its language.
        assert scripts == ["/static/audit/replay-frame.js", f"/embed/builds/{build}/run.js"]
        config = replay["config"]
        assert config["build"] == build and config["preview"] is True
        assert config["translations"]["en"]["title"] == MARKUP
        assert config["texts"]["description"] == "Line one.\nLine two."
        assert (config["policy_version"], config["policy_hash"], config["language"]) == (
            receipt["policy_version"],
            receipt["policy_hash"],
            "en",
        )
        assert replay["signals"] == {"gpc": False, "dnt": False}
    assert "categories" not in frames["first"][1]
    assert frames["preferences"][1]["categories"] == receipt["categories"]
    assert ui.get(frames["first"][0][1]).status_code == 200
    # The build's code is linked, with when it was first served; no fallback notice.
    (link,) = page.find("a", data_build_code="")
    assert link.attrs["href"] == f"/embed/builds/{build}.js" and current not in link.attrs["href"]
    listed = dict((i["build"], i["first_served_at"]) for i in ui.get("/embed/builds").json["items"])
    assert page.find("time", datetime=listed[build])
    assert page.text("code", data_replay_build="") == build
    assert not page.find("p", data_replay_notice="")
    # What was chosen, in plain text beside the frames; owner markup never becomes elements.
    assert page.text("dd", data_recorded="action") == "custom"
    assert page.text("dd", data_recorded="button") == "“Save choices”"
    assert not page.find("img") and not page.find("b")
    assert [e.attrs.get("src") for e in page.find("script")] == [LOCAL_TIME]  # ours alone
    hashes = [e.text for e in page.find("code")]
    assert receipt["hash"] in hashes and receipt["prev_hash"] in hashes
    assert receipt["policy_hash"] in hashes


def test_receipt_without_a_build_is_replayed_with_todays_and_says_so(
    app: Flask, client: FlaskClient, ui: FlaskClient, site: str
) -> None:
    receipt = Visitor(client, site).choose("reject_all", language="nl", headers={"Sec-GPC": "1"})
    assert "banner_build" not in receipt
    with app.app_context():
        current = banner.current().build
    page = Page.of(ui.get(f"/audit/sites/{site}/receipts/{receipt['receipt_id']}"))
    notice = page.text("p", data_replay_notice="")
    assert notice == "This receipt predates build recording; shown with today's banner code."
    (link,) = page.find("a", data_build_code="")
    assert link.attrs["href"] == f"/embed/builds/{current}.js"
    frames = replay_frames(page)
    for scripts, replay in frames.values():
        assert scripts[1] == f"/embed/builds/{current}/run.js"
        # The receipt's language and the visitor's signals, not the auditor's.
        assert replay["config"]["language"] == "nl" and replay["config"]["build"] == current
        assert replay["config"]["texts"]["title"] == "Uw privacykeuzes"
        assert replay["signals"] == {"gpc": True, "dnt": False}
    assert frames["preferences"][1]["categories"] == receipt["categories"]
    assert page.text("dd", data_recorded="button") == "“Alles weigeren”"


def test_kantara_download(client: FlaskClient, ui: FlaskClient, site: str) -> None:
    receipt = Visitor(client, site).choose("accept_all")
    response = ui.get(f"/audit/sites/{site}/receipts/{receipt['receipt_id']}/kantara.json")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    assert json.loads(response.data)["consentReceiptID"] == receipt["receipt_id"]


def test_unknown_receipt_and_subject_are_404(ui: FlaskClient, site: str) -> None:
    assert ui.get(f"/audit/sites/{site}/receipts/nope").status_code == 404
    html = {"Accept": "text/html"}
    answer = ui.get(f"/audit/sites/{site}/subjects/nobody", headers=html)
    assert answer.status_code == 404
    # A page in words, styled as the area, with a way back to one's sites.
    page = Page.of(answer)
    assert page.text("h1") == "Not found"
    assert page.text("p", data_error_message="") == "Unknown subject."
    assert page.find("a", href="/audit/")
    assert page.find("link", rel="stylesheet")
    # A refused parameter is named.
    answer = ui.get(f"/audit/sites/{site}/export?format=xml", headers=html)
    assert answer.status_code == 422
    assert Page.of(answer).text("p", data_error_message="").startswith("Format: must be")


def test_subject_timeline_and_erasure_by_an_owner(
    app: Flask, client: FlaskClient, ui: FlaskClient, site: str
) -> None:
    visitor = Visitor(client, site)
    first = visitor.choose("accept_all")
    visitor.choose("withdraw")
    url = f"/audit/sites/{site}/subjects/{first['subject_id']}"
    page = Page.of(ui.get(url))
    assert len(page.find("li", **{"class": "event"})) == 2
    assert not page.find("button", **{"class": "danger"})  # auditors cannot erase
    assert ui.post(f"{url}/erasure").status_code == 403
    owner = signed_in(app, site, OWNER, "owner")
    unconfirmed = owner.post(f"{url}/erasure")  # one click without the box ticked
    assert unconfirmed.status_code == 302
    assert "Nothing was erased" in Page.of(owner.get(url)).text("div", role="status")
    auditor = Auditor(client, site, make_token(app, site))
    assert all(i["context"] for i in auditor.json(f"subjects/{first['subject_id']}")["items"])
    done = owner.post(f"{url}/erasure", data={"confirm": "yes"})
    assert done.status_code == 302 and done.headers["Location"] == url
    after = Page.of(owner.get(url))
    assert "2 receipts" in after.text("div", role="status")
    (erased,) = after.find("li", **{"class": "event erasure"})
    assert f"user:{OWNER}" in erased.text
    history = auditor.json(f"subjects/{first['subject_id']}")
    assert [item["context"] for item in history["items"]] == [None, None]


def test_export_buttons_download_what_the_api_exports(
    app: Flask, client: FlaskClient, ui: FlaskClient, site: str
) -> None:
    visitor = Visitor(client, site)
    for action in ("accept_all", "custom", "reject_all"):
        visitor.choose(action, categories={"social": True} if action == "custom" else None)
    page = Page.of(ui.get(f"/audit/sites/{site}/", query_string={"action": "custom"}))
    links = {
        " ".join(a.text.split()): a.attrs["href"] for a in page.find("a", **{"class": "button"})
    }
    api = Auditor(client, site, make_token(app, site))
    for label, form in (("Download CSV", "csv"), ("Download NDJSON", "ndjson")):
        download = ui.get(links[label])
        assert (
            download.status_code == 200 and "attachment" in download.headers["Content-Disposition"]
        )
        assert download.data == api.get("export", format=form, action="custom").data
    rows = list(csv.DictReader(io.StringIO(ui.get(links["Download CSV"]).data.decode("utf-8-sig"))))
    assert [row["action"] for row in rows] == ["custom"]


def test_verify_button_shows_the_result(
    app: Flask, client: FlaskClient, ui: FlaskClient, site: str
) -> None:
    visitor = Visitor(client, site)
    for _ in range(3):
        visitor.choose("accept_all")
    url = f"/audit/sites/{site}/verify"
    assert not Page.of(ui.get(url)).find("div", role="status")
    ok = Page.of(ui.post(url))
    assert ok.find("div", data_verify_result="ok")
    run_sql(app, "UPDATE receipts SET action = 'reject_all' WHERE seq = 2")
    broken = Page.of(ui.post(url))
    (result,) = broken.find("div", data_verify_result="broken")
    assert "hash mismatch" in result.text and "2" in result.text


def _filename(response: Any) -> str:
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment; filename=")
    return disposition.split("filename=")[1].strip('"')


def test_verify_page_shows_the_checkpoint_to_download_and_prove_an_export_with(
    app: Flask, client: FlaskClient, ui: FlaskClient, site: str
) -> None:
    visitor = Visitor(client, site)
    for _ in range(3):
        visitor.choose("accept_all")
    page = Page.of(ui.get(f"/audit/sites/{site}/verify"))
    assert page.text("dd", data_checkpoint_size="") == "3"
    vkey = page.text("code", data_vkey="")
    assert vkey == client.get("/log/key").get_data(as_text=True).splitlines()[0]
    (note,) = page.find("pre", data_checkpoint_note="")
    assert note.text == client.get(f"/log/{site}/checkpoint").get_data(as_text=True)
    links = {
        " ".join(a.text.split()): a.attrs["href"] for a in page.find("a", **{"class": "button"})
    }
    visitor.choose("reject_all")  # recorded after the page: the download still pairs with it

    download = ui.get(links["Download checkpoint"])
    assert download.status_code == 200
    assert download.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert _filename(download) == f"{site}-checkpoint-3.txt"
    verifier = parse_verifier_key(vkey)
    signed = open_checkpoint(download.data, [verifier], origin=f"consent.test/log/{site}")
    assert signed.size == 3 and download.data.decode() == note.text

    export = ui.get(links["Download NDJSON export"])
    assert _filename(export) == f"receipts-{site}.ndjson"
    result = verify_export(export.data.splitlines(), download.data, [verifier])
    assert result.ok and result.receipts == 4 and result.checkpoint == signed
    command = page.text("pre", data_verify_command="")
    assert command == (
        f".venv/bin/consent verify-export receipts-{site}.ndjson --checkpoint {site}-checkpoint-3.txt "
        f"--key '{vkey}'"
    )
    api = Auditor(client, site, make_token(app, site))
    reads = [(e["path"], e["query"]) for e in api.json("access-log")["items"]]
    assert (f"/audit/sites/{site}/checkpoint", "tree_size=3") in reads


@pytest.mark.parametrize("size", ["2", "-1", "x", "9" * 20])
def test_checkpoint_download_refuses_sizes_the_log_does_not_have(
    client: FlaskClient, ui: FlaskClient, site: str, size: str
) -> None:
    Visitor(client, site).choose("accept_all")
    answer = ui.get(f"/audit/sites/{site}/checkpoint", query_string={"tree_size": size})
    assert answer.status_code == 422
    assert ui.get(f"/audit/sites/{site}/checkpoint").status_code == 200


def test_stats_page_draws_svg_charts_with_tables(
    client: FlaskClient, ui: FlaskClient, site: str
) -> None:
    visitor = Visitor(client, site)
    for action in ("accept_all", "reject_all", "custom", "withdraw"):
        visitor.choose(action, categories={"performance": True} if action == "custom" else None)
    response = ui.get(f"/audit/sites/{site}/stats")
    assert response.status_code == 200
    page = Page.of(response)
    charts = page.find("svg", role="img")
    assert len(charts) == 2
    assert all(page.find("title", id=chart.attrs["aria-labelledby"].split()[0]) for chart in charts)
    assert len(page.find("rect")) == 4  # one bar segment per action today
    assert len(page.find("circle")) == 4  # one point per optional category today
    assert [e.attrs.get("src") for e in page.find("script")] == [LOCAL_TIME]  # no chart script
    bad = ui.get(f"/audit/sites/{site}/stats", query_string={"bucket": "year"})
    assert bad.status_code == 422


def test_policy_pages_show_texts_as_text(app: Flask, ui: FlaskClient, site: str) -> None:
    publish_texts(app, site, title=MARKUP)
    listing = Page.of(ui.get(f"/audit/sites/{site}/policies/"))
    assert [row[0] for row in listing.rows()] == ["Version 1", "Version 2"]
    detail = ui.get(f"/audit/sites/{site}/policies/2")
    page = Page.of(detail)
    assert " ".join(MARKUP.split()) in [" ".join(dd.text.split()) for dd in page.find("dd")]
    assert not page.find("img")
    assert ui.get(f"/audit/sites/{site}/policies/9").status_code == 404


def test_access_log_page_lists_ui_reads(app: Flask, ui: FlaskClient, site: str) -> None:
    ui.get(f"/audit/sites/{site}/", query_string={"action": "custom", "csrf_token": "x"})
    page = Page.of(ui.get(f"/audit/sites/{site}/access-log"))
    rows = page.rows()
    assert rows[0][1:5] == [f"user:{AUDITOR}", "auditor", "GET", f"/audit/sites/{site}/access-log"]
    assert rows[1][5] == "action=custom"


SITE_PAGES = (
    "",
    "stats",
    "policies/",
    "policies/1",
    "access-log",
    "verify",
)


@pytest.mark.parametrize("path", (*SITE_PAGES, "checkpoint"))
def test_pages_need_sign_in(client: FlaskClient, site: str, path: str) -> None:
    answer = client.get(f"/audit/sites/{site}/{path}")
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/audit/login?next=")


@pytest.mark.parametrize("path", ("/audit/login", "/audit/", *(f"site:{p}" for p in SITE_PAGES)))
def test_pages_are_strict_csp_clean(
    client: FlaskClient, ui: FlaskClient, site: str, path: str
) -> None:
    Visitor(client, site).choose("accept_all")
    url = f"/audit/sites/{site}/{path[5:]}" if path.startswith("site:") else path
    response = (client if path == "/audit/login" else ui).get(url)
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert csp == PAGE_CSP and "unsafe-inline" not in csp
    assert response.headers["Cache-Control"] == "no-store"
    page = Page.of(response)
    assert not page.find("style")
    assert all("src" in e.attrs for e in page.find("script"))
    inline = [
        e for e in page.elements if "style" in e.attrs or any(a.startswith("on") for a in e.attrs)
    ]
    assert inline == []
    assert page.find("html", lang="en") and page.find("main") and page.find("h1")
    for field in page.find("input") + page.find("select"):
        if field.attrs.get("type") != "hidden":
            assert page.find("label", **{"for": field.attrs["id"]}), field.attrs
