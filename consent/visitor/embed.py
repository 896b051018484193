"""Blueprint /embed/…: the loader and banner for one site, with its config inlined."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, request
from werkzeug.wrappers import Response as BaseResponse

from consent.errors import NotFound
from consent.sites.state import site_state

bp = Blueprint("embed", __name__)

_DIST = Path(__file__).resolve().parents[2] / "static" / "banner" / "dist"
_PLACEHOLDER = "__CONSENT_CONFIG__"
_NOT_FOUND_JS = "/* Consent Ledger: unknown site key; nothing to do. */\n"


@cache
def _asset(name: str) -> str:
    return (_DIST / name).read_text(encoding="utf-8")


def inline_json(value: Any) -> str:
    """JSON safe to inline in a script: ``<``, U+2028 and U+2029 escaped."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _script(body: str, status: int = 200) -> Response:
    response = Response(body, status=status, mimetype="text/javascript")
    response.headers["Access-Control-Allow-Origin"] = "*"
    # Revalidate every time (a cheap 304): a publish must reach visitors at once.
    response.headers["Cache-Control"] = "public, no-cache"
    return response


@bp.get("/<site_key>.js")
def loader(site_key: str) -> BaseResponse:
    """The whole loader + banner for the site, config included (one request)."""
    try:
        site = site_state(site_key)
    except NotFound:
        return _script(_NOT_FOUND_JS, status=404)
    # The config API's shape, less what the loader does not read (it is on every page of
    # the owner's site): the loader picks the language itself from every language's texts
    # (``translations``), so the default language's ``texts`` would be a second copy; it
    # finds a category's vendors by their category; a null URL, empty settings and an
    # empty cookie list are as good as absent to it.
    config = site.config(site.default_language)
    for unused in ("language", "languages", "texts", "categories"):
        del config[unused]
    if config["cookie_statement_url"] is None:
        del config["cookie_statement_url"]
    config["vendors"] = {
        vid: {
            key: value
            for key, value in vendor.items()
            if key != "kind" and value != {} and value != []
        }
        for vid, vendor in config["vendors"].items()
    }
    config["api_base"] = current_app.config["CONSENT_PUBLIC_URL"]
    config["translations"] = site.current["texts"]
    body = _asset("consent.js").replace(_PLACEHOLDER, inline_json(config), 1)
    response = _script(body)
    response.set_etag(hashlib.sha256(body.encode()).hexdigest()[:32])
    return response.make_conditional(request)


@bp.get("/banner.css")
def stylesheet() -> BaseResponse:
    """The banner's stylesheet, loaded into the banner's shadow root."""
    body = _asset("banner.css")
    response = Response(body, mimetype="text/css")
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "public, max-age=3600"
    response.set_etag(hashlib.sha256(body.encode()).hexdigest()[:32])
    return response.make_conditional(request)
