"""Blueprint /api/v1/audit/…: the auditor API (Bearer token, role auditor or owner).

Every call is authenticated, then recorded in the access log, then answered.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from consent.access.auth import current_principal, require_api
from consent.access.log import access_log_page
from consent.audit.streams import export_response
from consent.errors import InvalidField, NotFound
from consent.ledger.filters import parse_filter
from consent.ledger.kantara import kantara_receipt
from consent.ledger.queries import (
    encode_cursor,
    find_receipt,
    parse_cursor,
    parse_limit,
    parse_search,
    search_receipts,
    subject_history,
)
from consent.ledger.reads import verify_chain
from consent.ledger.stats import BUCKETS, receipt_stats
from consent.replica import read_engine
from consent.scans.records import find_scan, list_scans, scan_report, scan_summary
from consent.sites.versions import find_policy, get_version, list_policies, policy_dict

bp = Blueprint("audit_api", __name__)

#: Roles that may read a site's ledger.
READERS = ("auditor", "owner")


@bp.after_request
def _no_store(response: Response) -> Response:
    # Ledger data is personal data: no shared or browser cache keeps a copy.
    response.headers["Cache-Control"] = "no-store"
    return response


def _cursor(position: int | None) -> str | None:
    return None if position is None else encode_cursor(position)


@bp.get("/sites/<site_key>/receipts")
@require_api(*READERS)
def receipts(site_key: str) -> Response:
    """Receipts matching the filters, newest first, one keyset page at a time."""
    site = current_principal().site
    flt, limit, before = parse_search(request.args)
    items, last = search_receipts(site.site_id, flt, limit, before)
    return jsonify({"items": items, "next_cursor": _cursor(last)})


@bp.get("/sites/<site_key>/receipts/<receipt_id>")
@require_api(*READERS)
def receipt(site_key: str, receipt_id: str) -> Response:
    """One receipt with the policy version it references; or its Kantara document."""
    site = current_principal().site
    form = request.args.get("format") or "json"
    if form not in ("json", "kantara"):
        raise InvalidField("format", "must be json or kantara")
    found = find_receipt(site.site_id, receipt_id)
    if found is None:
        raise NotFound("unknown receipt")
    version = find_policy(site.site_id, found["policy_version"])
    policy = None if version is None else policy_dict(version)
    if form == "kantara" and policy is not None:
        home = min(site.origins) if site.origins else ""
        return jsonify(kantara_receipt(found, policy, site.name, home, site.choice_lifetime_days))
    return jsonify({"receipt": found, "policy": policy})


@bp.get("/sites/<site_key>/subjects/<subject_id>")
@require_api(*READERS)
def subject(site_key: str, subject_id: str) -> Response:
    """A subject's full history, oldest first, with the erasures of its personal context."""
    history = subject_history(current_principal().site.site_id, subject_id)
    return jsonify(history)


@bp.get("/sites/<site_key>/export")
@require_api(*READERS)
def export(site_key: str) -> Response:
    """Every matching receipt in ascending seq as CSV or NDJSON, streamed."""
    site = current_principal().site
    form = request.args.get("format") or "ndjson"
    if form not in ("csv", "ndjson"):
        raise InvalidField("format", "must be csv or ndjson")
    return export_response(read_engine(), site, parse_filter(request.args), form)


@bp.get("/sites/<site_key>/verify")
@require_api(*READERS)
def verify(site_key: str) -> Response:
    """Walk the hash chain: intact, or the first bad seq and why."""
    return jsonify(verify_chain(current_principal().site.site_id).as_dict())


@bp.get("/sites/<site_key>/stats")
@require_api(*READERS)
def stats(site_key: str) -> Response:
    """Counts per action per day or week, opt-in rates, GPC/DNT shares, per version."""
    bucket = request.args.get("bucket") or "day"
    if bucket not in BUCKETS:
        raise InvalidField("bucket", "must be day or week")
    flt = parse_filter(request.args)
    return jsonify(receipt_stats(current_principal().site.site_id, flt, bucket))


@bp.get("/sites/<site_key>/policies", provide_automatic_options=False)
@require_api(*READERS)
def policies(site_key: str) -> Response:
    """Every published policy version, oldest first."""
    versions = list_policies(current_principal().site.site_id)
    return jsonify({"items": [policy_dict(v) for v in versions]})


@bp.get("/sites/<site_key>/policies/<version>", provide_automatic_options=False)
@require_api(*READERS)
def policy(site_key: str, version: str) -> Response:
    """One published policy version, texts exactly as shown."""
    found = get_version(current_principal().site.site_id, version)
    return jsonify(policy_dict(found))


@bp.get("/sites/<site_key>/access-log")
@require_api(*READERS)
def access_log(site_key: str) -> Response:
    """Who read what, when — this read included; newest first, cursor-paginated."""
    limit, before = parse_limit(request.args), parse_cursor(request.args)
    items, last = access_log_page(current_principal().site.site_id, limit, before)
    return jsonify({"items": items, "next_cursor": _cursor(last)})


@bp.get("/sites/<site_key>/scans")
@require_api(*READERS)
def scans(site_key: str) -> Response:
    """The site's scans, newest first."""
    items = [scan_summary(row) for row in list_scans(current_principal().site.site_id)]
    return jsonify({"items": items})


@bp.get("/sites/<site_key>/scans/<scan_id>")
@require_api(*READERS)
def scan(site_key: str, scan_id: str) -> Response:
    """One scan's report (signed once done)."""
    site = current_principal().site
    return jsonify(scan_report(find_scan(site.site_id, scan_id), site.site_key))
