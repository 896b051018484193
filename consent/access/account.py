"""Your account (/admin/account, /audit/account): a signed-in user changes their own password.

The current password is checked like a sign-in (counted per network and per account under
``CONSENT_RATELIMIT_AUTH``), so a session left open does not let anyone guess it. A new
password ends every other session of the user (the session carries the password's
fingerprint) and keeps this one. A user an owner added is sent here by
:func:`consent.access.signin.init_app` until they choose their own password.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from werkzeug.security import check_password_hash
from wtforms import PasswordField

from consent.access.auth import require_user, write_immediately
from consent.access.signin import count_attempt, current_user, keep_signed_in
from consent.extensions import db
from consent.models import User
from consent.sites.accounts import MIN_PASSWORD, password_problem, set_password


class PasswordForm(FlaskForm):
    """The current password, the new one and the new one again (the view checks them)."""

    current = PasswordField("Current password")
    new = PasswordField("New password")
    confirmation = PasswordField("New password again")


def change_own_password(user: User, current: str, new: str, again: str) -> dict[str, str]:
    """Set ``user``'s new password, or say what is wrong with each field (nothing changes then).

    Every check of the current password counts against the authentication limit, whether
    it is right or wrong: counting only wrong ones would let a guess past the limit succeed.
    """
    errors: dict[str, str] = {}
    if not current:
        errors["current"] = "Enter your current password."
    else:
        count_attempt(user.email)
        if not check_password_hash(user.password_hash, current):
            errors["current"] = "This is not your current password."
        elif new == current:
            errors["new"] = "Choose a password other than your current one."
    problem = password_problem(new)
    if problem:
        errors["new"] = f"The new password {problem}."
    if new != again:
        errors["confirmation"] = "This does not match the new password."
    if not errors:
        set_password(user, new)
    return errors


def account_view(area: str, template: str) -> Callable[[], ResponseReturnValue]:
    """The account page of one area (``admin`` or ``audit``), rendered with ``template``."""

    @require_user(area=area)
    def account() -> ResponseReturnValue:
        form = PasswordForm()
        errors: dict[str, str] = {}
        if form.validate_on_submit():
            write_immediately()  # SQLite's write lock first, as every admin write takes it
            user = _signed_in()
            was_temporary = user.must_change_password
            errors = change_own_password(
                user,
                form.current.data or "",
                form.new.data or "",
                form.confirmation.data or "",
            )
            if not errors:
                db.session.commit()
                keep_signed_in(user)
                flash("Your password has been changed. Any other sign-in of yours has ended.")
                return redirect(url_for(f"{area}.index" if was_temporary else f"{area}.account"))
            db.session.rollback()
        return render_template(
            template,
            form=form,
            errors=errors,
            must_change=_signed_in().must_change_password,
            min_length=MIN_PASSWORD,
        ), (422 if errors else 200)

    account.__name__ = f"{area}_account"
    return account


def _signed_in() -> User:
    user = current_user()
    assert user is not None  # require_user sent anyone else to the sign-in
    return user
