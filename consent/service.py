"""Process-level concerns: health endpoints, proxy handling and security headers."""

from __future__ import annotations

from flask import Flask, Response, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.middleware.proxy_fix import ProxyFix

from consent.extensions import db

#: The CSP of every HTML page the service renders itself.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-src https:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)

#: What every response carries unless its view says otherwise (the gate's fast path, which
#: answers before Flask, writes the same).
RESPONSE_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
)

#: How long a browser keeps the answer to /favicon.ico (a year).
FAVICON_MAX_AGE = 31_536_000


def init_app(app: Flask) -> None:
    """Register /healthz, /readyz and /favicon.ico, ProxyFix and the response headers."""
    hops = app.config["CONSENT_TRUSTED_PROXIES"]
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify({"status": "ok"})

    @app.get("/favicon.ico")
    def favicon() -> Response:
        """No icon, said once: browsers ask every page's origin for one, and a 404 shows as
        an error in their console. 204, cached for a year."""
        response = Response(status=204)
        response.headers["Cache-Control"] = f"public, max-age={FAVICON_MAX_AGE}, immutable"
        return response

    @app.get("/readyz")
    def readyz() -> tuple[Response, int]:
        """Ready while the database answers; Redis away is degraded, not unready."""
        link = app.extensions.get("consent_redis")
        redis = (
            {}
            if link is None
            else {"redis": "ok" if link.available and link.ping() else "unavailable"}
        )
        try:
            db.session.execute(text("SELECT 1"))
            db.session.rollback()
        except SQLAlchemyError:
            db.session.rollback()
            return jsonify({"status": "unavailable", "database": False, **redis}), 503
        return jsonify({"status": "ready", "database": True, **redis}), 200

    @app.after_request
    def _headers(response: Response) -> Response:
        headers = response.headers
        for name, value in RESPONSE_HEADERS:
            headers.setdefault(name, value)
        if response.mimetype == "text/html":
            headers.setdefault("Content-Security-Policy", PAGE_CSP)
            headers.setdefault("X-Frame-Options", "DENY")
        return response
