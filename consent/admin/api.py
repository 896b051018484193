"""Blueprint /api/v1/admin/sites/…: the owner API (Bearer token with role ``owner``).

Each view: authenticate (401, another site's token 404, an auditor's 403), parse the
body, call the domain module, serialise. Changes commit whole or not at all.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from consent.access.auth import current_principal, require_api
from consent.bodies import json_body
from consent.extensions import db
from consent.scans.apply import add_undeclared
from consent.scans.jobs import jobs
from consent.scans.plans import parse_scan_request
from consent.scans.records import create_scan, find_scan, list_scans, scan_report, scan_summary
from consent.sites.custom_vendors import necessary_notice
from consent.sites.drafts import draft_dict, parse_publish, replace_draft, validate_site_draft
from consent.sites.drafts import version_diff as diff_versions
from consent.sites.members import (
    active_tokens,
    mint_token,
    parse_token_request,
    revoke_token,
    token_dict,
)
from consent.sites.owner import (
    apply_site_patch,
    forget_cached,
    lock_site,
    site_dict,
    site_row,
    snippet_html,
)
from consent.sites.versions import policy_dict, publish_draft

bp = Blueprint("admin_api", __name__)

owner_only = require_api("owner")


def _site_id() -> int:
    return current_principal().site.site_id


def _no_store(response: Response, status: int | None = None) -> Response:
    if status is not None:
        response.status_code = status
    # Owner data (and a token, once) must not be kept by any cache.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/sites/<site_key>")
@owner_only
def get_site(site_key: str) -> Response:
    """The site's settings."""
    return _no_store(jsonify(site_dict(site_row(_site_id()))))


@bp.patch("/sites/<site_key>")
@owner_only
def patch_site(site_key: str) -> Response:
    """Change any subset of the settings; all or nothing."""
    body = json_body()
    site = lock_site(_site_id())
    apply_site_patch(site, body)
    db.session.commit()
    forget_cached(site_key)
    return _no_store(jsonify(site_dict(site)))


@bp.get("/sites/<site_key>/draft")
@owner_only
def get_draft(site_key: str) -> Response:
    """The draft the next version is published from."""
    return _no_store(jsonify(draft_dict(site_row(_site_id()))))


@bp.put("/sites/<site_key>/draft")
@owner_only
def put_draft(site_key: str) -> Response:
    """Replace the draft whole; 422 names every invalid field."""
    body = json_body()
    site = lock_site(_site_id())
    replace_draft(site, validate_site_draft(site, body))
    db.session.commit()
    return _no_store(jsonify(draft_dict(site)))


@bp.post("/sites/<site_key>/publish")
@owner_only
def publish(site_key: str) -> Response:
    """Freeze the draft as the next policy version."""
    requires_reconsent = parse_publish(json_body())
    site = lock_site(_site_id())
    version = publish_draft(site, requires_reconsent)
    answer = policy_dict(version)
    if notice := necessary_notice(version.vendors):
        answer["notice"] = notice
    db.session.commit()
    forget_cached(site_key)
    return _no_store(jsonify(answer), 201)


@bp.get("/sites/<site_key>/policies/<a>/diff/<b>")
@owner_only
def diff(site_key: str, a: str, b: str) -> Response:
    """What changed from version ``a`` to version ``b``."""
    return _no_store(jsonify(diff_versions(_site_id(), a, b)))


@bp.get("/sites/<site_key>/tokens")
@owner_only
def list_tokens(site_key: str) -> Response:
    """The site's active API tokens, without their secrets."""
    return _no_store(jsonify({"items": [token_dict(t) for t in active_tokens(_site_id())]}))


@bp.post("/sites/<site_key>/tokens")
@owner_only
def create_token(site_key: str) -> Response:
    """Mint an owner or auditor token; the secret is in this answer only."""
    role, label = parse_token_request(json_body())
    answer = mint_token(site_row(_site_id()), role, label)
    db.session.commit()
    return _no_store(jsonify(answer), 201)


@bp.delete("/sites/<site_key>/tokens/<token_id>")
@owner_only
def delete_token(site_key: str, token_id: str) -> Response:
    """Revoke a token: it gets 401 from now on."""
    revoke_token(_site_id(), token_id)
    db.session.commit()
    return _no_store(Response(status=204))


@bp.get("/sites/<site_key>/snippet")
@owner_only
def snippet(site_key: str) -> Response:
    """The script tag to paste first in the ``<head>`` of every page."""
    return _no_store(jsonify({"html": snippet_html(current_principal().site.site_key)}))


@bp.post("/sites/<site_key>/scans")
@owner_only
def start_scan(site_key: str) -> Response:
    """Queue a scan of the site (202); 409 while another one is queued or running."""
    site = current_principal().site
    urls, max_pages = parse_scan_request(json_body(), site.origins)
    row = create_scan(site.site_id, urls, max_pages)
    db.session.commit()
    jobs().submit(row.id)
    return _no_store(jsonify({"scan_id": row.id, "status": "queued"}), 202)


@bp.get("/sites/<site_key>/scans")
@owner_only
def scans(site_key: str) -> Response:
    """The site's scans, newest first."""
    return _no_store(jsonify({"items": [scan_summary(r) for r in list_scans(_site_id())]}))


@bp.get("/sites/<site_key>/scans/<scan_id>")
@owner_only
def scan(site_key: str, scan_id: str) -> Response:
    """One scan's report (signed once done)."""
    site = current_principal().site
    return _no_store(jsonify(scan_report(find_scan(site.site_id, scan_id), site.site_key)))


@bp.post("/sites/<site_key>/scans/<scan_id>/apply")
@owner_only
def apply_scan(site_key: str, scan_id: str) -> Response:
    """Add every vendor the done scan found undeclared to the draft; the draft and ``added``."""
    scan_row = find_scan(_site_id(), scan_id)
    site = lock_site(_site_id())
    added = add_undeclared(site, scan_row)
    db.session.commit()
    return _no_store(jsonify({**draft_dict(site), "added": added}))
