"""The error hierarchy and the one handler that turns errors into responses."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, current_app, g, jsonify, render_template, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from consent.core.tlog_errors import TileCorrupt


def database_errors(app: Flask) -> tuple[type[Exception], ...]:
    """Database failures that no view turned into :class:`Unavailable` (psycopg's pipeline
    mode can raise its own errors unwrapped by SQLAlchemy); psycopg only where it is used."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        return (SQLAlchemyError, sqlite3.Error)
    import psycopg

    return (SQLAlchemyError, psycopg.Error, sqlite3.Error)


class ConsentError(Exception):
    """Base of every error the service reports to a client."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        #: Extra members of the JSON error object (``field`` and ``fields`` for 422).
        self.details = details


class MalformedJSON(ConsentError):
    """The body is not I-JSON."""

    status, code = 400, "malformed_json"


class Unauthorized(ConsentError):
    """Missing or invalid credentials."""

    status, code = 401, "unauthorized"


class Forbidden(ConsentError):
    """Authenticated, but not allowed to do this."""

    status, code = 403, "forbidden"


class NotFound(ConsentError):
    """Unknown resource, or one the caller may not know exists."""

    status, code = 404, "not_found"


class Conflict(ConsentError):
    """The request contradicts the resource's current state (e.g. nothing new to publish)."""

    status, code = 409, "conflict"


class UnsupportedMediaType(ConsentError):
    """The body is not ``application/json``."""

    status, code = 415, "unsupported_media_type"


@dataclass(frozen=True)
class FieldProblem:
    """One invalid field: its dotted path and what is wrong with it."""

    field: str
    message: str


class InvalidField(ConsentError):
    """One or more values are well-formed but not acceptable; names each field.

    ``field`` and ``message`` are the first problem's (what a client that reads one field
    shows); ``fields`` lists every problem, so a form can mark all of them at once.
    """

    status, code = 422, "invalid_field"

    def __init__(self, field: str, message: str, *more: FieldProblem) -> None:
        #: Every invalid field, the first one first.
        self.problems = (FieldProblem(field, message), *more)
        summary = message if not more else f"{message} (and {len(more)} more: see fields)"
        super().__init__(
            summary,
            field=field,
            fields=[{"field": p.field, "message": p.message} for p in self.problems],
        )
        self.field = field

    @classmethod
    def of(cls, problems: Sequence[FieldProblem]) -> InvalidField:
        """One error listing ``problems`` (at least one)."""
        first, *more = problems
        return cls(first.field, first.message, *more)


class FieldErrors:
    """Collects invalid fields instead of stopping at the first, then raises them together.

    ``with errors.collecting(): …`` runs one check and keeps its :class:`InvalidField`;
    :meth:`raise_any` raises one error listing everything collected, in order.
    """

    def __init__(self) -> None:
        #: What has been found so far, in the order the checks ran.
        self.problems: list[FieldProblem] = []

    def add(self, field: str, message: str) -> None:
        """Record one invalid field."""
        self.problems.append(FieldProblem(field, message))

    @contextmanager
    def collecting(self) -> Iterator[None]:
        """Run the block; an :class:`InvalidField` it raises is recorded, not propagated."""
        try:
            yield
        except InvalidField as error:
            self.problems.extend(error.problems)

    def raise_any(self) -> None:
        """Raise one :class:`InvalidField` listing every problem, if there is any."""
        if self.problems:
            raise InvalidField.of(self.problems)


class Unavailable(ConsentError):
    """The database cannot be reached."""

    status, code = 503, "unavailable"


#: Werkzeug's HTTP errors mapped onto our stable codes.
HTTP_CODES = {
    400: "malformed_json",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    503: "unavailable",
}
#: The code of an HTTP error that has no stable code of its own.
FALLBACK_CODE = "error"


def error_response(status: int, code: str, message: str, **details: Any) -> Response:
    """Build the JSON error response, or an HTML page for browsers on UI pages."""
    if _wants_html():
        fields = [f"{p['field']}: {p['message']}" for p in details.get("fields", [])]
        body = render_template("error.html", status=status, messages=fields or [message])
        response = Response(body, status=status, mimetype="text/html")
    else:
        response = jsonify({"error": {"code": code, "message": message, **details}})
        response.status_code = status
    if status == 401 and request.path.startswith("/api/"):
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


def _wants_html() -> bool:
    """UI pages answer browsers with a page; so does a view that set ``g.errors_as_html``
    (a page under ``/api/``, such as the visitor's history)."""
    if g.get("errors_as_html"):
        return True
    ui = request.path.startswith(("/admin", "/audit", "/demo"))
    return ui and request.accept_mimetypes.accept_html


def init_app(app: Flask) -> None:
    """Register the handlers that turn every error into ``{"error": {...}}``."""

    @app.errorhandler(ConsentError)
    def _consent_error(error: ConsentError) -> Response:
        response = error_response(error.status, error.code, error.message, **error.details)
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None:
            response.headers["Retry-After"] = str(retry_after)
        return response

    def _database_error(error: Exception) -> Response:
        # A database that fails mid-request is an outage to the client, never a 500.
        current_app.logger.warning("database failure: %s", type(error).__name__)
        return error_response(503, "unavailable", "the consent database is unavailable")

    for database_error in database_errors(app):
        app.register_error_handler(database_error, _database_error)

    @app.errorhandler(TileCorrupt)
    def _log_corrupt(error: TileCorrupt) -> Response:
        # The stored tree no longer fits the receipts (someone edited the database): refuse
        # to append or prove rather than sign a log that contradicts earlier checkpoints.
        current_app.logger.error("transparency log inconsistent with the receipts: %s", error)
        return error_response(
            503, "unavailable", "the site's transparency log does not match its receipts"
        )

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Response:
        status = error.code or 500
        response = error_response(
            status, HTTP_CODES.get(status, FALLBACK_CODE), error.description or error.name
        )
        for name, value in error.get_headers():
            if name in ("Allow", "Retry-After"):
                response.headers[name] = value
        return response
