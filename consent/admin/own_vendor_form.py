"""The form of a vendor of the owner's own (DESIGN.md "Custom vendors"): what it shows, what it
sends to the draft, and which input each invalid field belongs to.

Hosts are typed one per line per kind; cookies one per line as ``name | purpose | duration``
(whole days, or ``session``), the purpose in the site's default language (purposes in other
languages that the draft already has for that cookie are kept). A name ending in ``*`` is a
prefix: its cookies are matched by it.
"""

from __future__ import annotations

import re
from typing import Any

from werkzeug.datastructures import MultiDict

from consent.core.vendors import HOST_KINDS
from consent.errors import FieldProblem
from consent.params import whole

#: The form's inputs (``hosts.script`` … one per kind).
INPUTS = ("name", "id", "category", *(f"hosts.{kind}" for kind in HOST_KINDS), "cookies", "url")
#: What a cookie line looks like, for the hint and the message of a line that is not one.
COOKIE_LINE = "name | purpose | duration in days or session"
_LINE = re.compile(r"\[(\d+)\]")


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _cookie(line: str, language: str, before: dict[str, Any]) -> dict[str, Any]:
    """One cookie line as the draft stores it (the domain refuses what it cannot be)."""
    parts = [part.strip() for part in line.split("|")]
    name = parts[0]
    cookie: dict[str, Any] = {"name": name, "pattern": None}
    if name.endswith("*"):
        cookie.update(name=name[:-1], pattern=name)
    if len(parts) != 3:
        # No purpose nor duration: the domain names both.
        return cookie
    purposes = dict(before.get(name, {}).get("purpose", {}))
    purposes[language] = parts[1]
    duration = parts[2].lower()
    number = whole(duration, max_digits=9)
    cookie["purpose"] = purposes
    cookie["duration_days"] = duration if number is None else number
    return cookie


def entry_from_form(
    form: MultiDict[str, str], language: str, stored: dict[str, Any] | None
) -> tuple[str, dict[str, Any]]:
    """The vendor id and its draft entry from the form (``stored``: the entry edited)."""
    before = {
        c["pattern"] or c["name"]: c for c in (stored or {}).get("custom", {}).get("cookies", [])
    }
    custom: dict[str, Any] = {
        "name": form.get("name", "").strip(),
        "hosts": {kind: _lines(form.get(f"hosts.{kind}", "")) for kind in HOST_KINDS},
        "cookies": [_cookie(line, language, before) for line in _lines(form.get("cookies", ""))],
        "privacy_policy_url": form.get("url", "").strip() or None,
    }
    entry = {"category": form.get("category", ""), "settings": {}, "custom": custom}
    return form.get("id", "").strip(), entry


def form_values(vendor_id: str, entry: dict[str, Any] | None, language: str) -> dict[str, str]:
    """What the form shows for a stored vendor (empty for a new one)."""
    if entry is None:
        return {name: "" for name in INPUTS} | {"category": "functionality"}
    custom = entry["custom"]
    cookies = []
    for c in custom["cookies"]:
        purposes = c["purpose"]
        purpose = purposes.get(language) or next(iter(purposes.values()))
        cookies.append(f"{c['pattern'] or c['name']} | {purpose} | {c['duration_days']}")
    return {
        "name": custom["name"],
        "id": vendor_id,
        "category": entry["category"],
        **{f"hosts.{kind}": "\n".join(custom["hosts"][kind]) for kind in HOST_KINDS},
        "cookies": "\n".join(cookies),
        "url": custom["privacy_policy_url"] or "",
    }


def own_vendor_input(vendor_id: str) -> Any:
    """The function that maps an invalid field of this vendor to its input and message."""
    where = f"vendors.{vendor_id}"

    def input_of(problem: FieldProblem) -> tuple[str, str]:
        field = problem.field
        if field in (where, f"{where}.custom"):
            return "id", problem.message
        rest = field[len(where) + 1 :] if field.startswith(where + ".") else None
        if rest is None:
            # Another part of the draft (another vendor, the texts): the form as a whole.
            return "form", f"{field}: {problem.message}"
        line = _LINE.search(rest)
        at = f"Line {int(line.group(1)) + 1}: " if line else ""
        for prefix, name in (
            ("custom.hosts.", None),
            ("custom.cookies", "cookies"),
            ("custom.name", "name"),
            ("custom.privacy_policy_url", "url"),
            ("category", "category"),
        ):
            if rest.startswith(prefix):
                target = name or "hosts." + _LINE.sub("", rest[len(prefix) :])
                return (target if target in INPUTS else "form"), at + problem.message
        return "form", f"{field}: {problem.message}"

    return input_of
