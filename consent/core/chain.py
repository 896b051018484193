"""The hash chain's pure rules: which fields are hashed, and how a chain is walked.

Imports neither Flask nor SQLAlchemy, so the offline verifier can use it alone.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from consent.core.canonical import digest

GENESIS = "0" * 64

#: The hashed fields of a receipt, in the order the API shows them.
HASHED_FIELDS: tuple[str, ...] = (
    "receipt_id",
    "site_key",
    "seq",
    "subject_id",
    "created_at",
    "policy_version",
    "policy_hash",
    "language",
    "action",
    "categories",
    "vendors",
    "signals",
    "context_digest",
    "prev_hash",
)

#: Hashed fields that a receipt may lack: ``banner_build``, the build of the banner code that
#: collected the choice (receipts made before it was recorded have none). A receipt's hash
#: covers it when it is there; without it, the body hashes exactly as before.
OPTIONAL_FIELDS: tuple[str, ...] = ("banner_build",)

#: What a receipt's ``action`` may be: the visitor's answer to the banner.
ACTIONS: tuple[str, ...] = ("accept_all", "reject_all", "custom", "withdraw")


#: The hashed fields, optional ones included, in the canonical (sorted) order, as
#: :func:`walk_stored` takes them.
SORTED_FIELDS: tuple[str, ...] = tuple(sorted(HASHED_FIELDS + OPTIONAL_FIELDS))
#: Why a walk fails, as the verify endpoint reports it (checked in this order per receipt).
FAILURE_REASONS: tuple[str, ...] = ("gap", "hash_mismatch", "broken_link")
_GAP, _HASH_MISMATCH, _BROKEN_LINK = FAILURE_REASONS
#: The hashed fields that are JSON objects (stored as JSON text).
JSON_FIELDS = frozenset({"categories", "vendors", "signals"})
#: The JSON string encoder that ``json.dumps(..., ensure_ascii=False)`` uses (the C one).
_quote = json.encoder.encode_basestring


def _canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def receipt_hash(body: Mapping[str, Any]) -> str:
    """SHA-256 hex of the RFC 8785 JSON of a receipt's hashed fields.

    Receipts hold no floats and only ASCII member names, where RFC 8785 and sorted,
    compact ``json.dumps`` agree byte for byte (a property test holds the two together);
    the latter is five times faster, which verifying a million receipts needs.
    """
    text = _canonical_json(hashed_body(body))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def receipt_hash_rfc8785(body: Mapping[str, Any]) -> str:
    """The same hash through the reference RFC 8785 implementation (for tests and audits)."""
    return digest(hashed_body(body))


def hashed_body(body: Mapping[str, Any]) -> dict[str, Any]:
    """The members of ``body`` that its hash covers: the hashed fields and the optional ones
    it has (an optional field that is absent or null is no member)."""
    out = {name: body[name] for name in HASHED_FIELDS}
    for name in OPTIONAL_FIELDS:
        if body.get(name) is not None:
            out[name] = body[name]
    return out


@dataclass(frozen=True)
class Verification:
    """The result of walking a site's chain."""

    ok: bool
    receipts: int
    head: str | None = None
    first_bad_seq: int | None = None
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of DESIGN.md's verify endpoint."""
        if self.ok:
            return {"ok": True, "receipts": self.receipts, "head": self.head}
        return {"ok": False, "first_bad_seq": self.first_bad_seq, "reason": self.reason}


def walk_chain(rows: Iterable[Mapping[str, Any]]) -> Verification:
    """Check seq continuity, each hash and each link; the first failure wins."""
    return _walk((body["seq"], body["prev_hash"], body["hash"], body) for body in rows)


def walk_stored(rows: Iterable[Sequence[Any]]) -> Verification:
    """:func:`walk_chain` over rows as stored: ``(hash, *SORTED_FIELDS)``, JSON as its text.

    For a million receipts: no dict per row, and each distinct JSON text (receipts repeat a
    few dozen choices) is parsed and re-serialised once.
    """
    seq_at, prev_at = (1 + SORTED_FIELDS.index(name) for name in ("seq", "prev_hash"))
    return _walk(((row[seq_at], row[prev_at], row[0], row) for row in rows), _StoredHasher())


def walk_hashed(rows: Iterable[tuple[Any, str, str, bool]]) -> Verification:
    """:func:`walk_chain` over ``(seq, prev_hash, hash, hash_ok)``: hashes checked elsewhere."""
    checked = ((seq, prev, stored, stored if ok else None) for seq, prev, stored, ok in rows)
    return _walk(checked, _same)


def _same(checked: Any) -> Any:
    return checked


def _walk(rows: Iterator[tuple[Any, str, str, Any]], hasher: Any = receipt_hash) -> Verification:
    expected_seq, prev, count = 1, GENESIS, 0
    for seq, prev_hash, stored, body in rows:
        if seq != expected_seq:
            return Verification(False, count, first_bad_seq=expected_seq, reason=_GAP)
        if hasher(body) != stored:
            return Verification(False, count, first_bad_seq=seq, reason=_HASH_MISMATCH)
        if prev_hash != prev:
            return Verification(False, count, first_bad_seq=seq, reason=_BROKEN_LINK)
        prev, expected_seq, count = stored, expected_seq + 1, count + 1
    return Verification(True, count, head=prev if count else None)


class _StoredHasher:
    """:func:`receipt_hash` of a stored row, byte for byte, with JSON texts canonicalised once."""

    def __init__(self) -> None:
        self._json: dict[str, str] = {}

    def __call__(self, row: Sequence[Any]) -> str:
        (
            _,
            action,
            banner_build,
            categories,
            context_digest,
            created_at,
            language,
            policy_hash,
            policy_version,
            prev_hash,
            receipt_id,
            seq,
            signals,
            site_key,
            subject_id,
            vendors,
        ) = row
        obj, q = self._object, _quote
        try:
            if type(policy_version) is not int or type(seq) is not int:
                raise TypeError("not an integer")
            build = "" if banner_build is None else f',"banner_build":{q(banner_build)}'
            text = (
                f'{{"action":{q(action)}{build},"categories":{obj(categories)},'
                f'"context_digest":{q(context_digest)},"created_at":{q(created_at)},'
                f'"language":{q(language)},"policy_hash":{q(policy_hash)},'
                f'"policy_version":{policy_version},"prev_hash":{q(prev_hash)},'
                f'"receipt_id":{q(receipt_id)},"seq":{seq},"signals":{obj(signals)},'
                f'"site_key":{q(site_key)},"subject_id":{q(subject_id)},"vendors":{obj(vendors)}}}'
            )
        except TypeError:  # a value of an unexpected type (a tampered row): the slow way
            text = _canonical_json(self._parsed(row[1:]))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def _parsed(self, values: Sequence[Any]) -> dict[str, Any]:
        return {
            name: json.loads(v) if name in JSON_FIELDS and isinstance(v, str) else v
            for name, v in zip(SORTED_FIELDS, values, strict=True)
            if v is not None or name not in OPTIONAL_FIELDS
        }

    def _object(self, stored: str) -> str:
        text = self._json.get(stored)
        if text is None:
            if len(self._json) > 10_000:  # bounded: tampered or unusual rows can be many
                self._json.clear()
            text = self._json[stored] = _canonical_json(json.loads(stored))
        return text
