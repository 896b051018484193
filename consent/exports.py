"""Receipt export formats: CSV (flattened, formula-safe) and NDJSON, produced line by line."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

from .catalog import CATEGORIES

#: CSV columns of a receipt, flattened (``categories.performance``, …).
CSV_COLUMNS: tuple[str, ...] = (
    "seq",
    "receipt_id",
    "site_key",
    "subject_id",
    "created_at",
    "policy_version",
    "policy_hash",
    "language",
    "action",
    *(f"categories.{cat}" for cat in CATEGORIES),
    "vendors",
    "signals.gpc",
    "signals.dnt",
    "context.page_url",
    "context.ip_prefix",
    "context.user_agent",
    "context_digest",
    "prev_hash",
    "hash",
)

#: Leading characters that make a spreadsheet evaluate a cell as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

#: Byte order mark, so that spreadsheet programs read the CSV as UTF-8.
UTF8_BOM = "\ufeff"


def csv_row(receipt: dict[str, Any]) -> list[str]:
    """Flatten a receipt into CSV cells, neutralising spreadsheet formulas."""
    context = receipt["context"] or {}
    values: dict[str, Any] = {
        **receipt,
        **{f"categories.{c}": receipt["categories"][c] for c in CATEGORIES},
        "vendors": " ".join(f"{v}={str(on).lower()}" for v, on in receipt["vendors"].items()),
        "signals.gpc": receipt["signals"]["gpc"],
        "signals.dnt": receipt["signals"]["dnt"],
        "context.page_url": context.get("page_url", ""),
        "context.ip_prefix": context.get("ip_prefix") or "",
        "context.user_agent": context.get("user_agent", ""),
    }
    return [csv_cell(values[col]) for col in CSV_COLUMNS]


def csv_cell(value: Any) -> str:
    """One cell as text: booleans as ``true``/``false``, formulas prefixed with ``'``."""
    text = str(value).lower() if isinstance(value, bool) else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def csv_lines(receipts: Iterable[dict[str, Any]], *, bom: bool = False) -> Iterator[str]:
    """The CSV document, header first, one line at a time (constant memory)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(cells: Iterable[str]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(cells)
        return buffer.getvalue()

    yield (UTF8_BOM if bom else "") + line(CSV_COLUMNS)
    for receipt in receipts:
        yield line(csv_row(receipt))


def ndjson_lines(receipts: Iterable[dict[str, Any]]) -> Iterator[str]:
    """One receipt per line, each exactly the object the API shows."""
    for receipt in receipts:
        yield json.dumps(receipt, ensure_ascii=False, separators=(",", ":")) + "\n"
