"""Blueprint /audit/…: sign-in, sites, search, receipt replay, subject timeline, export, verify.

The verify page also shows the site's signed checkpoint and how to prove an export
against it offline (``consent verify-export``), with the checkpoint to download.

Server-rendered and usable without JavaScript; every form carries a CSRF token and
every site page read is recorded in the access log (by ``require_member``).
"""

from __future__ import annotations

import json
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue

from consent.access.account import account_view
from consent.access.auth import current_principal, require_member, require_user
from consent.access.signin import current_user, login_view, logout_view, memberships
from consent.admin.ui import ADMIN_CSP, layout_context
from consent.audit.replay import (
    LAYERS,
    policy_hash_checks,
    pressed_button,
    replay_build,
    replay_document,
)
from consent.audit.streams import export_response
from consent.core.catalog import CATEGORIES
from consent.core.chain import ACTIONS
from consent.core.notes import open_checkpoint
from consent.errors import InvalidField, NotFound
from consent.ledger import transparency
from consent.ledger.erasure import erase
from consent.ledger.filters import parse_filter
from consent.ledger.kantara import kantara_receipt
from consent.ledger.log_keys import log_keys
from consent.ledger.log_reads import signed_checkpoint
from consent.ledger.queries import (
    COUNT_CAP,
    count_receipts,
    encode_cursor,
    find_receipt,
    parse_search,
    search_receipts,
    subject_history,
)
from consent.ledger.reads import verify_chain
from consent.params import MAX_WHOLE, optional_whole_number
from consent.replica import read_engine
from consent.sites.versions import find_policy, list_policies, policy_dict

bp = Blueprint("audit", __name__)

#: Roles that may read a site's ledger in the UI.
READERS = ("auditor", "owner")

#: Receipts per page of the search table.
PAGE_SIZE = 50

bp.add_url_rule("/login", "login", login_view("audit", "audit/login.html"), methods=["GET", "POST"])
bp.add_url_rule("/logout", "logout", logout_view("audit"), methods=["POST"])
bp.add_url_rule(
    "/account", "account", account_view("audit", "audit/account.html"), methods=["GET", "POST"]
)


def page_context() -> dict[str, Any]:
    """What every audit page needs: the shared layout's context and the category ids."""
    return {**layout_context(), "categories": CATEGORIES}


def private(response: Response) -> Response:
    """Audit pages show personal data: no cache keeps a copy."""
    response.headers.setdefault("Cache-Control", "no-store")
    return response


bp.context_processor(page_context)
bp.after_request(private)


@bp.get("/")
@require_user()
def index() -> ResponseReturnValue:
    """The sites the signed-in user may audit."""
    user = current_user()
    assert user is not None
    return render_template("audit/index.html", sites=memberships(user))


#: The filter parser's messages (the API's, naming its parameters) in the search form's words.
FORM_WORDS = {
    "granted needs the category it applies to": "choose the category that was granted or refused",
    "must be later than from": "must be a later day than “Recorded on or after”",
}


@bp.get("/sites/<site_key>/")
@require_member(*READERS)
def search(site_key: str) -> ResponseReturnValue:
    """The search form and one page of matching receipts, newest first."""
    site = current_principal().site
    # A pasted subject id may bring spaces along; the API takes the id as given.
    args = request.args.copy()
    if "subject" in args:
        args["subject"] = args["subject"].strip()
    context: dict[str, Any] = {
        "args": args,
        "actions": ACTIONS,
        "versions": [v.version for v in list_policies(site.site_id)],
        "items": [],
        "next_url": None,
        "errors": {},
    }
    try:
        flt, limit, before = parse_search(args, PAGE_SIZE)
    except InvalidField as error:
        context["errors"] = {p.field: FORM_WORDS.get(p.message, p.message) for p in error.problems}
        return render_template("audit/search.html", **context), 422
    items, last = search_receipts(site.site_id, flt, limit, before)
    params: dict[str, Any] = flt.as_params()  # Any: url_for types its own keywords (_external…)
    if limit != PAGE_SIZE:
        params["limit"] = str(limit)
    context.update(
        items=items,
        total=count_receipts(site.site_id, flt),
        count_cap=COUNT_CAP,
        filters=params,
        first_page=before is not None,
        next_url=None
        if last is None
        else url_for(".search", site_key=site_key, cursor=encode_cursor(last), **params),
    )
    return render_template("audit/search.html", **context)


