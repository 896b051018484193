"""Two tenants on one service, for attacks across them: the victim's site with data in it,
and the attacker's own site with every kind of credential the attacker can hold."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.routing import Rule

from consent import banner
from consent.extensions import db
from consent.models import ApiToken, User
from consent.scans.records import create_scan
from consent.sites.validation import validate_vendors
from tests.helpers import Visitor
from tests.owners import PASSWORD, add_user, mint, other_site, site_by_key, site_snapshot

#: Path prefixes of every endpoint that owners or auditors use.
PROTECTED = (
    "/api/v1/admin/",
    "/api/v1/audit/",
    "/admin/sites/<site_key>",
    "/audit/sites/<site_key>",
)
VICTIM_OWNER = "victim-owner@example.com"
ATTACKER_OWNER = "attacker-owner@example.com"
ATTACKER_AUDITOR = "attacker-auditor@example.com"
#: The id of the victim's own (custom) vendor.
OWN_VENDOR = "cart"


def protected_rules(app: Flask) -> list[tuple[Rule, str]]:
    """Every (rule, method) of the owner and auditor APIs and UIs that names a site."""
    return [
        (rule, method)
        for rule, method in every_rule(app)
        if rule.rule.startswith(PROTECTED) and "site_key" in rule.arguments
    ]


def every_rule(app: Flask) -> list[tuple[Rule, str]]:
    """Every (rule, method) the application answers, HEAD and OPTIONS aside."""
    found = [
        (rule, method)
        for rule in app.url_map.iter_rules()
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
    ]
    return sorted(found, key=lambda item: (item[0].rule, item[1]))


def sign_in(app: Flask, email: str) -> FlaskClient:
    """A fresh client signed in through the admin form."""
    client = app.test_client()
    answer = client.post("/admin/login", data={"email": email, "password": PASSWORD})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:300]
    return client


@dataclass
class World:
    """The victim's site (with a receipt, a token and an owner) and the attacker's site."""

    app: Flask
    victim: str
    attacker: str
    receipt: dict[str, Any]
    victim_owner_token: str
    attacker_tokens: dict[str, str] = field(default_factory=dict)
    attacker_consent_token: str = ""
    #: A scan of the victim's site (queued: nothing runs it here).
    scan_id: str = ""

    def values(self) -> dict[str, str]:
        """URL arguments naming the victim's real objects."""
        with self.app.app_context():
            site = site_by_key(self.victim)
            token_id = db.session.scalar(
                select(func.min(ApiToken.id)).where(ApiToken.site_id == site.id)
            )
            user_id = db.session.scalar(select(User.id).where(User.email == VICTIM_OWNER))
            build = banner.current().build
        return {
            "site_key": self.victim,
            "receipt_id": self.receipt["receipt_id"],
            "subject_id": self.receipt["subject_id"],
            "token_id": str(token_id),
            "user_id": str(user_id),
            "version": "1",
            "a": "1",
            "b": "1",
            "language": "en",
            "rest": "0/000.p/1",
            "slug": "bconnect",
            "page": "privacy",
            "filename": "banner/dist/consent.js",
            "build": build,
            "scan_id": self.scan_id,
            "vendor_id": OWN_VENDOR,
        }

    def snapshot(self) -> dict[str, Any]:
        """Everything of the victim's that an attack could change."""
        return site_snapshot(self.app, self.victim)


def build_world(app: Flask, client: FlaskClient, victim: str) -> World:
    """The attacker's site and credentials next to the victim's site and data."""
    attacker = other_site(app, "Attacker")
    add_user(app, VICTIM_OWNER, "owner", victim)
    add_user(app, ATTACKER_OWNER, "owner", attacker)
    add_user(app, ATTACKER_AUDITOR, "auditor", attacker)
    receipt = Visitor(client, victim).choose("accept_all")
    world = World(app, victim, attacker, receipt, mint(app, victim, "owner"))
    world.attacker_tokens = {role: mint(app, attacker, role) for role in ("owner", "auditor")}
    foreign = Visitor(client, attacker, origin="https://other.example")
    foreign.choose("accept_all")
    world.attacker_consent_token = foreign.token or ""
    with app.app_context():
        world.scan_id = create_scan(site_by_key(victim).id, [], 3).id
        # A vendor of the victim's own in its draft (its pages are reads and writes too).
        row = site_by_key(victim)
        own = {"category": "necessary", "custom": {"name": "Cart"}}
        vendors = validate_vendors({**row.draft["vendors"], OWN_VENDOR: own}, ids_required=False)
        row.draft = {**row.draft, "vendors": vendors}
        db.session.commit()
    return world
