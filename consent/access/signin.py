"""Session sign-in for the web UIs (/audit/, /admin/): cookie, credentials, login form.

The session is Flask's signed cookie: HttpOnly, SameSite=Lax, Secure over https, and
named with the ``__Host-`` prefix when the service's public URL is https.
"""

from __future__ import annotations

import functools
import hashlib
import time
from collections.abc import Callable
from datetime import timedelta

from flask import (
    Flask,
    Request,
    current_app,
    g,
    has_request_context,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from consent.access import limits
from consent.errors import Unavailable
from consent.extensions import db
from consent.models import Membership, Site, User
from consent.sites.validation import ip_prefix

#: A sign-in lasts this long, whatever the browser does with its session cookie.
SESSION_LIFETIME = timedelta(hours=12)

#: The cookie name when the service runs on https: the ``__Host-`` prefix pins it to
#: this host, Path=/ and Secure, so no sibling subdomain can set or shadow it.
HOST_COOKIE_NAME = "__Host-consent_session"


def init_app(app: Flask) -> None:
    """Harden the session cookie."""
    if app.config["CONSENT_PUBLIC_URL"].startswith("https://"):
        app.config.update(
            SESSION_COOKIE_SECURE=True,
            SESSION_COOKIE_NAME=HOST_COOKIE_NAME,
            SESSION_COOKIE_PATH="/",
            SESSION_COOKIE_DOMAIN=None,
        )
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax")
    app.session_interface = _SessionInterface()
    app.before_request(_own_password_first)


#: What a user who must replace a password chosen for them can still reach.
OPEN_UNTIL_OWN_PASSWORD = frozenset(
    {"admin.account", "audit.account", "admin.logout", "audit.logout"}
)


def _own_password_first() -> ResponseReturnValue | None:
    """Send a user still on a password an owner chose to their account page, from any UI page."""
    area = request.path.split("/")[1]
    if area not in ("admin", "audit") or request.endpoint in OPEN_UNTIL_OWN_PASSWORD:
        return None
    if "uid" not in session:  # not signed in: no user to read
        return None
    user = current_user()
    if user is None or not user.must_change_password:
        return None
    return redirect(url_for(f"{area}.account"))


class _SessionInterface(SecureCookieSessionInterface):
    """A signed cookie session that is also Secure whenever the request came over https."""

    def get_cookie_secure(self, app: Flask) -> bool:
        configured = bool(app.config["SESSION_COOKIE_SECURE"])
        return configured or (has_request_context() and request.is_secure)

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        # Only the web UIs have sessions: the public API and the gate's hot path never
        # derive a signing key or read a cookie.
        if not request.path.startswith(("/admin", "/audit")):
            return self.null_session_class()
        return super().open_session(app, request)


def client_prefix() -> str:
    """The caller's network (IPv4 /24, IPv6 /48): the key of the authentication limits."""
    return ip_prefix(request.remote_addr) or "unknown"


def _fingerprint(user: User) -> str:
    """Changes with the password, so a password reset ends every existing session."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def current_user() -> User | None:
    """The signed-in user, or ``None`` (no session, expired, or password changed since)."""
    if "user" in g:
        return g.user  # type: ignore[no-any-return]
    user = None
    user_id, signed_at = session.get("uid"), session.get("at")
    if isinstance(user_id, int) and isinstance(signed_at, int):
        fresh = time.time() - signed_at < SESSION_LIFETIME.total_seconds()
        user = db.session.get(User, user_id) if fresh else None
        if user is not None and session.get("pw") != _fingerprint(user):
            user = None
    g.user = user
    return user


@functools.cache
def _dummy_hash() -> str:
    return generate_password_hash("no such user: compare anyway, in constant time")


def check_credentials(email: str, password: str) -> User | None:
    """The user with this email and password, or ``None``; limited per network and account."""
    email = email.strip().lower()[:254]
    count_attempt(email)
    # A NUL is in no email address, and PostgreSQL refuses it in a query.
    user = None if "\x00" in email else db.session.scalar(select(User).where(User.email == email))
    # Hash even for unknown emails, so the answer time does not reveal who has an account.
    valid = check_password_hash(user.password_hash if user else _dummy_hash(), password)
    return user if user is not None and valid else None


def count_attempt(email: str) -> None:
    """Count a password check against the caller's network and the account (429 past it)."""
    limit = current_app.config["CONSENT_RATELIMIT_AUTH"]
    limits.hit("login-ip", limit, client_prefix())
    limits.hit("login-account", limit, email)


def sign_in(user: User) -> None:
    """Start a fresh session for ``user`` (nothing from before the sign-in survives)."""
    session.clear()
    session["uid"] = user.id
    session["at"] = int(time.time())
    session["pw"] = _fingerprint(user)
    g.user = user


def keep_signed_in(user: User) -> None:
    """Let this session survive the user's own password change, which ends every other."""
    session["pw"] = _fingerprint(user)


def sign_out() -> None:
    """End the session."""
    session.clear()
    g.user = None


def safe_next(area: str) -> str:
    """Where to go after signing in: a path inside the area, never another site."""
    target = request.values.get("next", "")
    inside = (
        target.startswith(f"/{area}/")
        and "//" not in target
        and "\\" not in target
        and target.isprintable()
    )
    return target if inside else url_for(f"{area}.index")


def memberships(
    user: User, roles: tuple[str, ...] = ("owner", "auditor")
) -> list[tuple[Site, str]]:
    """The sites ``user`` may see, with its role on each, by name."""
    rows = db.session.execute(
        select(Site, Membership.role)
        .join(Membership, Membership.site_id == Site.id)
        .where(Membership.user_id == user.id, Membership.role.in_(roles))
        .order_by(Site.name, Site.id)
    ).all()
    return [(site, role) for site, role in rows]


class LoginForm(FlaskForm):
    """Email and password (``input[name=email]``, ``input[name=password]``)."""

    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])


def login_view(area: str, template: str) -> Callable[[], ResponseReturnValue]:
    """The sign-in view of one area (``audit`` or ``admin``), rendered with ``template``."""

    def login() -> ResponseReturnValue:
        if current_user() is not None:
            return redirect(safe_next(area))
        form = LoginForm()
        error: str | None = None
        status = 200
        if form.validate_on_submit():
            try:
                user = check_credentials(form.email.data or "", form.password.data or "")
            except SQLAlchemyError as e:
                db.session.rollback()
                raise Unavailable("the consent database is unavailable") from e
            if user is not None:
                sign_in(user)
                return redirect(safe_next(area))
            error, status = "The email or password is not correct.", 401
        elif request.method == "POST":
            error, status = "Enter your email address and your password.", 422
        next_path = request.values.get("next", "")
        return render_template(template, form=form, error=error, next=next_path), status

    login.__name__ = f"{area}_login"
    return login


def logout_view(area: str) -> Callable[[], ResponseReturnValue]:
    """The sign-out view of one area (POST, CSRF-protected like every form)."""

    def logout() -> ResponseReturnValue:
        sign_out()
        return redirect(url_for(f"{area}.login"))

    logout.__name__ = f"{area}_logout"
    return logout
