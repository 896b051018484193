"""The admin UI's forms: Flask-WTF for the CSRF token, the domain modules for the rules.

Fields are plain strings here (the templates render the inputs and selects); the same
validation as the owner API (consent.sites.owner,
consent.sites.drafts, consent.sites.members) decides, so the UI and the API can never disagree.
A rejected value comes back as ``{field name: message}`` to show next to the field.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, StringField, TextAreaField

from consent.core.catalog import CATEGORIES, VENDORS, Vendor
from consent.core.language_names import language_label
from consent.core.texts import TEXT_KEYS
from consent.errors import FieldProblem, InvalidField
from consent.params import whole


class CsrfForm(FlaskForm):
    """A form whose fields the view reads itself; it carries the CSRF token."""


class CreateSiteForm(FlaskForm):
    """A new site: name, origins (one per line), default language, privacy-policy URL."""

    name = StringField("Site name")
    origins = TextAreaField("Allowed origins")
    language = StringField("Default language")
    privacy_policy_url = StringField("Privacy policy URL")


class SettingsForm(FlaskForm):
    """A site's settings (and the draft's links)."""

    name = StringField("Site name")
    origins = TextAreaField("Allowed origins")
    default_language = StringField("Default language")
    choice_lifetime_days = StringField("Choice lifetime (days)")
    retention_days = StringField("Retention of personal context (days)")
    auto_block = BooleanField("Hold back known trackers automatically (auto-blocking)")
    privacy_policy_url = StringField("Privacy policy URL")
    cookie_statement_url = StringField("Cookie statement URL (optional)")


class PublishForm(FlaskForm):
    """Publish the draft, stating whether visitors must choose again."""

    requires_reconsent = BooleanField("Ask every visitor again (re-consent)")


class TokenForm(FlaskForm):
    """A new API token."""

    role = StringField("Role")
    label = StringField("Label")


class MemberForm(FlaskForm):
    """A user to give a role on the site."""

    email = StringField("Email")
    role = StringField("Role")


def language_options(languages: Iterable[str]) -> list[tuple[str, str]]:
    """A language select's options: ``(tag, "Deutsch (de)")``."""
    return [(tag, language_label(tag)) for tag in languages]


def origin_lines(text: str) -> list[str]:
    """Origins typed one per line (blank lines ignored)."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def days(value: str) -> int | str:
    """A number of days as typed: an int when it is one, else the text (the domain says no)."""
    value = value.strip()
    number = whole(value, max_digits=9)
    return value if number is None else number


def form_errors(
    error: InvalidField, input_of: Callable[[FieldProblem], tuple[str, str]]
) -> dict[str, str]:
    """Every invalid field of ``error`` as ``{input name: message}``, to show each message
    next to its input at once; ``input_of`` maps a field to its input and message. Messages
    for one input (two lines of the origins) are one per line (shown so: app.css)."""
    errors: dict[str, str] = {}
    for problem in error.problems:
        name, message = input_of(problem)
        errors[name] = f"{errors[name]}\n{message}" if name in errors else message
    return errors


def site_input(problem: FieldProblem) -> tuple[str, str]:
    """The site forms' input of a field: ``origins[1]`` → the origins, naming the line."""
    if problem.field.startswith("origins["):
        line = int(problem.field[len("origins[") : -1]) + 1
        return "origins", f"Line {line}: {problem.message}"
    return problem.field, problem.message


# --- Vendors: one row per catalogue vendor ---------------------------------------------


def vendor_rows(vendors: dict[str, Any], form: MultiDict[str, str] | None) -> list[dict[str, Any]]:
    """What the vendors form shows: each catalogue vendor, enabled or not, as typed or stored."""
    rows = []
    for vendor in VENDORS.values():
        stored = vendors.get(vendor.id)
        if form is not None:
            enabled = vendor.id in form.getlist("enabled")
            category = form.get(f"category.{vendor.id}", vendor.category)
            settings = _typed_settings(form, vendor)
        else:
            enabled = stored is not None
            category = stored["category"] if stored else vendor.category
            values = stored["settings"] if stored else {}
            settings = {
                s.name: values.get(s.name, [] if s.kind == "categories" else "")
                for s in vendor.settings
            }
        rows.append(
            {"vendor": vendor, "enabled": enabled, "category": category, "settings": settings}
        )
    return rows


