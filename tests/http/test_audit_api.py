"""The auditor API: filters, keyset pages, detail, history, export, verify, stats, access log."""

from __future__ import annotations

import csv
import io
import json
import threading
from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from consent.core.chain import receipt_hash
from consent.extensions import db
from consent.ledger.exports import CSV_COLUMNS, csv_row
from consent.models import AccessLogEntry
from consent.sites.owner import create_site
from tests.conftest import ORIGIN, VENDORS
from tests.helpers import Visitor
from tests.http.auditing import (
    READ_PATHS,
    Auditor,
    make_token,
    publish_texts,
    record_dated,
)
from tests.http.test_ledger import run_sql

Receipt = dict[str, Any]

#: (visitor, day, action, categories, headers); version 2 is published after the fourth.
PLAN_V1 = [
    ("a", "2025-01-01", "accept_all", None, None),
    ("b", "2025-01-01", "reject_all", None, None),
    ("a", "2025-01-02", "custom", {"performance": True}, None),
    ("c", "2025-01-03", "custom", {"targeting": True, "social": True}, {"Sec-GPC": "1"}),
]
PLAN_V2 = [
    ("b", "2025-01-05", "accept_all", None, {"DNT": "1"}),
    ("a", "2025-01-06", "withdraw", None, None),
    ("d", "2025-01-08", "custom", {"functionality": True}, None),
]


@pytest.fixture
def auditor(app: Flask, client: FlaskClient, site: str) -> Auditor:
    """An auditor's API client for the site."""
    return Auditor(client, site, make_token(app, site))


@pytest.fixture
def ledger(
    app: Flask, client: FlaskClient, site: str, monkeypatch: pytest.MonkeyPatch
) -> list[Receipt]:
    """Seven receipts of four visitors over eight days, under policy versions 1 and 2."""
    receipts = record_dated(client, site, monkeypatch, PLAN_V1)
    publish_texts(app, site, title="Version two")
    return receipts + record_dated(client, site, monkeypatch, PLAN_V2)


def seqs(items: list[Receipt]) -> list[int]:
    return [item["seq"] for item in items]


Rule = Callable[[Receipt, list[Receipt]], bool]

FILTERS: list[tuple[str, Callable[[list[Receipt]], dict[str, str]], Rule]] = [
    (
        "subject",
        lambda rs: {"subject": rs[0]["subject_id"]},
        lambda r, rs: r["subject_id"] == rs[0]["subject_id"],
    ),
    ("from", lambda rs: {"from": "2025-01-02"}, lambda r, rs: r["created_at"] >= "2025-01-02"),
    ("to", lambda rs: {"to": "2025-01-03"}, lambda r, rs: r["created_at"] < "2025-01-03"),
    ("from-inclusive", lambda rs: {"from": rs[2]["created_at"]}, lambda r, rs: r["seq"] >= 3),
    ("to-exclusive", lambda rs: {"to": rs[2]["created_at"]}, lambda r, rs: r["seq"] < 3),
    (
        "period",
        lambda rs: {"from": "2025-01-02", "to": "2025-01-06T00:00:00Z"},
        lambda r, rs: "2025-01-02" <= r["created_at"] < "2025-01-06",
    ),
    (
        "offset",
        lambda rs: {"from": "2025-01-05T11:00:00+02:00"},
        lambda r, rs: r["created_at"] >= "2025-01-05T09",
    ),
    ("policy_version", lambda rs: {"policy_version": "2"}, lambda r, rs: r["policy_version"] == 2),
    ("action", lambda rs: {"action": "custom"}, lambda r, rs: r["action"] == "custom"),
    ("withdraw", lambda rs: {"action": "withdraw"}, lambda r, rs: r["action"] == "withdraw"),
    (
        "granted",
        lambda rs: {"category": "performance", "granted": "true"},
        lambda r, rs: r["categories"]["performance"],
    ),
    (
        "refused",
        lambda rs: {"category": "social", "granted": "false"},
        lambda r, rs: not r["categories"]["social"],
    ),
    ("category", lambda rs: {"category": "targeting"}, lambda r, rs: r["categories"]["targeting"]),
    (
        "combined",
        lambda rs: {"action": "custom", "from": "2025-01-03", "category": "functionality"},
        lambda r, rs: (
            r["action"] == "custom"
            and r["created_at"] >= "2025-01-03"
            and r["categories"]["functionality"]
        ),
    ),
]


