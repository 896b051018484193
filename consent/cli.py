"""Command line: ``flask --app consent <command>`` and the ``consent`` script."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import select

from consent.core.catalog import VENDORS
from consent.core.texts import LANGUAGES
from consent.errors import ConsentError
from consent.extensions import db, init_db, init_migrations
from consent.ledger.append import erase_subject, purge_contexts, receipt_count, verify_chain
from consent.ledger.seeding import seed_receipts
from consent.models import Site, utcnow
from consent.sites.accounts import create_api_token, upsert_user
from consent.sites.owner import create_site
from consent.sites.state import site_state
from consent.sites.validation import normalize_origin, validate_https_url, validate_vendors

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON on stdout.")


def on_terminal() -> bool:
    """Is stderr a terminal (where a progress bar helps rather than clutters a log)?"""
    return sys.stderr.isatty()


@contextmanager
def progress_bar(label: str, length: int, as_json: bool) -> Iterator[Callable[[int], None]]:
    """A progress bar on a terminal (stderr); nothing with --json or when piped."""
    if as_json or not on_terminal() or length < 1:
        yield lambda _rows: None
        return
    with click.progressbar(length=length, label=label, file=sys.stderr) as bar:
        yield bar.update


def _emit(as_json: bool, data: dict[str, Any], text: str) -> None:
    click.echo(json.dumps(data) if as_json else text)


def _site(site_key: str) -> Site:
    site = db.session.scalar(select(Site).where(Site.site_key == site_key))
    if site is None:
        raise click.ClickException(f"unknown site {site_key!r}")
    return site


def _fail(error: ConsentError) -> click.ClickException:
    field = error.details.get("field")
    return click.ClickException(f"{field}: {error.message}" if field else error.message)


@click.command("init-db")
@with_appcontext
@json_option
def init_db_command(as_json: bool) -> None:
    """Create or migrate the schema."""
    init_db()
    _emit(as_json, {"ok": True}, "database schema is up to date")


def parse_vendor_options(values: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """Turn ``--vendor id[=setting]`` options into a validated vendor map."""
    vendors: dict[str, dict[str, Any]] = {}
    for value in values:
        vendor_id, _, setting = value.partition("=")
        vendor = VENDORS.get(vendor_id)
        if vendor is None:
            raise click.BadParameter(f"unknown vendor {vendor_id!r}", param_hint="--vendor")
        settings = {vendor.settings[0].name: setting} if setting and vendor.settings else {}
        if setting and not vendor.settings:
            raise click.BadParameter(f"{vendor_id} takes no setting", param_hint="--vendor")
        vendors[vendor_id] = {"category": vendor.category, "settings": settings}
    try:
        return validate_vendors(vendors)
    except ConsentError as error:
        raise _fail(error) from error


@click.command("create-site")
@with_appcontext
@click.option("--name", required=True)
@click.option("--origin", "origins", multiple=True, required=True)
@click.option("--vendor", "vendors", multiple=True)
@click.option("--language", default="en", type=click.Choice(LANGUAGES))
@click.option("--privacy-url", default=None)
@json_option
def create_site_command(
    name: str,
    origins: tuple[str, ...],
    vendors: tuple[str, ...],
    language: str,
    privacy_url: str | None,
    as_json: bool,
) -> None:
    """Create a site and publish its policy version 1 with the default texts."""
    try:
        clean = sorted({normalize_origin(o, f"--origin[{i}]") for i, o in enumerate(origins)})
        url = validate_https_url(privacy_url or f"{clean[0]}/privacy", "--privacy-url")
    except ConsentError as error:
        raise _fail(error) from error
    if not name.strip() or len(name) > 200:
        raise click.BadParameter("must be 1 to 200 characters", param_hint="--name")
    site = create_site(
        name=name.strip(),
        origins=clean,
        vendors=parse_vendor_options(vendors),
        language=language,
        privacy_url=url,
    )
    db.session.commit()
    _emit(as_json, {"site_key": site.site_key}, site.site_key)


@click.command("create-token")
@with_appcontext
@click.option("--site", "site_key", required=True)
@click.option("--role", required=True, type=click.Choice(["owner", "auditor"]))
@click.option("--label", default="")
@json_option
def create_token_command(site_key: str, role: str, label: str, as_json: bool) -> None:
    """Mint an API token for a site (shown only now)."""
    _row, token = create_api_token(_site(site_key), role, label or f"cli {role}")
    db.session.commit()
    _emit(as_json, {"token": token}, token)


def _read_password() -> str:
    if sys.stdin.isatty():
        return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))
    return sys.stdin.readline().rstrip("\r\n")


@click.command("create-user")
@with_appcontext
@click.option("--email", required=True)
@click.option("--role", required=True, type=click.Choice(["owner", "auditor"]))
@click.option("--site", "site_key", default=None)
@json_option
def create_user_command(email: str, role: str, site_key: str | None, as_json: bool) -> None:
    """Create a user; the password is read from stdin or prompted for."""
    site = _site(site_key) if site_key else None
    if role == "auditor" and site is None:
        raise click.BadParameter("an auditor needs --site", param_hint="--site")
    try:
        user = upsert_user(email, role, _read_password(), site)
    except ConsentError as error:
        raise _fail(error) from error
    db.session.commit()
    _emit(as_json, {"email": user.email, "role": role, "site_key": site_key}, user.email)


@click.command("verify-ledger")
@with_appcontext
@click.option("--site", "site_key", default=None)
@json_option
def verify_ledger_command(site_key: str | None, as_json: bool) -> None:
    """Walk each site's hash chain; exit 1 naming the first bad seq."""
    sites = [_site(site_key)] if site_key else db.session.scalars(select(Site).order_by(Site.id))
    results = []
    for site in sites:
        with progress_bar(site.site_key, receipt_count(site.id), as_json) as progress:
            results.append({"site_key": site.site_key, **verify_chain(site.id, progress).as_dict()})
    lines = [
        f"{r['site_key']}: ok, {r['receipts']} receipts, head {r['head']}"
        if r["ok"]
        else f"{r['site_key']}: BROKEN at seq {r['first_bad_seq']} ({r['reason']})"
        for r in results
    ]
    _emit(as_json, {"sites": results}, "\n".join(lines) or "no sites")
    if not all(r["ok"] for r in results):
        sys.exit(1)


