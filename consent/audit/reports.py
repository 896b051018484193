"""Blueprint /audit/… (continued): statistics with SVG charts, policy versions, access log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Blueprint, render_template, request, url_for
from flask.typing import ResponseReturnValue

from consent.access.auth import current_principal, require_member
from consent.access.log import access_log_page
from consent.audit.charts import action_chart, rate_chart
from consent.audit.pages import READERS, page_context, private
from consent.core.catalog import CATEGORIES
from consent.core.chain import ACTIONS
from consent.errors import InvalidField
from consent.ledger.filters import parse_filter
from consent.ledger.queries import encode_cursor, parse_cursor, parse_limit
from consent.ledger.stats import BUCKETS, receipt_stats
from consent.sites.versions import get_version, list_policies, policy_dict

bp = Blueprint("audit_reports", __name__)
bp.context_processor(page_context)
bp.after_request(private)

#: Days the statistics page covers when no period is given.
DEFAULT_DAYS = 30

#: The categories a visitor can refuse: the ones whose opt-in rate means something.
OPTIONAL = CATEGORIES[1:]


@bp.get("/sites/<site_key>/stats")
@require_member(*READERS)
def stats(site_key: str) -> ResponseReturnValue:
    """Opt-in rate per category over time and actions per day, as SVG charts and tables."""
    args = request.args.to_dict()
    if not args.get("from") and not args.get("to"):
        start = datetime.now(UTC).date() - timedelta(days=DEFAULT_DAYS - 1)
        args["from"] = start.isoformat()
    bucket = args.get("bucket") or "day"
    try:
        if bucket not in BUCKETS:
            raise InvalidField("bucket", "must be day or week")
        flt = parse_filter(args)
    except InvalidField as error:
        return render_template("audit/stats.html", args=args, error=error, stats=None), 422
    numbers = receipt_stats(current_principal().site.site_id, flt, bucket)
    return render_template(
        "audit/stats.html",
        args=args,
        error=None,
        stats=numbers,
        categories=OPTIONAL,
        actions=ACTIONS,
        rates=rate_chart(numbers["buckets"], OPTIONAL),
        counts=action_chart(numbers["buckets"], ACTIONS),
    )


@bp.get("/sites/<site_key>/policies/")
@require_member(*READERS)
def policies(site_key: str) -> ResponseReturnValue:
    """Every published policy version of the site."""
    versions = [policy_dict(v) for v in list_policies(current_principal().site.site_id)]
    return render_template("audit/policies.html", versions=versions)


@bp.get("/sites/<site_key>/policies/<version>")
@require_member(*READERS)
def policy(site_key: str, version: str) -> ResponseReturnValue:
    """One policy version: its texts in every language, exactly as stored, and its vendors."""
    found = get_version(current_principal().site.site_id, version)
    return render_template("audit/policy.html", policy=policy_dict(found))


@bp.get("/sites/<site_key>/access-log")
@require_member(*READERS)
def access_log(site_key: str) -> ResponseReturnValue:
    """Who read what, when: this very page view is the newest entry."""
    limit, before = parse_limit(request.args), parse_cursor(request.args)
    items, last = access_log_page(current_principal().site.site_id, limit, before)
    next_url = (
        None
        if last is None
        else url_for(".access_log", site_key=site_key, cursor=encode_cursor(last), limit=limit)
    )
    return render_template(
        "audit/access_log.html", items=items, next_url=next_url, first_page=before is not None
    )
