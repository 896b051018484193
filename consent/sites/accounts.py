"""Users, memberships and API tokens: who may read or change which site."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from consent.access.tokens import new_api_token
from consent.errors import InvalidField
from consent.extensions import db
from consent.models import ApiToken, Membership, Site, User

ROLES = ("owner", "auditor")

#: Password lengths: long enough to resist guessing, short enough for the sign-in form.
MIN_PASSWORD, MAX_PASSWORD = 10, 1024


def create_api_token(site: Site, role: str, label: str = "") -> tuple[ApiToken, str]:
    """Mint an API token for ``site``; the plain token is returned only here."""
    if role not in ROLES:
        raise InvalidField("role", "must be owner or auditor")
    token, token_hash = new_api_token()
    row = ApiToken(site_id=site.id, role=role, label=label[:200], token_hash=token_hash)
    db.session.add(row)
    db.session.flush()
    return row, token


def upsert_user(email: str, role: str, password: str, site: Site | None) -> User:
    """Create a user (or reset an existing one's password) and give it a role on ``site``."""
    if role not in ROLES:
        raise InvalidField("role", "must be owner or auditor")
    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise InvalidField("email", "must be an email address")
    problem = password_problem(password)
    if problem:
        raise InvalidField("password", problem)
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(email=email, role=role, password_hash="")
        db.session.add(user)
    set_password(user, password)
    db.session.flush()
    if site is not None:
        membership = db.session.scalar(
            select(Membership).where(Membership.user_id == user.id, Membership.site_id == site.id)
        )
        if membership is None:
            db.session.add(Membership(user_id=user.id, site_id=site.id, role=role))
        else:
            membership.role = role
    return user


def password_problem(password: str) -> str | None:
    """What is wrong with ``password`` as a user's new password, or ``None``."""
    if len(password) < MIN_PASSWORD:
        return f"must be at least {MIN_PASSWORD} characters"
    if len(password) > MAX_PASSWORD:
        return f"must be at most {MAX_PASSWORD} characters"
    return None


def set_password(user: User, password: str, *, temporary: bool = False) -> None:
    """Store ``password``'s hash; a temporary one (chosen for the user) must be replaced.

    The new hash also ends the user's other sessions (see ``consent.access.signin``).
    """
    user.password_hash = generate_password_hash(password)
    user.must_change_password = temporary


def random_password() -> str:
    """A password for demo users, printed once."""
    return secrets.token_urlsafe(12)