@pytest.mark.parametrize(("params", "rule"), [f[1:] for f in FILTERS], ids=[f[0] for f in FILTERS])
def test_filters(
    auditor: Auditor, ledger: list[Receipt], params: Callable[..., Any], rule: Rule
) -> None:
    expected = [r for r in reversed(ledger) if rule(r, ledger)]
    assert expected, "every filter of the table matches something"
    assert auditor.all_receipts(**params(ledger)) == expected
    assert auditor.all_receipts(**params(ledger), limit=1) == expected


def test_list_is_newest_first_and_shows_receipts_as_recorded(
    auditor: Auditor, ledger: list[Receipt]
) -> None:
    page = auditor.json("receipts")
    assert page == {"items": list(reversed(ledger)), "next_cursor": None}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "1001"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"limit": "-1"}, "limit"),
        ({"from": "yesterday"}, "from"),
        ({"to": "2025-13-01"}, "to"),
        ({"from": "2025-01-02", "to": "2025-01-01"}, "to"),
        ({"policy_version": "v1"}, "policy_version"),
        ({"policy_version": "0"}, "policy_version"),
        ({"action": "accept"}, "action"),
        ({"category": "marketing"}, "category"),
        ({"category": "social", "granted": "yes"}, "granted"),
        ({"granted": "true"}, "category"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "%%%"}, "cursor"),
        ({"subject": "s" * 65}, "subject"),
        ({"subject": "a\x00b"}, "subject"),
    ],
)
def test_bad_filter_values_are_422_naming_the_parameter(
    auditor: Auditor, params: dict[str, str], field: str
) -> None:
    response = auditor.get("receipts", **params)
    assert response.status_code == 422
    assert response.json["error"]["code"] == "invalid_field"
    assert response.json["error"]["field"] == field


def test_limit_defaults_to_100_and_allows_1000(
    app: Flask, client: FlaskClient, site: str, auditor: Auditor
) -> None:
    seeded = app.test_cli_runner().invoke(args=["seed-receipts", "--site", site, "--count", "1005"])
    assert seeded.exit_code == 0, seeded.output
    first = auditor.json("receipts")
    assert len(first["items"]) == 100 and first["next_cursor"]
    full = auditor.json("receipts", limit=1000)
    assert seqs(full["items"]) == list(range(1005, 5, -1))
    rest = auditor.json("receipts", limit=1000, cursor=full["next_cursor"])
    assert seqs(rest["items"]) == [5, 4, 3, 2, 1] and rest["next_cursor"] is None


@pytest.mark.parametrize("limit", [1, 1000])
def test_wide_and_narrow_periods_give_the_same_rows(
    client: FlaskClient, site: str, auditor: Auditor, limit: int
) -> None:
    # On SQLite a wide period is walked down the seq index, a narrow one read by time.
    visitor = Visitor(client, site)
    receipts = [visitor.choose("accept_all") for _ in range(25)]
    wide = auditor.all_receipts(limit=limit, **{"from": "2000-01-01", "to": "2999-01-01"})
    assert wide == list(reversed(receipts))
    narrow = auditor.all_receipts(limit=limit, **{"from": receipts[20]["created_at"]})
    assert seqs(narrow) == [
        s for s in range(25, 0, -1) if receipts[s - 1]["created_at"] >= receipts[20]["created_at"]
    ]


def test_pages_neither_skip_nor_repeat_when_receipts_are_appended_between_them(
    client: FlaskClient, site: str, auditor: Auditor
) -> None:
    visitor = Visitor(client, site)
    for _ in range(7):
        visitor.choose("accept_all")
    seen: list[int] = []
    page = auditor.json("receipts", limit=3)
    while True:
        seen += seqs(page["items"])
        Visitor(client, site).choose("reject_all")  # a newer receipt lands meanwhile
        if page["next_cursor"] is None:
            break
        page = auditor.json("receipts", limit=3, cursor=page["next_cursor"])
    assert seen == [7, 6, 5, 4, 3, 2, 1]


