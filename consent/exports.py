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


_BOOL = {True: "true", False: "false"}
_NO_CONTEXT: dict[str, Any] = {}


def csv_row(receipt: dict[str, Any]) -> list[str]:
    """Flatten a receipt into CSV cells, neutralising spreadsheet formulas.

    Only cells that can hold free or foreign text are checked for formulas: ids, hashes,
    times, numbers and booleans are the service's own formats and cannot start one.
    """
    context = receipt["context"] or _NO_CONTEXT
    categories, signals = receipt["categories"], receipt["signals"]
    return [
        str(receipt["seq"]),
        receipt["receipt_id"],
        csv_cell(receipt["site_key"]),
        csv_cell(receipt["subject_id"]),
        receipt["created_at"],
        str(receipt["policy_version"]),
        receipt["policy_hash"],
        csv_cell(receipt["language"]),
        csv_cell(receipt["action"]),
        *[_BOOL[categories[c]] for c in CATEGORIES],
        " ".join([f"{v}={_BOOL[on]}" for v, on in receipt["vendors"].items()]),
        _BOOL[signals["gpc"]],
        _BOOL[signals["dnt"]],
        csv_cell(context.get("page_url", "")),
        csv_cell(context.get("ip_prefix") or ""),
        csv_cell(context.get("user_agent", "")),
        receipt["context_digest"],
        receipt["prev_hash"],
        receipt["hash"],
    ]


def csv_cell(value: Any) -> str:
    """One cell as text: booleans as ``true``/``false``, formulas prefixed with ``'``."""
    text = str(value).lower() if isinstance(value, bool) else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def csv_chunks(batches: Iterable[list[dict[str, Any]]], *, bom: bool = False) -> Iterator[str]:
    """The CSV document, header first, one chunk per batch of receipts (constant memory)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    yield (UTF8_BOM if bom else "") + buffer.getvalue()
    for batch in batches:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows([csv_row(receipt) for receipt in batch])
        yield buffer.getvalue()


#: Compact JSON, as the API shows a receipt.
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def ndjson_chunks(batches: Iterable[list[dict[str, Any]]]) -> Iterator[str]:
    """One receipt per line, each exactly the object the API shows; one chunk per batch."""
    for batch in batches:
        if batch:
            yield "\n".join(map(_ENCODE, batch)) + "\n"
