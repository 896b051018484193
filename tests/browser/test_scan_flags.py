"""The scan's browser, as launched (docs/benchmarks.md section 10 counts its memory): our
``--disable-features`` replaces Playwright's own list, so it must still hold all of it; a
page runs in one renderer (no WebUI renderer for the address bar's popup) and there is no
GPU process; the Node.js driver starts with the scan's Node flags, and the environment is
left as it was."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from .conftest import CHROMIUM, _require_browser

pytestmark = pytest.mark.xdist_group("browser")
T = TypeVar("T")


def _in_thread(work: Callable[[], T]) -> T:
    """``work`` on a thread of its own: another test's sync Playwright may hold this one."""
    out: list[T] = []
    failed: list[BaseException] = []

    def run() -> None:
        try:
            out.append(work())
        except BaseException as error:
            failed.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if failed:
        raise failed[0]
    return out[0]


def _features(command: list[str]) -> set[str]:
    """The features the last ``--disable-features`` of a command line disables (Chromium
    takes the last of a repeated switch)."""
    found = [a.split("=", 1)[1] for a in command if a.startswith("--disable-features=")]
    return set(found[-1].split(",")) if found else set()


def _command(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/cmdline").read_bytes().decode().replace("\0", " ").split()


def _launched(args: list[str]) -> dict[str, Any]:
    """Chromium launched with ``args``, one page open: its processes, targets, command lines."""
    from consent.scans.crawler import _driver

    with _driver() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
        try:
            page = browser.new_context().new_page()
            page.goto("data:text/html,<title>t</title><p>one page</p>")
            cdp = browser.new_browser_cdp_session()
            processes = cdp.send("SystemInfo.getProcessInfo")["processInfo"]
            targets = cdp.send("Target.getTargets", {"filter": [{}]})["targetInfos"]
            cdp.detach()
            commands = {int(p["id"]): _command(int(p["id"])) for p in processes}
            return {"processes": processes, "targets": targets, "commands": commands}
        finally:
            browser.close()


def _of_type(launched: dict[str, Any], kind: str) -> list[list[str]]:
    return [launched["commands"][int(p["id"])] for p in launched["processes"] if p["type"] == kind]


def test_our_disabled_features_keep_playwrights_own() -> None:
    _require_browser()
    from consent.scans.crawler import DISABLED_FEATURES, FLAGS, PLAYWRIGHT_DISABLED_FEATURES

    plain = _in_thread(lambda: _launched([]))
    playwrights = _features(_of_type(plain, "browser")[0])
    assert playwrights, "Playwright no longer passes --disable-features: drop our copy"
    missing = playwrights - set(PLAYWRIGHT_DISABLED_FEATURES)
    assert not missing, f"Playwright now disables {sorted(missing)} too: add them"
    scan = _in_thread(lambda: _launched(list(FLAGS)))
    # What the browser hands its renderer is what it runs with.
    (renderer,) = _of_type(scan, "renderer")
    assert _features(renderer) >= playwrights | set(DISABLED_FEATURES)


def test_a_page_runs_in_one_renderer_without_a_gpu_process() -> None:
    _require_browser()
    from consent.scans.crawler import FLAGS

    scan = _in_thread(lambda: _launched(list(FLAGS)))
    kinds = sorted(p["type"] for p in scan["processes"])
    assert kinds.count("renderer") == 1, kinds
    assert "GPU" not in kinds, kinds
    assert [t["url"] for t in scan["targets"] if t["type"] not in ("page", "tab")] == []


def test_the_driver_gets_the_node_flags_and_the_environment_is_restored() -> None:
    _require_browser()
    from consent.scans.crawler import NODE_FLAGS, _driver

    before = os.environ.get("NODE_OPTIONS")

    def driver_environment() -> list[bytes]:
        with _driver():
            me = os.getpid()
            found = []
            for task in Path(f"/proc/{me}/task").iterdir():
                for child in (task / "children").read_text().split():
                    command = Path(f"/proc/{child}/cmdline").read_bytes()
                    if b"run-driver" in command:
                        found += Path(f"/proc/{child}/environ").read_bytes().split(b"\0")
            return found

    environment = _in_thread(driver_environment)
    options = [e for e in environment if e.startswith(b"NODE_OPTIONS=")]
    assert options and all(f.encode() in options[0] for f in NODE_FLAGS)
    assert os.environ.get("NODE_OPTIONS") == before