def test_pages_stay_stable_under_concurrent_appends(
    app: Flask, client: FlaskClient, site: str, auditor: Auditor
) -> None:
    visitor = Visitor(client, site)
    for _ in range(20):
        visitor.choose("accept_all")
    stop, errors = threading.Event(), []

    def append() -> None:
        other = Visitor(app.test_client(), site)
        body = other.consent_body("reject_all")
        try:
            while not stop.is_set():
                assert other.post(body).status_code == 201
        except BaseException as error:  # reported below
            errors.append(error)

    writer = threading.Thread(target=append)
    writer.start()
    try:
        first = auditor.json("receipts", limit=4)
        top = first["items"][0]["seq"]
        seen, cursor = seqs(first["items"]), first["next_cursor"]
        while cursor:
            page = auditor.json("receipts", limit=4, cursor=cursor)
            seen, cursor = seen + seqs(page["items"]), page["next_cursor"]
    finally:
        stop.set()
        writer.join()
    assert errors == []
    assert seen == list(range(top, 0, -1))


def test_receipt_detail_has_the_policy_it_references(
    auditor: Auditor, ledger: list[Receipt]
) -> None:
    for receipt in (ledger[0], ledger[-1]):
        detail = auditor.json(f"receipts/{receipt['receipt_id']}")
        assert detail["receipt"] == receipt
        version = receipt["policy_version"]
        assert detail["policy"] == auditor.json(f"policies/{version}")
        assert detail["policy"]["policy_hash"] == receipt["policy_hash"]
    assert (
        auditor.json(f"receipts/{ledger[-1]['receipt_id']}")["policy"]["texts"]["en"]["title"]
        == "Version two"
    )


def test_unknown_or_foreign_receipt_is_404(
    app: Flask, client: FlaskClient, auditor: Auditor, ledger: list[Receipt]
) -> None:
    with app.app_context():
        other = create_site(name="O", origins=[ORIGIN], vendors=VENDORS, privacy_url=f"{ORIGIN}/p")
        db.session.commit()
        other_key = other.site_key
    foreign = Visitor(client, other_key).choose("accept_all")
    for receipt_id in (foreign["receipt_id"], "nope", "x" * 200, "%00"):
        response = auditor.get(f"receipts/{receipt_id}")
        assert response.status_code == 404
        assert response.json["error"]["code"] == "not_found"
    assert auditor.get(f"receipts/{ledger[0]['receipt_id']}", format="xml").status_code == 422


def test_kantara_receipt(auditor: Auditor, ledger: list[Receipt]) -> None:
    receipt = ledger[2]  # custom: performance on
    doc = auditor.json(f"receipts/{receipt['receipt_id']}", format="kantara")
    required = {
        "version", "jurisdiction", "consentTimestamp", "collectionMethod", "consentReceiptID",
        "language", "piiPrincipalId", "piiControllers", "policyUrl", "services", "sensitive",
        "spiCat",
    }  # fmt: skip
    assert required <= set(doc)
    assert doc["version"] == "KI-CR-v1.1.0"
    assert doc["consentReceiptID"] == receipt["receipt_id"]
    assert doc["piiPrincipalId"] == receipt["subject_id"]
    assert doc["consentTimestamp"] == 1735812002  # 2025-01-02T10:00:02Z
    assert doc["policyUrl"] == f"{ORIGIN}/privacy"
    controller = doc["piiControllers"][0]
    assert {"piiController", "contact", "address", "email", "phone"} <= set(controller)
    (service,) = doc["services"]
    purposes = service["purposes"]
    assert len(purposes) == 2  # necessary and performance: refused ones are not consents
    for purpose in purposes:
        assert {
            "purpose", "purposeCategory", "consentType", "piiCategory", "primaryPurpose",
            "termination", "thirdPartyDisclosure",
        } <= set(purpose)  # fmt: skip
    assert "Google Analytics" in purposes[1]["thirdPartyName"]


