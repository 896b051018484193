"""Request bodies: I-JSON (RFC 7493) parsing with our size, type and depth rules."""

from __future__ import annotations

import json
from typing import Any

from flask import request
from werkzeug.exceptions import RequestEntityTooLarge

from consent.config import MAX_BODY
from consent.errors import MalformedJSON, UnsupportedMediaType

#: Deepest nesting accepted (DESIGN.md: deeper than 32 → 400).
MAX_DEPTH = 32


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise MalformedJSON(f"duplicate member name {key[:40]!r}")
        result[key] = value
    return result


def _no_constants(name: str) -> Any:
    raise MalformedJSON(f"{name} is not allowed in I-JSON")


def _check(value: Any, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise MalformedJSON(f"nesting deeper than {MAX_DEPTH}")
    if isinstance(value, str):
        _check_text(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key)
            _check(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check(item, depth + 1)


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise MalformedJSON("lone surrogates are not allowed in I-JSON") from error


def parse_ijson(raw: bytes) -> Any:
    """Parse ``raw`` as I-JSON or raise :class:`MalformedJSON`."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise MalformedJSON("the body is not valid UTF-8") from error
    # Cheap guard before the parser recurses: count the opening brackets.
    if text.count("[") + text.count("{") > 4 * MAX_DEPTH and _depth(text) > MAX_DEPTH:
        raise MalformedJSON(f"nesting deeper than {MAX_DEPTH}")
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constants)
    except (ValueError, RecursionError) as error:
        raise MalformedJSON(f"the body is not valid JSON: {error}") from error
    _check(value, 1)
    return value


def _depth(text: str) -> int:
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def read_body() -> bytes:
    """The raw body, at most MAX_BODY bytes: 413 past it, with or without Content-Length."""
    if request.content_length is not None:
        return request.get_data(cache=True)  # Werkzeug answers 413 past MAX_CONTENT_LENGTH
    if not request.environ.get("wsgi.input_terminated"):
        return b""
    # Chunked: Werkzeug would silently cut the body at the limit, so read one byte more.
    raw = request.environ["wsgi.input"].read(MAX_BODY + 1)
    if len(raw) > MAX_BODY:
        raise RequestEntityTooLarge()
    return bytes(raw)


def json_body() -> Any:
    """The request's JSON body; 415 unless ``application/json``, 413 past the limit, 400 else."""
    if request.mimetype != "application/json":
        raise UnsupportedMediaType("send the body as application/json")
    return parse_ijson(read_body())
