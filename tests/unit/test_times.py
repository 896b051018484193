"""The ledger's time formats: the stored ISO value and the one people read."""

from __future__ import annotations

import pytest

from consent.core.times import readable_utc


@pytest.mark.parametrize(
    ("stamp", "readable"),
    [
        ("2026-12-07T02:52:10.123Z", "7 Dec 2026, 02:52:10 UTC"),
        ("2025-01-31T00:00:00.000Z", "31 Jan 2025, 00:00:00 UTC"),
        ("2025-09-01T23:59:59.999Z", "1 Sep 2025, 23:59:59 UTC"),
        ("2025-03-30T02:30:00+02:00", "30 Mar 2025, 00:30:00 UTC"),  # an offset, converted
        ("2025-05-05T12:00:00", "5 May 2025, 12:00:00 UTC"),  # naive: stored as UTC
    ],
)
def test_readable_utc(stamp: str, readable: str) -> None:
    assert readable_utc(stamp) == readable
