"""A site as its owner manages it: settings, creation, the snippet, and the change lock."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from flask import current_app
from markupsafe import escape
from sqlalchemy import select

from consent.core.texts import DEFAULT_LANGUAGES
from consent.errors import FieldErrors, InvalidField, NotFound
from consent.extensions import db
from consent.models import Membership, Site, User
from consent.sites.drafts import default_draft, update_draft
from consent.sites.languages import validate_default_language
from consent.sites.validation import normalize_origin, validate_https_url
from consent.sites.versions import latest_version, publish_draft

#: Members of ``PATCH …/sites/<k>``; ``privacy_policy_url`` goes into the draft.
SITE_FIELDS = (
    "name",
    "origins",
    "default_language",
    "choice_lifetime_days",
    "retention_days",
    "privacy_policy_url",
    "auto_block",
)
#: Members of the site object that a PATCH may repeat unchanged but never change.
READ_ONLY = ("site_key", "policy_version")
#: Settings that are the draft's links (live from the next published version).
DRAFT_LINKS = ("privacy_policy_url", "cookie_statement_url")
#: What the admin's settings form changes: the PATCH's members and the cookie statement.
SETTINGS_FIELDS = (*SITE_FIELDS, "cookie_statement_url")

#: The CNIL's six months by default; at most 13 months (DESIGN.md).
LIFETIME_RANGE = (1, 395)
#: Days the personal context of receipts is kept (receipts themselves are kept forever).
RETENTION_RANGE = (1, 3650)
MAX_ORIGINS = 50
MAX_NAME = 200

_KEY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def site_row(site_id: int) -> Site:
    """The site's row (the caller has already authorised access to it)."""
    site = db.session.get(Site, site_id)
    if site is None:
        raise NotFound("unknown site")
    return site


def lock_site(site_id: int) -> Site:
    """Start a transaction that owns the site until commit, so two changes never interleave.

    PostgreSQL locks the row; SQLite takes the write lock at BEGIN (BEGIN IMMEDIATE), since
    a deferred transaction could not upgrade once another writer committed.
    """
    session = db.session()
    if session.in_transaction():
        session.commit()
    session.connection(execution_options={"sqlite_immediate": True})
    site = db.session.scalar(select(Site).where(Site.id == site_id).with_for_update())
    if site is None:
        raise NotFound("unknown site")
    return site


def site_dict(site: Site) -> dict[str, Any]:
    """The site as ``GET /api/v1/admin/sites/<k>`` shows it."""
    current = latest_version(site.id)
    return {
        "site_key": site.site_key,
        "name": site.name,
        "origins": list(site.origins),
        "default_language": site.default_language,
        "choice_lifetime_days": site.choice_lifetime_days,
        "retention_days": site.retention_days,
        "privacy_policy_url": site.draft["privacy_policy_url"],
        "auto_block": site.auto_block,
        "policy_version": current.version if current else None,
    }


def validate_name(value: object, field: str = "name") -> str:
    """A site's display name: 1 to 200 printable characters."""
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > MAX_NAME:
        raise InvalidField(field, f"must be 1 to {MAX_NAME} characters")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise InvalidField(field, "must not contain control characters")
    return value.strip()


def validate_origins(value: object, field: str = "origins") -> list[str]:
    """A non-empty list of exact origins, normalised, duplicates dropped (order kept); every
    invalid one is named."""
    if not isinstance(value, list) or not value:
        raise InvalidField(field, "must be a non-empty list of origins")
    if len(value) > MAX_ORIGINS:
        raise InvalidField(field, f"at most {MAX_ORIGINS} origins")
    errors = FieldErrors()
    origins: list[str] = []
    for index, item in enumerate(value):
        with errors.collecting():
            origin = normalize_origin(item, f"{field}[{index}]")
            if origin not in origins:
                origins.append(origin)
    errors.raise_any()
    return origins


def validate_days(value: object, field: str, bounds: tuple[int, int]) -> int:
    """A whole number of days within ``bounds``."""
    low, high = bounds
    if type(value) is not int or not low <= value <= high:
        raise InvalidField(field, f"must be a whole number of days from {low} to {high}")
    return value


def validate_language(value: object, field: str = "language") -> str:
    """A new site's default language: one we ship default texts for (it starts with them)."""
    if not isinstance(value, str) or value not in DEFAULT_LANGUAGES:
        raise InvalidField(field, f"must be one of {', '.join(DEFAULT_LANGUAGES)}")
    return value


def _optional_url(value: object, field: str) -> str | None:
    # An empty form field means no link.
    return None if value in (None, "") else validate_https_url(value, field)


