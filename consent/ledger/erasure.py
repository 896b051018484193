"""Erasure of one subject's personal context on request (GDPR art. 17): the one rule that the
owner API, the audit UI and ``erase-subject`` share.

The receipts and the chain stay (their hashes cover only a salted digest of the context);
each erasure is recorded and shown in the subject's history. Asking again when nothing is
left to erase answers the last erasure instead of recording an empty one.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from consent.core.times import iso_ms
from consent.extensions import db
from consent.ledger.append import Progress, erase_subject
from consent.ledger.filters import is_subject_id
from consent.models import Erasure, Receipt, ReceiptContext


def _unshown(_rows: int) -> None:
    pass


def erase(
    site_id: int, subject_id: str, requested_by: str, progress: Progress = _unshown
) -> dict[str, Any] | None:
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
        last = erase_subject(site_id, subject_id, requested_by, progress)
    return {
        "subject_id": subject_id,
        "erased_at": iso_ms(last.erased_at),
        "receipts": last.receipts,
    }
