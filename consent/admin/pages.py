"""Blueprint /admin/…: sign-in, the owner's sites, creating a site, its overview and settings.

Server-rendered, usable without JavaScript, every form CSRF-protected; a site page needs
the role ``owner`` on that site (another owner's site is 404, an auditor gets 403).
The other admin pages live in ``policy_pages`` and ``access_pages``.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from consent.access.account import account_view
from consent.access.auth import require_user
from consent.access.signin import current_user, login_view, logout_view
from consent.admin.forms import (
    CreateSiteForm,
    SettingsForm,
    days,
    form_errors,
    language_options,
    origin_lines,
    site_input,
)
from consent.admin.ui import admin_blueprint, owner_only, site_id
from consent.core.texts import DEFAULT_LANGUAGES
from consent.core.vendors import vendor_names
from consent.errors import InvalidField
from consent.extensions import db
from consent.sites.drafts import draft_diff
from consent.sites.languages import default_language_choices
from consent.sites.owner import (
    SETTINGS_FIELDS,
    apply_site_patch,
    create_owned_site,
    forget_cached,
    lock_site,
    member_sites,
    site_row,
    snippet_html,
)
from consent.sites.seen_origins import unlisted_origins
from consent.sites.validation import origin_of
from consent.sites.versions import latest_version

bp = admin_blueprint("admin")

bp.add_url_rule("/login", "login", login_view("admin", "admin/login.html"), methods=["GET", "POST"])
bp.add_url_rule("/logout", "logout", logout_view("admin"), methods=["POST"])
bp.add_url_rule(
    "/account", "account", account_view("admin", "admin/account.html"), methods=["GET", "POST"]
)


@bp.get("/")
@require_user(area="admin")
def index() -> ResponseReturnValue:
    """The signed-in user's sites."""
    user = current_user()
    assert user is not None
    return render_template("admin/index.html", sites=member_sites(user))


@bp.route("/sites/new", methods=["GET", "POST"])
@require_user(area="admin")
def new_site() -> ResponseReturnValue:
    """Create a site; the signed-in owner becomes its owner."""
    user = current_user()
    assert user is not None
    if user.role != "owner":
        abort(403, "Only owners create sites.")
    form = CreateSiteForm()
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        try:
            site = create_owned_site(
                user,
                name=form.name.data or "",
                origins=origin_lines(form.origins.data or ""),
                language=form.language.data or "en",
                privacy_url=(form.privacy_policy_url.data or "").strip(),
            )
        except InvalidField as error:
            db.session.rollback()
            errors = form_errors(error, site_input)
        else:
            db.session.commit()
            flash(f"Created {site.name}. Choose its vendors next, then publish.")
            return redirect(url_for("admin_policy.vendors", site_key=site.site_key))
    status = 422 if errors else 200
    return render_template(
        "admin/new_site.html",
        form=form,
        errors=errors,
        languages=language_options(DEFAULT_LANGUAGES),
    ), status


@bp.get("/sites/<site_key>/")
@owner_only
def site(site_key: str) -> ResponseReturnValue:
    """A site at a glance: its published version, unpublished changes, the snippet."""
    row = site_row(site_id())
    return render_template(
        "admin/site.html",
        row=row,
        names=vendor_names(row.draft["vendors"]),
        current=latest_version(row.id),
        pending=draft_diff(row),
        snippet=snippet_html(row.site_key),
        unlisted=unlisted_origins(row.id, row.origins),
    )


@bp.post("/sites/<site_key>/origins")
@owner_only
def add_origin(site_key: str) -> ResponseReturnValue:
    """Add an origin the embed was seen on to the site's allowed origins (one click)."""
    origin = origin_of(request.form.get("origin"))
    row = site_row(site_id())
    if origin is None or origin not in {u["origin"] for u in unlisted_origins(row.id, [])}:
        abort(404)
    locked = lock_site(row.id)
    apply_site_patch(locked, {"origins": [*locked.origins, origin]})
    db.session.commit()
    forget_cached(site_key)
    flash(f"Added {origin} to the allowed origins: the banner shows there now.")
    return redirect(url_for("admin.site", site_key=site_key))


@bp.route("/sites/<site_key>/settings", methods=["GET", "POST"])
@owner_only
def settings(site_key: str) -> ResponseReturnValue:
    """Name, origins, language, choice lifetime, retention, auto-blocking and the policy links."""
    row = site_row(site_id())
    form = SettingsForm(data=None if request.method == "POST" else _settings_data(row))
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        try:
            apply_site_patch(lock_site(row.id), _settings_patch(form), SETTINGS_FIELDS)
        except InvalidField as error:
            db.session.rollback()
            errors = form_errors(error, site_input)
        else:
            db.session.commit()
            forget_cached(site_key)
            flash("Settings saved. Links take effect with the next published version.")
            return redirect(url_for("admin.settings", site_key=site_key))
    status = 422 if errors else 200
    return render_template(
        "admin/settings.html",
        form=form,
        errors=errors,
        languages=language_options(default_language_choices(site_row(site_id()))),
    ), status


def _settings_data(row: Any) -> dict[str, Any]:
    return {
        "name": row.name,
        "origins": "\n".join(row.origins),
        "default_language": row.default_language,
        "choice_lifetime_days": str(row.choice_lifetime_days),
        "retention_days": str(row.retention_days),
        "auto_block": row.auto_block,
        "privacy_policy_url": row.draft["privacy_policy_url"],
        "cookie_statement_url": row.draft.get("cookie_statement_url") or "",
    }


def _settings_patch(form: SettingsForm) -> dict[str, Any]:
    return {
        "name": form.name.data or "",
        "origins": origin_lines(form.origins.data or ""),
        "default_language": form.default_language.data,
        "choice_lifetime_days": days(form.choice_lifetime_days.data or ""),
        "retention_days": days(form.retention_days.data or ""),
        # An unticked checkbox is not sent at all: absent means off.
        "auto_block": bool(form.auto_block.data),
        "privacy_policy_url": (form.privacy_policy_url.data or "").strip(),
        "cookie_statement_url": (form.cookie_statement_url.data or "").strip(),
    }
