"""The demo: a sample owner page that embeds the banner, and the ``demo`` command."""

from __future__ import annotations

import json
import logging
import os
import socket
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
from flask import Blueprint, Flask, Response, current_app, render_template, request
from flask.cli import with_appcontext
from sqlalchemy import select
from werkzeug.serving import WSGIRequestHandler, run_simple

from consent.core.texts import DEFAULT_LANGUAGES
from consent.demo.activity import DEMO_RECEIPTS, seed_activity
from consent.demo.examples import SLUGS, example_named, examples, load_example
from consent.demo.reference import PAGES, reference_page
from consent.errors import NotFound
from consent.extensions import db
from consent.models import Site
from consent.scans.queue import spawn_worker
from consent.sites.owner import create_site
from consent.sites.state import site_state

bp = Blueprint("demo", __name__)

DEMO_NAME = "Demo: Example Bakery"
DEMO_VENDORS = {
    "google-analytics": {"category": "performance", "settings": {"measurement_id": "G-DEMO1234"}},
    "linkedin-insight": {"category": "targeting", "settings": {"partner_id": "1234567"}},
    "meta-pixel": {"category": "targeting", "settings": {"pixel_id": "123456789012345"}},
    "hubspot": {"category": "targeting", "settings": {}},
    "vimeo": {"category": "functionality", "settings": {}},
    "twitter": {"category": "social", "settings": {}},
}

#: The owner page's own CSP: strict, but letting the vendors it uses load once allowed.
OWNER_CSP = (
    "default-src 'self'; script-src 'self' https://www.googletagmanager.com "
    "https://snap.licdn.com https://connect.facebook.net https://js.hs-scripts.com "
    "https://platform.twitter.com https://cdn.leadinfo.net; style-src 'self'; "
    "img-src 'self' data: https:; "
    "connect-src 'self' https:; frame-src https:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'"
)


@bp.get("/<site_key>")
def owner_page(site_key: str) -> Response:
    """A sample owner page with the one script tag, blocked tags and a cookie-settings link
    (a reference site's home page for one of the five)."""
    site = site_state(site_key)
    example = example_named(site.name)
    if example is not None:
        return reference_page(example, site, "home")
    lang = "nl" if request.args.get("lang") == "nl" else "en"  # the page's copy: en and nl
    src = f"/embed/{site.site_key}.js"
    body = render_template("demo/owner.html", site=site, snippet_src=src, lang=lang)
    response = Response(body, mimetype="text/html")
    response.headers["Content-Security-Policy"] = OWNER_CSP
    return response


@bp.get("/example/<slug>/<page>")
def example_page(slug: str, page: str) -> Response:
    """A reference site's services, privacy or cookie-policy page (written for the demo)."""
    example = examples().get(slug)
    site = _site_named(example.name) if example is not None else None
    if example is None or site is None or page not in PAGES[1:]:
        raise NotFound("unknown page")
    return reference_page(example, site_state(site.site_key), page)


def ensure_demo_site(origin: str) -> Site:
    """The demo site, created with version 1 on first use."""
    site = db.session.scalar(select(Site).where(Site.name == DEMO_NAME))
    origins = sorted({origin, origin.replace("127.0.0.1", "localhost")})
    if site is not None and not set(origins) <= set(site.origins):
        site.origins = sorted({*site.origins, *origins})  # served on another address
        site.state_version += 1
        db.session.commit()
    if site is None:
        site = create_site(
            name=DEMO_NAME,
            origins=origins,
            vendors=DEMO_VENDORS,
            language="en",
            privacy_url=f"{origin}/demo/privacy",
        )
        db.session.commit()
    return site


def demo_sites() -> list[Site]:
    """The sites ``consent demo`` set up in this database (the bakery, reference sites), by
    name, oldest first: the landing page links their demo pages."""
    names = [DEMO_NAME, *(example.name for example in examples().values())]
    return list(db.session.scalars(select(Site).where(Site.name.in_(names)).order_by(Site.id)))


