"""From scan to policy: every vendor a done scan found ``undeclared`` goes into the site's
draft in one step, with its catalogue category (the owner API's ``…/scans/<id>/apply`` and
the admin *Scan* page's button both call :func:`add_undeclared`)."""

from __future__ import annotations

from typing import Any

from consent.core.catalog import VENDORS
from consent.errors import Conflict, FieldProblem, InvalidField
from consent.models import Scan, Site
from consent.sites.drafts import update_draft


class ScanNotDone(Conflict):
    """Only a done scan has findings to apply."""

    def __init__(self, status: str) -> None:
        super().__init__(f"the scan is {status}: only a done scan's findings can be applied")


def undeclared_vendors(report: dict[str, Any]) -> list[str]:
    """The catalogue vendors a report found ``undeclared``, in the report's order, once each."""
    found = (f["vendor"] for f in report.get("findings", ()) if f["kind"] == "undeclared")
    return [vendor for vendor in dict.fromkeys(found) if vendor in VENDORS]


def _missing_ids(vendor_ids: list[str]) -> list[FieldProblem]:
    """The ids a scan cannot know (GA's measurement id, …) that these vendors need."""
    return [
        FieldProblem(
            f"vendors.{vendor_id}.settings.{setting.name}",
            f"is required: {VENDORS[vendor_id].name} needs its {setting.name} (like "
            f"{setting.example}) while auto-blocking is off. Enter it on the Vendors page, "
            "or turn auto-blocking on (the page's own snippet then carries it), and apply again.",
        )
        for vendor_id in vendor_ids
        for setting in VENDORS[vendor_id].settings
        if setting.required
    ]


def add_undeclared(site: Site, scan: Scan) -> list[str]:
    """Add the scan's undeclared vendors that the draft lacks; the ids added (none on a
    second call). ``site`` is locked; the caller commits.

    409 unless the scan is done; 422 naming each vendor's missing id when the site's
    auto-blocking is off (the draft then needs every required id) — nothing is added half.
    """
    if scan.status != "done" or scan.report is None:
        raise ScanNotDone(scan.status)
    current = site.draft["vendors"]
    added = [v for v in undeclared_vendors(scan.report) if v not in current]
    if not added:
        return []
    if not site.auto_block:
        problems = _missing_ids(added)
        if problems:
            raise InvalidField.of(problems)
    entries = {v: {"category": VENDORS[v].category, "settings": {}} for v in added}
    update_draft(site, vendors={**current, **entries})
    return added
