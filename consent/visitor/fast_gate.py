"""The gate's fast path: a WSGI layer in front of Flask that answers the common gate GET.

The gate is asked on every page view of every site (issue #20: at least /healthz's rate on
the same gunicorn), and Flask's request context, routing, hooks and response object cost
about as much as /healthz itself. So ``GET /api/v1/sites/<key>/gate`` is answered here,
without Flask, when nothing but a 200 can come of it:

- the path is exactly that, with a site key of 1 to 64 URL-safe ASCII characters, and the
  query string is ASCII with valid ``vendors`` (checked by the view's own ``gate_vendors``);
- the site is in this worker's cache and fresh (:meth:`SiteCache.cached`: no database read,
  under the same TTL and the same forgets on publish as the view's lookup);
- an ``Origin``, when sent, is one of the site's (checked by the view's ``allowed_origin``).

The answer is the view's: the token goes through the same reader and the body comes from the
same :func:`consent.visitor.api.gate_json`, so from the one :func:`consent.core.gate.decide`;
the headers are the ones Flask's hooks add to the view's answer (``Cache-Control``, ``Vary``,
CORS, the security headers of :mod:`consent.service`). tests/http/test_fast_gate.py holds
both paths to the same status, body and headers.

Everything else goes to Flask as before: POST, HEAD, OPTIONS, an unknown, evicted or stale
site (the view reads it and caches it again), a refused ``Origin`` or invalid vendors (the
view's 403 and 422), any other path. The gate has no rate limit, session or database read
to skip; the Redis subscriber that the view's teardown keeps alive is kept alive here too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import werkzeug.urls  # noqa: F401  # registers "werkzeug.url_quote", as request.args uses it

from consent.errors import ConsentError
from consent.service import RESPONSE_HEADERS
from consent.visitor.api import allowed_origin, gate_json, gate_vendors, signal_on

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from flask import Flask

    from consent.sites.state import SiteCache

_PATH = re.compile(r"/api/v1/sites/([A-Za-z0-9_-]{1,64})/gate")


class FastGate:
    """WSGI middleware: the common gate GET answered directly, anything else by ``inner``."""

    def __init__(self, app: Flask, inner: WSGIApplication) -> None:
        self.app, self.inner = app, inner

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        answer = self.answer(environ) if environ.get("REQUEST_METHOD") == "GET" else None
        if answer is None:
            return self.inner(environ, start_response)
        body, headers = answer
        start_response("200 OK", headers)
        return [body]

    def answer(self, environ: WSGIEnvironment) -> tuple[bytes, list[tuple[str, str]]] | None:
        """The gate's 200 answer (body, headers) for ``environ``, or None: let Flask answer."""
        match = _PATH.fullmatch(environ.get("PATH_INFO", ""))
        query = environ.get("QUERY_STRING", "")
        if match is None or not query.isascii():
            return None
        cache: SiteCache = self.app.extensions["consent_sites"]
        site = cache.cached(match.group(1))
        if site is None:
            return None
        args: dict[str, str] = {}
        for name, value in parse_qsl(query, keep_blank_values=True, errors="werkzeug.url_quote"):
            args.setdefault(name, value)  # the first of each, as request.args.get gives
        raw = args.get("vendors")
        try:
            origin = allowed_origin(site, environ.get("HTTP_ORIGIN"))
            vendors = gate_vendors(raw.split(",") if raw is not None else None)
        except ConsentError:
            return None
        gpc = signal_on(environ.get("HTTP_SEC_GPC"))
        text = gate_json(site, vendors, args.get("token"), gpc=gpc, app=self.app)
        subscriber: Any = self.app.extensions.get("consent_site_changes")
        if subscriber is not None:
            subscriber.ensure_running()
        body = text.encode()
        headers = [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            ("Cache-Control", "no-store"),
            ("Vary", "Origin"),
        ]
        if origin:
            headers.append(("Access-Control-Allow-Origin", origin))
        headers += RESPONSE_HEADERS
        return body, headers


def init_app(app: Flask) -> None:
    """Put the fast path in front of the Flask application (inside ProxyFix, when added)."""
    app.wsgi_app = FastGate(app, app.wsgi_app)  # type: ignore[method-assign]