def test_subject_history_is_oldest_first_like_the_visitors_own(
    client: FlaskClient, site: str, auditor: Auditor
) -> None:
    visitor = Visitor(client, site)
    mine = [visitor.choose("accept_all"), visitor.choose("withdraw")]
    Visitor(client, site).choose("reject_all")
    subject = mine[0]["subject_id"]
    history = auditor.json(f"subjects/{subject}")
    assert history == {"subject_id": subject, "items": mine, "erasures": []}
    own = client.get(f"/api/v1/sites/{site}/me", query_string={"token": visitor.token}).json
    # /me adds each receipt's inclusion proof; the receipts themselves are the same.
    assert [{k: v for k, v in r.items() if k != "proof"} for r in own["items"]] == mine
    assert auditor.get("subjects/nobody").status_code == 404
    assert auditor.get("subjects/%00").status_code == 404  # PostgreSQL refuses NUL in text


def test_erasure_is_recorded_idempotent_and_keeps_the_chain(
    app: Flask, client: FlaskClient, site: str, auditor: Auditor
) -> None:
    visitor = Visitor(client, site)
    visitor.choose("accept_all")
    subject = visitor.choose("custom", categories={"social": True})["subject_id"]
    bystander = Visitor(client, site).choose("reject_all")
    owner = {"Authorization": f"Bearer {make_token(app, site, 'owner')}"}
    url = f"/api/v1/admin/sites/{site}/subjects/{subject}/erasure"
    first = client.post(url, headers=owner)
    assert first.status_code == 201
    assert set(first.json) == {"subject_id", "erased_at", "receipts"}
    assert first.json["subject_id"] == subject and first.json["receipts"] == 2
    assert first.json["erased_at"].endswith("Z")
    again = client.post(url, headers=owner)
    assert (again.status_code, again.json) == (201, first.json)
    history = auditor.json(f"subjects/{subject}")
    assert [item["context"] for item in history["items"]] == [None, None]
    assert [e["erased_at"] for e in history["erasures"]] == [first.json["erased_at"]]
    assert history["erasures"][0]["requested_by"].startswith("token:")
    assert auditor.json(f"receipts/{bystander['receipt_id']}")["receipt"]["context"] is not None
    assert auditor.json("verify")["ok"] is True
    visitor.choose("reject_all")  # the same visitor comes back: a new context to erase
    third = client.post(url, headers=owner)
    assert third.status_code == 201 and third.json["receipts"] == 3
    assert len(auditor.json(f"subjects/{subject}")["erasures"]) == 2
    missing = client.post(f"/api/v1/admin/sites/{site}/subjects/nobody/erasure", headers=owner)
    assert missing.status_code == 404


def test_ndjson_export_is_the_api_in_ascending_seq(auditor: Auditor, ledger: list[Receipt]) -> None:
    response = auditor.get("export", format="ndjson")
    assert response.status_code == 200 and response.is_streamed
    assert response.mimetype == "application/x-ndjson"
    assert "attachment" in response.headers["Content-Disposition"]
    lines = response.get_data(as_text=True).splitlines()
    assert [json.loads(line) for line in lines] == list(reversed(auditor.all_receipts()))
    assert [json.loads(line) for line in lines] == ledger
    period = auditor.get("export", format="ndjson", **{"from": "2025-01-02", "to": "2025-01-06"})
    parsed = [json.loads(line) for line in period.get_data(as_text=True).splitlines()]
    assert seqs(parsed) == [3, 4, 5]


