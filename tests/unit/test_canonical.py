"""Canonical JSON and receipt hashing."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from consent.core.canonical import canonical, digest, salted_digest
from consent.core.catalog import CATEGORIES
from consent.core.chain import GENESIS, HASHED_FIELDS, receipt_hash, receipt_hash_rfc8785

text = st.text(max_size=40)
receipts = st.fixed_dictionaries(
    {
        "receipt_id": st.uuids().map(str),
        "site_key": st.text(alphabet="abcXYZ019", min_size=1, max_size=22),
        "seq": st.integers(1, 2**53 - 1),
        "subject_id": text,
        "created_at": st.just("2026-11-23T09:00:00.123Z"),
        "policy_version": st.integers(1, 10_000),
        "policy_hash": st.just("a" * 64),
        "language": st.sampled_from(["en", "nl"]),
        "action": st.sampled_from(["accept_all", "reject_all", "custom", "withdraw"]),
        "categories": st.fixed_dictionaries({c: st.booleans() for c in CATEGORIES}),
        "vendors": st.dictionaries(text, st.booleans(), max_size=8),
        "signals": st.fixed_dictionaries({"gpc": st.booleans(), "dnt": st.booleans()}),
        "context_digest": st.just("b" * 64),
        "prev_hash": st.just(GENESIS),
    }
)


def test_known_vector() -> None:
    # RFC 8785 sorts keys by UTF-16 code units and writes no whitespace.
    assert (
        canonical({"b": [1, True, None], "a": "é\u2028"})
        == '{"a":"é\u2028","b":[1,true,null]}'.encode()
    )
    assert digest({}) == "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"


@given(receipts)
def test_hash_ignores_key_order_and_extra_fields(body: dict) -> None:  # type: ignore[type-arg]
    reordered = dict(reversed(list(body.items())))
    assert receipt_hash(reordered) == receipt_hash(body)
    assert receipt_hash({**body, "hash": "x", "context": {"page_url": "p"}}) == receipt_hash(body)


vendor_ids = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=64)
any_text = st.text(max_size=60)  # every code point but lone surrogates (I-JSON forbids them)
receipt_shapes = receipts.flatmap(
    lambda body: st.fixed_dictionaries(
        {
            **{k: st.just(v) for k, v in body.items()},
            "subject_id": any_text,
            "site_key": any_text,
            "language": any_text,
            "created_at": any_text,
            "vendors": st.dictionaries(vendor_ids, st.booleans(), max_size=12),
            "seq": st.integers(1, 2**53 - 1),
        }
    )
)


@given(receipt_shapes)
def test_fast_receipt_hash_is_rfc8785(body: dict) -> None:  # type: ignore[type-arg]
    # The documented fast path is byte-identical for every receipt shape.
    assert receipt_hash(body) == receipt_hash_rfc8785(body)


@given(receipts, st.sampled_from(HASHED_FIELDS))
def test_every_hashed_field_changes_the_hash(body: dict, field: str) -> None:  # type: ignore[type-arg]
    changed = dict(body)
    value = body[field]
    changed[field] = (
        not value
        if isinstance(value, bool)
        else value + 1
        if isinstance(value, int)
        else {**value, "zz-extra": True}
        if isinstance(value, dict)
        else value + "x"
    )
    assert receipt_hash(changed) != receipt_hash(body)


def test_salted_digest_depends_on_salt() -> None:
    context = {"page_url": "https://a.example/", "ip_prefix": None, "user_agent": "x"}
    assert salted_digest(b"\0" * 16, context) != salted_digest(b"\1" * 16, context)


def test_consent_token_is_readable_without_the_key() -> None:
    import base64
    import json as _json

    from flask import Flask

    from consent.access import tokens

    app = Flask(__name__)
    app.config.update(SECRET_KEY="k", SECRET_KEY_FALLBACKS=[])
    claims = tokens.ConsentClaims("s", "u", "r", 1, {"necessary": True}, "custom", False, 5)
    with app.app_context():
        token = tokens.issue(claims)
        assert tokens.read(token) is None  # categories incomplete: refused on read
    payload = token.split(".")[0]
    data = _json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert data["sub"] == "u" and data["cat"] == {"necessary": True}
