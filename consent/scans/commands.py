"""``consent scan``: scan a site in this process, with a progress bar, and print the report."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext

from consent.console import click_error, emit, json_option, progress_bar, site_by_key
from consent.errors import ConsentError
from consent.extensions import db
from consent.scans.jobs import run_job
from consent.scans.plans import DEFAULT_PAGES, check_max_pages, check_urls
from consent.scans.records import create_scan, scan_report, scan_row


def _summary(report: dict[str, Any]) -> str:
    """The report in a few lines: status, pages, then one line per finding."""
    head = f"scan {report['scan_id']}: {report['status']}"
    if report["status"] != "done":
        return f"{head} ({report.get('reason') or 'no reason given'})"
    lines = [f"{head}, {len(report['pages'])} pages, {len(report['findings'])} findings"]
    for finding in report["findings"]:
        where = f" [{finding['state']}]" if finding["state"] else ""
        vendor = finding["vendor"] or "-"
        lines.append(f"  {finding['kind']}{where} {vendor}: {finding['detail']}")
    lines.append(f"report_hash {report['report_hash']}")
    return "\n".join(lines)


def _advance(update: Callable[[int], None]) -> Callable[[int, int], None]:
    """A crawl's (done, planned) progress as steps of a click progress bar."""
    shown = 0

    def advance(done: int, _planned: int) -> None:
        nonlocal shown
        if done > shown:
            update(done - shown)
            shown = done

    return advance


@click.command("scan")
@click.option("--site", "site_key", required=True, help="The site's key.")
@click.option("--url", "urls", multiple=True, help="A start URL (repeatable; default: /).")
@click.option("--max-pages", default=DEFAULT_PAGES, show_default=True, type=int)
@json_option
@with_appcontext
def scan_command(site_key: str, urls: tuple[str, ...], max_pages: int, as_json: bool) -> None:
    """Scan a site in three states (no choice, reject all, accept all) and report it."""
    site = site_by_key(site_key)
    site_id, origins = site.id, list(site.origins)
    try:
        checked = check_urls(list(urls), origins, "url")
        pages = check_max_pages(max_pages, "max-pages")
        db.session.commit()  # then write as SQLite's one writer (BEGIN IMMEDIATE)
        db.session.connection(execution_options={"sqlite_immediate": True})
        scan_id = create_scan(site_id, checked, pages).id
        db.session.commit()
    except ConsentError as error:
        raise click_error(error) from error
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    with progress_bar("Scanning", 3 * pages, as_json) as update:
        run_job(app, scan_id, _advance(update))
    row = scan_row(scan_id)
    assert row is not None
    report = scan_report(row, site_key)
    emit(as_json, report, _summary(report))
    if report["status"] != "done":
        sys.exit(1)


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@with_appcontext
def worker_command(burst: bool) -> None:
    """Run queued site scans (needs CONSENT_REDIS_URL): start one or more beside the web
    server; each runs one scan at a time, in its own process (its browser is stopped after
    each scan, or when the scan's time is up)."""
    from consent.scans.queue import work

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not app.config["CONSENT_REDIS_URL"]:
        raise click.ClickException(
            "consent worker needs CONSENT_REDIS_URL: without Redis the web server runs scans"
        )
    db.session.remove()  # nothing held open while waiting for jobs
    if not work(app, burst=burst):
        sys.exit(1)


COMMANDS = (scan_command, worker_command)