def test_csv_export_parses_back_to_the_api(
    client: FlaskClient, site: str, auditor: Auditor, ledger: list[Receipt]
) -> None:
    response = auditor.get("export", format="csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    text = response.get_data().decode("utf-8-sig")  # a BOM, so spreadsheets read UTF-8
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert rows[1:] == [csv_row(receipt) for receipt in ledger]
    by_column = [dict(zip(CSV_COLUMNS, row, strict=True)) for row in rows[1:]]
    assert [int(row["seq"]) for row in by_column] == seqs(ledger)
    assert [row["categories.performance"] for row in by_column] == [
        str(r["categories"]["performance"]).lower() for r in ledger
    ]
    assert [row["hash"] for row in by_column] == [r["hash"] for r in ledger]


@pytest.mark.parametrize("agent", ['=HYPERLINK("https://x")', "+1+1", "-2+3", "@SUM(A1)"])
def test_csv_export_neutralises_formulas(
    client: FlaskClient, site: str, auditor: Auditor, agent: str
) -> None:
    Visitor(client, site).choose("accept_all", headers={"User-Agent": agent})
    text = auditor.get("export", format="csv").get_data().decode("utf-8-sig")
    (row,) = list(csv.DictReader(io.StringIO(text)))
    assert row["context.user_agent"] == "'" + agent


HOSTILE_AGENTS = [
    '=cmd|" /C calc"!A0',
    'Mozilla/5.0 (KHTML, like "Gecko")',
    "é\u2028😀\\;x",
    "-1,\t+2",
]


def test_exports_of_hostile_and_erased_values_are_the_receipts_exactly(
    app: Flask, client: FlaskClient, site: str, auditor: Auditor
) -> None:
    # The exports build lines from stored text: each NDJSON line must be the receipt
    # endpoint's object in compact JSON, byte for byte, and each CSV row its csv_row.
    for agent in HOSTILE_AGENTS:
        Visitor(client, site).choose(
            "custom", headers={"User-Agent": agent}, categories={"performance": True}
        )
    erased = Visitor(client, site).choose("accept_all")["subject_id"]
    owner = {"Authorization": f"Bearer {make_token(app, site, 'owner')}"}
    erasure = client.post(f"/api/v1/admin/sites/{site}/subjects/{erased}/erasure", headers=owner)
    assert erasure.status_code == 201
    shown = [
        auditor.json(f"receipts/{item['receipt_id']}")["receipt"]
        for item in reversed(auditor.all_receipts())
    ]
    assert [r["context"]["user_agent"] for r in shown[:-1]] == HOSTILE_AGENTS
    assert shown[-1]["context"] is None
    ndjson = auditor.get("export", format="ndjson").get_data(as_text=True)
    compact = [json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in shown]
    assert ndjson == "".join(line + "\n" for line in compact)
    text = auditor.get("export", format="csv").get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[1:] == [csv_row(receipt) for receipt in shown]
    agents = [row[CSV_COLUMNS.index("context.user_agent")] for row in rows[1:]]
    assert agents == ["'" + HOSTILE_AGENTS[0], HOSTILE_AGENTS[1], HOSTILE_AGENTS[2], "'-1,\t+2", ""]


def test_export_format_is_checked(auditor: Auditor) -> None:
    response = auditor.get("export", format="xlsx")
    assert response.status_code == 422 and response.json["error"]["field"] == "format"


def test_verify_intact_and_empty(client: FlaskClient, site: str, auditor: Auditor) -> None:
    assert auditor.json("verify") == {"ok": True, "receipts": 0, "head": None}
    receipts = [Visitor(client, site).choose("accept_all") for _ in range(3)]
    assert auditor.json("verify") == {"ok": True, "receipts": 3, "head": receipts[-1]["hash"]}


def _swap(app: Flask) -> None:
    run_sql(app, "UPDATE receipts SET seq = 1000 WHERE seq = 2")
    run_sql(app, "UPDATE receipts SET seq = 2 WHERE seq = 3")
    run_sql(app, "UPDATE receipts SET seq = 3 WHERE seq = 1000")


def _relink(app: Flask, receipts: list[Receipt]) -> None:
    forged = {**receipts[2], "prev_hash": "f" * 64}
    run_sql(
        app,
        "UPDATE receipts SET prev_hash = :p, hash = :h WHERE seq = 3",
        p=forged["prev_hash"],
        h=receipt_hash(forged),
    )


CORRUPTIONS: dict[str, tuple[Callable[[Flask, list[Receipt]], None], int, str]] = {
    "altered byte": (
        lambda app, rs: run_sql(app, "UPDATE receipts SET action = 'accept_all' WHERE seq = 2"),
        2,
        "hash_mismatch",
    ),
    "deleted row": (
        lambda app, rs: (
            run_sql(
                app,
                "DELETE FROM receipt_contexts WHERE receipt_pk IN "
                "(SELECT id FROM receipts WHERE seq = 3)",
            ),
            run_sql(app, "DELETE FROM receipts WHERE seq = 3"),
        ),
        3,
        "gap",
    ),
    "swapped rows": (lambda app, rs: _swap(app), 2, "hash_mismatch"),
    "forged link": (_relink, 3, "broken_link"),
}


@pytest.mark.parametrize("corruption", list(CORRUPTIONS))
def test_verify_finds_each_kind_of_corruption(
    app: Flask, client: FlaskClient, site: str, auditor: Auditor, corruption: str
) -> None:
    visitor = Visitor(client, site)
    receipts = [visitor.choose(a) for a in ("accept_all", "reject_all", "withdraw", "accept_all")]
    corrupt, seq, reason = CORRUPTIONS[corruption]
    corrupt(app, receipts)
    response = auditor.get("verify")
    assert response.status_code == 200
    assert response.json == {"ok": False, "first_bad_seq": seq, "reason": reason}


def _expected_tally(receipts: list[Receipt]) -> dict[str, Any]:
    total = len(receipts)
    actions = Counter(r["action"] for r in receipts)

    def share(n: int) -> float | None:
        return round(n / total, 4) if total else None

    return {
        "total": total,
        "actions": {a: actions[a] for a in ("accept_all", "reject_all", "custom", "withdraw")},
        "opt_in_rate": {
            cat: share(sum(r["categories"][cat] for r in receipts))
            for cat in ("necessary", "performance", "functionality", "targeting", "social")
        },
        "signals": {
            sig: {
                "count": sum(r["signals"][sig] for r in receipts),
                "share": share(sum(r["signals"][sig] for r in receipts)),
            }
            for sig in ("gpc", "dnt")
        },
    }


def test_stats_per_day_and_per_version(auditor: Auditor, ledger: list[Receipt]) -> None:
    stats = auditor.json("stats")
    assert stats["bucket"] == "day"
    assert {k: stats[k] for k in ("total", "actions", "opt_in_rate", "signals")} == _expected_tally(
        ledger
    )
    days = [(date(2025, 1, 1) + timedelta(days=i)).isoformat() for i in range(8)]
    assert [b["start"] for b in stats["buckets"]] == days  # empty days included
    for bucket in stats["buckets"]:
        mine = [r for r in ledger if r["created_at"].startswith(bucket["start"])]
        assert {k: bucket[k] for k in ("total", "actions", "opt_in_rate", "signals")} == (
            _expected_tally(mine)
        )
    assert [v["policy_version"] for v in stats["policy_versions"]] == [1, 2]
    for entry in stats["policy_versions"]:
        mine = [r for r in ledger if r["policy_version"] == entry["policy_version"]]
        assert entry["total"] == len(mine)
        assert entry["opt_in_rate"] == _expected_tally(mine)["opt_in_rate"]


def test_stats_per_week_and_period(auditor: Auditor, ledger: list[Receipt]) -> None:
    weeks = auditor.json("stats", bucket="week")
    # 2025-01-01 is a Wednesday: its ISO week starts on Monday 2024-12-30.
    assert [(b["start"], b["total"]) for b in weeks["buckets"]] == [
        ("2024-12-30", 5),
        ("2025-01-06", 2),
    ]
    period = auditor.json("stats", **{"from": "2025-01-05", "to": "2025-01-07"})
    assert period["total"] == 2 and period["from"] == "2025-01-05T00:00:00.000Z"
    assert [b["start"] for b in period["buckets"]] == ["2025-01-05", "2025-01-06"]
    for params, field in (({"bucket": "month"}, "bucket"), ({"from": "now"}, "from")):
        response = auditor.get("stats", **params)
        assert response.status_code == 422 and response.json["error"]["field"] == field


def test_stats_of_an_empty_ledger(auditor: Auditor) -> None:
    stats = auditor.json("stats")
    assert stats["total"] == 0 and stats["buckets"] == [] and stats["policy_versions"] == []
    assert stats["opt_in_rate"]["performance"] is None


def test_policies_list_and_detail(app: Flask, auditor: Auditor, site: str) -> None:
    publish_texts(app, site, title="<b>Second</b> banner")
    items = auditor.json("policies")["items"]
    assert [p["version"] for p in items] == [1, 2]
    assert items == [auditor.json("policies/1"), auditor.json("policies/2")]
    second = items[1]
    assert set(second) >= {
        "version", "published_at", "privacy_policy_url", "texts", "vendors",
        "requires_reconsent", "policy_hash",
    }  # fmt: skip
    assert second["texts"]["en"]["title"] == "<b>Second</b> banner"  # stored exactly as given
    assert second["vendors"]["google-analytics"]["category"] == "performance"
    for version in ("3", "0", "one"):
        assert auditor.get(f"policies/{version}").status_code == 404


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_policy_versions_answer_405_to_anything_but_get(
    client: FlaskClient, site: str, auditor: Auditor, method: str
) -> None:
    response = client.open(
        f"/api/v1/audit/sites/{site}/policies/1",
        method=method,
        headers={"Authorization": f"Bearer {auditor.token}"},
    )
    assert response.status_code == 405
    assert response.json["error"]["code"] == "method_not_allowed"


def access_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(AccessLogEntry)) or 0


