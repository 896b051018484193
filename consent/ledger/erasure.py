"""Erasure of one subject's personal context on request (GDPR art. 17): the one rule that the
owner API, the audit UI and ``erase-subject`` share; and retention (``purge``).

The receipts and the chain stay (their hashes cover only a salted digest of the context);
each erasure is recorded and shown in the subject's history. Asking again when nothing is
left to erase answers the last erasure instead of recording an empty one.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, select

from consent.core.times import iso_ms
from consent.extensions import db
from consent.ledger.filters import is_subject_id
from consent.ledger.partitions import Upkeep, upkeep
from consent.ledger.reads import Progress, _no_progress
from consent.models import Erasure, Receipt, ReceiptContext, Site, utcnow

_R = Receipt.__table__


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


def purge_contexts(site_id: int, before: datetime) -> int:
    """Delete personal context recorded before ``before`` (retention); receipts stay."""
    ids = select(_R.c.id).where(_R.c.site_id == site_id)
    result = db.session.execute(
        delete(ReceiptContext).where(
            ReceiptContext.receipt_pk.in_(ids), ReceiptContext.created_at < before
        )
    )
    db.session.commit()
    return int(cast("CursorResult[Any]", result).rowcount or 0)


def purge(fixed_days: int | None, progress: Progress = _unshown) -> tuple[dict[str, int], Upkeep]:
    """Retention for every site: the contexts deleted per site key, and the partition upkeep.

    Whole month partitions go first (PostgreSQL, owner role), those past the longest
    retention of any site, since a month holds every site's contexts; then each site's
    rows past its own retention (``fixed_days`` instead, when given).
    """
    now = utcnow()
    sites = db.session.scalars(select(Site).order_by(Site.id)).all()
    days = {site.id: fixed_days if fixed_days else site.retention_days for site in sites}
    longest = max(days.values(), default=None)
    upkept = upkeep(
        db.session.connection(), now, None if longest is None else now - timedelta(days=longest)
    )
    db.session.commit()
    purged = {}
    for site in sites:
        purged[site.site_key] = purge_contexts(site.id, now - timedelta(days=days[site.id]))
        progress(1)
    return purged, upkept


#: Contexts erased per statement: bounded statements, and progress to show on the way.
_ERASE_BATCH = 2000


def erase_subject(
    site_id: int, subject_id: str, requested_by: str, progress: Progress = _no_progress
) -> Erasure:
    """Erase one subject's personal context on request and record the erasure, atomically."""
    ids = list(
        db.session.scalars(
            select(_R.c.id).where(_R.c.site_id == site_id, _R.c.subject_id == subject_id)
        )
    )
    for start in range(0, len(ids), _ERASE_BATCH):
        batch = ids[start : start + _ERASE_BATCH]
        db.session.execute(delete(ReceiptContext).where(ReceiptContext.receipt_pk.in_(batch)))
        progress(len(batch))
    erasure = Erasure(
        site_id=site_id, subject_id=subject_id, requested_by=requested_by, receipts=len(ids)
    )
    db.session.add(erasure)
    db.session.commit()
    return erasure
