"""Receipt export formats: CSV (flattened, formula-safe) and NDJSON, produced line by line.

The streamed exports build each line straight from a stored row (:data:`STORED_FIELDS`):
no receipt dict and no JSON encoding of a whole object per row, yet byte for byte what
:func:`csv_row` with :mod:`csv` and the API's compact JSON make of the same receipt.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from consent.core.catalog import CATEGORIES
from consent.core.chain import HASHED_FIELDS, OPTIONAL_FIELDS

#: CSV columns of a receipt, flattened (``categories.performance``, …); ``banner_build`` is
#: last (a column added later: readers by position keep working) and empty for receipts
#: that lack it.
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
    "banner_build",
)

#: A stored receipt row as the exports read it: the hashed fields in the API's order
#: (``categories``, ``vendors`` and ``signals`` as their stored JSON text), the hash,
#: the context's columns (all ``None`` once erased), then the optional hashed field
#: ``banner_build`` (``None`` for receipts made before it was recorded).
STORED_FIELDS: tuple[str, ...] = (
    *HASHED_FIELDS,
    "hash",
    "page_url",
    "ip_prefix",
    "user_agent",
    *OPTIONAL_FIELDS,
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
        receipt.get("banner_build") or "",
    ]


def csv_cell(value: Any) -> str:
    """One cell as text: booleans as ``true``/``false``, formulas prefixed with ``'``."""
    text = str(value).lower() if isinstance(value, bool) else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


#: Characters that make :mod:`csv` (excel dialect, minimal quoting) quote a cell.
_NEEDS_QUOTES = re.compile('[,"\r\n]')


def _quoted(text: str) -> str:
    """A cell as :mod:`csv`'s writer puts it in a line: quoted only when it must be."""
    return '"' + text.replace('"', '""') + '"' if _NEEDS_QUOTES.search(text) else text


def _free_text(value: str) -> str:
    """A free-text cell as it appears in the line: formula-safe, then quoted if needed."""
    return _quoted("'" + value if value.startswith(_FORMULA_STARTS) else value)


def _memo(compute: Callable[[str], str]) -> Callable[[str], str]:
    """``compute`` remembered per distinct text: a ledger repeats a few choices and sites."""
    known: dict[str, str] = {}

    def remembered(text: str) -> str:
        found = known.get(text)
        if found is None:
            if len(known) >= 4096:  # many distinct values: memory stays flat anyway
                known.clear()
            found = known[text] = compute(text)
        return found

    return remembered


def _categories_cells(text: str) -> str:
    categories = json.loads(text)
    return ",".join([_BOOL[categories[c]] for c in CATEGORIES])


def _vendors_cell(text: str) -> str:
    return _quoted(" ".join([f"{v}={_BOOL[on]}" for v, on in json.loads(text).items()]))


def _signals_cells(text: str) -> str:
    signals = json.loads(text)
    return f"{_BOOL[signals['gpc']]},{_BOOL[signals['dnt']]}"


def _csv_line() -> Callable[[Sequence[Any]], str]:
    """A function from a stored row to its line, exactly as ``csv.writer`` writes its
    :func:`csv_row` (which the tests hold it to)."""
    label, categories, vendors, signals = (
        _memo(_free_text),
        _memo(_categories_cells),
        _memo(_vendors_cell),
        _memo(_signals_cells),
    )

    def line(row: Sequence[Any]) -> str:
        (rid, site_key, seq, subject, created, version, policy, language, action) = row[:9]
        cats, vends, sigs, digest, prev_hash, receipt_hash, page_url, ip, agent, build = row[9:]
        own = (rid, created, policy, digest, prev_hash, receipt_hash, build or "")
        if _NEEDS_QUOTES.search("".join(own)):  # never in the service's formats; exact anyway
            rid, created, policy, digest, prev_hash, receipt_hash, build = map(_quoted, own)
        return (
            f"{seq},{rid},{label(site_key)},{_free_text(subject)},{created},{version},"
            f"{policy},{label(language)},{label(action)},{categories(cats)},{vendors(vends)},"
            f"{signals(sigs)},{_free_text(page_url or '')},{label(ip or '')},"
            f"{label(agent or '')},{digest},{prev_hash},{receipt_hash},{build or ''}\r\n"
        )

    return line


def csv_chunks(batches: Iterable[Sequence[Sequence[Any]]], *, bom: bool = False) -> Iterator[str]:
    """The CSV document of stored rows, header first, one chunk per batch (constant memory)."""
    yield (UTF8_BOM if bom else "") + ",".join(map(_quoted, CSV_COLUMNS)) + "\r\n"
    line = _csv_line()
    for rows in batches:
        yield "".join([line(row) for row in rows])


#: Compact JSON, as the API shows a receipt.
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
#: The string encoder that ``_ENCODE`` uses (the C one), for a value known to be text.
_q = json.encoder.encode_basestring


def _ndjson_line() -> Callable[[Sequence[Any]], str]:
    """A function from a stored row to its line: exactly ``_ENCODE`` of the receipt the API
    shows, with the stored JSON columns re-encoded once per distinct text."""
    label, nested = _memo(_q), _memo(lambda text: _ENCODE(json.loads(text)))

    def line(row: Sequence[Any]) -> str:
        (rid, site_key, seq, subject, created, version, policy, language, action) = row[:9]
        cats, vends, sigs, digest, prev_hash, receipt_hash, page_url, ip, agent, build = row[9:]
        built = "" if build is None else f',"banner_build":{label(build)}'
        context = (
            "null"
            if page_url is None
            else f'{{"page_url":{_q(page_url)},"ip_prefix":{"null" if ip is None else _q(ip)},'
            f'"user_agent":{_q(agent)}}}'
        )
        return (
            f'{{"receipt_id":{_q(rid)},"site_key":{label(site_key)},"seq":{seq:d},'
            f'"subject_id":{_q(subject)},"created_at":{_q(created)},'
            f'"policy_version":{version:d},"policy_hash":{_q(policy)},'
            f'"language":{label(language)},"action":{label(action)},'
            f'"categories":{nested(cats)},"vendors":{nested(vends)},"signals":{nested(sigs)},'
            f'"context_digest":{_q(digest)},"prev_hash":{_q(prev_hash)}{built},'
            f'"context":{context},"hash":{_q(receipt_hash)}}}\n'
        )

    return line


def ndjson_chunks(batches: Iterable[Sequence[Sequence[Any]]]) -> Iterator[str]:
    """One receipt per line, each exactly the object the API shows; one chunk per batch."""
    line = _ndjson_line()
    for rows in batches:
        if rows:
            yield "".join([line(row) for row in rows])
