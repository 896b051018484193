"""Blueprint /admin/sites/<k>/vendors/own…: a vendor of the owner's own (DESIGN.md "Custom
vendors") added, edited or removed in the draft, through the same validation as the API."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from consent.admin.forms import CsrfForm, form_errors
from consent.admin.own_vendor_form import (
    COOKIE_LINE,
    entry_from_form,
    form_values,
    own_vendor_input,
)
from consent.admin.ui import admin_blueprint, owner_only, site_id
from consent.core.catalog import CATEGORIES
from consent.core.vendors import HOST_KINDS
from consent.errors import InvalidField
from consent.extensions import db
from consent.sites.custom_vendors import NECESSARY_MEANING
from consent.sites.drafts import update_draft
from consent.sites.owner import lock_site, site_row

bp = admin_blueprint("admin_own_vendors")


def _own(vendors: dict[str, Any], vendor_id: str | None) -> dict[str, Any] | None:
    """The draft's custom vendor ``vendor_id`` (None for a new one); 404 for any other id."""
    if vendor_id is None:
        return None
    entry = vendors.get(vendor_id)
    if entry is None or "custom" not in entry:
        abort(404)
    return dict(entry)


def saved_notice(vendor_id: str, entry: dict[str, Any]) -> str:
    """What saving a vendor of one's own says: that it is in the draft, and for one that
    may be refused but names no host, that auto-blocking cannot recognise its tags."""
    notice = f"{entry['custom']['name']} saved in the draft. Publish to make it live."
    if entry["category"] != "necessary" and not any(entry["custom"]["hosts"].values()):
        notice += (
            " It names no hosts, so auto-blocking cannot recognise its tags: mark them"
            f' data-consent-vendor="{vendor_id}" (see Snippet).'
        )
    return notice


@bp.route("/sites/<site_key>/vendors/own", methods=["GET", "POST"])
@bp.route("/sites/<site_key>/vendors/own/<vendor_id>", methods=["GET", "POST"])
@owner_only
def own_vendor(site_key: str, vendor_id: str | None = None) -> ResponseReturnValue:
    """Add a vendor of the owner's own, or edit one (renaming its id replaces it)."""
    row = site_row(site_id())
    language = row.default_language
    stored = _own(row.draft["vendors"], vendor_id)
    form = CsrfForm()
    values = form_values(vendor_id or "", stored, language)
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        values = {key: request.form.get(key, "") for key in values}
        new_id, entry = entry_from_form(request.form, language, stored)
        try:
            locked = lock_site(row.id)
            vendors = {k: v for k, v in locked.draft["vendors"].items() if k != vendor_id}
            if "custom" in vendors.get(new_id, {}):
                # (A catalogue id the domain refuses, naming every other field too.)
                raise InvalidField(f"vendors.{new_id}", "you have a vendor of this id already")
            update_draft(locked, vendors={**vendors, new_id: entry})
        except InvalidField as error:
            db.session.rollback()
            errors = form_errors(error, own_vendor_input(new_id))
        else:
            db.session.commit()
            flash(saved_notice(new_id, entry))
            return redirect(url_for("admin_policy.vendors", site_key=site_key))
    return render_template(
        "admin/own_vendor.html",
        form=form,
        vendor_id=vendor_id,
        values=values,
        errors=errors,
        categories=[(c, c) for c in CATEGORIES],
        host_kinds=HOST_KINDS,
        cookie_line=COOKIE_LINE,
        necessary_meaning=NECESSARY_MEANING,
    ), (422 if errors else 200)


@bp.post("/sites/<site_key>/vendors/own/<vendor_id>/remove")
@owner_only
def remove_own_vendor(site_key: str, vendor_id: str) -> ResponseReturnValue:
    """Remove a vendor of the owner's own from the draft (CSRFProtect checked the form)."""
    locked = lock_site(site_id())
    entry = _own(locked.draft["vendors"], vendor_id)
    vendors = {k: v for k, v in locked.draft["vendors"].items() if k != vendor_id}
    update_draft(locked, vendors=vendors)
    db.session.commit()
    flash(f"{entry['custom']['name'] if entry else vendor_id} removed from the draft.")
    return redirect(url_for("admin_policy.vendors", site_key=site_key))
