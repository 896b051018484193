"""Command line: ``flask --app consent <command>`` and the ``consent`` script.

Each area's commands live with their area (:mod:`consent.sites.commands`,
:mod:`consent.ledger.commands`, the demo in :mod:`consent.demo.server`); what they share
(``--json``, progress bars, errors) is :mod:`consent.console`. Here: the schema, the
offline tools' thin wrappers, and registration.
"""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext

from consent.console import emit, json_option
from consent.extensions import init_db, init_migrations
from consent.ledger import commands as ledger_commands
from consent.scans import commands as scan_commands
from consent.sites import commands as site_commands


@click.command("init-db")
@with_appcontext
@json_option
def init_db_command(as_json: bool) -> None:
    """Create or migrate the schema."""
    init_db()
    emit(as_json, {"ok": True}, "database schema is up to date")


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


def init_app(app: Flask) -> None:
    """Register every command on ``app.cli``."""
    from consent.demo.server import demo_command

    if click.get_current_context(silent=True) is not None:
        # Run as the command line (``flask db …``): a web worker never imports Alembic.
        init_migrations(app)

    for command in (
        init_db_command,
        *site_commands.COMMANDS,
        *ledger_commands.COMMANDS,
        *scan_commands.COMMANDS,
        demo_command,
        verify_export_command,
        monitor_command,
    ):
        app.cli.add_command(command)


def main() -> None:
    """Entry point of the ``consent`` console script."""
    from consent import create_app

    FlaskGroup(create_app=create_app, add_default_commands=True)(prog_name="consent")
