"""Export lines built from stored rows are byte for byte what csv.writer and json make."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from consent.core.catalog import CATEGORIES
from consent.core.chain import HASHED_FIELDS, JSON_FIELDS
from consent.ledger.exports import CSV_COLUMNS, UTF8_BOM, csv_chunks, csv_row, ndjson_chunks

#: Text that a spreadsheet or a CSV reader cares about, and what JSON must escape.
hostile = st.text(alphabet=st.sampled_from("=+-@\t\r\n,\"'; a\\é\u2028\x00\x7f😀"), max_size=12)
free = hostile | st.text(max_size=20)
own = st.sampled_from(["a" * 64, "2026-11-23T09:00:00.123Z", 'odd,"own"\r\nvalue'])
bools = st.booleans()
context = st.none() | st.tuples(free, st.none() | free, free)
rows = st.fixed_dictionaries(
    {
        "receipt_id": own,
        "site_key": free,
        "seq": st.integers(1, 2**53 - 1),
        "subject_id": free,
        "created_at": own,
        "policy_version": st.integers(1, 2**31 - 1),
        "policy_hash": own,
        "language": free,
        "action": free,
        "categories": st.fixed_dictionaries({c: bools for c in CATEGORIES}),
        "vendors": st.dictionaries(free, bools, max_size=4),
        "signals": st.fixed_dictionaries({"gpc": bools, "dnt": bools}),
        "context_digest": own,
        "prev_hash": own,
        "hash": own,
        "context": context,
    }
)


def stored(receipt: dict[str, Any]) -> tuple[Any, ...]:
    """A receipt as its database row reads: JSON columns as stored text, context apart."""
    values = [
        json.dumps(receipt[name]) if name in JSON_FIELDS else receipt[name]
        for name in (*HASHED_FIELDS, "hash")
    ]
    return (*values, *(receipt["context"] or (None, None, None)))


def as_api(receipt: dict[str, Any]) -> dict[str, Any]:
    """The receipt as the API shows it: hashed fields, context, then hash."""
    shown = {name: receipt[name] for name in HASHED_FIELDS}
    page_url, ip_prefix, user_agent = receipt["context"] or (None, None, None)
    shown["context"] = (
        None
        if page_url is None
        else {"page_url": page_url, "ip_prefix": ip_prefix, "user_agent": user_agent}
    )
    shown["hash"] = receipt["hash"]
    return shown


@given(st.lists(rows, max_size=5), st.integers(1, 3))
def test_ndjson_lines_are_the_apis_compact_json(receipts: list[dict[str, Any]], size: int) -> None:
    batches = [[stored(r) for r in receipts[i : i + size]] for i in range(0, len(receipts), size)]
    expected = "".join(
        json.dumps(as_api(r), ensure_ascii=False, separators=(",", ":")) + "\n" for r in receipts
    )
    assert "".join(ndjson_chunks(batches)) == expected


@given(st.lists(rows, max_size=5), st.booleans())
def test_csv_lines_are_what_csv_writer_makes_of_csv_row(
    receipts: list[dict[str, Any]], bom: bool
) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    writer.writerows([csv_row(as_api(r)) for r in receipts])
    expected = (UTF8_BOM if bom else "") + buffer.getvalue()
    assert "".join(csv_chunks([[stored(r) for r in receipts]], bom=bom)) == expected
