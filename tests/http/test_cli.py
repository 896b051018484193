"""The command line, as DESIGN.md documents it (text and --json)."""

from __future__ import annotations

import json
import socket
import threading
import urllib.request
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from werkzeug.security import check_password_hash
from werkzeug.serving import make_server

from consent.extensions import db
from tests.helpers import ORIGIN, Visitor
from tests.owners import OwnerApi, mint


def invoke(runner: FlaskCliRunner, *args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(args=list(args), input=input, catch_exceptions=False)


def test_init_db_is_idempotent(runner: FlaskCliRunner) -> None:
    result = invoke(runner, "init-db", "--json")
    assert result.exit_code == 0 and json.loads(result.stdout) == {"ok": True}


def test_create_site(app: Flask, client: FlaskClient, runner: FlaskCliRunner) -> None:
    result = invoke(
        runner,
        "create-site", "--name", "Belco", "--origin", "https://www.belco.example/",
        "--origin", "http://localhost:8000", "--vendor", "google-analytics=G-BELCO1",
        "--vendor", "linkedin-insight=123", "--vendor", "leadinfo", "--language", "nl",
        "--privacy-url", "https://www.belco.example/privacy", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    site_key = json.loads(result.stdout)["site_key"]
    config = Visitor(client, site_key, origin="https://www.belco.example").config()
    assert config["policy_version"] == 1 and config["language"] == "nl"
    assert config["vendors"]["google-analytics"]["settings"] == {"measurement_id": "G-BELCO1"}
    assert config["vendors"]["leadinfo"]["category"] == "targeting"
    assert config["privacy_policy_url"] == "https://www.belco.example/privacy"
    with app.app_context():
        origins = db.session.execute(sa.text("SELECT origins FROM sites")).scalar_one()
    assert sorted(json.loads(origins) if isinstance(origins, str) else origins) == [
        "http://localhost:8000",
        "https://www.belco.example",
    ]


@pytest.mark.parametrize(
    ("flags", "expected"), [((), True), (("--auto-block",), True), (("--no-auto-block",), False)]
)
def test_create_site_auto_block(
    app: Flask, runner: FlaskCliRunner, flags: tuple[str, ...], expected: bool
) -> None:
    result = invoke(runner, "create-site", "--name", "A", "--origin", ORIGIN, *flags, "--json")
    site_key = json.loads(result.stdout)["site_key"]
    with app.app_context():
        stored = db.session.execute(
            sa.text("SELECT auto_block FROM sites WHERE site_key = :k"), {"k": site_key}
        ).scalar_one()
    assert bool(stored) is expected


def test_create_site_rejects_bad_input(runner: FlaskCliRunner) -> None:
    cases = [
        ["--origin", "http://shop.example"],
        ["--origin", "https://shop.example/path"],
        ["--origin", "https://a.example", "--vendor", "google-analytics=UA-1"],
        # Without auto-blocking the loader needs GA's id (with it, the page's snippet may do).
        ["--origin", "https://a.example", "--no-auto-block", "--vendor", "google-analytics"],
        ["--origin", "https://a.example", "--vendor", "tiktok"],
        ["--origin", "https://a.example", "--privacy-url", "javascript:alert(1)"],
    ]
    for extra in cases:
        result = runner.invoke(args=["create-site", "--name", "X", *extra])
        assert result.exit_code != 0, extra
        assert "Traceback" not in result.output
    plain = ["create-site", "--name", "X", "--origin", "https://a.example"]
    result = runner.invoke(args=[*plain, "--vendor", "google-analytics"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    "change",
    [
        {"name": ""},
        {"name": "   "},
        {"name": "x" * 201},
        {"name": "Shop\x07"},
        {"origins": ["https://shop.example/path"]},
        {"origins": ["javascript:alert(1)"]},
        {"origins": ["https://user@shop.example"]},
        {"origins": ["https://ok.example", "http://shop.example"]},
    ],
)
def test_create_site_refuses_what_the_owner_api_refuses(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner, site: str, change: dict[str, Any]
) -> None:
    refused = OwnerApi(client, site, mint(app, site, "owner")).call("PATCH", body=change)
    assert refused.status_code == 422, refused.json
    error = refused.json["error"]
    args = ["create-site", "--name", change.get("name", "Shop")]
    for origin in change.get("origins", ["https://shop.example"]):
        args += ["--origin", origin]
    result = runner.invoke(args=args)
    # The same rule and message; the field named as the option (origins[1] → --origin[1]).
    option = "--" + error["field"].replace("origins", "origin")
    assert result.exit_code == 1, result.output
    assert f"Error: {option}: {error['message']}" in result.output
    with app.app_context():
        assert db.session.execute(sa.text("SELECT count(*) FROM sites")).scalar_one() == 1


def test_create_token_and_user(app: Flask, runner: FlaskCliRunner, site: str) -> None:
    token = json.loads(
        invoke(runner, "create-token", "--site", site, "--role", "auditor", "--json").stdout
    )
    assert token["token"].startswith("cl_")
    args = ["create-user", "--email", "DPO@Example.com", "--role", "auditor", "--site", site]
    result = invoke(runner, *args, "--json", input="correct horse battery\n")
    assert json.loads(result.stdout) == {
        "email": "dpo@example.com",
        "role": "auditor",
        "site_key": site,
    }
    with app.app_context():
        stored = db.session.execute(sa.text("SELECT token_hash FROM api_tokens")).scalar_one()
        password_hash = db.session.execute(sa.text("SELECT password_hash FROM users")).scalar_one()
    assert token["token"] not in stored
    assert check_password_hash(password_hash, "correct horse battery")
    short = runner.invoke(
        args=["create-user", "--email", "a@b.example", "--role", "owner"], input="short\n"
    )
    assert short.exit_code != 0


def test_verify_ledger(app: Flask, client: FlaskClient, runner: FlaskCliRunner, site: str) -> None:
    visitor = Visitor(client, site)
    visitor.choose("accept_all")
    head = visitor.choose("withdraw")["hash"]
    result = invoke(runner, "verify-ledger", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "sites": [{"site_key": site, "ok": True, "receipts": 2, "head": head}]
    }
    with app.app_context(), db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        else:
            conn.execute(sa.text("DROP TRIGGER receipts_no_update"))
        conn.execute(sa.text("UPDATE receipts SET language = 'nl' WHERE seq = 2"))
    broken = runner.invoke(args=["verify-ledger", "--site", site, "--json"])
    assert broken.exit_code == 1
    assert json.loads(broken.stdout) == {
        "sites": [{"site_key": site, "ok": False, "first_bad_seq": 2, "reason": "hash_mismatch"}]
    }
    text = runner.invoke(args=["verify-ledger", "--site", site])
    assert "seq 2" in text.stdout and text.exit_code == 1


def test_purge_and_erase(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner, site: str
) -> None:
    visitor = Visitor(client, site)
    subject = visitor.choose("accept_all")["subject_id"]
    assert json.loads(invoke(runner, "purge", "--json").stdout)["purged"] == 0
    assert runner.invoke(args=["purge", "--older-than", "soon"]).exit_code != 0
    erased = json.loads(
        invoke(runner, "erase-subject", "--site", site, "--subject", subject, "--json").stdout
    )
    assert erased["subject_id"] == subject and erased["receipts"] == 1
    me = client.get(f"/api/v1/sites/{site}/me", query_string={"token": visitor.token}).json
    assert me["items"][0]["context"] is None
    assert json.loads(invoke(runner, "verify-ledger", "--json").stdout)["sites"][0]["ok"] is True


def test_seed_receipts(runner: FlaskCliRunner, site: str) -> None:
    result = invoke(runner, "seed-receipts", "--site", site, "--count", "1200", "--json")
    assert json.loads(result.stdout) == {"site_key": site, "added": 1200}
    verified = json.loads(invoke(runner, "verify-ledger", "--json").stdout)["sites"][0]
    assert verified["ok"] is True and verified["receipts"] == 1200


def test_demo_sets_up_and_prints(app: Flask, runner: FlaskCliRunner) -> None:
    result = invoke(runner, "demo", "--no-serve", "--json")
    info = json.loads(result.stdout)
    assert info["auditor_token"].startswith("cl_")
    assert info["demo_page"].endswith(f"/demo/{info['site_key']}")
    assert set(info["users"]) == {"owner@example.com", "auditor@example.com"}
    again = json.loads(invoke(runner, "demo", "--no-serve", "--json").stdout)
    assert again["site_key"] == info["site_key"]  # the demo site is reused


def test_demo_on_a_busy_port_changes_nothing(app: Flask, runner: FlaskCliRunner) -> None:
    first = json.loads(invoke(runner, "demo", "--no-serve", "--json").stdout)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        result = runner.invoke(args=["demo", "--port", port])
    assert result.exit_code != 0 and "in use" in result.output and "PORT=" in result.output
    with app.app_context():  # the printed passwords and token still work
        user = db.session.execute(
            sa.text("SELECT password_hash FROM users WHERE email = 'owner@example.com'")
        ).scalar_one()
        tokens = db.session.execute(sa.text("SELECT count(*) FROM api_tokens")).scalar_one()
    assert check_password_hash(user, first["users"]["owner@example.com"])
    assert tokens == 1


def test_the_demo_port_is_free_again_right_after_a_demo_stopped() -> None:
    from consent.demo.server import _check_port_free

    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as werkzeug serves
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port)):
            served, _ = server.accept()
            served.close()  # the server closes first: its port waits in TIME_WAIT
    _check_port_free("127.0.0.1", port)  # `make run` again at once: not "in use"


def test_the_demo_server_records_the_client_network(
    app: Flask, client: FlaskClient, site: str
) -> None:
    from consent.demo.server import _PathOnlyLog

    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_PathOnlyLog)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        body = json.dumps(Visitor(client, site).consent_body("accept_all")).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{server.server_port}/api/v1/sites/{site}/consents",
            data=body,
            headers={"Content-Type": "application/json", "Origin": ORIGIN},
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 201
    finally:
        server.shutdown()
        thread.join()
    with app.app_context():
        stored = db.session.execute(sa.text("SELECT ip_prefix FROM receipt_contexts")).scalars()
        assert list(stored) == ["127.0.0.0/24"]