def vendors_from_form(form: MultiDict[str, str]) -> dict[str, dict[str, Any]]:
    """The enabled vendors with their category and non-empty settings."""
    chosen: dict[str, dict[str, Any]] = {}
    for vendor_id in form.getlist("enabled"):
        vendor = VENDORS.get(vendor_id)
        if vendor is None:
            raise InvalidField(f"vendors.{vendor_id}", "unknown vendor")
        settings = {name: value for name, value in _typed_settings(form, vendor).items() if value}
        chosen[vendor_id] = {
            "category": form.get(f"category.{vendor_id}", vendor.category),
            "settings": settings,
        }
    return chosen


def _typed_settings(form: MultiDict[str, str], vendor: Vendor) -> dict[str, Any]:
    """A vendor's settings as typed: text trimmed, categories ticked (a list; empty: none)."""
    return {
        s.name: form.getlist(f"setting.{vendor.id}.{s.name}")
        if s.kind == "categories"
        else form.get(f"setting.{vendor.id}.{s.name}", "").strip()
        for s in vendor.settings
    }


def vendor_input(problem: FieldProblem) -> tuple[str, str]:
    """``vendors.<id>.settings.<name>`` (or one of its items, ``…<name>[1]``) → the input's
    name (``setting.<id>.<name>``); any other field → the form as a whole (``vendors``),
    naming the field."""
    parts = problem.field.split(".")
    if len(parts) == 4 and parts[0] == "vendors" and parts[2] == "settings":
        return f"setting.{parts[1]}.{parts[3].split('[')[0]}", problem.message
    if len(parts) == 3 and parts[0] == "vendors" and parts[2] == "category":
        return f"category.{parts[1]}", problem.message
    return "vendors", f"{problem.field}: {problem.message}"


# --- Texts: one form per language ------------------------------------------------------


_TEXT_LABELS = {
    "title": "Title",
    "description": "Description",
    "accept_all": "“Accept all” button",
    "reject_all": "“Reject all” button",
    "customize": "“Preferences” button",
    "save": "“Save choices” button",
    "privacy_link": "Privacy policy link",
    "gpc_notice": "Notice when the browser sends a privacy signal (GPC or DNT)",
    "placeholder": "Placeholder of blocked content",
}


def text_fields() -> list[tuple[str, str]]:
    """Input names of one language's texts (dotted below the language) and their labels."""
    fields = [(key, _TEXT_LABELS[key]) for key in TEXT_KEYS]
    for cat in CATEGORIES:
        fields.append((f"categories.{cat}.title", f"Category {cat}: title"))
        fields.append((f"categories.{cat}.description", f"Category {cat}: description"))
    return fields


def texts_from_form(form: MultiDict[str, str]) -> dict[str, Any]:
    """One language's texts from the form, exactly as typed (line endings normalised)."""
    texts: dict[str, Any] = {key: _typed(form, key) for key in TEXT_KEYS}
    texts["categories"] = {
        cat: {k: _typed(form, f"categories.{cat}.{k}") for k in ("title", "description")}
        for cat in CATEGORIES
    }
    return texts


def _typed(form: MultiDict[str, str], name: str) -> str:
    return form.get(name, "").replace("\r\n", "\n")


def flat_language(texts: dict[str, Any]) -> dict[str, str]:
    """One language's stored texts under the form's input names."""
    flat = {key: texts.get(key, "") for key in TEXT_KEYS}
    for cat, words in texts.get("categories", {}).items():
        for key, value in words.items():
            flat[f"categories.{cat}.{key}"] = value
    return flat


def text_input(language: str) -> Callable[[FieldProblem], tuple[str, str]]:
    """For one language's texts form: ``texts.nl.categories.social.title`` →
    ``categories.social.title``; a field of another language → the form as a whole."""
    prefix = f"texts.{language}."

    def input_of(problem: FieldProblem) -> tuple[str, str]:
        if problem.field.startswith(prefix):
            return problem.field[len(prefix) :], problem.message
        return "texts", f"{problem.field}: {problem.message}"

    return input_of