def validate_flag(value: object, field: str) -> bool:
    """A JSON boolean: ``"yes"``, ``1`` or ``null`` would be a guess at what the owner meant."""
    if type(value) is not bool:
        raise InvalidField(field, "must be true or false")
    return value


def apply_site_patch(site: Site, body: object, members: tuple[str, ...] = SITE_FIELDS) -> None:
    """Apply a PATCH: validate every member first (reporting every invalid one), then change
    all or nothing. ``members`` may add ``cookie_statement_url`` (the admin's settings form)."""
    if not isinstance(body, dict):
        raise InvalidField("body", "send an object with the members to change")
    current = site_dict(site)
    errors = FieldErrors()
    for key in body:
        if key in READ_ONLY:
            if body[key] != current[key]:
                errors.add(str(key), "is read-only")
        elif key not in members:
            errors.add(str(key), "unknown member")
    checks: dict[str, Callable[[Any], Any]] = {
        "name": validate_name,
        "origins": validate_origins,
        "default_language": lambda v: validate_default_language(site, v),
        "choice_lifetime_days": lambda v: validate_days(v, "choice_lifetime_days", LIFETIME_RANGE),
        "retention_days": lambda v: validate_days(v, "retention_days", RETENTION_RANGE),
        "privacy_policy_url": lambda v: validate_https_url(v, "privacy_policy_url"),
        "cookie_statement_url": lambda v: _optional_url(v, "cookie_statement_url"),
        "auto_block": lambda v: validate_flag(v, "auto_block"),
    }
    clean: dict[str, Any] = {}
    for key, check in checks.items():
        if key in body and key in members:
            with errors.collecting():
                clean[key] = check(body[key])
    errors.raise_any()
    links = {key: clean.pop(key) for key in DRAFT_LINKS if key in clean}
    if links:
        update_draft(site, **links)
    for key, value in clean.items():
        setattr(site, key, value)
    # Every owner change reaches every worker's cache within its TTL.
    site.state_version += 1


def new_site_key() -> str:
    """A random, URL-safe, unguessable public site key (22 alphanumerics, ~131 bits)."""
    return "".join(secrets.choice(_KEY_ALPHABET) for _ in range(22))


def create_site(
    *,
    name: str,
    origins: list[str],
    vendors: dict[str, dict[str, Any]],
    language: str = "en",
    privacy_url: str,
    auto_block: bool = True,
) -> Site:
    """Create a site and publish its policy version 1 with the default texts.

    The values are taken as given: callers validate them first (the owner API and the
    ``create-site`` command with :func:`validate_name`, :func:`validate_origins` …).
    """
    site = Site(
        site_key=new_site_key(),
        name=name,
        origins=origins,
        default_language=language,
        choice_lifetime_days=182,
        retention_days=365,
        auto_block=auto_block,
        draft=default_draft(privacy_url, vendors),
        state_version=1,
    )
    db.session.add(site)
    db.session.flush()
    publish_draft(site, requires_reconsent=False)
    return site


def create_owned_site(
    user: User, *, name: str, origins: list[str], language: str, privacy_url: str
) -> Site:
    """Create a site (version 1 with the default texts) whose owner is ``user``; every
    invalid value is reported at once."""
    errors = FieldErrors()
    clean: dict[str, Any] = {}
    checks: dict[str, Callable[[], Any]] = {
        "name": lambda: validate_name(name),
        "origins": lambda: validate_origins(origins),
        "language": lambda: validate_language(language),
        "privacy_url": lambda: validate_https_url(privacy_url, "privacy_policy_url"),
    }
    for key, check in checks.items():
        with errors.collecting():
            clean[key] = check()
    errors.raise_any()
    site = create_site(vendors={}, **clean)
    db.session.add(Membership(user_id=user.id, site_id=site.id, role="owner"))
    db.session.flush()
    return site


def member_sites(user: User) -> list[tuple[Site, str]]:
    """The sites a user belongs to, with the user's role on each, by name."""
    rows = db.session.execute(
        select(Site, Membership.role)
        .join(Membership, Membership.site_id == Site.id)
        .where(Membership.user_id == user.id)
        .order_by(Site.name, Site.id)
    )
    return [(site, role) for site, role in rows]


def snippet_src(site_key: str) -> str:
    """The URL of the site's embed script."""
    return f"{current_app.config['CONSENT_PUBLIC_URL']}/embed/{site_key}.js"


def snippet_html(site_key: str) -> str:
    """The one tag an owner pastes first in ``<head>``."""
    return f'<script src="{escape(snippet_src(site_key))}"></script>'


def forget_cached(site_key: str) -> None:
    """Drop this worker's cached state at once (other workers notice the state version)."""
    current_app.extensions["consent_sites"].forget(site_key)
