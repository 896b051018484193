"""Who may use a site: its API tokens and its users (memberships), as its owner manages them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from consent.core.times import iso_or_none
from consent.errors import InvalidField, NotFound
from consent.extensions import db
from consent.models import ApiToken, Membership, Site, User, utcnow
from consent.params import whole
from consent.sites.accounts import ROLES, create_api_token, random_password, set_password

MAX_LABEL = 200


# --- API tokens ------------------------------------------------------------------------


def token_dict(row: ApiToken) -> dict[str, Any]:
    """A token as the list shows it: never the secret (only its hash is stored anyway)."""
    return {
        "id": row.id,
        "role": row.role,
        "label": row.label,
        "created_at": iso_or_none(row.created_at),
        "last_used_at": iso_or_none(row.last_used_at),
    }


def active_tokens(site_id: int) -> list[ApiToken]:
    """The site's tokens that were not revoked, oldest first."""
    query = select(ApiToken).where(ApiToken.site_id == site_id, ApiToken.revoked_at.is_(None))
    return list(db.session.scalars(query.order_by(ApiToken.id)))


def parse_token_request(body: object) -> tuple[str, str]:
    """``{"role", "label"}`` of a token POST: role owner or auditor, label up to 200 chars."""
    if not isinstance(body, dict):
        raise InvalidField("body", 'send {"role": "owner"|"auditor", "label": "…"}')
    for key in body:
        if key not in ("role", "label"):
            raise InvalidField(str(key), "unknown member")
    role = body.get("role")
    if role not in ROLES:
        raise InvalidField("role", "must be owner or auditor")
    label = body.get("label", "")
    if not isinstance(label, str) or len(label) > MAX_LABEL:
        raise InvalidField("label", f"must be text of at most {MAX_LABEL} characters")
    if any(ord(ch) < 32 for ch in label):
        raise InvalidField("label", "must not contain control characters")
    return str(role), label.strip()


def mint_token(site: Site, role: str, label: str) -> dict[str, Any]:
    """Create a token; the answer carries the secret, which is shown this once only."""
    row, token = create_api_token(site, role, label)
    return {**token_dict(row), "token": token}


def active_token(site_id: int, token_id: str | int) -> ApiToken:
    """One of the site's active tokens; anything else is 404 (no existence leak)."""
    number = whole(str(token_id), max_digits=18)
    if number is None:
        raise NotFound("unknown token")
    row = db.session.scalar(
        select(ApiToken).where(
            ApiToken.id == number, ApiToken.site_id == site_id, ApiToken.revoked_at.is_(None)
        )
    )
    if row is None:
        raise NotFound("unknown token")
    return row


def revoke_token(site_id: int, token_id: str | int) -> ApiToken:
    """Revoke one of the site's active tokens (404 for anything else); the caller commits."""
    row = active_token(site_id, token_id)
    row.revoked_at = utcnow()
    return row


# --- Users -----------------------------------------------------------------------------


def site_members(site_id: int) -> list[tuple[User, str]]:
    """The site's users with their roles, by email."""
    rows = db.session.execute(
        select(User, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.site_id == site_id)
        .order_by(User.email)
    )
    return [(user, role) for user, role in rows]


def add_member(site: Site, email: str, role: str) -> tuple[User, str | None, str | None]:
    """Give a user a role on the site; a new user gets a password, returned to show once, and
    a member's role before (None for a new member; one that has the role already is refused).

    An existing user keeps its password: an owner can grant access to its own site, never
    take over an account.
    """
    if role not in ROLES:
        raise InvalidField("role", "must be owner or auditor")
    email = email.strip().lower()
    if "@" not in email or len(email) > 254 or any(ch.isspace() for ch in email):
        raise InvalidField("email", "must be an email address")
    user = db.session.scalar(select(User).where(User.email == email))
    password = None
    if user is None:
        # Shown to the owner who adds the user: the user chooses their own at first sign-in.
        password = random_password()
        user = User(email=email, role=role, password_hash="")
        set_password(user, password, temporary=True)
        db.session.add(user)
        db.session.flush()
    membership = db.session.scalar(
        select(Membership).where(Membership.user_id == user.id, Membership.site_id == site.id)
    )
    before = membership.role if membership is not None else None
    if membership is None:
        db.session.add(Membership(user_id=user.id, site_id=site.id, role=role))
    elif before == role:
        raise InvalidField("email", f"{email} is already {role} of this site")
    else:
        _keep_an_owner(site.id, membership, role)
        membership.role = role
    db.session.flush()
    return user, password, before


def remove_member(site: Site, user_id: int) -> None:
    """Take a user's access to the site away; the last owner cannot be removed."""
    membership = db.session.scalar(
        select(Membership).where(Membership.user_id == user_id, Membership.site_id == site.id)
    )
    if membership is None:
        raise NotFound("unknown user")
    _keep_an_owner(site.id, membership, None)
    db.session.delete(membership)


def _keep_an_owner(site_id: int, membership: Membership, new_role: str | None) -> None:
    if membership.role != "owner" or new_role == "owner":
        return
    owners = db.session.scalar(
        select(func.count())
        .select_from(Membership)
        .where(Membership.site_id == site_id, Membership.role == "owner")
    )
    if (owners or 0) <= 1:
        raise InvalidField("role", "a site keeps at least one owner")
