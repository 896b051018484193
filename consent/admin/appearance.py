"""Blueprint /admin/sites/<k>/appearance: the banner's theme in the draft, with the real
banner previewed live beside the form (static/admin/admin.js re-renders it on every change).

The rules are the owner API's (consent.sites.theme through the draft's validation): a
theme below WCAG 2.2 AA contrast is refused here as there, the message next to its input.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict

from consent.admin.forms import CsrfForm, form_errors
from consent.admin.preview import preview_document
from consent.admin.ui import admin_blueprint, owner_only, site_id
from consent.core.theme import DEFAULT_THEME, RADIUS_RANGE
from consent.errors import FieldProblem, InvalidField
from consent.extensions import db
from consent.params import whole
from consent.sites.drafts import update_draft
from consent.sites.owner import lock_site, site_row
from consent.sites.theme import effective_theme

bp = admin_blueprint("admin_appearance")

#: Each choice's words on the page: (value, label, hint); every value of consent.core.theme.
CHOICES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "mode": (
        ("auto", "Automatic", "Light or dark as the visitor's system is set"),
        ("light", "Light", "Always light, whatever the visitor's system"),
        ("dark", "Dark", "Always dark, whatever the visitor's system"),
    ),
    "layout": (
        ("box", "Box", "A card over the page"),
        ("bar", "Bar", "The window's full width"),
        ("cloud", "Cloud", "Wide, the texts beside the buttons"),
    ),
    "position": (
        ("bottom", "Bottom", "Centred at the bottom"),
        ("bottom-left", "Bottom left", "A narrow box in the corner"),
        ("bottom-right", "Bottom right", "A narrow box in the corner"),
        ("center", "Centre", "In the middle of the window"),
    ),
    "font": (
        ("system", "System font", "The visitor's system interface font"),
        ("inherit", "Your page's font", "The font family of your page"),
    ),
}


def theme_from_form(form: MultiDict[str, str]) -> dict[str, Any]:
    """The theme as typed: each member of the form (the draft's validation judges it)."""
    typed: dict[str, Any] = {key: form.get(key, "") for key in DEFAULT_THEME}
    radius = whole(typed["radius"].strip(), max_digits=2)
    typed["radius"] = typed["radius"] if radius is None else radius
    return typed


def _input_of(problem: FieldProblem) -> tuple[str, str]:
    # theme.accent → the input "accent".
    return problem.field.removeprefix("theme."), problem.message


@bp.route("/sites/<site_key>/appearance", methods=["GET", "POST"])
@owner_only
def appearance(site_key: str) -> ResponseReturnValue:
    """Edit the banner's theme in the draft, the real banner previewed live beside it."""
    row = site_row(site_id())
    form = CsrfForm()
    errors: dict[str, str] = {}
    values = effective_theme(row.draft.get("theme"))
    if form.validate_on_submit():
        values = theme_from_form(request.form)
        try:
            update_draft(lock_site(row.id), theme=values)
        except InvalidField as error:
            db.session.rollback()
            errors = form_errors(error, _input_of)
        else:
            db.session.commit()
            flash("Appearance saved in the draft. Publish to make it live.")
            return redirect(url_for("admin_appearance.appearance", site_key=site_key))
        row = site_row(site_id())
    return render_template(
        "admin/appearance.html",
        form=form,
        values=values,
        errors=errors,
        choices=CHOICES,
        radius_range=RADIUS_RANGE,
        preview=preview_document(row, row.default_language),
    ), (422 if errors else 200)
