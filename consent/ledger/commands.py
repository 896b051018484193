"""Commands for the ledger: ``verify-ledger``, ``purge``, ``erase-subject``,
``seed-receipts``, and ``log-key generate`` for the transparency log's signing key."""

from __future__ import annotations

import re
import sys
from urllib.parse import urlsplit

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from consent.console import emit, json_option, progress_bar, site_by_key
from consent.core.notes import generate_signer_key
from consent.extensions import db
from consent.ledger.erasure import erase, purge
from consent.ledger.reads import receipt_count, verify_chain
from consent.ledger.seeding import seed_receipts
from consent.models import Site
from consent.sites.state import site_state


@click.command("verify-ledger")
@with_appcontext
@click.option("--site", "site_key", default=None)
@json_option
def verify_ledger_command(site_key: str | None, as_json: bool) -> None:
    """Walk each site's hash chain; exit 1 naming the first bad seq."""
    sites = (
        [site_by_key(site_key)] if site_key else db.session.scalars(select(Site).order_by(Site.id))
    )
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
    emit(as_json, {"sites": results}, "\n".join(lines) or "no sites")
    if not all(r["ok"] for r in results):
        sys.exit(1)


_DURATION = re.compile(r"([1-9][0-9]{0,4})d")


@click.command("purge")
@with_appcontext
@click.option("--older-than", default=None, help="e.g. 365d; default: each site's retention")
@json_option
def purge_command(older_than: str | None, as_json: bool) -> None:
    """Delete personal context past retention; receipts are never deleted.

    On PostgreSQL, run as the owner role, it also keeps the context's month partitions.
    """
    fixed = None
    if older_than is not None:
        match = _DURATION.fullmatch(older_than)
        if match is None:
            raise click.BadParameter("use a number of days like 365d", param_hint="--older-than")
        fixed = int(match.group(1))
    sites = db.session.scalar(select(func.count()).select_from(Site)) or 0
    with progress_bar("purging", sites, as_json) as progress:
        purged, upkept = purge(fixed, progress)
    dropped = sum(upkept.dropped.values())
    total = sum(purged.values()) + dropped
    data: dict[str, object] = {"purged": total, "sites": purged}
    text = f"purged the context of {total} receipts"
    if db.engine.dialect.name == "postgresql":
        data["partitions"] = upkept.as_dict()
        text += f" ({dropped} in {len(upkept.dropped)} dropped month partitions)"
        if upkept.skipped:
            text += f"; month partitions left alone: {upkept.skipped}"
    emit(as_json, data, text)


@click.command("erase-subject")
@with_appcontext
@click.option("--site", "site_key", required=True)
@click.option("--subject", required=True)
@json_option
def erase_subject_command(site_key: str, subject: str, as_json: bool) -> None:
    """Erase one subject's personal context on request; the erasure is recorded."""
    site = site_by_key(site_key)
    with progress_bar("erasing", receipt_count(site.id, subject), as_json) as progress:
        done = erase(site.id, subject, "cli", progress)
    if done is None:
        raise click.ClickException("no receipt of this subject on this site")
    plural = "" if done["receipts"] == 1 else "s"
    emit(as_json, done, f"erased the personal context of {done['receipts']} receipt{plural}")


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
    emit(as_json, {"site_key": site_key, "added": added}, f"added {added}")


@click.group("log-key")
def log_key_group() -> None:
    """The transparency log's signing key."""


@log_key_group.command("generate")
@click.option("--name", default=None, help="key name; default: the netloc of CONSENT_PUBLIC_URL")
@json_option
@with_appcontext
def log_key_generate(name: str | None, as_json: bool) -> None:
    """Print a new note signer key (for CONSENT_LOG_KEY) and its verifier key."""
    signer, verifier = generate_signer_key(
        name or urlsplit(current_app.config["CONSENT_PUBLIC_URL"]).netloc
    )
    text = f"CONSENT_LOG_KEY={signer}\nverifier key: {verifier}"
    emit(as_json, {"signer": signer, "verifier": verifier}, text)


#: Registered by :func:`consent.cli.init_app`.
COMMANDS = (
    verify_ledger_command,
    purge_command,
    erase_subject_command,
    seed_receipts_command,
    log_key_group,
)
