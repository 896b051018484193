"""Erasure of one subject's personal context on request (GDPR art. 17), by an owner.

The receipts and the chain stay (their hashes cover only a salted digest of the
context); the erasure itself is recorded and shown in the subject's history.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify
from sqlalchemy import func, select

from consent.access.auth import current_principal, require_api
from consent.errors import NotFound
from consent.extensions import db
from consent.ledger.append import erase_subject
from consent.ledger.queries import is_subject_id, iso_ms
from consent.models import Erasure, Receipt, ReceiptContext

bp = Blueprint("erasure_api", __name__)


def erase(site_id: int, subject_id: str, requested_by: str) -> dict[str, Any] | None:
    """Erase the subject's context, or repeat the last erasure when nothing is left to erase.

    ``None`` when the site has no receipt of this subject.
    """
    if not is_subject_id(subject_id):
        return None
    receipt_ids = select(Receipt.id).where(
        Receipt.site_id == site_id, Receipt.subject_id == subject_id
    )
    receipts = db.session.scalar(select(func.count()).select_from(receipt_ids.subquery())) or 0
    if receipts == 0:
        return None
    remaining = db.session.scalar(
        select(func.count())
        .select_from(ReceiptContext)
        .where(ReceiptContext.receipt_pk.in_(receipt_ids))
    )
    last = db.session.scalar(
        select(Erasure)
        .where(Erasure.site_id == site_id, Erasure.subject_id == subject_id)
        .order_by(Erasure.erased_at.desc(), Erasure.id.desc())
        .limit(1)
    )
    if remaining or last is None or last.receipts != receipts:
        last = erase_subject(site_id, subject_id, requested_by)
    return {
        "subject_id": subject_id,
        "erased_at": iso_ms(last.erased_at),
        "receipts": last.receipts,
    }


@bp.post("/sites/<site_key>/subjects/<subject_id>/erasure")
@require_api("owner")
def erasure(site_key: str, subject_id: str) -> tuple[Response, int]:
    """Erase a subject's personal context; idempotent, 201 each time."""
    principal = current_principal()
    done = erase(principal.site.site_id, subject_id, principal.actor)
    if done is None:
        raise NotFound("no receipt of this subject on this site")
    return jsonify(done), 201
