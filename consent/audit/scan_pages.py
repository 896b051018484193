"""Blueprint /audit/sites/<k>/scans…: the site's scan reports for auditors (and owners),
read-only: the list, one report (the admin's results partial) and its JSON as signed.

Every page read is in the access log (``require_member``), like the auditor API's reads.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, render_template
from flask.typing import ResponseReturnValue

from consent.access.auth import current_principal, require_member
from consent.audit.pages import READERS, page_context, private
from consent.scans.records import find_scan, list_scans, scan_report, scan_summary
from consent.scans.results import report_vendors, scan_results

bp = Blueprint("audit_scans", __name__)
bp.context_processor(page_context)
bp.after_request(private)


@bp.get("/sites/<site_key>/scans/")
@require_member(*READERS)
def scans(site_key: str) -> ResponseReturnValue:
    """The site's scans, newest first."""
    items = [scan_summary(row) for row in list_scans(current_principal().site.site_id)]
    return render_template("audit/scans.html", items=items)


@bp.get("/sites/<site_key>/scans/<scan_id>")
@require_member(*READERS)
def scan(site_key: str, scan_id: str) -> ResponseReturnValue:
    """One scan's report: the record, its findings and what each state saw."""
    site = current_principal().site
    row = find_scan(site.site_id, scan_id)
    report = scan_report(row, site.site_key)
    results = scan_results(report, site.name, report_vendors(site.site_id, report))
    return render_template(
        "audit/scan.html", scan=scan_summary(row), report=report, results=results
    )


@bp.get("/sites/<site_key>/scans/<scan_id>/report.json")
@require_member(*READERS)
def report_json(site_key: str, scan_id: str) -> ResponseReturnValue:
    """The report exactly as the API serves it (signed once done), to download."""
    site = current_principal().site
    report = scan_report(find_scan(site.site_id, scan_id), site.site_key)
    body = json.dumps(report, ensure_ascii=False, indent=2)
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="scan-{scan_id}.json"'
    return response