_DURATION = re.compile(r"([1-9][0-9]{0,4})d")


@click.command("purge")
@with_appcontext
@click.option("--older-than", default=None, help="e.g. 365d; default: each site's retention")
@json_option
def purge_command(older_than: str | None, as_json: bool) -> None:
    """Delete personal context past retention; receipts are never deleted."""
    fixed = None
    if older_than is not None:
        match = _DURATION.fullmatch(older_than)
        if match is None:
            raise click.BadParameter("use a number of days like 365d", param_hint="--older-than")
        fixed = int(match.group(1))
    purged = {}
    sites = db.session.scalars(select(Site).order_by(Site.id)).all()
    with progress_bar("purging", len(sites), as_json) as progress:
        for site in sites:
            days = fixed if fixed is not None else site.retention_days
            purged[site.site_key] = purge_contexts(site.id, utcnow() - timedelta(days=days))
            progress(1)
    total = sum(purged.values())
    _emit(as_json, {"purged": total, "sites": purged}, f"purged the context of {total} receipts")


@click.command("erase-subject")
@with_appcontext
@click.option("--site", "site_key", required=True)
@click.option("--subject", required=True)
@json_option
def erase_subject_command(site_key: str, subject: str, as_json: bool) -> None:
    """Erase one subject's personal context on request; the erasure is recorded."""
    site = _site(site_key)
    with progress_bar("erasing", receipt_count(site.id, subject), as_json) as progress:
        erasure = erase_subject(site.id, subject, "cli", progress)
    data = {
        "subject_id": subject,
        "erased_at": erasure.erased_at.isoformat(),
        "receipts": erasure.receipts,
    }
    plural = "" if erasure.receipts == 1 else "s"
    _emit(as_json, data, f"erased the personal context of {erasure.receipts} receipt{plural}")


@click.command("seed-receipts")
@with_appcontext
@click.option("--site", "site_key", required=True)
@click.option("--count", required=True, type=click.IntRange(1, 10_000_000))
@json_option
def seed_receipts_command(site_key: str, count: int, as_json: bool) -> None:
    """Append COUNT valid, chained receipts with varied choices (for benchmarks)."""
    site = site_state(site_key)
    with progress_bar("seeding", count, as_json) as progress:
        added = seed_receipts(site, count, progress)
    _emit(as_json, {"site_key": site_key, "added": added}, f"added {added}")


@click.command(
    "verify-export",
    context_settings={"ignore_unknown_options": True, "help_option_names": []},
    add_help_option=False,
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def verify_export_command(args: tuple[str, ...]) -> None:
    """Check an NDJSON export against a signed checkpoint, offline (see --help)."""
    from consent.offline.verify import main as verify_export

    sys.exit(verify_export(list(args)))


@click.command(
    "monitor",
    context_settings={"ignore_unknown_options": True, "help_option_names": []},
    add_help_option=False,
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def monitor_command(args: tuple[str, ...]) -> None:
    """Check a site's log for rewrites against the checkpoints seen before (see --help)."""
    from consent.offline.monitor import main as monitor

    sys.exit(monitor(list(args)))


@click.group("log-key")
def log_key_group() -> None:
    """The transparency log's signing key."""


@log_key_group.command("generate")
@click.option("--name", default=None, help="key name; default: the netloc of CONSENT_PUBLIC_URL")
@json_option
@with_appcontext
def log_key_generate(name: str | None, as_json: bool) -> None:
    """Print a new note signer key (for CONSENT_LOG_KEY) and its verifier key."""
    from urllib.parse import urlsplit

    from consent.core.notes import generate_signer_key

    signer, verifier = generate_signer_key(
        name or urlsplit(current_app.config["CONSENT_PUBLIC_URL"]).netloc
    )
    text = f"CONSENT_LOG_KEY={signer}\nverifier key: {verifier}"
    _emit(as_json, {"signer": signer, "verifier": verifier}, text)


def init_app(app: Flask) -> None:
    """Register every command on ``app.cli``."""
    from consent.demo.server import demo_command

    if click.get_current_context(silent=True) is not None:
        # Run as the command line (``flask db …``): a web worker never imports Alembic.
        init_migrations(app)

    for command in (
        init_db_command,
        create_site_command,
        create_token_command,
        create_user_command,
        verify_ledger_command,
        purge_command,
        erase_subject_command,
        seed_receipts_command,
        demo_command,
        verify_export_command,
        monitor_command,
        log_key_group,
    ):
        app.cli.add_command(command)


def main() -> None:
    """Entry point of the ``consent`` console script."""
    from consent import create_app

    FlaskGroup(create_app=create_app, add_default_commands=True)(prog_name="consent")
