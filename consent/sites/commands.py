"""Commands for sites and who may use them: ``create-site``, ``create-token``, ``create-user``.

``create-site`` checks names and origins with the owner API's own rules; a refusal names
the option (``--name``, ``--origin[1]``) as the API's 422 names the field.
"""

from __future__ import annotations

import sys
from typing import Any

import click
from flask.cli import with_appcontext

from consent.console import click_error, emit, json_option, site_by_key
from consent.core.catalog import VENDORS
from consent.core.texts import DEFAULT_LANGUAGES
from consent.errors import ConsentError
from consent.extensions import db
from consent.sites.accounts import create_api_token, upsert_user
from consent.sites.owner import create_site, validate_name, validate_origins
from consent.sites.validation import validate_https_url, validate_vendors


def parse_vendor_options(
    values: tuple[str, ...], ids_required: bool = True
) -> dict[str, dict[str, Any]]:
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
        return validate_vendors(vendors, ids_required=ids_required)
    except ConsentError as error:
        raise click_error(error) from error


@click.command("create-site")
@with_appcontext
@click.option("--name", required=True)
@click.option("--origin", "origins", multiple=True, required=True)
@click.option("--vendor", "vendors", multiple=True)
@click.option("--language", default="en", type=click.Choice(DEFAULT_LANGUAGES))
@click.option("--privacy-url", default=None)
@click.option(
    "--auto-block/--no-auto-block",
    default=True,
    help="Hold back known trackers the page adds until they are allowed (default: on).",
)
@json_option
def create_site_command(
    name: str,
    origins: tuple[str, ...],
    vendors: tuple[str, ...],
    language: str,
    privacy_url: str | None,
    auto_block: bool,
    as_json: bool,
) -> None:
    """Create a site and publish its policy version 1 with the default texts."""
    try:
        clean = validate_origins(list(origins), "--origin")
        site = create_site(
            name=validate_name(name, "--name"),
            origins=clean,
            vendors=parse_vendor_options(vendors, ids_required=not auto_block),
            language=language,
            privacy_url=validate_https_url(privacy_url or f"{clean[0]}/privacy", "--privacy-url"),
            auto_block=auto_block,
        )
    except ConsentError as error:
        raise click_error(error) from error
    db.session.commit()
    emit(as_json, {"site_key": site.site_key}, site.site_key)


@click.command("create-token")
@with_appcontext
@click.option("--site", "site_key", required=True)
@click.option("--role", required=True, type=click.Choice(["owner", "auditor"]))
@click.option("--label", default="")
@json_option
def create_token_command(site_key: str, role: str, label: str, as_json: bool) -> None:
    """Mint an API token for a site (shown only now)."""
    _row, token = create_api_token(site_by_key(site_key), role, label or f"cli {role}")
    db.session.commit()
    emit(as_json, {"token": token}, token)


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
    site = site_by_key(site_key) if site_key else None
    if role == "auditor" and site is None:
        raise click.BadParameter("an auditor needs --site", param_hint="--site")
    try:
        user = upsert_user(email, role, _read_password(), site)
    except ConsentError as error:
        raise click_error(error) from error
    db.session.commit()
    emit(as_json, {"email": user.email, "role": role, "site_key": site_key}, user.email)


#: Registered by :func:`consent.cli.init_app`.
COMMANDS = (create_site_command, create_token_command, create_user_command)
