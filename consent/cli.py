"""Command line: ``flask --app consent <command>`` and the ``consent`` script."""

from __future__ import annotations

import json
import os
import random
import re
import secrets
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from itertools import islice
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import Connection, func, select

from . import transparency
from .accounts import create_api_token, upsert_user
from .audit.queries import iso_ms
from .canonical import canonical, sha256_hex
from .catalog import CATEGORIES, VENDORS
from .chain import GENESIS, HASHED_FIELDS, receipt_hash
from .errors import ConsentError
from .extensions import db, init_migrations
from .ledger import erase_subject, lock_chain, purge_contexts, receipt_count, verify_chain
from .models import Receipt, ReceiptContext, Site, utcnow
from .policy import normalize_origin, validate_https_url, validate_vendors
from .sites import SiteState, create_site, site_state
from .texts import LANGUAGES

_R = Receipt.__table__
_C = ReceiptContext.__table__

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


def init_db() -> None:
    """Apply every migration (works on an empty database)."""
    from flask_migrate import upgrade

    upgrade(directory=init_migrations(current_app))


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


#: Seeded receipts: how many per transaction, and the period they are spread over.
_SEED_BATCH = 20_000
_SEED_SPAN = timedelta(days=90)


@click.command("seed-receipts")
@with_appcontext
@click.option("--site", "site_key", required=True)
@click.option("--count", required=True, type=click.IntRange(1, 10_000_000))
@json_option
def seed_receipts_command(site_key: str, count: int, as_json: bool) -> None:
    """Append COUNT valid, chained receipts with varied choices (for benchmarks)."""
    site = site_state(site_key)
    choices = _seed_choices(site, count)
    times = _seed_times(site.site_id, count)
    added = 0
    with progress_bar("seeding", count, as_json) as progress:
        while added < count:
            batch = list(islice(choices, _SEED_BATCH))
            added += _seed_batch(site, batch, times)
            progress(len(batch))
    _emit(as_json, {"site_key": site_key, "added": added}, f"added {added}")


