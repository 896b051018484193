"""Helpers for the owner's side: tokens, users, and an owner API client."""

from __future__ import annotations

import copy
import json
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from consent.extensions import db
from consent.models import AccessLogEntry, ApiToken, Membership, Receipt, Site
from consent.sites.accounts import create_api_token, upsert_user
from consent.sites.owner import create_site

PASSWORD = "correct horse battery"


def site_by_key(site_key: str) -> Site:
    """The site's row (inside an app context)."""
    return db.session.scalars(select(Site).where(Site.site_key == site_key)).one()


def revise_draft(site: Site) -> None:
    """Change the draft's Dutch description, so that the next publish has something new to
    freeze (an identical draft is refused) without changing what an English page shows."""
    draft = copy.deepcopy(site.draft)
    draft["texts"]["nl"]["description"] += " (herzien)"
    site.draft = draft


def mint(app: Flask, site_key: str, role: str) -> str:
    """A fresh API token of ``role`` for the site."""
    with app.app_context():
        _row, token = create_api_token(site_by_key(site_key), role, f"test {role}")
        db.session.commit()
        return token


def add_user(app: Flask, email: str, role: str, site_key: str | None) -> None:
    """A user with PASSWORD and, if given, a role on the site."""
    with app.app_context():
        upsert_user(email, role, PASSWORD, site_by_key(site_key) if site_key else None)
        db.session.commit()


def other_site(app: Flask, name: str = "Other") -> str:
    """A second tenant with Google Analytics only; its key."""
    with app.app_context():
        created = create_site(
            name=name,
            origins=["https://other.example"],
            vendors={
                "google-analytics": {
                    "category": "performance",
                    "settings": {"measurement_id": "G-OTHER1"},
                }
            },
            privacy_url="https://other.example/privacy",
        )
        db.session.commit()
        return created.site_key


class OwnerApi:
    """The owner API of one site, called with one token."""

    def __init__(self, client: FlaskClient, site_key: str, token: str) -> None:
        self.client = client
        self.site_key = site_key
        self.token = token
        self.base = f"/api/v1/admin/sites/{site_key}"

    def call(self, method: str, path: str = "", body: Any = None, **kwargs: Any):  # type: ignore[no-untyped-def]
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        if body is not None:
            kwargs["json"] = body
        return self.client.open(self.base + path, method=method, headers=headers, **kwargs)

    def ok(self, method: str, path: str = "", body: Any = None, status: int = 200) -> Any:
        response = self.call(method, path, body)
        assert response.status_code == status, response.get_json()
        return response.get_json()

    def draft(self) -> dict[str, Any]:
        draft: dict[str, Any] = self.ok("GET", "/draft")
        return copy.deepcopy(draft)

    def put_draft(self, draft: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self.ok("PUT", "/draft", draft)
        return result

    def publish(self, requires_reconsent: bool | None = None) -> dict[str, Any]:
        body = {"requires_reconsent": requires_reconsent}
        result: dict[str, Any] = self.ok("POST", "/publish", body, status=201)
        return result


def site_snapshot(app: Flask, site_key: str) -> dict[str, Any]:
    """Everything of a site's that an owner or an attacker could change."""
    with app.app_context():
        site = site_by_key(site_key)
        return {
            "site": (site.name, list(site.origins), site.state_version, json.dumps(site.draft)),
            "versions": len(site.policies),
            "tokens": db.session.execute(
                select(ApiToken.id, ApiToken.revoked_at).where(ApiToken.site_id == site.id)
            ).all(),
            "members": db.session.execute(
                select(Membership.user_id, Membership.role).where(Membership.site_id == site.id)
            ).all(),
            "receipts": db.session.scalar(
                select(func.count()).select_from(Receipt).where(Receipt.site_id == site.id)
            ),
            "access_log": db.session.scalar(
                select(func.count())
                .select_from(AccessLogEntry)
                .where(AccessLogEntry.site_id == site.id)
            ),
        }
