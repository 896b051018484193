"""A benchmark deployment: a database with a site, gunicorn serving it, a visitor's token."""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request
from pathlib import Path

from .common import BIN, ROOT

ORIGIN = "https://bench.example"
#: The site of the load sections (gate, appends, auditor, transparency): five vendors with
#: their ids, as their earlier figures were measured (a receipt lists the vendors).
VENDORS = (
    "google-analytics=G-BENCH1",
    "linkedin-insight=123",
    "meta-pixel=456",
    "hubspot",
    "vimeo",
)
#: The banner's site (#24): eight vendors, none with settings (with auto-blocking on a
#: vendor's id is optional: the page's own snippet may stand in for it).
BANNER_VENDORS = (
    "google-analytics",
    "meta-pixel",
    "linkedin-insight",
    "hubspot",
    "leadinfo",
    "youtube",
    "vimeo",
    "twitter",
)
#: The same eight with the ids that auto-blocking off requires.
BANNER_VENDORS_WITH_IDS = (
    "google-analytics=G-BENCH1",
    "meta-pixel=456",
    "linkedin-insight=123",
    *BANNER_VENDORS[3:],
)


def env_for(database_url: str, workdir: Path, **extra: str) -> dict[str, str]:
    """Environment of a benchmark instance (its own instance folder and log key)."""
    env = {
        "CONSENT_DATABASE_URL": database_url,
        "CONSENT_SECRET_KEY": "bench-secret",
        "CONSENT_RATELIMIT_CONSENTS": "100000000/minute",
        "CONSENT_PUBLIC_URL": "http://127.0.0.1:5000",
        "PYTHONDONTWRITEBYTECODE": "1",
        **extra,
    }
    return env


def consent_cli(env: dict[str, str], *args: str) -> dict:  # type: ignore[type-arg]
    """Run ``consent <args> --json`` and parse its output."""
    out = subprocess.run(
        [str(BIN / "consent"), *args, "--json"],
        env={**os.environ, **env},
        cwd=ROOT,
        check=False,
        capture_output=True,
        text=True,
    )
    if out.returncode:
        raise RuntimeError(f"consent {args[0]} exited {out.returncode}: {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def create_site(
    env: dict[str, str],
    name: str = "Bench",
    migrate: bool = True,
    vendors: tuple[str, ...] = VENDORS,
    auto_block: bool = True,
    origins: tuple[str, ...] = (),
) -> str:
    """A site with ``vendors`` (``id`` or ``id=setting``; by default GA, LinkedIn, Meta
    Pixel, HubSpot and Vimeo) and auto-blocking on unless told, on :data:`ORIGIN` and
    ``origins`` (a page elsewhere shows no banner); its key.

    The schema is migrated first unless ``migrate`` is false (a database already set up:
    each CLI call starts the app, about a second).
    """
    if migrate:
        consent_cli(env, "init-db")
    args = ["create-site", "--name", name]
    for origin in (ORIGIN, *origins):
        args += ["--origin", origin]
    for vendor in vendors:
        args += ["--vendor", vendor]
    if not auto_block:
        args.append("--no-auto-block")
    return str(consent_cli(env, *args)["site_key"])


def consent_body(base: str, site_key: str, action: str = "accept_all") -> bytes:
    """A valid consents POST body for the site's current policy."""
    with urllib.request.urlopen(f"{base}/api/v1/sites/{site_key}/config") as response:
        config = json.load(response)
    return json.dumps(
        {
            "action": action,
            "policy_version": config["policy_version"],
            "policy_hash": config["policy_hash"],
            "language": "en",
            "page_url": f"{ORIGIN}/page",
        }
    ).encode()


def post_consent(base: str, site_key: str, body: bytes) -> dict:  # type: ignore[type-arg]
    """POST one consent like the banner does; the JSON answer."""
    request = urllib.request.Request(
        f"{base}/api/v1/sites/{site_key}/consents",
        data=body,
        headers={"Content-Type": "application/json", "Origin": ORIGIN},
    )
    with urllib.request.urlopen(request) as response:
        return json.load(response)  # type: ignore[no-any-return]
