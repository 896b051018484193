"""Retake the README's screenshots of the owner's side (admin-*.png), audit-checkpoint.png and
the phone-width ones (landing-phone.png, history-phone.png, admin-site-phone.png,
audit-receipts-phone.png).

Run from the checkout: ``.venv/bin/python docs/screenshots/take.py``. It starts
``consent demo`` on a free port with a throw-away database and keys (so it touches neither
``instance/`` nor another demo), seeds some receipts, walks through the owner's side in
headless Debian Chromium with Playwright, saves the PNGs next to this file and stops the
demo. Not part of the test suite.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, sync_playwright

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))  # the checkout, for its packages

from consent.core.notes import generate_signer_key  # noqa: E402
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402 (the suite's flags)

CONSENT = Path(sys.executable).with_name("consent")
VIEWPORT = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
SITE = "https://www.bakkerij-jansen.example"


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def demo_env(folder: str, port: int) -> dict[str, str]:
    """The demo's environment: its own SQLite file, secret, public URL and log key."""
    netloc = f"127.0.0.1:{port}"
    return {
        **os.environ,
        "CONSENT_DATABASE_URL": f"sqlite:///{folder}/consent.sqlite3",
        "CONSENT_SECRET_KEY": secrets.token_urlsafe(32),
        "CONSENT_PUBLIC_URL": f"http://{netloc}",
        "CONSENT_LOG_KEY": generate_signer_key(netloc)[0],
    }


