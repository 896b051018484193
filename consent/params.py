"""The one parser of numbers and dates that arrive as text (query parameters, path parts,
form fields): only ASCII digits count, and anything else is a 422 naming the parameter,
never a 500 (``"²".isdigit()`` is true in Python, and ``int("²")`` raises)."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta

from consent.core.times import iso_ms
from consent.errors import InvalidField

_DIGITS = re.compile(r"[0-9]{1,19}")
#: Largest value any parameter takes (an SQL BIGINT).
MAX_WHOLE = 2**63 - 1


def whole(text: str | None, max_digits: int = 19) -> int | None:
    """``text`` as a whole number when it is ASCII digits only (no sign, no space), else None."""
    if text is None or len(text) > max_digits or not _DIGITS.fullmatch(text):
        return None
    return int(text)


def whole_number(
    raw: str | None, field: str, low: int, high: int, default: int | None = None
) -> int:
    """A whole-number parameter within ``low..high``; ``default`` when absent (or required)."""
    if raw is None or raw == "":
        if default is None:
            raise InvalidField(field, f"{field} is required: a whole number from {low} to {high}")
        return default
    number = whole(raw)
    if number is None or not low <= number <= high:
        raise InvalidField(field, f"{field} must be a whole number from {low} to {high}")
    return number


def optional_whole_number(raw: str | None, field: str, low: int, high: int) -> int | None:
    """Like :func:`whole_number`, but ``None`` when absent or empty."""
    if raw is None or raw == "":
        return None
    return whole_number(raw, field, low, high)


def iso_time(value: str, field: str) -> str:
    """An ISO 8601 date or time (UTC when no offset) in the ledger's sortable text format.

    Sub-millisecond parts round up: receipts carry milliseconds, so ``created_at >= t``
    and ``created_at < t`` mean exactly the same against the rounded value.
    """
    try:
        if not value.isascii():
            raise ValueError(value)
        moment = datetime.fromisoformat(value)
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
        millis = math.ceil(moment.microsecond / 1000)
        moment = moment.replace(microsecond=0) + timedelta(milliseconds=millis)
    except (ValueError, OverflowError) as error:
        raise InvalidField(field, "must be an ISO 8601 date or time, like 2025-01-31") from error
    return iso_ms(moment)
