"""Blueprint /admin/sites/<k>/…: the draft (vendors, texts with live preview), publishing,
and the published versions with their diffs."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from consent.admin.forms import (
    CsrfForm,
    PublishForm,
    flat_language,
    text_field,
    text_fields,
    texts_from_form,
    vendor_field,
    vendor_rows,
    vendors_from_form,
)
from consent.admin.preview import preview_document
from consent.admin.ui import admin_blueprint, owner_only, site_id
from consent.core.catalog import CATEGORIES, movable_categories
from consent.core.texts import LANGUAGES
from consent.errors import InvalidField
from consent.extensions import db
from consent.sites.drafts import draft_diff, update_draft, version_diff
from consent.sites.owner import forget_cached, lock_site, site_row
from consent.sites.versions import (
    DraftUnchanged,
    get_version,
    identical_version,
    latest_version,
    list_policies,
    publish_draft,
)

bp = admin_blueprint("admin_policy")


@bp.route("/sites/<site_key>/vendors", methods=["GET", "POST"])
@owner_only
def vendors(site_key: str) -> ResponseReturnValue:
    """Choose vendors, enter their ids, move them to another category (in the draft)."""
    row = site_row(site_id())
    form = CsrfForm()
    errors: dict[str, str] = {}
    typed = None
    if form.validate_on_submit():
        typed = request.form
        try:
            locked = lock_site(row.id)
            update_draft(locked, vendors=vendors_from_form(request.form))
        except InvalidField as error:
            db.session.rollback()
            errors[vendor_field(error)] = error.message
        else:
            db.session.commit()
            flash("Vendors saved in the draft. Publish to make them live.")
            return redirect(url_for("admin_policy.vendors", site_key=site_key))
    rows = vendor_rows(site_row(site_id()).draft["vendors"], typed)
    return render_template(
        "admin/vendors.html",
        form=form,
        rows=rows,
        errors=errors,
        categories=CATEGORIES,
        movable=movable_categories(),
    ), (422 if errors else 200)


@bp.route("/sites/<site_key>/texts/<language>", methods=["GET", "POST"])
@owner_only
def texts(site_key: str, language: str) -> ResponseReturnValue:
    """Edit one language's banner texts, with the real banner previewed live beside them."""
    if language not in LANGUAGES:
        abort(404)
    row = site_row(site_id())
    form = CsrfForm()
    errors: dict[str, str] = {}
    values = flat_language(row.draft["texts"][language])
    if form.validate_on_submit():
        typed = texts_from_form(request.form)
        values = flat_language(typed)
        try:
            locked = lock_site(row.id)
            update_draft(locked, texts={**locked.draft["texts"], language: typed})
        except InvalidField as error:
            db.session.rollback()
            errors[text_field(error, language)] = error.message
        else:
            db.session.commit()
            flash("Texts saved in the draft. Publish to make them live.")
            return redirect(url_for("admin_policy.texts", site_key=site_key, language=language))
        row = site_row(site_id())
    return render_template(
        "admin/texts.html",
        form=form,
        language=language,
        languages=LANGUAGES,
        fields=text_fields(),
        values=values,
        errors=errors,
        preview=preview_document(row, language),
    ), (422 if errors else 200)


@bp.route("/sites/<site_key>/publish", methods=["GET", "POST"])
@owner_only
def publish(site_key: str) -> ResponseReturnValue:
    """Review what the draft changes and publish it as the next version (never a copy)."""
    row = site_row(site_id())
    pending = draft_diff(row)
    form = PublishForm(data=None if request.method == "POST" else _proposal(pending))
    if form.validate_on_submit():
        try:
            version = publish_draft(lock_site(row.id), bool(form.requires_reconsent.data))
        except DraftUnchanged as error:
            db.session.rollback()
            return _publish_page(form, pending, identical_to=error.version), 409
        number, reconsent = version.version, version.requires_reconsent
        db.session.commit()
        forget_cached(site_key)
        asked = " Every visitor will be asked again." if reconsent else ""
        flash(f"Published version {number}.{asked}")
        return redirect(url_for("admin.site", site_key=site_key))
    unchanged = identical_version(row)
    return _publish_page(form, pending, identical_to=unchanged.version if unchanged else None)


def _publish_page(form: PublishForm, pending: dict[str, Any], *, identical_to: int | None) -> str:
    # ``identical_to``: the version the draft equals, when there is nothing to publish.
    return render_template(
        "admin/publish.html",
        form=form,
        diff=pending,
        current=latest_version(site_id()),
        identical_to=identical_to,
    )


def _proposal(pending: dict[str, Any]) -> dict[str, Any]:
    # Proposed when the draft enables a vendor anew or moves one: what "null" would decide.
    return {"requires_reconsent": pending["requires_reconsent"]}


@bp.get("/sites/<site_key>/versions")
@owner_only
def versions(site_key: str) -> ResponseReturnValue:
    """The published versions, newest first, with a form to compare any two."""
    published = list(reversed(list_policies(site_id())))
    return render_template("admin/versions.html", versions=published)


@bp.get("/sites/<site_key>/versions/compare")
@owner_only
def compare(site_key: str) -> ResponseReturnValue:
    """The compare form's target: redirect to the diff of the two chosen versions."""
    a, b = request.args.get("from", ""), request.args.get("to", "")
    get_version(site_id(), a), get_version(site_id(), b)  # 404 unless both exist
    return redirect(url_for("admin_policy.diff", site_key=site_key, a=a, b=b))


@bp.get("/sites/<site_key>/versions/<a>/diff/<b>")
@owner_only
def diff(site_key: str, a: str, b: str) -> ResponseReturnValue:
    """What changed from version ``a`` to ``b``: texts, vendors, links, re-consent."""
    changes = version_diff(site_id(), a, b)
    return render_template(
        "admin/diff.html", diff=changes, versions=list(reversed(list_policies(site_id())))
    )
