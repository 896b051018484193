"""Consent Ledger: a self-hostable consent banner and tamper-evident consent ledger."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the package stays importable without Flask (consent.offline)
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
    from . import config as settings

    settings.load(app, config)
    app.json.sort_keys = False  # type: ignore[attr-defined]  # fields keep the documented order

    from . import errors, limits, service
    from .extensions import csrf, db, migrate, tune_sqlite
    from .sites import SiteCache

    db.init_app(app)
    with app.app_context():
        tune_sqlite(db.engine)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"))
    limits.init_app(app)
    csrf.init_app(app)
    app.extensions["consent_sites"] = SiteCache(app.config["CONSENT_STATE_TTL"])
    errors.init_app(app)
    service.init_app(app)

    from . import demo, embed, openapi, visitor

    for blueprint in (visitor.bp,):
        csrf.exempt(blueprint)
    app.register_blueprint(embed.bp, url_prefix="/embed")
    app.register_blueprint(visitor.bp, url_prefix="/api/v1/sites")
    app.register_blueprint(demo.bp, url_prefix="/demo")
    app.register_blueprint(openapi.bp)

    from . import cli

    cli.init_app(app)
    return app
