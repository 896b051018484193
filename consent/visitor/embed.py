"""Blueprint /embed/…: the loader and banner for one site, with its config inlined."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, request
from werkzeug.wrappers import Response as BaseResponse

from consent.core.catalog import blocking_rules
from consent.errors import NotFound
from consent.sites.state import site_state

bp = Blueprint("embed", __name__)

_DIST = Path(__file__).resolve().parents[2] / "static" / "banner" / "dist"
_PLACEHOLDER = "__CONSENT_CONFIG__"
#: The choice lifetime the loader assumes when the config leaves it out (choices.js).
DEFAULT_LIFETIME_DAYS = 182
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
    # the owner's site): it carries the default language's texts as ``translations`` and the
    # list of the other languages, whose texts the loader asks the config API for on a page
    # in one of them; it finds a category's vendors by their category; a null URL, empty
    # settings and an empty cookie list are as good as absent to it.
    config = site.config(site.default_language)
    texts = config.pop("texts")
    for unused in ("language", "categories"):
        del config[unused]
    if len(config["languages"]) == 1:
        del config["languages"]
    if config["cookie_statement_url"] is None:
        del config["cookie_statement_url"]
    if config["choice_lifetime_days"] == DEFAULT_LIFETIME_DAYS:
        del config["choice_lifetime_days"]
    config["vendors"] = {
        vid: {
            key: value
            for key, value in vendor.items()
            if key != "kind" and value != {} and value != []
        }
        for vid, vendor in config["vendors"].items()
    }
    config["api_base"] = current_app.config["CONSENT_PUBLIC_URL"]
    config["translations"] = {site.default_language: texts}
    if site.auto_block:
        # What auto-blocking recognises: every catalogue vendor, enabled or not.
        config["auto_block"] = True
        config["block"] = blocking_rules(config["vendors"])
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
