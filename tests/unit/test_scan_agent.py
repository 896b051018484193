"""The scanning browser's User-Agent names the scan, so the two receipts a scan records
(reject all, then accept all) are told apart from visitors' (#2 of the newcomer's review)."""

from __future__ import annotations

from consent.scans.plans import scan_user_agent
from consent.scans.visit import context_options

CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/120.0 Safari/537.36"


def test_the_user_agent_ends_with_the_scans_marker() -> None:
    assert scan_user_agent(CHROME, "scn_123") == f"{CHROME} ConsentLedgerScan/scn_123"
    assert scan_user_agent(CHROME, "") == f"{CHROME} ConsentLedgerScan"


def test_each_states_context_carries_it() -> None:
    agent = scan_user_agent(CHROME, "scn_123")
    assert context_options(agent) == {
        "service_workers": "block",
        "accept_downloads": False,
        "user_agent": agent,
    }
