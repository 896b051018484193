"""Who is asking, and with which role on which site.

Bearer API tokens authenticate the JSON APIs (/api/v1/audit/…, /api/v1/admin/…); a
session sign-in (:mod:`consent.access.signin`) authenticates the web UIs (/audit/, /admin/).
Both end in a :class:`Principal`, and both sides use the same decorators:
``@require_api("auditor", "owner")`` on the auditor API, ``@require_api("owner")`` on
the owner API, ``@require_member("owner", area="admin")`` on an owner page.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import ParamSpec, TypeVar

from flask import Flask, Response, current_app, g, redirect, request, url_for
from flask_wtf.csrf import CSRFError
from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response as BaseResponse

from consent.access import limits, signin
from consent.access.log import record_access, write_apart
from consent.access.signin import client_prefix, current_user
from consent.access.tokens import api_token_hash
from consent.errors import Forbidden, NotFound, Unauthorized, Unavailable, error_response
from consent.extensions import db
from consent.models import ApiToken, Membership, User, utcnow
from consent.sites.state import SiteState, site_state

P = ParamSpec("P")
R = TypeVar("R")

#: Roles a user or token can hold on a site.
ROLES = ("owner", "auditor")

#: ``last_used_at`` is written at most this often per token, not on every read.
LAST_USED_GRANULARITY = timedelta(minutes=1)

_MAX_TOKEN = 256

#: Methods that never write; any other API call starts its transaction as a writer.
_READS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Principal:
    """An authenticated caller with its role on one site."""

    #: ``token:<id>`` or ``user:<email>``, as the access log records it.
    actor: str
    role: str
    site: SiteState


def init_app(app: Flask) -> None:
    """Harden the session cookie and answer CSRF failures with 403 ``forbidden``."""
    signin.init_app(app)
    app.register_error_handler(CSRFError, _csrf_error)


def _csrf_error(error: CSRFError) -> Response:
    return error_response(
        403, "forbidden", f"{error.description} Reload the page and submit the form again."
    )


@contextmanager
def database_guard() -> Iterator[None]:
    """Turn a database failure into a quick 503 ``unavailable``, never a 500."""
    try:
        yield
    except SQLAlchemyError as error:
        db.session.rollback()
        raise Unavailable("the consent database is unavailable") from error


# --- API tokens ------------------------------------------------------------------------


def authenticate_api(site_key: str, roles: tuple[str, ...]) -> Principal:
    """Check the Bearer token: 401, then 404 for another site's token, then 403 for the role."""
    row = _token_row()
    site = _site(site_key)
    if row.site_id != site.site_id:
        # Exactly what an unknown site answers: a token never reveals other sites.
        raise NotFound("unknown site")
    if row.role not in roles:
        raise Forbidden(f"this needs an API token with role {' or '.join(roles)}")
    _touch(row)
    return Principal(actor=f"token:{row.id}", role=row.role, site=site)


def _site(site_key: str) -> SiteState:
    # A NUL cannot be in a site key, and PostgreSQL refuses it in a query: unknown.
    if "\x00" in site_key:
        raise NotFound("unknown site")
    return site_state(site_key)


def _token_row() -> ApiToken:
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise _failed("an API token is required: Authorization: Bearer <token>")
    if len(token) > _MAX_TOKEN:
        raise _failed("invalid or revoked API token")
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == api_token_hash(token)))
    if row is None or row.revoked_at is not None:
        raise _failed("invalid or revoked API token")
    return row


def _failed(message: str) -> Unauthorized:
    """Count a failed authentication against the caller's network (429 past the limit)."""
    limits.hit("auth-api", current_app.config["CONSENT_RATELIMIT_AUTH"], client_prefix())
    return Unauthorized(message)


def _touch(row: ApiToken) -> None:
    """Record use, at most once a minute per token, so reads do not each cost a write."""
    now = utcnow()
    if row.last_used_at is not None and aware(row.last_used_at) > now - LAST_USED_GRANULARITY:
        return
    write_apart(update(ApiToken).where(ApiToken.id == row.id).values(last_used_at=now))


def aware(moment: datetime) -> datetime:
    """A stored timestamp as aware UTC (SQLite hands them back without a zone)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def require_api(*roles: str, log: bool = True) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a view taking ``site_key``: authenticate, authorise, log the access."""

    def decorate(view: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            with database_guard():
                principal = authenticate_api(str(kwargs["site_key"]), roles)
                g.principal = principal
                if log:
                    record_access(principal.site.site_id, principal.actor, principal.role)
                if request.method not in _READS:
                    write_immediately()
                return view(*args, **kwargs)

        return wrapper

    return decorate


def write_immediately() -> None:
    """Start the request's next transaction holding SQLite's write lock (BEGIN IMMEDIATE).

    A deferred transaction that has read cannot take the write lock once another
    connection committed (SQLITE_BUSY, which ``busy_timeout`` does not wait out), so
    a write request starts as a writer. PostgreSQL ignores the option.
    """
    session = db.session()
    if session.in_transaction():
        session.commit()
    session.connection(execution_options={"sqlite_immediate": True})


def current_principal() -> Principal:
    """The principal that the decorator of the running view authenticated."""
    principal: Principal = g.principal
    return principal


# --- Signed-in users --------------------------------------------------------------------


def member_principal(user: User, site_key: str, roles: tuple[str, ...]) -> Principal:
    """The user's role on the site: 404 when not a member (as if unknown), 403 for the role."""
    site = _site(site_key)
    role = db.session.scalar(
        select(Membership.role).where(
            Membership.user_id == user.id, Membership.site_id == site.site_id
        )
    )
    if role not in ROLES:
        raise NotFound("unknown site")
    if role not in roles:
        raise Forbidden(f"this needs the role {' or '.join(roles)} on the site")
    return Principal(actor=f"user:{user.email}", role=role, site=site)


def _sign_in_first(area: str) -> BaseResponse:
    return redirect(url_for(f"{area}.login", next=request.full_path.rstrip("?")))


def require_member(
    *roles: str, area: str = "audit", log: bool = True
) -> Callable[[Callable[P, R]], Callable[P, R | BaseResponse]]:
    """Decorate a UI view taking ``site_key``: signed in (else redirect), member, logged."""

    def decorate(view: Callable[P, R]) -> Callable[P, R | BaseResponse]:
        @functools.wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | BaseResponse:
            with database_guard():
                user = current_user()
                if user is None:
                    return _sign_in_first(area)
                principal = member_principal(user, str(kwargs["site_key"]), roles)
                g.principal = principal
                if log:
                    record_access(principal.site.site_id, principal.actor, principal.role)
                # Every admin form writes; the audit UI's verify form only reads (a long
                # walk that must not hold SQLite's write lock against visitors' consents).
                if area == "admin" and request.method not in _READS:
                    write_immediately()
                return view(*args, **kwargs)

        return wrapper

    return decorate


def require_user(area: str = "audit") -> Callable[[Callable[P, R]], Callable[P, R | BaseResponse]]:
    """Decorate a UI view that needs a signed-in user but no particular site."""

    def decorate(view: Callable[P, R]) -> Callable[P, R | BaseResponse]:
        @functools.wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | BaseResponse:
            with database_guard():
                if current_user() is None:
                    return _sign_in_first(area)
                return view(*args, **kwargs)

        return wrapper

    return decorate