#: Where each reference site is served by default: beside the demo (5000), each on its own port.
EXAMPLE_PORTS = {slug: 5001 + number for number, slug in enumerate(SLUGS)}


@click.command("demo")
@with_appcontext
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, help="Default: 5000, or for an --example its own (5001-5005).")
@click.option(
    "--no-serve",
    is_flag=True,
    help="Set up and print, but do not serve. Like every run, it sets new passwords and a "
    "new auditor token (the old ones stop working; they are stored only as hashes).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON on stdout.")
@click.option(
    "--example",
    type=click.Choice(SLUGS),
    default=None,
    help="Set up this reference site instead of the demo bakery, in its own instance folder "
    "(instance/examples/NAME: database, secret, log key), so it runs beside the demo.",
)
@click.option(
    "--receipts",
    default=DEMO_RECEIPTS,
    show_default=True,
    type=click.IntRange(0, 100_000),
    help="Made-up receipts over the last 30 days for a site that has none yet.",
)
def demo_command(
    host: str, port: int | None, no_serve: bool, as_json: bool, example: str | None, receipts: int
) -> None:
    """Create the database, a demo site, users and an auditor token; serve the demo."""
    port = port or (EXAMPLE_PORTS[example] if example else 5000)
    if not no_serve:
        _check_port_free(host, port)  # before anything changes: new passwords, a new token
    if "CONSENT_PUBLIC_URL" not in os.environ:
        current_app.config["CONSENT_PUBLIC_URL"] = f"http://{host}:{port}"
    public = current_app.config["CONSENT_PUBLIC_URL"]
    if example and "CONSENT_DATABASE_URL" not in os.environ:
        app = example_app(example, public)
    else:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
    with app.app_context():
        info = _set_up(public, example, receipts)
        if no_serve and app is not current_app._get_current_object():  # type: ignore[attr-defined]
            db.engine.dispose()  # the example's own database, closed as the command ends
    if as_json:
        click.echo(json.dumps(info))
    else:
        _print_info(info)
    if no_serve:
        return
    worker = spawn_worker(app, public)
    try:
        run_simple(host, port, app, threaded=True, request_handler=_PathOnlyLog)
    finally:
        if worker is not None:
            worker.terminate()  # RQ finishes the job at hand, then stops
            worker.wait()


def example_app(slug: str, public: str) -> Flask:
    """A reference site's own instance (``instance/examples/<slug>``: its SQLite file, secret
    and log key, and a session cookie of its own), so it never shares the demo's database,
    passwords or sign-in on the same host."""
    from consent import create_app

    folder = Path(current_app.instance_path) / "examples" / slug
    folder.mkdir(parents=True, exist_ok=True)
    settings = {
        "CONSENT_PUBLIC_URL": public,
        "CONSENT_DEMO": True,
        "SESSION_COOKIE_NAME": f"session-{slug}",
    }
    return create_app(settings, instance_path=str(folder))


def _set_up(public: str, example: str | None, receipts: int) -> dict[str, Any]:
    """The database, the site with a month of choices, an auditor token and two users."""
    from consent.extensions import init_db
    from consent.sites.accounts import create_api_token, random_password, upsert_user

    init_db()
    site = load_example(example, public) if example else ensure_demo_site(public)
    state = site_state(site.site_key)
    policy = state.current["privacy_policy_url"]  # the demo's own page, as the banner links it
    pages = [
        f"{public}/demo/{site.site_key}",
        *([policy] if policy and policy.startswith(public) else []),
    ]
    seeded = seed_activity(state, pages, receipts)
    _row, auditor_token = create_api_token(site, "auditor", "demo auditor")
    passwords = {"owner@example.com": random_password(), "auditor@example.com": random_password()}
    upsert_user("owner@example.com", "owner", passwords["owner@example.com"], site)
    upsert_user("auditor@example.com", "auditor", passwords["auditor@example.com"], site)
    db.session.commit()
    return {
        "service": public,
        "demo_page": f"{public}/demo/{site.site_key}",
        "site_key": site.site_key,
        "snippet": f'<script src="{public}/embed/{site.site_key}.js"></script>',
        "auditor_token": auditor_token,
        "users": passwords,
        "seeded_receipts": seeded,
        "instance": current_app.instance_path,
    }


