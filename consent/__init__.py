"""Consent Ledger: a self-hostable consent banner and tamper-evident consent ledger."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the package stays importable without Flask (consent.offline.verify)
    from flask import Flask

_ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the application: configuration, extensions, blueprints, error handlers."""
    from flask import Flask

    app = Flask(
        __name__,
        static_folder=str(_ROOT / "static"),
        template_folder=str(_ROOT / "templates"),
        instance_relative_config=True,
    )
    from consent import config as settings

    settings.load(app, config)
    app.json.sort_keys = False  # type: ignore[attr-defined]  # fields keep the documented order

    from consent import errors, service
    from consent.access import limits
    from consent.extensions import csrf, db, fail_fast_after_timeouts, tune_sqlite
    from consent.ledger import append as ledger
    from consent.ledger import transparency
    from consent.sites.state import SiteCache

    db.init_app(app)
    with app.app_context():
        tune_sqlite(db.engine)
        fail_fast_after_timeouts(db.engine)
    if app.config["CONSENT_REDIS_URL"]:
        from consent.redis_link import RedisLink

        app.extensions["consent_redis"] = RedisLink(
            app.config["CONSENT_REDIS_URL"], recheck=app.config["CONSENT_REDIS_RECHECK"]
        )
    limits.init_app(app)
    transparency.init_app(app)
    ledger.init_app(app)
    csrf.init_app(app)
    app.extensions["consent_sites"] = SiteCache(
        app.config["CONSENT_STATE_TTL"], app.config["CONSENT_SITE_CACHE_SIZE"]
    )
    errors.init_app(app)
    service.init_app(app)
    from consent.access import auth

    auth.init_app(app)

    from consent.demo import server as demo
    from consent.openapi import document as openapi
    from consent.visitor import api as visitor
    from consent.visitor import embed
    from consent.visitor import log as log_api

    for blueprint in (visitor.bp,):
        csrf.exempt(blueprint)
    app.register_blueprint(embed.bp, url_prefix="/embed")
    app.register_blueprint(visitor.bp, url_prefix="/api/v1/sites")
    app.register_blueprint(demo.bp, url_prefix="/demo")
    from consent.audit import api as audit_api
    from consent.audit import erasure, pages, reports

    csrf.exempt(audit_api.bp)
    csrf.exempt(erasure.bp)
    app.register_blueprint(audit_api.bp, url_prefix="/api/v1/audit")
    app.register_blueprint(erasure.bp, url_prefix="/api/v1/admin")
    app.register_blueprint(pages.bp, url_prefix="/audit")
    app.register_blueprint(reports.bp, url_prefix="/audit")
    from consent.admin import access_pages, policy_pages
    from consent.admin import api as admin_api
    from consent.admin import pages as admin_pages

    csrf.exempt(admin_api.bp)
    app.register_blueprint(admin_api.bp, url_prefix="/api/v1/admin")
    for admin_bp in (admin_pages.bp, policy_pages.bp, access_pages.bp):
        app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(openapi.bp)
    app.register_blueprint(log_api.bp)

    from consent import cli

    cli.init_app(app)
    return app
