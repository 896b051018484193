"""Blueprint /admin/sites/<k>/…: the snippet to copy, API tokens and the site's users."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from consent.access.signin import current_user
from consent.admin.forms import CsrfForm, MemberForm, TokenForm
from consent.admin.shown_once import keep, take
from consent.admin.ui import admin_blueprint, owner_only, site_id
from consent.core.catalog import EXAMPLE_SRC, VENDORS
from consent.core.times import readable_utc
from consent.core.vendors import custom_vendors
from consent.errors import InvalidField
from consent.extensions import db
from consent.sites.members import (
    active_token,
    active_tokens,
    add_member,
    mint_token,
    parse_token_request,
    remove_member,
    revoke_token,
    site_members,
    token_dict,
)
from consent.sites.owner import lock_site, site_row, snippet_html, snippet_src
from consent.sites.versions import latest_version

bp = admin_blueprint("admin_access")


@bp.get("/sites/<site_key>/snippet")
@owner_only
def snippet(site_key: str) -> ResponseReturnValue:
    """The one script tag to paste first in ``<head>``, and what it does with the page's tags."""
    row = site_row(site_id())
    current = latest_version(row.id)
    return render_template(
        "admin/snippet.html",
        snippet=snippet_html(site_key),
        src=snippet_src(site_key),
        auto_block=row.auto_block,
        version=current.version if current else None,
        held=_held_back(current.vendors if current else {}),
    )


def _held_back(enabled: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The enabled vendors as auto-blocking recognises them, in catalogue order, then the
    owner's own.

    The published version's vendors, since the embed carries that version, not the draft.
    """
    return [
        {
            "id": vendor.id,
            "name": vendor.name,
            "category": enabled[vendor.id]["category"],
            "hosts": list(dict.fromkeys(vendor.hosts)),
            "inline": bool(vendor.inline_markers),
            "kind": vendor.kind,
            "example": EXAMPLE_SRC[vendor.id],
        }
        for vendor in VENDORS.values()
        if vendor.id in enabled
    ] + [
        # The owner's own vendors with hosts, after the catalogue's (as auto-blocking has them).
        {
            "id": vendor.id,
            "name": vendor.name,
            "category": vendor.category,
            "hosts": list(dict.fromkeys(vendor.hosts)),
            "inline": False,
            "kind": vendor.kind,
            "example": f"https://{vendor.hosts[0]}/…",
        }
        for vendor in custom_vendors(enabled)
        if vendor.hosts
    ]


#: How a token without a label is named: in the list, the confirmation and the message.
NO_LABEL = "(no label)"


def _named(token: dict[str, Any]) -> dict[str, Any]:
    """A token as the pages show it: its fields and its name in a sentence."""
    label = token["label"]
    return {**token, "named": f"“{label}”" if label else NO_LABEL}


@bp.route("/sites/<site_key>/tokens", methods=["GET", "POST"])
@owner_only
def tokens(site_key: str) -> ResponseReturnValue:
    """The site's API tokens; a new one is shown once, on the page its form redirects to."""
    form = TokenForm()
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        try:
            role, label = parse_token_request({"role": form.role.data, "label": form.label.data})
            created = _named(mint_token(site_row(site_id()), role, label))
        except InvalidField as error:
            db.session.rollback()
            errors[error.field] = error.message
        else:
            db.session.commit()
            keep(f"token.{site_key}", created)
            return redirect(url_for("admin_access.tokens", site_key=site_key), 303)
    return render_template(
        "admin/tokens.html",
        form=form,
        errors=errors,
        created=take(f"token.{site_key}") if not errors else None,
        tokens=[_named(token_dict(t)) for t in active_tokens(site_id())],
        no_label=NO_LABEL,
    ), (422 if errors else 200)


@bp.route("/sites/<site_key>/tokens/<token_id>/revoke", methods=["GET", "POST"])
@owner_only
def revoke(site_key: str, token_id: str) -> ResponseReturnValue:
    """Ask which token is meant (label, role, created), then revoke it: it gets 401 from now."""
    form = CsrfForm()
    token = _named(token_dict(active_token(site_id(), token_id)))
    if form.validate_on_submit():
        revoke_token(site_id(), token_id)
        db.session.commit()
        created = readable_utc(token["created_at"])
        flash(f"Revoked token {token['named']} ({token['role']}, created {created}).")
        return redirect(url_for("admin_access.tokens", site_key=site_key))
    return render_template("admin/revoke_token.html", form=form, token=token)


@bp.route("/sites/<site_key>/users", methods=["GET", "POST"])
@owner_only
def users(site_key: str) -> ResponseReturnValue:
    """Who may sign in to this site, as owner or auditor; a new user's password is shown once,
    on the page the form redirects to."""
    form = MemberForm()
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        try:
            user, password, before = add_member(
                lock_site(site_id()), form.email.data or "", form.role.data or ""
            )
        except InvalidField as error:
            db.session.rollback()
            errors[error.field] = error.message
        else:
            added = {
                "email": user.email,
                "role": form.role.data,
                "password": password,
                "before": before,
                "temporary": user.must_change_password,
            }
            db.session.commit()
            keep(f"member.{site_key}", added)
            return redirect(url_for("admin_access.users", site_key=site_key), 303)
    me = current_user()
    return render_template(
        "admin/users.html",
        form=form,
        remove=CsrfForm(),
        errors=errors,
        added=take(f"member.{site_key}") if not errors else None,
        members=site_members(site_id()),
        me=me.id if me else None,
    ), (422 if errors else 200)


@bp.post("/sites/<site_key>/users/<user_id>/remove")
@owner_only
def remove_user(site_key: str, user_id: str) -> ResponseReturnValue:
    """Take a user's access to this site away (the last owner stays), after a second,
    explicit step that names who (one's own: "leave", which cannot be taken back alone)."""
    me = current_user()
    myself = me is not None and str(me.id) == user_id
    if CsrfForm().validate_on_submit():
        members = site_members(site_id())
        found = [(m, role) for m, role in members if str(m.id) == user_id]
        if not found:
            flash("Not removed: unknown user.")
            return redirect(url_for("admin_access.users", site_key=site_key))
        member, role = found[0]
        step = "leave" if myself else "remove"
        if request.form.get("confirm") != step:
            owners = [str(m.id) for m, r in members if r == "owner"]
            return render_template(
                "admin/remove_member.html",
                form=CsrfForm(),
                member=member,
                role=role,
                step=step,
                last_owner=owners == [user_id],
            )
        try:
            remove_member(lock_site(site_id()), member.id)
        except InvalidField as error:
            db.session.rollback()
            flash(f"Not removed: {error.message}.")
        else:
            db.session.commit()
            if myself:
                flash("You left the site.")
                return redirect(url_for("admin.index"))
            flash(f"Removed {member.email} ({role}) from this site.")
    return redirect(url_for("admin_access.users", site_key=site_key))
