"""Under DESIGN.md's strict CSP the loader and banner cause zero violations."""

from __future__ import annotations

import pytest

from .conftest import TRACKERS_RAN, Visit

# One browser per session: xdist (--dist loadgroup) keeps these tests on one worker.
pytestmark = pytest.mark.xdist_group("browser")


def violations(visit: Visit) -> list[str]:
    """CSP violations the page reported, and console errors that mention the policy."""
    found = visit.page.evaluate("window.__cspViolations")
    return found + [line for line in visit.console if "Content Security Policy" in line]


def test_strict_csp_banner_and_choices_cause_no_violation(visit: Visit) -> None:
    page = visit.open("csp.html")
    visit.banner().wait_for()
    # The stylesheet applied inside the shadow root: the banner is a fixed overlay.
    assert visit.banner().evaluate("e => getComputedStyle(e).position") == "fixed"
    visit.preferences()
    visit.choose("reject-all")
    page.click("[data-consent-open]")
    visit.banner().wait_for()
    page.keyboard.press("Escape")
    visit.assert_no_trackers()
    assert violations(visit) == []
    assert visit.errors == []


def test_strict_csp_with_vendor_hosts_loads_vendors_without_violation(visit: Visit) -> None:
    page = visit.open("csp-vendors.html")
    visit.choose("accept-all")
    page.wait_for_function(TRACKERS_RAN)
    assert violations(visit) == []
    assert visit.errors == []
