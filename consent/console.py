"""What every command shares: ``--json``, one answer on stdout (text or JSON), progress
bars on a terminal only, a site by its key, and a domain error as a click error."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click
from sqlalchemy import select

from consent.errors import ConsentError, InvalidField
from consent.extensions import db
from consent.models import Site

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


def emit(as_json: bool, data: dict[str, Any], text: str) -> None:
    """Print the command's answer: ``data`` as JSON with --json, else ``text``."""
    click.echo(json.dumps(data) if as_json else text)


def site_by_key(site_key: str) -> Site:
    """The site a ``--site`` option names; an unknown key ends the command (exit 1)."""
    site = db.session.scalar(select(Site).where(Site.site_key == site_key))
    if site is None:
        raise click.ClickException(f"unknown site {site_key!r}")
    return site


def click_error(error: ConsentError) -> click.ClickException:
    """A domain error as the command line shows it: ``<field>: <message>`` for each invalid
    field (``; `` between them), else the message; exit 1."""
    if isinstance(error, InvalidField):
        return click.ClickException("; ".join(f"{p.field}: {p.message}" for p in error.problems))
    return click.ClickException(error.message)
