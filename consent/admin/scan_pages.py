"""Blueprint /admin/sites/<k>/scans…: the *Scan* page (start a scan, the site's scans), a
scan's progress and results, and the button that adds its undeclared vendors to the draft.

The rules are the owner API's: :func:`consent.scans.plans.parse_scan_request` judges the
form, :func:`consent.scans.apply.add_undeclared` the button. Progress without inline
script: static/admin/scan-progress.js polls this page's ``status`` JSON with the session
(a ``<noscript>`` refresh stands in without JavaScript).
"""

from __future__ import annotations

from typing import Any

from flask import (
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField

from consent.access.auth import current_principal
from consent.admin.forms import CsrfForm, form_errors, origin_lines
from consent.admin.ui import admin_blueprint, owner_only, owner_polling, site_id
from consent.core.times import iso_or_none
from consent.errors import FieldProblem, InvalidField
from consent.extensions import db
from consent.models import Scan
from consent.params import whole
from consent.scans.apply import add_undeclared, undeclared_vendors
from consent.scans.jobs import jobs
from consent.scans.plans import (
    DEFAULT_PAGES,
    MAX_PAGES,
    UA_MARKER,
    origin_of,
    parse_scan_request,
    start_urls,
)
from consent.scans.records import (
    ACTIVE,
    ScanInProgress,
    create_scan,
    find_scan,
    list_scans,
    scan_report,
    scan_summary,
)
from consent.scans.results import report_vendors, scan_results, vendor_name
from consent.service import PAGE_CSP
from consent.sites.owner import lock_site, site_row

bp = admin_blueprint("admin_scans")

#: A scan page polls with fetch: the service's page CSP (connect-src 'self'), not the
#: admin's (which connects nowhere, for the banner preview's sake: no preview here).
SCAN_PAGE_CSP = PAGE_CSP.replace("frame-src https:", "frame-src 'none'")


class ScanForm(FlaskForm):
    """A new scan: start URLs (one per line, optional) and the page limit."""

    urls = TextAreaField("Start URLs (optional)")
    max_pages = StringField("Pages at most")


def _input_of(problem: FieldProblem) -> tuple[str, str]:
    # urls[2] → the URLs box, naming the line; anything else is its own input.
    if problem.field.startswith("urls["):
        line = int(problem.field[len("urls[") : -1]) + 1
        return "urls", f"Line {line}: {problem.message}"
    return problem.field, problem.message


def _scan_request(form: ScanForm) -> dict[str, Any]:
    typed = (form.max_pages.data or "").strip()
    number = whole(typed, max_digits=9)
    pages: int | str = DEFAULT_PAGES if not typed else (typed if number is None else number)
    return {"urls": origin_lines(form.urls.data or ""), "max_pages": pages}


@bp.route("/sites/<site_key>/scans", methods=["GET", "POST"])
@owner_only
def scans(site_key: str) -> ResponseReturnValue:
    """Start a scan (then its page shows the progress), and the site's scans, newest first."""
    site = current_principal().site
    form = ScanForm(data=None if request.method == "POST" else {"max_pages": str(DEFAULT_PAGES)})
    errors: dict[str, str] = {}
    status = 200
    if form.validate_on_submit():
        try:
            urls, max_pages = parse_scan_request(_scan_request(form), site.origins)
            row = create_scan(site.site_id, urls, max_pages)
        except InvalidField as error:
            db.session.rollback()
            errors, status = form_errors(error, _input_of), 422
        except ScanInProgress as error:
            errors, status = {"scan": error.message}, 409
        else:
            scan_id = row.id
            db.session.commit()
            jobs().submit(scan_id)
            flash("Scan queued: this page follows it until it is done.")
            return redirect(url_for("admin_scans.scan", site_key=site_key, scan_id=scan_id))
    items = [scan_summary(row) for row in list_scans(site_id())]
    return render_template(
        "admin/scans.html",
        form=form,
        errors=errors,
        items=items,
        max_pages=MAX_PAGES,
        ua_marker=UA_MARKER,
        origins=sorted(site.origins),
        defaults=start_urls(
            [], site.origins, origin_of(current_app.config["CONSENT_PUBLIC_URL"]), site.site_key
        ),
    ), status


def _scan_page(row: Scan, errors: dict[str, str], status: int) -> ResponseReturnValue:
    site = current_principal().site
    report = scan_report(row, site.site_key)
    in_draft = site_row(site_id()).draft["vendors"]
    undeclared = undeclared_vendors(report)
    response = make_response(
        render_template(
            "admin/scan.html",
            scan=scan_summary(row),
            report=report,
            results=scan_results(report, site.name, report_vendors(site_id(), report)),
            undeclared=[(v, vendor_name(v)) for v in undeclared],
            to_add=[(v, vendor_name(v)) for v in undeclared if v not in in_draft],
            active=row.status in ACTIVE,
            form=CsrfForm(),
            errors=errors,
        ),
        status,
    )
    response.headers["Content-Security-Policy"] = SCAN_PAGE_CSP
    return response


@bp.get("/sites/<site_key>/scans/<scan_id>")
@owner_only
def scan(site_key: str, scan_id: str) -> ResponseReturnValue:
    """A scan: its progress while queued or running, then its results."""
    return _scan_page(find_scan(site_id(), scan_id), {}, 200)


@bp.get("/sites/<site_key>/scans/<scan_id>/status")
@owner_polling
def status(site_key: str, scan_id: str) -> ResponseReturnValue:
    """Where the scan is, for the page's progress (session auth, like the page)."""
    row = find_scan(site_id(), scan_id)
    return jsonify(
        {
            "scan_id": row.id,
            "status": row.status,
            "started_at": iso_or_none(row.started_at),
            "finished_at": iso_or_none(row.finished_at),
        }
    )


@bp.post("/sites/<site_key>/scans/<scan_id>/apply")
@owner_only
def apply(site_key: str, scan_id: str) -> ResponseReturnValue:
    """Add the scan's undeclared vendors to the draft, then show them on the Vendors page."""
    row = find_scan(site_id(), scan_id)
    try:
        added = add_undeclared(lock_site(site_id()), row)
    except InvalidField as error:
        db.session.rollback()
        return _scan_page(find_scan(site_id(), scan_id), _apply_errors(error), 422)
    db.session.commit()
    if added:
        names = ", ".join(vendor_name(v) for v in added)
        flash(f"Added to the draft: {names}, each in its usual category. Check them, then publish.")
    else:
        flash("Nothing to add: every vendor this scan found undeclared is already in the draft.")
    return redirect(url_for("admin_policy.vendors", site_key=site_key))


def _apply_errors(error: InvalidField) -> dict[str, str]:
    # add_undeclared's messages name the vendor and what to do; any other names its field.
    said = [
        p.message.removeprefix("is required: ")
        if p.message.startswith("is required: ")
        else f"{p.field}: {p.message}."
        for p in error.problems
    ]
    return {"apply": "Nothing was added. " + " ".join(said)}
