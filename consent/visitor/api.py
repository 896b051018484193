"""Blueprint /api/v1/sites/…: config, consents, gate and the visitor's own receipts."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import time
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response as BaseResponse

from consent import banner
from consent.access import limits, tokens
from consent.bodies import json_body
from consent.core.gate import TokenChoice, TokenInput, decide
from consent.errors import Forbidden, InvalidField, Unauthorized, Unavailable
from consent.ledger.append import append_receipt
from consent.ledger.choices import Sender, choice_to_record
from consent.ledger.exports import CSV_COLUMNS, csv_cell, csv_row
from consent.ledger.log_reads import current_proofs
from consent.ledger.reads import subject_receipts
from consent.scans.declaration import site_declaration
from consent.sites.state import SiteState, site_state
from consent.sites.validation import ip_prefix, origin_of
from consent.visitor.history import history_page

bp = Blueprint("visitor", __name__)

_VENDOR_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
#: A BCP 47 tag as far as a language is picked by it: its primary subtag of 2 or 3 letters.
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")
MAX_VENDORS = 50


def _site(site_key: str, *, origin_required: bool = False) -> SiteState:
    """Look the site up (404), then check the caller's Origin against its origins (403)."""
    site = site_state(site_key)
    origin = allowed_origin(site, request.headers.get("Origin"))
    if origin_required and origin is None:
        raise Forbidden("a consent must be sent by the site's page (Origin header)")
    g.cors_origin = origin
    return site


def allowed_origin(site: SiteState, header: str | None) -> str | None:
    """The caller's ``Origin`` normalised (None without one); 403 unless the site lists it."""
    origin = origin_of(header)
    if header is not None and origin not in site.origins:
        raise Forbidden("this origin is not allowed for the site")
    return origin


@bp.after_request
def _cors(response: Response) -> Response:
    origin = g.get("cors_origin")
    vary = response.headers.get("Vary")  # set directly: ``response.vary`` parses and rebuilds
    if not vary:
        response.headers["Vary"] = "Origin"
    elif "origin" not in vary.lower():
        response.headers["Vary"] = f"{vary}, Origin"
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = "GET, POST"
            response.headers["Access-Control-Allow-Headers"] = "Content-Type"
            response.headers["Access-Control-Max-Age"] = "600"
    return response


@bp.before_request
def _preflight() -> Response | None:
    """CORS preflight: answered for the site's own origins only (no CORS headers otherwise)."""
    if request.method != "OPTIONS":
        return None
    site_key = (request.view_args or {}).get("site_key", "")
    _site(site_key)
    return Response(status=204)


@bp.get("/<site_key>/config")
def config(site_key: str) -> Response:
    """The banner configuration in the requested language."""
    site = _site(site_key)
    config = site.config(site.language(request.args.get("lang")))
    config["auto_block"] = site.auto_block
    config["origins"] = list(site.origins)
    config["build"] = banner.current().build
    return jsonify(config)


@bp.get("/<site_key>/declaration")
def declaration(site_key: str) -> BaseResponse:
    """The cookie declaration in the requested language (the site's default if it has no
    texts in it): per category the cookies of the published version's vendors."""
    site = _site(site_key)  # 404, then 403, before 422 (as the gate)
    wanted = request.args.get("lang")
    if wanted is not None and not _LANGUAGE_TAG.fullmatch(wanted):
        raise InvalidField("lang", "must be a language tag such as nl or nl-BE")
    response = jsonify(site_declaration(site, site.language(wanted)))
    # It changes with a publish or a scan: revalidated each time, a 304 when unchanged.
    response.headers["Cache-Control"] = "public, no-cache"
    response.set_etag(hashlib.sha256(response.get_data()).hexdigest()[:32])
    return response.make_conditional(request)


@bp.post("/<site_key>/consents")
def consents(site_key: str) -> tuple[Response, int]:
    """Record a choice as a receipt; answer with the receipt and a fresh token."""
    site = _site(site_key, origin_required=True)
    network = ip_prefix(request.remote_addr)
    limits.hit(
        "consents", current_app.config["CONSENT_RATELIMIT_CONSENTS"], f"{site.site_key}:{network}"
    )
    body = json_body()
    sender = Sender(
        gpc=_header_on("Sec-GPC"),
        dnt=_header_on("DNT"),
        ip_prefix=network,
        user_agent=request.headers.get("User-Agent", ""),
    )
    choice = choice_to_record(site, body, sender)
    try:
        receipt, inclusion = append_receipt(site, choice)
    except SQLAlchemyError as error:
        raise Unavailable("the consent could not be recorded; nothing was saved") from error
    token = tokens.issue(
        tokens.ConsentClaims(
            site.site_key,
            choice.subject_id,
            receipt["receipt_id"],
            choice.policy_version,
            choice.categories,
            choice.action,
            choice.signals["gpc"],
            int(time.time()),
        )
    )
    return jsonify(
        {
            "receipt": receipt,
            "token": token,
            "checkpoint": inclusion["checkpoint"],
            "inclusion": inclusion,
        }
    ), 201


