"""The offline verification commands run exactly as printed: on the audit UI's verify page,
at the end of ``make run`` (``consent demo``, with its own port in ``BASE``), and in the
README's "Proving consent without trusting us" (after the lines ``make run`` printed)."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from werkzeug.serving import make_server

from consent.demo.activity import DEMO_RECEIPTS
from tests.helpers import Visitor
from tests.http.auditing import PASSWORD, Page, make_user

CHECKOUT = Path(__file__).resolve().parents[2]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """An empty folder that has the checkout's ``.venv``, as the commands expect."""
    (tmp_path / ".venv").symlink_to(CHECKOUT / ".venv")
    return tmp_path


def run(args: list[str], folder: Path) -> subprocess.CompletedProcess[str]:
    """Run a command in ``folder``; a failure shows what it printed."""
    done = subprocess.run(args, cwd=folder, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def test_the_verify_page_commands_run_as_shown(
    app: Flask, client: FlaskClient, site: str, folder: Path
) -> None:
    visitor = Visitor(client, site)
    visitor.choose("accept_all")
    visitor.choose("reject_all")
    make_user(app, site, "offline@example.com")
    ui = app.test_client()
    ui.post("/audit/login", data={"email": "offline@example.com", "password": PASSWORD})
    page = Page.of(ui.get(f"/audit/sites/{site}/verify"))
    for link in page.find("a", **{"class": "button"}):  # the checkpoint and the export
        (folder / link.attrs["download"]).write_bytes(ui.get(link.attrs["href"]).data)
    command = page.text("pre", data_verify_command="")
    assert command.startswith(".venv/bin/consent verify-export ")
    assert "2 receipts, chain intact" in run(shlex.split(command), folder).stdout
    monitor = shlex.split(page.text("pre", data_monitor_command=""))
    assert monitor[:2] == [".venv/bin/consent", "monitor"]
    assert (folder / monitor[0]).exists()  # (it needs the service at the public URL to run)


@pytest.fixture
def served(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """The app served on a free port, as ``make run`` serves it; the port."""
    monkeypatch.delenv("CONSENT_PUBLIC_URL", raising=False)  # as make run: from the port
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()
    thread.join()


def _readme_block(heading: str) -> str:
    """The first ``sh`` block after a README heading."""
    text = (CHECKOUT / "README.md").read_text(encoding="utf-8")
    section = text.split(f"\n## {heading}\n", 1)[1]
    return section.split("```sh\n", 1)[1].split("```", 1)[0]


@pytest.mark.skipif(shutil.which("curl") is None, reason="the printed commands use curl")
def test_make_run_prints_commands_that_run_and_so_does_the_readme(
    client: FlaskClient, runner: FlaskCliRunner, served: int, folder: Path
) -> None:
    result = runner.invoke(args=["demo", "--no-serve", "--port", str(served)])
    assert result.exit_code == 0, result.output
    # The landing page first: it says what this is and links everything else.
    assert f"Start here:                    http://127.0.0.1:{served}/\n" in result.stdout
    tail = result.stdout.split("\nTry, ", 1)[1]
    printed = [line.strip() for line in tail.splitlines() if line.startswith("  ")]
    assert printed[0].startswith(f"BASE=http://127.0.0.1:{served} KEY=")
    key = re.search(r"KEY=(\S+)", printed[0])[1]  # type: ignore[index]
    Visitor(client, key, origin=f"http://127.0.0.1:{served}").choose("accept_all")
    script = "set -euo pipefail\n" + "\n".join(printed)
    done = run(["bash", "-c", script], folder)
    assert f"{DEMO_RECEIPTS + 1} receipts, chain intact" in done.stdout  # the month seeded, ours
    # The README's steps, after the variables make run printed (a new folder: a fresh monitor).
    again = folder / "readme"
    again.mkdir()
    (again / ".venv").symlink_to(CHECKOUT / ".venv")
    variables = [line for line in printed if line.startswith(("BASE=", "AUTH="))]
    readme = _readme_block("Proving consent without trusting us")
    run(["bash", "-c", "set -euo pipefail\n" + "\n".join(variables) + "\n" + readme], again)