def start_demo(env: dict[str, str], port: int) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    """Start ``consent demo`` and wait (at most 30 s) until it answers /healthz."""
    demo = subprocess.Popen(  # noqa: S603 (our own console script, fixed arguments)
        [str(CONSENT), "demo", "--port", str(port), "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert demo.stdout is not None
    info: dict[str, Any] = json.loads(demo.stdout.readline())
    for _ in range(60):
        try:
            health = f"{info['service']}/healthz"  # the http:// URL the demo printed
            with urllib.request.urlopen(health, timeout=2):  # noqa: S310
                return demo, info
        except OSError:
            time.sleep(0.5)
    demo.terminate()
    raise SystemExit("the demo did not start")


def shot(page: Page, name: str, full: bool = False) -> None:
    """Save the page (or the whole scrolled page) as ``<name>.png``, with no focus ring."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.screenshot(path=str(HERE / f"{name}.png"), full_page=full)
    print(f"saved {name}.png")


def sign_in(page: Page, url: str, email: str, password: str) -> None:
    """Sign in through the real form of /admin/ or /audit/."""
    page.goto(url)
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def owner_side(page: Page, base: str, password: str) -> None:
    """Sign in, create a site, vendors, Dutch texts with preview, publish, snippet, tokens."""
    sign_in(page, f"{base}/admin/login", "owner@example.com", password)
    page.goto(f"{base}/admin/sites/new")
    page.get_by_label("Site name").fill("Bakkerij Jansen")
    page.get_by_label("Allowed origins").fill(f"{SITE}\nhttps://shop.bakkerij-jansen.example")
    page.get_by_label("Default language").select_option("nl")
    page.get_by_label("Privacy policy URL").fill(f"{SITE}/privacy")
    shot(page, "admin-new-site")
    page.get_by_role("button", name="Create site").click()
    page.wait_for_url("**/vendors")
    key = page.url.split("/sites/")[1].split("/")[0]

    for vendor, label, setting, value in (
        ("google-analytics", "Google Analytics", "Measurement ID", "G-JANSEN01"),
        ("meta-pixel", "Meta Pixel", "Pixel ID", "123456789012345"),
    ):
        box = page.locator(f'fieldset[data-vendor="{vendor}"]')
        box.get_by_label(label).check()
        box.get_by_label(setting).fill(value)
    vimeo = page.locator('fieldset[data-vendor="vimeo"]')
    vimeo.get_by_label("Vimeo").check()
    vimeo.get_by_label("Category").select_option("functionality")
    page.get_by_role("button", name="Save vendors").click()
    page.locator("[data-flash]").wait_for()
    shot(page, "admin-vendors")

    page.goto(f"{base}/admin/sites/{key}/texts/nl")
    page.get_by_label("Title", exact=True).fill("Cookies bij Bakkerij Jansen")
    preview = page.frame_locator("iframe[data-preview-frame]")
    preview.locator("[data-consent-banner] h2").filter(has_text="Bakkerij Jansen").wait_for()
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "admin-texts-nl")
    page.get_by_role("button", name="Save texts").click()
    page.locator("[data-flash]").wait_for()

    page.goto(f"{base}/admin/sites/{key}/publish")
    shot(page, "admin-publish", full=True)
    page.get_by_role("button", name="Publish version 2").click()
    page.locator("[data-flash]").wait_for()
    page.goto(f"{base}/admin/sites/{key}/")
    shot(page, "admin-site")
    page.goto(f"{base}/admin/sites/{key}/snippet")
    shot(page, "admin-snippet")

    page.goto(f"{base}/admin/sites/{key}/tokens")
    page.get_by_label("Role").select_option("auditor")
    page.get_by_label("Label").fill("DPO export")
    page.get_by_role("button", name="Create token").click()
    page.locator("#new-token").wait_for()
    shot(page, "admin-tokens", full=True)
    page.goto(f"{base}/admin/")
    shot(page, "admin-sites")


def audit_checkpoint(page: Page, base: str, site_key: str, password: str) -> None:
    """The demo site's verify page: the chain verified and the signed checkpoint."""
    sign_in(page, f"{base}/audit/login", "auditor@example.com", password)
    page.goto(f"{base}/audit/sites/{site_key}/verify")
    page.get_by_role("button", name="Verify ledger").click()
    page.locator("[data-verify-result]").wait_for()
    shot(page, "audit-checkpoint", full=True)


def phone_width(page: Page, base: str, site_key: str, password: str, owner_password: str) -> None:
    """At 390 px: the landing page, a visitor's history after two choices, the owner's site
    overview, and the receipts whose table scrolls in its own region."""
    page.goto(f"{base}/")
    shot(page, "landing-phone", full=True)
    page.goto(f"{base}/demo/{site_key}?lang=nl")
    page.locator('[data-consent-banner] [data-consent-action="accept-all"]').click()
    page.locator("#demo-choice").filter(has_text="performance").wait_for()
    page.evaluate("() => window.Consent.rejectAll()")  # the visitor changes their mind
    page.locator("#demo-choice").filter(has_text="false").wait_for()
    page.get_by_role("link", name="Mijn toestemmingsgeschiedenis").click()
    page.wait_for_url("**/me?format=html*")
    shot(page, "history-phone", full=True)
    sign_in(page, f"{base}/admin/login", "owner@example.com", owner_password)
    page.goto(f"{base}/admin/sites/{site_key}/")
    shot(page, "admin-site-phone", full=True)
    browser = page.context.browser
    assert browser is not None
    page = browser.new_context(viewport=PHONE).new_page()  # the auditor's own session
    sign_in(page, f"{base}/audit/login", "auditor@example.com", password)
    page.goto(f"{base}/audit/sites/{site_key}/?category=targeting&granted=false")
    filters = page.locator("[data-choice-filter]")  # from "Category … was …" to the table
    filters.evaluate("e => window.scrollTo(0, e.getBoundingClientRect().top + scrollY - 16)")
    shot(page, "audit-receipts-phone")


def main() -> None:
    """Start the demo, take every screenshot, stop the demo."""
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        env = demo_env(folder, port)
        demo, info = start_demo(env, port)
        try:
            seed = [str(CONSENT), "seed-receipts", "--site", info["site_key"], "--count", "40"]
            subprocess.run(seed, env=env, check=True, capture_output=True, timeout=120)  # noqa: S603
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                context = browser.new_context(viewport=VIEWPORT)
                context.set_default_timeout(15_000)
                users = info["users"]
                owner_side(context.new_page(), info["service"], users["owner@example.com"])
                audit_checkpoint(
                    browser.new_context(viewport=VIEWPORT).new_page(),
                    info["service"],
                    info["site_key"],
                    users["auditor@example.com"],
                )
                phone_width(
                    browser.new_context(viewport=PHONE).new_page(),
                    info["service"],
                    info["site_key"],
                    users["auditor@example.com"],
                    users["owner@example.com"],
                )
                browser.close()
        finally:
            demo.terminate()
            demo.wait(timeout=10)


if __name__ == "__main__":
    main()
