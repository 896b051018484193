"""Blueprint /embed/…: the loader and banner for one site (the build's code followed by the
site's config), its stylesheet, and every build of the banner code ever served."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from werkzeug.wrappers import Response as BaseResponse

from consent import banner
from consent.core.catalog import LOADER_VENDORS
from consent.core.vendors import site_blocking_rules
from consent.errors import NotFound
from consent.sites.seen_origins import note_embed
from consent.sites.state import SiteState, site_state
from consent.sites.theme import embed_theme
from consent.visitor.compression import negotiate

bp = Blueprint("embed", __name__)

#: The choice lifetime the loader assumes when the config leaves it out (choices.js).
DEFAULT_LIFETIME_DAYS = 182
_NOT_FOUND_JS = "/* Consent Ledger: unknown site key; nothing to do. */\n"
_BUILD = re.compile(r"[0-9a-f]{64}")
#: The texts and labels the embed carries: the first layer's (and the withdrawal's words).
FIRST_LAYER_TEXTS = (
    "title",
    "description",
    "accept_all",
    "reject_all",
    "customize",
    "privacy_link",
    "gpc_notice",
)
FIRST_LAYER_LABELS = ("cookies", "withdrawn")


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


def embed_config(site: SiteState) -> dict[str, Any]:
    """The config the embed carries: the config API's shape, less what the loader does not
    read (it is on every page of the owner's site).

    It carries the default language's texts as ``translations`` and the list of the other
    languages (``languages``, without the default), whose texts the loader asks the config
    API for on a page in one of them; it
    finds a category's vendors by their category; a null URL, empty settings (and those of
    vendors it does not inject: a loader's served categories, a self-hosted host), empty cookie
    lists, the default choice lifetime and theme are as good as absent. Only the first
    layer's texts and labels, and no vendor names: the loader asks the config API for the
    rest when it shows the preferences or a placeholder. (Copies: the site's cached texts
    stay whole.)
    """
    config = site.config(site.default_language)
    texts = {key: config["texts"][key] for key in FIRST_LAYER_TEXTS}
    labels = {key: config["labels"][key] for key in FIRST_LAYER_LABELS}
    for unused in ("texts", "language", "categories"):
        del config[unused]
    config["languages"] = [lang for lang in config["languages"] if lang != site.default_language]
    if not config["languages"]:
        del config["languages"]
    if config["cookie_statement_url"] is None:
        # And the label of its link.
        del config["cookie_statement_url"]
        del labels["cookies"]
    if config["choice_lifetime_days"] == DEFAULT_LIFETIME_DAYS:
        del config["choice_lifetime_days"]
    if theme := embed_theme(config.pop("theme")):
        config["theme"] = theme
    config["vendors"] = {
        vid: {
            key: value
            for key, value in vendor.items()
            if key not in ("kind", "name")
            and value != {}
            and value != []
            # Only the vendors the loader injects read their settings.
            and (key != "settings" or vid in LOADER_VENDORS)
        }
        for vid, vendor in config["vendors"].items()
    }
    config["api_base"] = current_app.config["CONSENT_PUBLIC_URL"]
    # On any other origin the banner shows nothing (its choice could not be recorded).
    config["origins"] = list(site.origins)
    config["translations"] = {site.default_language: texts}
    config["labels"] = labels
    return config


@bp.get("/<site_key>.js")
def loader(site_key: str) -> BaseResponse:
    """The whole loader + banner for the site, config included (one request)."""
    try:
        site = site_state(site_key)
    except NotFound:
        return _script(_NOT_FOUND_JS, status=404)
    config = embed_config(site)
    current = banner.current()
    config["build"] = current.build
    if site.auto_block:
        # What auto-blocking recognises (every catalogue vendor, enabled or not, and the
        # site's own); its presence switches auto-blocking on.
        config["block"] = blocking_lookup(site_blocking_rules(site.current["vendors"]))
    if not _privacy_signal():
        # The notice about a browser's privacy signal only where the browser sends one.
        del config["translations"][site.default_language]["gpc_notice"]
    # The code is a function expression; the config calls it.
    body = f"{current.code}({inline_json(config)});\n"
    banner.record_served()
    note_embed(site.site_id, site.site_key, request.headers.get("Referer"))
    response = _script(body)
    response.vary.update(("Sec-GPC", "DNT"))
    response.set_etag(hashlib.sha256(body.encode()).hexdigest()[:32])
    return negotiate(response, request)


def _privacy_signal() -> bool:
    """Whether the browser sends Global Privacy Control or Do Not Track (the headers that go
    with ``navigator.globalPrivacyControl`` and ``navigator.doNotTrack``)."""
    return request.headers.get("Sec-GPC") == "1" or request.headers.get("DNT") == "1"


def blocking_lookup(rules: dict[str, list[list[str]]]) -> list[dict[str, str]]:
    """Auto-blocking's rules as the loader looks them up: ``[{host: vendor}, {marker:
    vendor}]``, the first vendor that names a host or marker keeping it (the loader then
    finds a URL's vendor by its host and parents, without a loop over the vendors)."""
    hosts: dict[str, str] = {}
    markers: dict[str, str] = {}
    for vendor_id, rule in rules.items():
        for host in rule[0]:
            hosts.setdefault(host, vendor_id)
        for marker in rule[1] if len(rule) > 1 else ():
            markers.setdefault(marker, vendor_id)
    return [hosts, markers]


@bp.get("/banner.css")
def stylesheet() -> BaseResponse:
    """The banner's stylesheet, loaded into the banner's shadow root."""
    body = banner.current().stylesheet
    response = Response(body, mimetype="text/css")
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "public, max-age=3600"
    response.set_etag(hashlib.sha256(body.encode()).hexdigest()[:32])
    return negotiate(response, request)


def _declaration_script() -> str:
    """The cookie declaration's script as built (read once per process; empty if absent)."""
    script: str | None = current_app.extensions.get("consent_declaration_js")
    if script is None:
        path = Path(current_app.config.get("CONSENT_BANNER_DIR") or banner.DIST) / "declaration.js"
        script = path.read_text(encoding="utf-8") if path.exists() else ""
        current_app.extensions["consent_declaration_js"] = script
    return script


@bp.get("/declaration.js")
def declaration_script() -> BaseResponse:
    """The script that fills ``[data-consent-declaration]`` (the same for every site: the
    embed names the site after ``#``), cached as the stylesheet is."""
    body = _declaration_script()
    response = Response(body, mimetype="text/javascript")
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "public, max-age=3600"
    response.set_etag(hashlib.sha256(body.encode()).hexdigest()[:32])
    return negotiate(response, request)


@bp.get("/builds")
def builds() -> Response:
    """Every build of the banner code served, oldest first (public, like ``/log/*``)."""
    items = [{"build": build, "first_served_at": at} for build, at in banner.served_builds()]
    response = jsonify({"items": items})
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/builds/<build>.js")
def build_code(build: str) -> BaseResponse:
    """The code of one build, exactly as served (immutable: its name is its hash)."""
    code = banner.build_code(build) if _BUILD.fullmatch(build) else None
    if code is None:
        raise NotFound("no such banner build")
    response = Response(code, mimetype="text/javascript")
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    response.set_etag(build[:32])
    return negotiate(response, request)


@bp.get("/builds/<build>/later.js")
def build_later(build: str) -> BaseResponse:
    """What one build loads when first needed (immutable: the build's code names its hash)."""
    code = banner.build_later(build) if _BUILD.fullmatch(build) else None
    if code is None:
        raise NotFound("no such banner build")
    response = Response(code, mimetype="text/javascript")
    # The loader asks for it in CORS mode (its integrity is checked).
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return negotiate(response, request)


@bp.get("/builds/<build>/run.js")
def run_build(build: str) -> Response:
    """A build's code called with the page's ``window.__CONSENT_CONFIG__``: how the owner's
    preview and the auditor's replay run the very code a visitor's browser ran."""
    code = banner.build_code(build) if _BUILD.fullmatch(build) else None
    if code is None:
        raise NotFound("no such banner build")
    response = Response(f"{code}(window.__CONSENT_CONFIG__);\n", mimetype="text/javascript")
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