def _check_port_free(host: str, port: int) -> None:
    with socket.socket() as probe:
        # As the server will: a port that only has closed connections waiting (TIME_WAIT,
        # just after the last demo stopped) is free; one with a listener is not.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise click.ClickException(
                f"{host}:{port} is in use ({error.strerror}); stop what runs there, or pick "
                "another port: make run PORT=5077"
            ) from error


class _PathOnlyLog(WSGIRequestHandler):
    """Log method, path and status only: query strings may carry consent tokens."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # No client address: a full one is never logged (the app stores only a prefix).
        path = urlsplit(self.path).path
        status = getattr(code, "value", code)
        logging.getLogger("werkzeug").info('"%s %s" %s %s', self.command, path, status, size)


def _print_info(info: dict) -> None:  # type: ignore[type-arg]
    key, token, base = info["site_key"], info["auditor_token"], info["service"]
    click.echo(
        f"""
Consent Ledger demo
  Start here:                    {base}/
  Demo owner page (the banner):  {info["demo_page"]}
  API (OpenAPI document):        {base}/openapi.json
  Owner UI:                      {base}/admin/
  Auditor UI:                    {base}/audit/
  Site key:                      {key}
  Snippet for an owner's <head>: {info["snippet"]}
  Auditor API token:             {token}
  Users (password shown once):   """
        + "\n                                 ".join(f"{e} / {p}" for e, p in info["users"].items())
        + f"""
  Instance folder (database):    {info["instance"]}
  Receipts seeded just now:      {info["seeded_receipts"]} (made up, over the last 30 days)

Try, in another terminal in this folder (the README's examples use these variables):
  BASE={base} KEY={key} TOKEN={token}
  AUTH="Authorization: Bearer $TOKEN"
  curl -s "$BASE/api/v1/sites/$KEY/config?lang=nl"
  curl -s "$BASE/api/v1/sites/$KEY/gate?vendors=google-analytics,meta-pixel"
Prove the receipts offline (the README's "Proving consent without trusting us"):
  curl -s -H "$AUTH" "$BASE/api/v1/audit/sites/$KEY/export?format=ndjson" > export.ndjson
  curl -s "$BASE/log/$KEY/checkpoint" > checkpoint.txt
  VKEY=$(curl -s "$BASE/log/key" | head -1)
  .venv/bin/consent verify-export export.ndjson --checkpoint checkpoint.txt --key "$VKEY"
  .venv/bin/consent monitor --url "$BASE" --site "$KEY" --state ./monitor-state
"""
    )


def _site_named(name: str) -> Site | None:
    """A demo site by its name: its policy pages embed its banner and cookie declaration."""
    return db.session.scalar(select(Site).where(Site.name == name))


def _page_language() -> str:
    """The policy page's language (``?lang=``: the languages the demo ships), else English."""
    wanted = request.args.get("lang", "")
    return wanted if wanted in DEFAULT_LANGUAGES else "en"


@bp.get("/privacy")
def privacy() -> Response:
    """The demo site's privacy policy, linked from its banner, with its cookie declaration."""
    lang = "nl" if _page_language() == "nl" else "en"  # the page's copy: en and nl
    body = render_template("demo/privacy.html", site=_site_named(DEMO_NAME), lang=lang)
    response = Response(body, mimetype="text/html")
    response.headers["Content-Security-Policy"] = OWNER_CSP
    return response
