"""Blueprint of the transparency log: checkpoints, tiles, keys and proofs (public, any origin).

Hashes only, no personal data. Full tiles never change, so they are cached for a year.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from consent.core.tiles import TILE_WIDTH, parse_tile_path
from consent.core.tlog_errors import Malformed
from consent.errors import NotFound
from consent.ledger.log_keys import log_keys
from consent.ledger.log_reads import signed_checkpoint, site_log
from consent.params import whole_number
from consent.sites.state import site_state

bp = Blueprint("log", __name__)

IMMUTABLE = "public, max-age=31536000, immutable"
SHORT = "public, max-age=2"


@bp.after_request
def _public(response: Response) -> Response:
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _text(body: str | bytes, cache: str, mimetype: str = "text/plain") -> Response:
    response = Response(body, mimetype=mimetype)
    if mimetype == "text/plain":
        response.headers["Content-Type"] = "text/plain; charset=utf-8"
    response.headers["Cache-Control"] = cache
    return response


@bp.get("/log/<site_key>/checkpoint")
def checkpoint(site_key: str) -> Response:
    """The site's current signed checkpoint (C2SP tlog-checkpoint in a signed note)."""
    site = site_state(site_key)
    note, _size = signed_checkpoint(site.site_key, site.site_id)
    return _text(note, SHORT)


@bp.get("/log/key")
def keys() -> Response:
    """The verifier keys, current first, one per line (C2SP vkey)."""
    return _text("".join(v.vkey + "\n" for v in log_keys().verifiers), SHORT)


@bp.get("/log/<site_key>/tile/<path:rest>")
def tile(site_key: str, rest: str) -> Response:
    """A C2SP tlog tile or entry bundle; full tiles are immutable."""
    site = site_state(site_key)
    try:
        coords = parse_tile_path(f"tile/{rest}")
    except Malformed as error:
        raise NotFound("no such tile") from error
    with site_log(site.site_key, site.site_id) as log:
        data = log.tile(coords)
    cache = IMMUTABLE if coords.width == TILE_WIDTH else SHORT
    return _text(data, cache, mimetype="application/octet-stream")


@bp.get("/api/v1/sites/<site_key>/receipts/<receipt_id>/proof")
def proof(site_key: str, receipt_id: str) -> Response:
    """A receipt's inclusion proof, with the checkpoint signed at exactly that tree size."""
    site = site_state(site_key)
    with site_log(site.site_key, site.site_id) as log:
        seq = log.receipt_seq(receipt_id)
        size = whole_number(request.args.get("tree_size"), "tree_size", seq, log.size, log.size)
        body = log.proof(seq, size)
    return jsonify(body)


@bp.get("/api/v1/sites/<site_key>/log/consistency")
def consistency(site_key: str) -> Response:
    """A consistency proof between two tree sizes (RFC 9162 §2.1.4)."""
    site = site_state(site_key)
    with site_log(site.site_key, site.site_id) as log:
        new = whole_number(request.args.get("to"), "to", 1, log.size)
        old = whole_number(request.args.get("from"), "from", 1, new)
        path = log.consistency(old, new)
    return jsonify({"from": old, "to": new, "proof": path})