def test_console_script_has_the_commands() -> None:
    from consent.cli import main

    del main  # importable as the console script's entry point
    from flask.cli import FlaskGroup

    from consent import create_app

    group = FlaskGroup(create_app=lambda: create_app({"TESTING": True, "SECRET_KEY": "x"}))
    result = CliRunner().invoke(group, ["--help"])
    for command in (
        "init-db",
        "create-site",
        "create-token",
        "create-user",
        "verify-ledger",
        "purge",
        "demo",
    ):
        assert command in result.output


def test_progress_bars_show_on_a_terminal_and_never_with_json(
    app: Flask, runner: FlaskCliRunner, site: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("consent.console.on_terminal", lambda: True)
    seeded = invoke(runner, "seed-receipts", "--site", site, "--count", "30")
    assert "seeding" in seeded.stderr and seeded.stdout.strip() == "added 30"
    purged = invoke(runner, "purge")
    assert "purging" in purged.stderr and purged.stdout.strip().startswith("purged")
    verified = invoke(runner, "verify-ledger")
    assert site in verified.stderr and "ok, 30 receipts" in verified.stdout
    with app.app_context():
        subject = db.session.execute(sa.text("SELECT subject_id FROM receipts")).scalar()
    erased = invoke(runner, "erase-subject", "--site", site, "--subject", subject)
    assert "erasing" in erased.stderr and "erased the personal context" in erased.stdout
    for args in (
        ["seed-receipts", "--site", site, "--count", "5"],
        ["purge"],
        ["verify-ledger"],
        ["erase-subject", "--site", site, "--subject", subject],
    ):
        quiet = invoke(runner, *args, "--json")
        assert quiet.stderr == "", args
        json.loads(quiet.stdout)
    assert (
        json.loads(invoke(runner, "verify-ledger", "--json").stdout)["sites"][0]["receipts"] == 35
    )


def test_purge_deletes_only_context_past_retention(
    app: Flask, runner: FlaskCliRunner, site: str
) -> None:
    invoke(runner, "seed-receipts", "--site", site, "--count", "40", "--json")
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE receipt_contexts SET created_at = :old WHERE receipt_pk % 4 = 0"),
            {"old": datetime(2020, 1, 1, tzinfo=UTC)},
        )
    purged = json.loads(invoke(runner, "purge", "--json").stdout)
    assert (purged["purged"], purged["sites"]) == (10, {site: 10})
    # 2020 has no month partition (its rows went to DEFAULT): deleted row by row.
    assert purged.get("partitions", {"dropped": {}})["dropped"] == {}
    with app.app_context():
        left = db.session.execute(sa.text("SELECT count(*) FROM receipt_contexts")).scalar_one()
    assert left == 30
    assert json.loads(invoke(runner, "verify-ledger", "--json").stdout)["sites"][0]["ok"] is True
