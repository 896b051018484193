"""Streamed exports of a site's receipts, shared by the auditor API and the audit UI."""

from __future__ import annotations

from flask import Response
from sqlalchemy.engine import Engine

from consent.ledger.exports import csv_chunks, ndjson_chunks
from consent.ledger.filters import ReceiptFilter
from consent.ledger.queries import receipt_batches
from consent.sites.state import SiteState

#: Media types of the export formats.
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "ndjson": "application/x-ndjson; charset=utf-8"}


def export_response(engine: Engine, site: SiteState, flt: ReceiptFilter, form: str) -> Response:
    """A streamed download in ascending seq; memory stays flat whatever the ledger's size."""
    batches = receipt_batches(engine, site.site_id, flt)
    # A byte order mark makes spreadsheet programs open the CSV as UTF-8.
    chunks = csv_chunks(batches, bom=True) if form == "csv" else ndjson_chunks(batches)
    response = Response(chunks, content_type=MEDIA_TYPES[form])
    response.headers["Content-Disposition"] = (
        f'attachment; filename="receipts-{site.site_key}.{form}"'
    )
    response.headers["Cache-Control"] = "no-store"
    # Tell a buffering proxy (nginx) to pass the rows on as they come.
    response.headers["X-Accel-Buffering"] = "no"
    return response