def _header_on(name: str) -> bool:
    """Whether a privacy signal header (``Sec-GPC``, ``DNT``) is sent as ``1``."""
    return signal_on(request.headers.get(name))


def signal_on(value: str | None) -> bool:
    """Whether a privacy signal header's value (None when absent) says ``1``."""
    return value is not None and value.strip() == "1"


def _token_input(token: str | None, app: Flask | None = None) -> TokenInput:
    """Turn the raw token into what the gate takes: a choice, None, or False (bad)."""
    if token is None or token == "":
        return None
    claims = tokens.read(token, app)
    if claims is None:
        return False
    return TokenChoice(
        claims.site_key, claims.policy_version, claims.categories, claims.gpc, claims.issued_at
    )


@bp.route("/<site_key>/gate", methods=["GET", "POST"])
def gate(site_key: str) -> Response:
    """Decide for each requested vendor whether it may load — through the one gate."""
    site = _site(site_key)
    if request.method == "POST":
        body = json_body()
        if not isinstance(body, dict):
            raise InvalidField("", "the body must be a JSON object")
        vendors, token = body.get("vendors"), body.get("token")
        if token is not None and not isinstance(token, str):
            raise InvalidField("token", "must be a string")
    else:
        raw = request.args.get("vendors")
        vendors = raw.split(",") if raw is not None else None
        token = request.args.get("token")
    text = gate_json(site, gate_vendors(vendors), token, gpc=_header_on("Sec-GPC"))
    response = Response(text, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


def gate_vendors(vendors: object) -> list[str]:
    """The requested vendor ids: a list of 1 to ``MAX_VENDORS`` well-formed ids, else 422."""
    if (
        not isinstance(vendors, list)
        or not 0 < len(vendors) <= MAX_VENDORS
        or not all(isinstance(v, str) and _VENDOR_ID.fullmatch(v) for v in vendors)
    ):
        raise InvalidField("vendors", f"must be a list of 1 to {MAX_VENDORS} vendor ids")
    return vendors


def gate_json(
    site: SiteState, vendors: list[str], token: str | None, *, gpc: bool, app: Flask | None = None
) -> str:
    """The gate's answer as JSON text, from :func:`decide`: for the view (GET and POST) and
    its fast path (:mod:`consent.visitor.fast_gate`) alike."""
    answer = decide(site.gate, vendors, _token_input(token, app), gpc=gpc, now=int(time.time()))
    body = {
        "site_key": site.site_key,
        "policy_version": site.gate.policy_version,
        "decisions": {
            vid: {"allowed": d.allowed, "category": d.category, "reason": d.reason}
            for vid, d in answer.decisions.items()
        },
        "consent_mode": answer.consent_mode,
        "categories": answer.categories,
        "show_banner": answer.show_banner,
    }
    return _ENCODE(body) + "\n"


#: The gate's JSON, as ``jsonify`` writes it (compact, ASCII, a final newline) for less.
_ENCODE = json.JSONEncoder(separators=(",", ":")).encode


#: Extra CSV columns of the visitor's download: each receipt's inclusion proof.
PROOF_COLUMNS = ("proof.leaf_index", "proof.tree_size", "proof.inclusion", "proof.checkpoint")


def proof_cells(proof: dict[str, Any]) -> list[str]:
    """A proof as CSV cells: the inclusion hashes joined by a space, the signed checkpoint."""
    values = (proof["leaf_index"], proof["tree_size"], " ".join(proof["inclusion"]))
    return [csv_cell(value) for value in (*values, proof["checkpoint"])]


@bp.get("/<site_key>/me")
def me(site_key: str) -> Response:
    """The visitor's own receipts (right of access): JSON, CSV, or a page to read."""
    as_html = request.args.get("format") == "html"
    g.errors_as_html = as_html  # a person following a stale link gets a page, same status
    site = _site(site_key)
    token = request.args.get("token", "")
    claims = tokens.read(token)
    if claims is None or claims.site_key != site.site_key:
        raise Unauthorized("a valid consent token for this site is required")
    try:
        items = subject_receipts(site.site_id, claims.subject_id)
        if as_html:  # the page links the downloads; the proofs are in those
            return history_page(site, token, items, request.args.get("lang"))
        proofs = current_proofs(site.site_key, site.site_id, [item["seq"] for item in items])
    except SQLAlchemyError as error:
        raise Unavailable("the consent database is unavailable") from error
    for item in items:
        item["proof"] = proofs[item["seq"]]
    if request.args.get("format") == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow((*CSV_COLUMNS, *PROOF_COLUMNS))
        writer.writerows([*csv_row(item), *proof_cells(item["proof"])] for item in items)
        response = Response(out.getvalue(), mimetype="text/csv")
        response.headers["Content-Disposition"] = 'attachment; filename="my-consents.csv"'
        return response
    return jsonify({"subject_id": claims.subject_id, "items": items})


@bp.after_request
def _private(response: Response) -> Response:
    """``/me`` answers, errors included, are the visitor's own and their URL holds the token:
    never stored by a cache, never sent on as a Referer."""
    if request.endpoint == "visitor.me":
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
    return response
