"""verify-export of a CSV export: its records back into the receipt bodies they flatten.

The CSV export (audit API and UI, the visitor's ``/me?format=csv``) holds the same fields as
the NDJSON one, flattened: ``categories.<id>`` and ``signals.<name>`` as ``true``/``false``
cells, ``vendors`` as ``id=true id=false``, free text prefixed with ``'`` where a spreadsheet
would read a formula, and ``banner_build`` empty for receipts without one. The first line of
an export tells the formats apart: an NDJSON receipt starts with ``{``, the CSV header with
the ``seq`` column.
"""

from __future__ import annotations

import csv
import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from consent.core.chain import HASHED_FIELDS, JSON_FIELDS
from consent.offline.reading import BadLine, Item, Parse, blank, check_build, parse_line

_BOM = "\ufeff"
#: A CSV export's first line: the header, whose first column is ``seq``.
_HEADER = re.compile(r"seq(,|\r?\n|$)")
_HEX64 = re.compile(r"[0-9a-f]{64}", re.ASCII)
#: The cells the export prefixes with ``'`` when they start a formula (consent.ledger.exports).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_FREE_TEXT = frozenset({"site_key", "subject_id", "language", "action"})
_INTEGERS = frozenset({"seq", "policy_version"})
_INTEGER = re.compile(r"0|[1-9][0-9]*", re.ASCII)
_BOOLS = {"true": True, "false": False}
#: Hashed fields flattened into ``<field>.<member>`` columns.
_SPREAD = ("categories", "signals")
_COLUMNS = (*(n for n in HASHED_FIELDS if n not in JSON_FIELDS), "vendors", "hash")


@dataclass(frozen=True)
class Unreadable:
    """Where the CSV stops being readable (not UTF-8, not CSV): the record it would be."""

    detail: str


def open_export(lines: Iterable[bytes | str]) -> tuple[Iterable[Item], Parse]:
    """The export's items and how to parse one: its NDJSON lines, or its CSV records after
    the header. ``BadLine`` (seq 1) when a CSV header lacks a hashed field's column."""
    rest = iter(lines)
    head: list[bytes | str] = []
    for line in rest:
        head.append(line)
        if not blank(line):
            break
    first = _text(head[-1]).removeprefix(_BOM) if head else ""
    if not _HEADER.match(first):
        return itertools.chain(head, rest), parse_line
    try:
        header = next(csv.reader([first], strict=True))
    except csv.Error as e:
        raise BadLine(1, f"the CSV header is not CSV: {e}") from e
    return _records(rest), CsvLayout.of(header)


def _text(line: bytes | str) -> str:
    return line.decode("utf-8", "replace") if isinstance(line, bytes) else line


def _records(lines: Iterator[bytes | str]) -> Iterator[Item]:
    """The CSV records after the header; where the file stops being CSV, an
    :class:`Unreadable` marker (parsed in order, so the seq it names is exact)."""
    decoded = (line.decode("utf-8") if isinstance(line, bytes) else line for line in lines)
    try:
        yield from csv.reader(decoded, strict=True)
    except UnicodeDecodeError as e:
        yield Unreadable(f"not UTF-8: {e}")
    except csv.Error as e:
        yield Unreadable(f"not CSV: {e}")


@dataclass(frozen=True)
class CsvLayout:
    """Where each hashed field is in the header's columns; called on a record, it gives the
    receipt body (a :data:`~consent.offline.reading.Parse`, picklable for the workers)."""

    width: int
    at: tuple[tuple[str, int], ...]
    spread: tuple[tuple[str, str, int], ...]
    build_at: int | None

    @classmethod
    def of(cls, header: list[str]) -> CsvLayout:
        """The layout of a CSV header; ``BadLine`` when a hashed field has no column."""
        where = {name: i for i, name in enumerate(header)}
        lacking = [name for name in _COLUMNS if name not in where]
        spread = tuple(
            (name.partition(".")[0], name.partition(".")[2], i)
            for i, name in enumerate(header)
            if name.partition(".")[0] in _SPREAD
        )
        lacking += [n for n in _SPREAD if not any(field == n for field, _m, _i in spread)]
        if lacking:
            raise BadLine(1, f"the CSV header has no column {', '.join(lacking)}")
        at = tuple((name, where[name]) for name in _COLUMNS)
        return cls(len(header), at, spread, where.get("banner_build"))

    def __call__(self, record: Item, seq: int) -> dict[str, Any]:
        if isinstance(record, Unreadable):
            raise BadLine(seq, record.detail)
        if len(record) != self.width:
            raise BadLine(seq, f"{len(record)} cells where the header has {self.width}")
        body: dict[str, Any] = {name: _cell(name, record[i], seq) for name, i in self.at}
        body["vendors"] = _vendors(body["vendors"], seq)
        for name in _SPREAD:
            body[name] = {}
        for name, member, i in self.spread:
            body[name][member] = _bool(f"{name}.{member}", record[i], seq)
        if self.build_at is not None and record[self.build_at]:
            body["banner_build"] = record[self.build_at]
        if not _HEX64.fullmatch(body["hash"]):
            raise BadLine(seq, "hash is not 64 lower-case hex digits")
        check_build(body, seq)
        return body


def _cell(name: str, text: str, seq: int) -> Any:
    if name in _INTEGERS:
        if not _INTEGER.fullmatch(text):
            raise BadLine(seq, f"{name} is not an integer")
        return int(text)
    if name in _FREE_TEXT and text[:1] == "'" and text[1:2] and text[1:2] in _FORMULA_STARTS:
        return text[1:]  # the export's guard against formulas, taken off
    return text


def _bool(name: str, text: str, seq: int) -> bool:
    if text not in _BOOLS:
        raise BadLine(seq, f"{name} is not true or false")
    return _BOOLS[text]


def _vendors(text: str, seq: int) -> dict[str, bool]:
    """``id=true id=false`` back into ``{"id": true, …}``."""
    out: dict[str, bool] = {}
    for pair in text.split(" ") if text else ():
        vendor, _, value = pair.rpartition("=")
        if not vendor:
            raise BadLine(seq, "vendors is not id=true|false pairs")
        out[vendor] = _bool("vendors", value, seq)
    return out
