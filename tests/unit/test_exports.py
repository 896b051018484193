"""Export lines built from stored rows are byte for byte what csv.writer and json make of the
receipt the API shows, ``banner_build`` included when a receipt has one; and the offline
verifier reads a CSV export back into the very bodies that were hashed."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from consent.core.catalog import CATEGORIES
from consent.core.chain import HASHED_FIELDS, JSON_FIELDS, hashed_body
from consent.ledger.exports import (
    _FORMULA_STARTS,
    CSV_COLUMNS,
    STORED_FIELDS,
    UTF8_BOM,
    csv_chunks,
    csv_row,
    ndjson_chunks,
)
from consent.ledger.reads import receipt_dict
from consent.offline import csv_export
from consent.offline.csv_export import open_export
from consent.offline.reading import blank

#: Text that a spreadsheet or a CSV reader cares about, and what JSON must escape.
hostile = st.text(alphabet=st.sampled_from("=+-@\t\r\n,\"'; a\\é\u2028\x00\x7f😀"), max_size=12)
free = hostile | st.text(max_size=20)
own = st.sampled_from(["a" * 64, "2026-11-23T09:00:00.123Z", 'odd,"own"\r\nvalue'])
build = st.none() | st.sampled_from(["0123456789abcdef" * 4, "f" * 64]) | own
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
        "banner_build": build,
    }
)


def _columns(receipt: dict[str, Any]) -> dict[str, Any]:
    """A receipt's stored columns by name: JSON ones as stored text, the context's own."""
    page_url, ip_prefix, user_agent = receipt["context"] or (None, None, None)
    columns = {
        name: json.dumps(value) if name in JSON_FIELDS else value
        for name, value in receipt.items()
        if name != "context"
    }
    return {**columns, "page_url": page_url, "ip_prefix": ip_prefix, "user_agent": user_agent}


def stored(receipt: dict[str, Any]) -> tuple[Any, ...]:
    """A receipt as the exports read its row (:data:`STORED_FIELDS`)."""
    columns = _columns(receipt)
    return tuple(columns[name] for name in STORED_FIELDS)


class _Row:
    """A database row as :func:`receipt_dict` reads it (by ``_mapping``)."""

    def __init__(self, mapping: dict[str, Any]) -> None:
        self._mapping = mapping


def as_api(receipt: dict[str, Any]) -> dict[str, Any]:
    """The receipt as the API shows it: the API's own :func:`receipt_dict` of its row."""
    columns = _columns(receipt)
    for name in JSON_FIELDS:
        columns[name] = receipt[name]
    return receipt_dict(_Row(columns))


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


@given(rows)
def test_banner_build_is_shown_only_when_set_and_is_the_last_csv_column(
    receipt: dict[str, Any],
) -> None:
    with_build = {**receipt, "banner_build": "ab" * 32}
    without = {**with_build, "banner_build": None}
    line_with = json.loads("".join(ndjson_chunks([[stored(with_build)]])))
    line_without = json.loads("".join(ndjson_chunks([[stored(without)]])))
    assert line_with["banner_build"] == "ab" * 32
    assert "banner_build" not in line_without
    assert list(line_with) == [*HASHED_FIELDS, "banner_build", "context", "hash"]
    assert CSV_COLUMNS[-1] == "banner_build"
    assert csv_row(as_api(with_build))[-1] == "ab" * 32
    assert csv_row(as_api(without))[-1] == ""
    assert len(csv_row(as_api(without))) == len(CSV_COLUMNS)


#: What the offline reader can tell apart: free text that does not itself start with the
#: export's formula guard, vendor ids without a space, and hashes in the service's format.
plain = free.filter(lambda text: not text.startswith("'"))
hex64 = st.text(alphabet="0123456789abcdef", min_size=64, max_size=64)
verifiable = rows.map(dict).flatmap(
    lambda r: st.fixed_dictionaries(
        {
            "site_key": plain,
            "subject_id": plain,
            "language": plain,
            "action": plain,
            "vendors": st.dictionaries(plain.filter(lambda v: v and " " not in v), bools),
            "hash": hex64,
            "banner_build": st.none() | hex64,
        }
    ).map(lambda changes: {**r, **changes})
)


@given(st.lists(verifiable, max_size=5), st.booleans())
def test_the_offline_verifier_reads_a_csv_export_back_into_the_hashed_bodies(
    receipts: list[dict[str, Any]], bom: bool
) -> None:
    data = "".join(csv_chunks([[stored(r) for r in receipts]], bom=bom)).encode()
    items, parse = open_export(io.BytesIO(data))  # lines as the command reads a file
    bodies = [parse(item, seq) for seq, item in enumerate((i for i in items if not blank(i)), 1)]
    assert [{**hashed_body(b), "hash": b["hash"]} for b in bodies] == [
        {**hashed_body(r), "hash": r["hash"]} for r in receipts
    ]


def test_the_offline_reader_takes_off_exactly_the_exports_formula_guard() -> None:
    assert csv_export._FORMULA_STARTS == _FORMULA_STARTS
