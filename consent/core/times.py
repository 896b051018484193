"""The ledger's one time format: UTC, ISO 8601 with milliseconds and ``Z``.

It sorts as text, so stored timestamps compare correctly in SQL on every database. People
read the same moment as ``7 Dec 2026, 02:52:10 UTC`` (:func:`readable_utc`).
"""

from __future__ import annotations

from datetime import UTC, datetime


def iso_ms(moment: datetime) -> str:
    """``moment`` (UTC when naive: SQLite drops the zone) as ``2025-01-31T12:00:00.000Z``."""
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}:"
        f"{moment.minute:02d}:{moment.second:02d}.{moment.microsecond // 1000:03d}Z"
    )


def iso_now() -> str:
    """UTC now in the ledger's format."""
    return iso_ms(datetime.now(UTC))


def iso_or_none(moment: datetime | None) -> str | None:
    """A stored, possibly absent timestamp in the ledger's format."""
    return None if moment is None else iso_ms(moment)


#: English month abbreviations, whatever the process's locale (``%b`` follows it).
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def readable_utc(stamp: str) -> str:
    """A stored timestamp as people read it, to the second: ``7 Dec 2026, 02:52:10 UTC``."""
    moment = datetime.fromisoformat(stamp)
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return (
        f"{moment.day} {MONTHS[moment.month - 1]} {moment.year}, "
        f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d} UTC"
    )
