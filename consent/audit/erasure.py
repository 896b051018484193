"""Blueprint of the owner API's erasure of one subject's personal context (GDPR art. 17).

The rule, shared with the audit UI and ``erase-subject``, is :func:`consent.ledger.erasure.erase`.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from consent.access.auth import current_principal, require_api
from consent.errors import NotFound
from consent.ledger.erasure import erase

bp = Blueprint("erasure_api", __name__)


@bp.post("/sites/<site_key>/subjects/<subject_id>/erasure")
@require_api("owner")
def erasure(site_key: str, subject_id: str) -> tuple[Response, int]:
    """Erase a subject's personal context; idempotent, 201 each time."""
    principal = current_principal()
    done = erase(principal.site.site_id, subject_id, principal.actor)
    if done is None:
        raise NotFound("no receipt of this subject on this site")
    return jsonify(done), 201