def _seed_choices(site: SiteState, count: int) -> Iterator[tuple[Any, ...]]:
    """Varied choices (subject, action, categories, vendors, signals, language, context)."""
    rng = random.Random(count)
    version = site.versions[site.gate.policy_version]
    subjects = [f"{rng.getrandbits(128):032x}" for _ in range(max(1, count // 3))]
    signals = [{"gpc": gpc, "dnt": dnt} for gpc in (False, True) for dnt in (False, True)]
    contexts = [
        {
            "page_url": "https://www.example.com/",
            "ip_prefix": f"203.0.{octet}.0/24",
            "user_agent": "Mozilla/5.0 (seed-receipts)",
        }
        for octet in range(256)
    ]
    # custom twice as often as each other action (its 16 shapes share that weight)
    choices = [(action, 0) for action in ("accept_all", "reject_all", "withdraw")] * 16
    choices += [("custom", bits) for bits in range(16)] * 2
    shapes = []
    for action, bits in choices:
        categories = {c: c == "necessary" or action == "accept_all" for c in CATEGORIES}
        if action == "custom":
            categories.update({c: bool(bits >> i & 1) for i, c in enumerate(CATEGORIES[1:])})
        vendors = {v: categories[c] for v, c in sorted(version.vendor_categories.items())}
        shapes.append((action, categories, vendors))
    for _ in range(count):
        action, categories, vendors = rng.choice(shapes)
        signal = signals[(rng.random() < 0.1) * 2 + (rng.random() < 0.05)]
        language = "nl" if rng.random() < 0.4 else "en"
        context = contexts[rng.getrandbits(8)]
        yield rng.choice(subjects), action, categories, vendors, signal, language, context


def _seed_times(site_id: int, count: int) -> Iterator[str]:
    """Creation times spread evenly up to now, after the site's newest receipt."""
    now = utcnow()
    newest = db.session.scalar(select(func.max(_R.c.created_at)).where(_R.c.site_id == site_id))
    start = now - _SEED_SPAN
    if newest is not None:
        start = max(start, datetime.fromisoformat(newest))
    step = (now - start) / count
    return (iso_ms(start + step * number) for number in range(1, count + 1))


#: Receipt columns as the bulk insert writes them (JSON columns as text).
_SEED_COLUMNS = ("site_id", *HASHED_FIELDS, "hash")
_JSON_FIELDS = ("categories", "vendors", "signals")
_CONTEXT_COLUMNS = ("receipt_pk", "salt", "created_at", "page_url", "ip_prefix", "user_agent")


def _seed_batch(site: SiteState, choices: list[tuple[Any, ...]], times: Iterator[str]) -> int:
    """Chain, insert and log one batch in one transaction, serialised per site like appends."""
    version = site.versions[site.gate.policy_version]
    texts: dict[int, Any] = {}  # the batch's few distinct contexts and JSON values, serialised once

    def text(value: Any, encode: Callable[[Any], Any]) -> Any:
        if id(value) not in texts:
            texts[id(value)] = encode(value)
        return texts[id(value)]

    with db.engine.connect().execution_options(sqlite_immediate=True) as conn, conn.begin():
        if conn.dialect.name == "sqlite":  # the random-keyed indexes must stay in memory
            conn.exec_driver_sql("PRAGMA cache_size = -262144")
        recent = lock_chain(conn, site.site_id)
        seq, prev = recent[0] if recent else (0, GENESIS)
        size, rows, salts = seq, [], []
        for subject, action, categories, vendors, signals, language, context in choices:
            salt = os.urandom(16)
            seq += 1
            body = {
                "receipt_id": str(uuid.uuid4()),
                "site_key": site.site_key,
                "seq": seq,
                "subject_id": subject,
                "created_at": next(times),
                "policy_version": version.version,
                "policy_hash": version.policy_hash,
                "language": language,
                "action": action,
                "categories": categories,
                "vendors": vendors,
                "signals": signals,
                "context_digest": sha256_hex(salt + text(context, canonical)),
                "prev_hash": prev,
            }
            body["hash"] = prev = receipt_hash(body)
            body.update({name: text(body[name], json.dumps) for name in _JSON_FIELDS})
            rows.append((site.site_id, *map(body.__getitem__, _SEED_COLUMNS[1:])))
            salts.append(salt)
        _bulk_insert(conn, "receipts", _SEED_COLUMNS, rows)
        pks = conn.scalars(
            select(_R.c.id).where(_R.c.site_id == site.site_id, _R.c.seq > size).order_by(_R.c.seq)
        ).all()
        to_db = _C.c.created_at.type.bind_processor(conn.dialect)
        now = to_db(utcnow()) if to_db else utcnow()
        contexts = [
            (pk, salt, now, *choice[6].values())
            for pk, salt, choice in zip(pks, salts, choices, strict=True)
        ]
        _bulk_insert(conn, "receipt_contexts", _CONTEXT_COLUMNS, contexts)
        transparency.append(conn, site.site_id, size, [row[-1] for row in rows])
    return len(rows)


def _bulk_insert(
    conn: Connection, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> None:
    """Insert many rows through the driver: COPY on PostgreSQL, executemany on SQLite."""
    names = ", ".join(columns)
    if conn.dialect.name == "postgresql":
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" * len(columns))
    # Table and column names are this module's constants, never input.
    conn.exec_driver_sql(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)  # noqa: S608


@click.command(
    "verify-export",
    context_settings={"ignore_unknown_options": True, "help_option_names": []},
    add_help_option=False,
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def verify_export_command(args: tuple[str, ...]) -> None:
    """Check an NDJSON export against a signed checkpoint, offline (see --help)."""
    from .offline import main as verify_export

    sys.exit(verify_export(list(args)))


@click.command(
    "monitor",
    context_settings={"ignore_unknown_options": True, "help_option_names": []},
    add_help_option=False,
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def monitor_command(args: tuple[str, ...]) -> None:
    """Check a site's log for rewrites against the checkpoints seen before (see --help)."""
    from .monitor import main as monitor

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

    from .notes import generate_signer_key

    signer, verifier = generate_signer_key(
        name or urlsplit(current_app.config["CONSENT_PUBLIC_URL"]).netloc
    )
    text = f"CONSENT_LOG_KEY={signer}\nverifier key: {verifier}"
    _emit(as_json, {"signer": signer, "verifier": verifier}, text)


def init_app(app: Flask) -> None:
    """Register every command on ``app.cli``."""
    from .demo import demo_command

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
    from . import create_app

    FlaskGroup(create_app=create_app, add_default_commands=True)(prog_name="consent")


def random_password() -> str:
    """A password for demo users, printed once."""
    return secrets.token_urlsafe(12)
