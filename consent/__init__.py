"""Consent Ledger: a self-hostable consent banner and tamper-evident consent ledger."""

from __future__ import annotations

import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the package stays importable without Flask (consent.offline.verify)
    from flask import Flask

_ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict[str, Any] | None = None, instance_path: str | None = None) -> Flask:
    """Build the application: configuration, services, blueprints, commands (``instance_path``:
    another folder for the SQLite file, secret and log key than ``instance/``)."""
    from flask import Flask

    app = Flask(
        __name__,
        static_folder=str(_ROOT / "static"),
        template_folder=str(_ROOT / "templates"),
        instance_path=instance_path,
        instance_relative_config=True,
    )
    from consent import config as settings

    settings.load(app, config)
    app.json.sort_keys = False  # type: ignore[attr-defined]  # fields keep the documented order
    _init_services(app)
    _register_blueprints(app)
    from consent import cli

    cli.init_app(app)
    return app


def _init_services(app: Flask) -> None:
    """The database, Redis, rate limits, the ledger, CSRF, the site cache, the banner code,
    handlers and the templates' filters."""
    from consent import banner, errors, replica, service, templating
    from consent.access import auth, limits
    from consent.extensions import csrf, db, fail_fast_after_timeouts, tune_sqlite
    from consent.ledger import append as ledger
    from consent.ledger import transparency
    from consent.scans import jobs as scan_jobs
    from consent.sites import broadcast
    from consent.sites.state import SiteCache
    from consent.visitor import fast_gate

    db.init_app(app)
    with app.app_context():
        tune_sqlite(db.engine)
        fail_fast_after_timeouts(db.engine)
        engines = list(db.engines.values())
    replica.init_app(app)
    if "consent_replica" in app.extensions:
        engines.append(app.extensions["consent_replica"].engine)
    # An application that is dropped (tests build hundreds) closes its pooled connections as
    # it goes, instead of leaving open sockets to the garbage collector's mercy.
    weakref.finalize(app, _dispose, engines)
    if app.config["CONSENT_REDIS_URL"]:
        from consent.redis_link import RedisLink

        app.extensions["consent_redis"] = RedisLink(
            app.config["CONSENT_REDIS_URL"], recheck=app.config["CONSENT_REDIS_RECHECK"]
        )
    limits.init_app(app)
    transparency.init_app(app)
    ledger.init_app(app)
    csrf.init_app(app)
    app.extensions["consent_sites"] = cache = SiteCache(
        app.config["CONSENT_STATE_TTL"], app.config["CONSENT_SITE_CACHE_SIZE"]
    )
    broadcast.init_app(app, cache)
    banner.init_app(app)
    scan_jobs.init_app(app)
    errors.init_app(app)
    fast_gate.init_app(app)  # before service's ProxyFix, which then wraps it like Flask
    service.init_app(app)
    auth.init_app(app)
    templating.init_app(app)


def _dispose(engines: list[Any]) -> None:
    for engine in engines:
        engine.dispose()


def _register_blueprints(app: Flask) -> None:
    """Every blueprint at its prefix; the JSON APIs (token or no auth) skip CSRF."""
    from consent import landing
    from consent.admin import access_pages, appearance, own_vendors, policy_pages, scan_pages
    from consent.admin import api as admin_api
    from consent.admin import pages as admin_pages
    from consent.audit import api as audit_api
    from consent.audit import erasure, pages, reports
    from consent.audit import scan_pages as audit_scan_pages
    from consent.demo import server as demo
    from consent.extensions import csrf
    from consent.openapi import document as openapi
    from consent.visitor import api as visitor
    from consent.visitor import embed
    from consent.visitor import log as log_api

    # (blueprint, URL prefix, a JSON API that needs no CSRF token)
    blueprints = [
        (landing.bp, None, False),
        (embed.bp, "/embed", False),
        (visitor.bp, "/api/v1/sites", True),
        (demo.bp, "/demo", False),
        (audit_api.bp, "/api/v1/audit", True),
        (erasure.bp, "/api/v1/admin", True),
        (pages.bp, "/audit", False),
        (reports.bp, "/audit", False),
        (audit_scan_pages.bp, "/audit", False),
        (admin_api.bp, "/api/v1/admin", True),
        (admin_pages.bp, "/admin", False),
        (policy_pages.bp, "/admin", False),
        (own_vendors.bp, "/admin", False),
        (appearance.bp, "/admin", False),
        (scan_pages.bp, "/admin", False),
        (access_pages.bp, "/admin", False),
        (openapi.bp, None, False),
        (log_api.bp, None, False),
    ]
    for blueprint, prefix, api in blueprints:
        if api:
            csrf.exempt(blueprint)
        app.register_blueprint(blueprint, url_prefix=prefix)
