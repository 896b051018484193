"""Blueprint of the transparency log: checkpoints, tiles, keys and proofs (public, any origin).

Hashes only, no personal data. Full tiles never change, so they are cached for a year.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from consent.core.tiles import ENTRIES, TILE_WIDTH, consistency_proof, entry_bundle, parse_tile_path
from consent.core.tiles import tile_width as available_width
from consent.core.tlog_errors import Malformed
from consent.errors import NotFound, Unavailable
from consent.extensions import db
from consent.ledger import transparency
from consent.models import Receipt
from consent.params import whole_number
from consent.sites.state import SiteState, site_state

bp = Blueprint("log", __name__)

_R = Receipt.__table__
IMMUTABLE = "public, max-age=31536000, immutable"
SHORT = "public, max-age=2"


@bp.after_request
def _public(response: Response) -> Response:
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _database() -> Any:
    """A connection for this request's reads; 503 when the database is down."""
    try:
        return db.engine.connect()
    except SQLAlchemyError as error:
        raise Unavailable("the consent database is unavailable") from error


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
    with _database() as conn:
        size = transparency.size(conn, site.site_id)
        note = transparency.checkpoint(site.site_key, size, transparency.reader(conn, site.site_id))
    return _text(note, SHORT)


@bp.get("/log/key")
def keys() -> Response:
    """The verifier keys, current first, one per line (C2SP vkey)."""
    return _text("".join(v.vkey + "\n" for v in transparency.log_keys().verifiers), SHORT)


@bp.get("/log/<site_key>/tile/<path:rest>")
def tile(site_key: str, rest: str) -> Response:
    """A C2SP tlog tile or entry bundle; full tiles are immutable."""
    site = site_state(site_key)
    try:
        coords = parse_tile_path(f"tile/{rest}")
    except Malformed as error:
        raise NotFound("no such tile") from error
    with _database() as conn:
        size = transparency.size(conn, site.site_id)
        level = 0 if coords.level == ENTRIES else coords.level
        have = available_width(level, coords.index, size)
        if coords.width > have:
            raise NotFound("this tile does not exist (yet) at the log's current size")
        if coords.level == ENTRIES:
            data = _entries(conn, site, coords.index, coords.width)
        else:
            data = transparency.reader(conn, site.site_id)(coords.level, coords.index)
            data = data[: coords.width * 32]
    cache = IMMUTABLE if coords.width == TILE_WIDTH else SHORT
    return _text(data, cache, mimetype="application/octet-stream")


def _entries(conn: Any, site: SiteState, index: int, width: int) -> bytes:
    first = index * TILE_WIDTH + 1
    hashes = conn.execute(
        select(_R.c.hash)
        .where(_R.c.site_id == site.site_id, _R.c.seq >= first, _R.c.seq < first + width)
        .order_by(_R.c.seq)
    ).scalars()
    return entry_bundle(bytes.fromhex(h) for h in hashes)


@bp.get("/api/v1/sites/<site_key>/receipts/<receipt_id>/proof")
def proof(site_key: str, receipt_id: str) -> Response:
    """A receipt's inclusion proof, with the checkpoint signed at exactly that tree size."""
    site = site_state(site_key)
    with _database() as conn:
        seq = conn.execute(
            select(_R.c.seq).where(_R.c.site_id == site.site_id, _R.c.receipt_id == receipt_id)
        ).scalar()
        if seq is None:
            raise NotFound("unknown receipt")
        current = transparency.size(conn, site.site_id)
        size = whole_number(request.args.get("tree_size"), "tree_size", seq, current, current)
        body = transparency.proof(site.site_key, seq, size, transparency.reader(conn, site.site_id))
    return jsonify(body)


@bp.get("/api/v1/sites/<site_key>/log/consistency")
def consistency(site_key: str) -> Response:
    """A consistency proof between two tree sizes (RFC 9162 §2.1.4)."""
    site = site_state(site_key)
    with _database() as conn:
        current = transparency.size(conn, site.site_id)
        new = whole_number(request.args.get("to"), "to", 1, current)
        old = whole_number(request.args.get("from"), "from", 1, new)
        path = consistency_proof(transparency.reader(conn, site.site_id), old, new)
    return jsonify({"from": old, "to": new, "proof": [transparency.b64(node) for node in path]})