@pytest.mark.parametrize("path", READ_PATHS)
def test_every_read_is_logged_once(
    app: Flask, client: FlaskClient, site: str, auditor: Auditor, path: str
) -> None:
    receipt = Visitor(client, site).choose("accept_all")
    url = path.format(receipt_id=receipt["receipt_id"], subject_id=receipt["subject_id"])
    before = access_count(app)
    assert auditor.get(url).status_code == 200
    assert access_count(app) == before + 1
    with app.app_context():
        entry = db.session.scalars(
            sa.select(AccessLogEntry).order_by(AccessLogEntry.id.desc())
        ).first()
    assert entry is not None
    assert (entry.method, entry.path) == ("GET", f"{auditor.base}/{url.split('?')[0]}")
    assert entry.role == "auditor" and entry.actor.startswith("token:")


def test_access_log_keeps_the_query_but_never_a_token(
    app: Flask, client: FlaskClient, site: str, auditor: Auditor
) -> None:
    auditor.json("receipts", action="custom", token="secret-consent-token", limit=5)
    log = auditor.json("access-log")
    newest, previous = log["items"][0], log["items"][1]
    assert newest["path"].endswith("/access-log")  # the log's own read is logged first
    assert previous["query"] == "action=custom&limit=5"
    assert "secret" not in json.dumps(log)
    assert set(newest) == {"id", "created_at", "actor", "role", "method", "path", "query"}


