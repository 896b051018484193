"""Streamed exports of a site's receipts, shared by the auditor API and the audit UI."""

from __future__ import annotations

from flask import Response
from sqlalchemy.engine import Engine

from ..exports import csv_lines, ndjson_lines
from ..sites import SiteState
from .queries import ReceiptFilter, iter_receipts

#: Media types of the export formats.
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "ndjson": "application/x-ndjson; charset=utf-8"}


def export_response(engine: Engine, site: SiteState, flt: ReceiptFilter, form: str) -> Response:
    """A streamed download in ascending seq; memory stays flat whatever the ledger's size."""
    receipts = iter_receipts(engine, site.site_id, flt)
    # A byte order mark makes spreadsheet programs open the CSV as UTF-8.
    lines = csv_lines(receipts, bom=True) if form == "csv" else ndjson_lines(receipts)
    response = Response(lines, content_type=MEDIA_TYPES[form])
    response.headers["Content-Disposition"] = (
        f'attachment; filename="receipts-{site.site_key}.{form}"'
    )
    response.headers["Cache-Control"] = "no-store"
    # Tell a buffering proxy (nginx) to pass the rows on as they come.
    response.headers["X-Accel-Buffering"] = "no"
    return response