def _receipt_and_policy(site_key: str, receipt_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    site = current_principal().site
    found = find_receipt(site.site_id, receipt_id)
    version = None if found is None else find_policy(site.site_id, found["policy_version"])
    if found is None or version is None:
        raise NotFound("unknown receipt")
    return found, policy_dict(version)


@bp.get("/sites/<site_key>/receipts/<receipt_id>")
@require_member(*READERS)
def receipt(site_key: str, receipt_id: str) -> ResponseReturnValue:
    """A receipt next to the banner replayed as the visitor saw it, and its chain position."""
    found, policy = _receipt_and_policy(site_key, receipt_id)
    site = current_principal().site
    build = replay_build(found)
    response = make_response(
        render_template(
            "audit/receipt.html",
            receipt=found,
            policy=policy,
            build=build,
            frames={
                layer: replay_document(found, policy, site, build.build, layer) for layer in LAYERS
            },
            pressed=pressed_button(found, policy),
            checks=policy_hash_checks(found, policy),
        )
    )
    # The replay frames inherit the page's CSP: the admin preview's, which connects nowhere.
    response.headers["Content-Security-Policy"] = ADMIN_CSP
    return response


@bp.get("/sites/<site_key>/receipts/<receipt_id>/kantara.json")
@require_member(*READERS)
def kantara(site_key: str, receipt_id: str) -> ResponseReturnValue:
    """The receipt as a Kantara Consent Receipt v1.1 document, to download."""
    found, policy = _receipt_and_policy(site_key, receipt_id)
    site = current_principal().site
    home = min(site.origins) if site.origins else ""
    document = kantara_receipt(found, policy, site.name, home, site.choice_lifetime_days)
    body = json.dumps(document, ensure_ascii=False, indent=2)
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="receipt-{receipt_id}.json"'
    return response


@bp.get("/sites/<site_key>/subjects/<subject_id>")
@require_member(*READERS)
def subject(site_key: str, subject_id: str) -> ResponseReturnValue:
    """A subject's timeline: every choice and every erasure, oldest first."""
    history = subject_history(current_principal().site.site_id, subject_id)
    events = [("receipt", r["created_at"], r) for r in history["items"]]
    events += [("erasure", e["erased_at"], e) for e in history["erasures"]]
    events.sort(key=lambda event: event[1])
    return render_template(
        "audit/subject.html",
        subject_id=subject_id,
        events=events,
        can_erase=current_principal().role == "owner",
    )


@bp.post("/sites/<site_key>/subjects/<subject_id>/erasure")
@require_member("owner")
def erasure(site_key: str, subject_id: str) -> ResponseReturnValue:
    """Erase the subject's personal context (owners only); receipts and chain stay."""
    principal = current_principal()
    if request.form.get("confirm") != "yes":
        flash("Nothing was erased: tick the box to confirm the visitor's request.")
        return redirect(url_for(".subject", site_key=site_key, subject_id=subject_id))
    done = erase(principal.site.site_id, subject_id, principal.actor)
    if done is None:
        raise NotFound("unknown subject")
    count = done["receipts"]
    flash(f"The personal context of {count} receipt{'' if count == 1 else 's'} was erased.")
    return redirect(url_for(".subject", site_key=site_key, subject_id=subject_id))


@bp.get("/sites/<site_key>/export")
@require_member(*READERS)
def export(site_key: str) -> ResponseReturnValue:
    """Download the matching receipts as CSV or NDJSON, in ascending seq."""
    form = request.args.get("format") or "csv"
    if form not in ("csv", "ndjson"):
        raise InvalidField("format", "must be csv or ndjson")
    return export_response(
        read_engine(), current_principal().site, parse_filter(request.args), form
    )


@bp.route("/sites/<site_key>/verify", methods=["GET", "POST"])
@require_member(*READERS)
def verify(site_key: str) -> ResponseReturnValue:
    """The "verify ledger" button (POST) and the result of walking the chain."""
    result = None
    if request.method == "POST":
        result = verify_chain(current_principal().site.site_id).as_dict()
    return render_template("audit/verify.html", result=result, **_checkpoint_context(site_key))


def checkpoint_filename(site_key: str, size: int) -> str:
    """The downloaded checkpoint's file name, which the verify page's command names too."""
    return f"{site_key}-checkpoint-{size}.txt"


def _checkpoint_context(site_key: str) -> dict[str, Any]:
    """What the verify page shows of the log: the signed checkpoint, the keys, file names."""
    site = current_principal().site
    note, size = signed_checkpoint(site.site_key, site.site_id)
    verifiers = log_keys().verifiers
    checkpoint = open_checkpoint(note, verifiers)
    return {
        "note": note,
        "checkpoint": checkpoint,
        "root": transparency.b64(checkpoint.root),
        "vkeys": [v.vkey for v in verifiers],
        "public_url": current_app.config["CONSENT_PUBLIC_URL"],
        "checkpoint_file": checkpoint_filename(site_key, size),
        "export_file": f"receipts-{site_key}.ndjson",  # as consent.audit.streams names it
    }


@bp.get("/sites/<site_key>/checkpoint")
@require_member(*READERS)
def checkpoint(site_key: str) -> ResponseReturnValue:
    """The signed checkpoint as a file; ``tree_size`` pins the size the verify page showed."""
    size = optional_whole_number(request.args.get("tree_size"), "tree_size", 0, MAX_WHOLE)
    site = current_principal().site
    note, size = signed_checkpoint(site.site_key, site.site_id, size)
    response = Response(note, content_type="text/plain; charset=utf-8")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{checkpoint_filename(site_key, size)}"'
    )
    return response