def test_failed_requests_are_not_attributed(app: Flask, client: FlaskClient, site: str) -> None:
    before = access_count(app)
    client.get(f"/api/v1/audit/sites/{site}/receipts")
    client.get(f"/api/v1/audit/sites/{site}/receipts", headers={"Authorization": "Bearer x"})
    assert access_count(app) == before


def test_access_log_pages_by_cursor(auditor: Auditor) -> None:
    for _ in range(5):
        auditor.json("verify")
    ids, cursor = [], None
    while True:
        page = auditor.json("access-log", limit=2, **({"cursor": cursor} if cursor else {}))
        ids += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    # Each page read is logged too, but only after the pages before it: nothing repeats.
    assert ids == sorted(set(ids), reverse=True)
    assert len(ids) >= 6


@pytest.mark.parametrize(
    "statement", ["UPDATE access_log SET actor = 'x'", "DELETE FROM access_log"]
)
def test_access_log_is_append_only(app: Flask, auditor: Auditor, statement: str) -> None:
    auditor.json("verify")
    with app.app_context(), pytest.raises(sa.exc.DBAPIError), db.engine.begin() as conn:
        conn.execute(sa.text(statement))


@pytest.mark.parametrize("path", READ_PATHS)
def test_every_endpoint_needs_a_token_of_its_site(
    app: Flask, client: FlaskClient, site: str, path: str
) -> None:
    url = f"/api/v1/audit/sites/{site}/" + path.format(receipt_id="r", subject_id="s")
    anonymous = client.get(url)
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"] == "Bearer"
    with app.app_context():
        other = create_site(name="O", origins=[ORIGIN], vendors=VENDORS, privacy_url=f"{ORIGIN}/p")
        db.session.commit()
        foreign_token = make_token(app, other.site_key, "owner")
    foreign = client.get(url, headers={"Authorization": f"Bearer {foreign_token}"})
    unknown = client.get(
        url.replace(site, "NoSuchSiteKey000000000"),
        headers={"Authorization": f"Bearer {foreign_token}"},
    )
    assert (foreign.status_code, foreign.json) == (404, unknown.json)


