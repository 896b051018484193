"""The auditor's filters of receipts: parsed from query parameters (bad values are one 422
naming every bad parameter) and applied as the WHERE clauses of a query of receipts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select

from consent.core.catalog import CATEGORIES
from consent.core.chain import ACTIONS
from consent.errors import FieldErrors
from consent.models import Receipt
from consent.params import iso_time, optional_whole_number

_R = Receipt.__table__

#: Longest subject id a filter or a history takes.
MAX_SUBJECT = 64


def is_subject_id(value: str) -> bool:
    """Could this be a subject id? (Short, and no NUL, which PostgreSQL refuses in text.)"""
    return len(value) <= MAX_SUBJECT and "\x00" not in value


@dataclass(frozen=True)
class ReceiptFilter:
    """The auditor's filters; ``since`` is inclusive and ``until`` exclusive."""

    subject: str | None = None
    since: str | None = None
    until: str | None = None
    policy_version: int | None = None
    action: str | None = None
    category: str | None = None
    granted: bool | None = None

    def apply(self, query: Select[Any], *, time_index: bool = True) -> Select[Any]:
        """Add the filters' WHERE clauses to a query of receipts.

        ``time_index=False`` words the period so that no index on ``created_at`` serves
        it (same rows), for a planner that would otherwise sort a whole wide period.
        """
        created = _R.c.created_at if time_index else _R.c.created_at.concat("")
        if self.subject is not None:
            query = query.where(_R.c.subject_id == self.subject)
        if self.since is not None:
            query = query.where(created >= self.since)
        if self.until is not None:
            query = query.where(created < self.until)
        if self.policy_version is not None:
            query = query.where(_R.c.policy_version == self.policy_version)
        if self.action is not None:
            query = query.where(_R.c.action == self.action)
        if self.category is not None:
            chosen = _R.c.categories[self.category].as_boolean()
            query = query.where(chosen.is_(bool(self.granted)))
        return query

    def as_params(self) -> dict[str, str]:
        """The filters as query parameters (for links to the next page or an export)."""
        params = {
            "subject": self.subject,
            "from": self.since,
            "to": self.until,
            "policy_version": None if self.policy_version is None else str(self.policy_version),
            "action": self.action,
            "category": self.category,
            "granted": None if self.granted is None else str(self.granted).lower(),
        }
        return {name: value for name, value in params.items() if value is not None}


def parse_filter(args: Mapping[str, str]) -> ReceiptFilter:
    """Validate the filter parameters; every bad value is named at once (one 422)."""

    def given(name: str) -> str | None:
        value = args.get(name)
        return value if value else None

    errors = FieldErrors()
    found: dict[str, Any] = {}
    subject = given("subject")
    if subject is not None and not is_subject_id(subject):
        errors.add("subject", f"not a subject id (at most {MAX_SUBJECT} characters)")
    for name, key in (("from", "since"), ("to", "until")):
        with errors.collecting():
            found[key] = iso_time(args[name], name) if given(name) else None
    since, until = found.get("since"), found.get("until")
    if since is not None and until is not None and until <= since:
        errors.add("to", "must be later than from")
    with errors.collecting():
        found["policy_version"] = optional_whole_number(
            args.get("policy_version"), "policy_version", 1, 2**31 - 1
        )
    action = given("action")
    if action is not None and action not in ACTIONS:
        errors.add("action", f"must be one of {', '.join(ACTIONS)}")
    category, granted_text = given("category"), given("granted")
    if category is not None and category not in CATEGORIES:
        errors.add("category", f"must be one of {', '.join(CATEGORIES)}")
    if granted_text is not None and granted_text not in ("true", "false"):
        errors.add("granted", "must be true or false")
    if granted_text is not None and category is None:
        errors.add("category", "granted needs the category it applies to")
    errors.raise_any()
    return ReceiptFilter(
        subject=subject,
        since=since,
        until=until,
        policy_version=found["policy_version"],
        action=action,
        category=category,
        granted=None if category is None else granted_text != "false",
    )
