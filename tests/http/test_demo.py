"""``consent demo`` (so ``make run``) and ``--example`` (issue 19 item 21): the demo site starts
with a month of receipts that the stats and audit pages show, and a reference site runs in an
instance of its own, beside the demo, without touching its database or passwords."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from werkzeug.security import check_password_hash

from consent.demo.activity import DEMO_RECEIPTS
from consent.demo.examples import examples
from consent.extensions import db


@pytest.fixture
def instance(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The app's instance folder in a temporary place; the demo's address its default."""
    monkeypatch.delenv("CONSENT_PUBLIC_URL", raising=False)
    monkeypatch.delenv("CONSENT_DATABASE_URL", raising=False)
    app.instance_path = str(tmp_path / "instance")
    return tmp_path / "instance"


def demo(runner: FlaskCliRunner, *args: str) -> dict[str, Any]:
    """Run ``demo --no-serve --json`` with ``args``; its printed answer."""
    result = runner.invoke(args=["demo", "--no-serve", "--json", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def rows(app: Flask, sql: str, **params: Any) -> list[Any]:
    with app.app_context():
        return list(db.session.execute(sa.text(sql), params))


def test_the_demo_site_starts_with_a_month_of_receipts(
    app: Flask, runner: FlaskCliRunner, instance: Path
) -> None:
    info = demo(runner)
    assert info["seeded_receipts"] == DEMO_RECEIPTS
    stored = rows(app, "SELECT action, language, created_at, subject_id FROM receipts")
    assert len(stored) == DEMO_RECEIPTS
    assert {r.action for r in stored} == {"accept_all", "reject_all", "custom", "withdraw"}
    counts = {a: sum(r.action == a for r in stored) for a in ("accept_all", "reject_all")}
    assert counts["accept_all"] > counts["reject_all"] > 0
    assert {"en", "nl"} <= {r.language for r in stored}
    assert len({r.subject_id for r in stored}) < DEMO_RECEIPTS  # some visitors came back
    now = datetime.now(UTC)
    times = [datetime.fromisoformat(r.created_at.replace("Z", "+00:00")) for r in stored]
    assert now - timedelta(days=31) < min(times) and max(times) <= now
    assert len({t.date() for t in times}) >= 25  # spread over the month
    contexts = rows(app, "SELECT page_url, ip_prefix, user_agent FROM receipt_contexts")
    assert {c.page_url for c in contexts} <= {info["demo_page"], f"{info['service']}/demo/privacy"}
    assert all(c.ip_prefix.endswith(("/24", "/48")) for c in contexts)
    assert len({c.user_agent for c in contexts}) > 3
    verified = runner.invoke(args=["verify-ledger", "--json"], catch_exceptions=False)
    assert json.loads(verified.stdout)["sites"][0]["receipts"] == DEMO_RECEIPTS

    again = demo(runner)  # never twice: a second run adds nothing
    assert again["seeded_receipts"] == 0
    assert len(rows(app, "SELECT id FROM receipts")) == DEMO_RECEIPTS


def test_the_stats_and_audit_api_show_the_month(
    client: FlaskClient, runner: FlaskCliRunner, instance: Path
) -> None:
    info = demo(runner)
    auth = {"Authorization": f"Bearer {info['auditor_token']}"}
    base = f"/api/v1/audit/sites/{info['site_key']}"
    stats = client.get(f"{base}/stats", headers=auth).json
    assert stats["total"] == DEMO_RECEIPTS
    assert len([b for b in stats["buckets"] if b["total"]]) >= 25
    assert 0 < stats["opt_in_rate"]["performance"] < 1
    listed = client.get(f"{base}/receipts", headers=auth, query_string={"limit": 5}).json
    assert len(listed["items"]) == 5 and listed["next_cursor"]
    assert client.get(f"{base}/verify", headers=auth).json["ok"] is True


def test_no_receipts_when_asked_for_none(
    app: Flask, runner: FlaskCliRunner, instance: Path
) -> None:
    assert demo(runner, "--receipts", "0")["seeded_receipts"] == 0
    assert rows(app, "SELECT id FROM receipts") == []


@pytest.fixture
def example(app: Flask, instance: Path) -> Iterator[Flask]:
    """The app ``demo --example belco`` builds (its instance folder), closed after the test."""
    from consent.demo.server import example_app

    with app.app_context():
        beside = example_app("belco", "http://127.0.0.1:5002")
    yield beside
    with beside.app_context():
        db.engine.dispose()


def test_an_example_runs_beside_the_demo_in_its_own_instance(
    app: Flask, runner: FlaskCliRunner, instance: Path, example: Flask
) -> None:
    first = demo(runner)
    beside = demo(runner, "--example", "belco")
    assert beside["service"] == "http://127.0.0.1:5002"  # its own port, not the demo's 5000
    folder = instance / "examples" / "belco"
    assert beside["instance"] == example.instance_path == str(folder)
    assert (folder / "consent.sqlite3").is_file() and (folder / "secret_key").is_file()
    # The demo's database has no Belco, and its printed passwords and token still work.
    assert [r.name for r in rows(app, "SELECT name FROM sites")] == ["Demo: Example Bakery"]
    (owner,) = rows(app, "SELECT password_hash FROM users WHERE email = 'owner@example.com'")
    assert check_password_hash(owner.password_hash, first["users"]["owner@example.com"])
    assert len(rows(app, "SELECT id FROM api_tokens")) == 1
    # The example has its own site, users (with the passwords it printed) and receipts.
    with example.app_context():
        names = db.session.execute(sa.text("SELECT name FROM sites")).scalars().all()
        owner_hash = db.session.execute(
            sa.text("SELECT password_hash FROM users WHERE email = 'owner@example.com'")
        ).scalar_one()
        receipts = db.session.execute(sa.text("SELECT count(*) FROM receipts")).scalar_one()
    assert names == [examples()["belco"].name]
    assert check_password_hash(owner_hash, beside["users"]["owner@example.com"])
    assert receipts == DEMO_RECEIPTS
    # Signed in to both on one host: neither session cookie replaces the other.
    assert example.config["SESSION_COOKIE_NAME"] != app.config["SESSION_COOKIE_NAME"]


def test_each_instance_answers_for_its_own_site(
    client: FlaskClient, runner: FlaskCliRunner, example: Flask
) -> None:
    bakery = demo(runner)["site_key"]
    belco = demo(runner, "--example", "belco")["site_key"]
    beside = example.test_client()
    assert beside.get(f"/api/v1/sites/{belco}/config").status_code == 200
    assert beside.get(f"/api/v1/sites/{bakery}/config").status_code == 404
    assert client.get(f"/api/v1/sites/{belco}/config").status_code == 404
    # The example signs its log with a key named after its own address.
    assert beside.get("/log/key").get_data(as_text=True).startswith("127.0.0.1:5002+")


def test_the_policy_pages_embed_the_banner_and_the_cookie_declaration(
    client: FlaskClient, runner: FlaskCliRunner, instance: Path, example: Flask
) -> None:
    bakery = demo(runner)["site_key"]
    belco = demo(runner, "--example", "belco")["site_key"]
    pages = [
        (client, "/demo/privacy?lang=nl", bakery, "nl"),
        (client, "/demo/privacy?lang=<b>", bakery, "en"),
        # Belco's pages are Dutch, with an English switch.
        (example.test_client(), "/demo/example/belco/privacy", belco, "nl"),
        (example.test_client(), "/demo/example/belco/cookies?lang=en", belco, "en"),
    ]
    for visitor, path, key, lang in pages:
        response = visitor.get(path)
        assert response.status_code == 200
        found = _Elements()
        found.feed(response.get_data(as_text=True))
        assert found.first_script == f"/embed/{key}.js", path
        assert found.html_lang == lang, path
        assert found.declarations == 1
        if path.startswith("/demo/privacy"):  # a way back to the demo's page, in its language
            assert found.home == f"/demo/{key}?lang={lang}", path
        answer = visitor.get(f"/api/v1/sites/{key}/declaration?lang={lang}")
        assert answer.status_code == 200
        assert answer.json["language"] == lang


@pytest.mark.parametrize(
    ("query", "lang", "heading", "privacy"),
    [
        ("?lang=nl", "nl", "Vers brood, eerlijke cookies", "/demo/privacy?lang=nl"),
        ("", "en", "Fresh bread, fair cookies", "/demo/privacy?lang=en"),
        # Its copy exists in English and Dutch: the page does not claim another language.
        ("?lang=de", "en", "Fresh bread, fair cookies", "/demo/privacy?lang=en"),
    ],
)
def test_the_bakery_speaks_the_language_it_claims(
    client: FlaskClient, runner: FlaskCliRunner, query: str, lang: str, heading: str, privacy: str
) -> None:
    bakery = demo(runner)["site_key"]
    page = client.get(f"/demo/{bakery}{query}").get_data(as_text=True)
    found = _Elements()
    found.feed(page)
    assert found.html_lang == lang
    assert f"<h1>{heading}</h1>" in page and f'href="{privacy}"' in page
    assert 'aria-current="page">' + ("Nederlands" if lang == "nl" else "English") in page
    policy = client.get(privacy).get_data(as_text=True)
    assert ("Privacybeleid (demo)" if lang == "nl" else "Privacy policy (demo)") in policy


class _Elements(HTMLParser):
    """What a page's markup holds: its <html lang>, first script and declaration elements."""

    def __init__(self) -> None:
        super().__init__()
        self.html_lang: str | None = None
        self.first_script: str | None = None
        self.declarations = 0
        self.home: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if "data-home-link" in named:
            self.home = named.get("href")
        if tag == "html":
            self.html_lang = named.get("lang")
        elif tag == "script" and self.first_script is None:
            self.first_script = named.get("src")
        if "data-consent-declaration" in named:
            self.declarations += 1
