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
    if len(password) < 10:
        raise InvalidField("password", "must be at least 10 characters")
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(email=email, role=role, password_hash="")
        db.session.add(user)
    user.password_hash = generate_password_hash(password)
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


def random_password() -> str:
    """A password for demo users, printed once."""
    return secrets.token_urlsafe(12)
