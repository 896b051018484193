"""Blueprint /admin/sites/<k>/…: the draft (vendors, texts with live preview), publishing,
and the published versions with their diffs."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from consent.admin.forms import (
    CsrfForm,
    PublishForm,
    flat_language,
    form_errors,
    text_fields,
    text_input,
    texts_from_form,
    vendor_input,
    vendor_rows,
    vendors_from_form,
)
from consent.admin.preview import preview_document
from consent.admin.ui import admin_blueprint, owner_only, site_id
from consent.core.catalog import CATEGORIES, LOADER_VENDORS, VENDORS, movable_categories
from consent.core.language_names import language_label
from consent.core.texts import DEFAULT_TEXTS, is_language
from consent.core.vendors import vendor_names
from consent.errors import FieldProblem, InvalidField
from consent.extensions import db
from consent.models import Site
from consent.sites import languages
from consent.sites.custom_vendors import necessary_notice
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
            # The owner's own vendors have a form of their own: kept as they are.
            own = {k: v for k, v in locked.draft["vendors"].items() if "custom" in v}
            update_draft(locked, vendors={**vendors_from_form(request.form), **own})
        except InvalidField as error:
            db.session.rollback()
            errors = form_errors(error, vendor_input)
        else:
            db.session.commit()
            flash("Vendors saved in the draft. Publish to make them live.")
            return redirect(url_for("admin_policy.vendors", site_key=site_key))
    draft_vendors = site_row(site_id()).draft["vendors"]
    return render_template(
        "admin/vendors.html",
        form=form,
        rows=vendor_rows(draft_vendors, typed),
        own={k: v for k, v in draft_vendors.items() if "custom" in v},
        errors=errors,
        categories=CATEGORIES,
        movable=movable_categories(),
        loaded=[(VENDORS[v].name, setting) for v, setting in LOADER_VENDORS.items()],
    ), (422 if errors else 200)


@bp.route("/sites/<site_key>/texts/<language>", methods=["GET", "POST"])
@owner_only
def texts(site_key: str, language: str) -> ResponseReturnValue:
    """Edit one language's banner texts, with the real banner previewed live beside them;
    a language the draft lacks is a 404 page that offers to add it."""
    row = site_row(site_id())
    if language not in row.draft["texts"]:
        return _languages_page(row, language, {}, 404)
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
            errors = form_errors(error, text_input(language))
        else:
            db.session.commit()
            flash("Texts saved in the draft. Publish to make them live.")
            return redirect(url_for("admin_policy.texts", site_key=site_key, language=language))
        row = site_row(site_id())
    return render_template(
        "admin/texts.html",
        form=form,
        language=language,
        fields=text_fields(),
        values=values,
        errors=errors,
        preview=preview_document(row, language),
        **_languages_context(row),
    ), (422 if errors else 200)


@bp.post("/sites/<site_key>/languages")
@owner_only
def add_language(site_key: str) -> ResponseReturnValue:
    """Add a language to the draft and open its texts (prefilled) to check or translate.

    Like every POST here, CSRFProtect has checked the form's token before the view runs.
    """
    row = site_row(site_id())
    wanted = request.form.get("language", "")
    try:
        tag = languages.add_language(lock_site(row.id), wanted)
    except InvalidField as error:
        db.session.rollback()
        return _languages_page(site_row(site_id()), wanted, form_errors(error, _as_is), 422)
    db.session.commit()
    shipped = "our texts" if tag in DEFAULT_TEXTS else "a copy of the default language's texts"
    flash(f"Added {language_label(tag)} with {shipped}: check or translate them here.")
    return redirect(url_for("admin_policy.texts", site_key=site_key, language=tag))


@bp.post("/sites/<site_key>/languages/<language>/remove")
@owner_only
def remove_language(site_key: str, language: str) -> ResponseReturnValue:
    """Remove a language (not the default) from the draft."""
    row = lock_site(site_id())
    languages.remove_language(row, language)
    db.session.commit()
    flash(
        f"Removed {language_label(language)} from the draft; the published "
        "version keeps it until you publish."
    )
    return redirect(url_for("admin_policy.texts", site_key=site_key, language=row.default_language))


def _as_is(problem: FieldProblem) -> tuple[str, str]:
    return problem.field, problem.message


def _languages_context(row: Site) -> dict[str, Any]:
    # The Languages list of the texts pages.
    return {
        "languages": languages.draft_languages(row),
        "default_language": row.default_language,
        "shipped": [tag for tag in DEFAULT_TEXTS if tag not in row.draft["texts"]],
    }


def _languages_page(row: Site, wanted: str, errors: dict[str, str], status: int) -> Any:
    # A language the draft has no texts for (or could not add): how to add it.
    return render_template(
        "admin/languages.html",
        wanted=wanted,
        wanted_ok=is_language(wanted) and wanted not in row.draft["texts"],
        errors=errors,
        **_languages_context(row),
    ), status


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
    current = latest_version(site_id())
    draft = site_row(site_id()).draft["vendors"]
    return render_template(
        "admin/publish.html",
        form=form,
        diff=pending,
        names=vendor_names(draft, current.vendors if current else {}),
        current=current,
        identical_to=identical_to,
        necessary_notice=necessary_notice(draft),
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
        "admin/diff.html",
        diff=changes,
        names=vendor_names(get_version(site_id(), b).vendors, get_version(site_id(), a).vendors),
        versions=list(reversed(list_policies(site_id()))),
    )
