"""Consent tokens under attack: forged, truncated, any one character changed, from another
site, signed with a retired key, moved onto another subject → the gate denies with
``invalid_token`` and a consents POST starts a new subject; replays never alter a receipt."""

from __future__ import annotations

import base64
import json
import string
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import URLSafeSerializer

from consent.access.tokens import CONSENT_SALT
from tests.helpers import Visitor
from tests.owners import mint, other_site

B64 = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"
VENDORS = ("google-analytics", "meta-pixel", "stripe")


def _payload(token: str) -> dict[str, Any]:
    part = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))  # type: ignore[no-any-return]


def _encode(payload: dict[str, Any]) -> str:
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _flip(token: str, index: int) -> str:
    """``token`` with the character at ``index`` changed in a data bit (never padding)."""
    char = token[index]
    new = "A" if char == "." else B64[B64.index(char) ^ 32]
    return token[:index] + new + token[index + 1 :]


def _resign(payload: dict[str, Any], key: str) -> str:
    return str(URLSafeSerializer(key, salt=CONSENT_SALT).dumps(payload))


#: name → how an attacker derives a token from a victim's valid one (app, token, other token).
ATTACKS: dict[str, Callable[[Flask, str, str], str]] = {
    "signed with a guessed key": lambda app, t, o: _resign(_payload(t), "secret"),
    "signed with the right key, another salt": lambda app, t, o: str(
        URLSafeSerializer(app.config["SECRET_KEY"]).dumps(_payload(t))
    ),
    "truncated": lambda app, t, o: t[: len(t) // 2],
    "signature cut off": lambda app, t, o: t.split(".")[0],
    "signature of another token": lambda app, t, o: t.split(".")[0] + "." + o.split(".")[1],
    "a refusal turned into consent": lambda app, t, o: (
        _encode({**_payload(o), "cat": dict.fromkeys(_payload(o)["cat"], True)})
        + "."
        + o.split(".")[1]
    ),
    "moved onto another subject": lambda app, t, o: (
        _encode({**_payload(t), "sub": _payload(o)["sub"]}) + "." + t.split(".")[1]
    ),
    "extra segment": lambda app, t, o: t + ".AAAA",
    "huge": lambda app, t, o: t * 200,
    "not base64": lambda app, t, o: "<script>.%00%ff",
}


@pytest.fixture
def tokens(client: FlaskClient, site: str) -> tuple[Visitor, str, str]:
    """A visitor who accepted everything, their token, and another visitor's token."""
    victim, other = Visitor(client, site), Visitor(client, site)
    other.choose("reject_all")
    victim.choose("accept_all")
    assert victim.token and other.token
    return victim, victim.token, other.token


def _assert_invalid(answer: dict[str, Any]) -> None:
    decisions = answer["decisions"]
    assert {v: decisions[v]["reason"] for v in VENDORS} == {
        "google-analytics": "invalid_token",
        "meta-pixel": "invalid_token",
        "stripe": "necessary",
    }
    assert not decisions["google-analytics"]["allowed"] and not decisions["meta-pixel"]["allowed"]
    assert answer["show_banner"] is True and answer["categories"] is None


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_a_tampered_token_is_invalid_and_starts_a_new_subject(
    app: Flask, tokens: tuple[Visitor, str, str], attack: str
) -> None:
    visitor, token, other = tokens
    tampered = ATTACKS[attack](app, token, other)
    assert tampered != token
    _assert_invalid(visitor.gate(*VENDORS, token=tampered))
    # The consents POST does not carry the victim's subject over from a bad token.
    answer = visitor.post(visitor.consent_body("accept_all", token=tampered))
    assert answer.status_code in (201, 413, 422), answer.json
    if answer.status_code == 201:
        assert answer.json["receipt"]["subject_id"] not in (
            _payload(token)["sub"],
            _payload(other)["sub"],
        )


def test_every_single_character_change_is_invalid(tokens: tuple[Visitor, str, str]) -> None:
    visitor, token, _other = tokens
    for index in range(len(token)):
        _assert_invalid(visitor.gate(*VENDORS, token=_flip(token, index)))
    print(f"\ntokens: {len(token)} one-character changes, all invalid_token")


def test_a_token_of_another_site_is_invalid_there(
    app: Flask, client: FlaskClient, site: str
) -> None:
    foreign = Visitor(client, other_site(app), origin="https://other.example")
    foreign.choose("accept_all")
    assert foreign.token
    victim = Visitor(client, site)
    _assert_invalid(victim.gate(*VENDORS, token=foreign.token))
    receipt = victim.choose("accept_all", token=foreign.token)
    assert receipt["subject_id"] != _payload(foreign.token)["sub"]
    me = client.get(f"/api/v1/sites/{site}/me", query_string={"token": foreign.token})
    assert me.status_code == 401


def test_a_retired_key_verifies_only_while_it_is_a_fallback(
    app: Flask, tokens: tuple[Visitor, str, str]
) -> None:
    visitor, token, _other = tokens
    app.config.update(SECRET_KEY="rotated-secret", SECRET_KEY_FALLBACKS=["test-secret"])
    assert (
        visitor.gate("google-analytics", token=token)["decisions"]["google-analytics"]["reason"]
        == "consented"
    )
    app.config.update(SECRET_KEY_FALLBACKS=[])  # past the rotation: the old key is gone
    _assert_invalid(visitor.gate(*VENDORS, token=token))
    # A token signed with the retired key after its retirement is no better.
    _assert_invalid(visitor.gate(*VENDORS, token=_resign(_payload(token), "test-secret")))


def test_replayed_consent_posts_never_change_an_earlier_receipt(
    app: Flask, client: FlaskClient, site: str
) -> None:
    visitor = Visitor(client, site)
    body = visitor.consent_body("accept_all")
    first = visitor.post(body).json
    auditor = {"Authorization": f"Bearer {mint(app, site, 'auditor')}"}
    url = f"/api/v1/audit/sites/{site}/receipts/{first['receipt']['receipt_id']}"
    before = client.get(url, headers=auditor).json
    replays = [visitor.post(body).json for _ in range(3)]
    replays.append(visitor.post({**body, "token": first["token"]}).json)
    replays.append(visitor.post({**body, "action": "withdraw", "token": first["token"]}).json)
    assert client.get(url, headers=auditor).json == before
    receipts = [first["receipt"]] + [r["receipt"] for r in replays]
    assert [r["seq"] for r in receipts] == list(range(1, 7))
    assert len({r["receipt_id"] for r in receipts}) == 6
    # A replayed token continues its own subject and nobody else's.
    assert receipts[4]["subject_id"] == receipts[5]["subject_id"] == receipts[0]["subject_id"]
    verify = client.get(f"/api/v1/audit/sites/{site}/verify", headers=auditor).json
    assert verify == {"ok": True, "receipts": 6, "head": receipts[-1]["hash"]}