def test_answers_are_not_cached(auditor: Auditor) -> None:
    for path in ("receipts", "verify", "export"):
        assert auditor.get(path).headers["Cache-Control"] == "no-store"


def test_database_failure_is_a_quick_503(auditor: Auditor, monkeypatch: pytest.MonkeyPatch) -> None:
    def down(*_args: object) -> None:
        raise sa.exc.OperationalError("SELECT", {}, Exception("connection refused"))

    monkeypatch.setattr("consent.audit.api.search_receipts", down)
    response = auditor.get("receipts")
    assert response.status_code == 503
    assert response.json["error"]["code"] == "unavailable"


def seed(runner: FlaskCliRunner, site: str, count: int) -> None:
    """Append ``count`` receipts spread over the last 90 days with ``seed-receipts``."""
    args = ["seed-receipts", "--site", site, "--count", str(count), "--json"]
    assert runner.invoke(args=args, catch_exceptions=False).exit_code == 0


def test_seeded_receipts_spread_over_time_with_varied_choices(
    runner: FlaskCliRunner, site: str, auditor: Auditor
) -> None:
    seed(runner, site, 300)
    items = auditor.json("receipts", limit=300)["items"]
    times = [item["created_at"] for item in reversed(items)]
    assert times == sorted(times) and times[0][:10] < times[-1][:10]
    assert {item["action"] for item in items} == {"accept_all", "reject_all", "custom", "withdraw"}
    assert all(item["context"]["ip_prefix"].endswith(".0/24") for item in items)
    assert len({item["subject_id"] for item in items}) > 50
    assert auditor.json("verify")["ok"] is True


def test_export_in_many_batches_is_every_receipt_once(
    runner: FlaskCliRunner, site: str, auditor: Auditor
) -> None:
    seed(runner, site, 4500)  # more than two of the export's batches
    newest_first = auditor.all_receipts(limit=1000)
    ndjson = auditor.get("export", format="ndjson").get_data(as_text=True).splitlines()
    assert [json.loads(line) for line in ndjson] == list(reversed(newest_first))
    text = auditor.get("export", format="csv").get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1:] == [csv_row(receipt) for receipt in reversed(newest_first)]
    since = newest_first[3000]["created_at"]
    period = auditor.get("export", format="ndjson", **{"from": since}).get_data(as_text=True)
    assert [json.loads(line)["seq"] for line in period.splitlines()] == [
        r["seq"] for r in reversed(newest_first) if r["created_at"] >= since
    ]


def test_every_period_gives_the_rows_of_a_full_scan(
    runner: FlaskCliRunner, site: str, auditor: Auditor
) -> None:
    # Old, middle and recent periods: SQLite walks the seq index or reads by time.
    seed(runner, site, 1500)
    everything = auditor.all_receipts(limit=1000)
    times = sorted(r["created_at"] for r in everything)
    for low, high in ((0, 40), (10, 1400), (700, 760), (1450, None), (None, 30)):
        params = {"from": None if low is None else times[low]}
        params["to"] = None if high is None else times[high]
        inside = [
            r
            for r in everything
            if (low is None or r["created_at"] >= times[low])
            and (high is None or r["created_at"] < times[high])
        ]
        given = {name: value for name, value in params.items() if value is not None}
        assert seqs(auditor.all_receipts(limit=50, **given)) == seqs(inside), params
        custom = auditor.all_receipts(limit=50, action="custom", **given)
        assert seqs(custom) == [r["seq"] for r in inside if r["action"] == "custom"], params
