"""Signed consent tokens (itsdangerous, with key rotation) and hashed API tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from itsdangerous import BadData, URLSafeSerializer
from itsdangerous.encoding import base64_encode
from itsdangerous.serializer import Serializer

from consent.core.catalog import CATEGORIES

#: One salt per purpose, so a signature for one thing never verifies as another.
CONSENT_SALT = "consent-ledger.consent-token.v1"


@dataclass(frozen=True)
class ConsentClaims:
    """What a consent token says: the visitor's choice as recorded in one receipt."""

    site_key: str
    subject_id: str
    receipt_id: str
    policy_version: int
    categories: dict[str, bool]
    action: str
    gpc: bool
    issued_at: int


class _PlainSerializer(URLSafeSerializer):
    """URL-safe, but never zlib-compressed: the loader reads its own choice from the token."""

    def dump_payload(self, obj: Any) -> bytes:
        return base64_encode(Serializer.dump_payload(self, obj))


class _Verifier:
    """A serializer for one key set, with a bounded memo of tokens already verified.

    The gate is on every page view; a returning visitor sends the same token again and
    again, so its signature is checked once, not once per request.
    """

    MEMO = 4096

    def __init__(self, keys: tuple[str, ...]) -> None:
        # Oldest to newest: itsdangerous signs with the last key and verifies with any of them.
        self.keys = keys
        self.serializer = _PlainSerializer(list(keys), salt=CONSENT_SALT)
        self.memo: dict[str, ConsentClaims | None] = {}

    def read(self, token: str) -> ConsentClaims | None:
        if token in self.memo:
            return self.memo[token]
        try:
            claims = _claims(self.serializer.loads(token))
        except (BadData, ValueError, UnicodeError):
            claims = None
        if len(self.memo) >= self.MEMO:
            self.memo.clear()
        self.memo[token] = claims
        return claims


def _verifier(app: Flask | None = None) -> _Verifier:
    app = current_app if app is None else app
    keys = (*app.config["SECRET_KEY_FALLBACKS"], app.config["SECRET_KEY"])
    verifier: _Verifier | None = app.extensions.get("consent_tokens")
    if verifier is None or verifier.keys != keys:
        verifier = app.extensions["consent_tokens"] = _Verifier(keys)
    return verifier


def _serializer() -> URLSafeSerializer:
    return _verifier().serializer


def issue(claims: ConsentClaims) -> str:
    """Sign ``claims`` into the token the loader stores as the ``consent_token`` cookie."""
    payload = {
        "site": claims.site_key,
        "sub": claims.subject_id,
        "rid": claims.receipt_id,
        "ver": claims.policy_version,
        "cat": claims.categories,
        "act": claims.action,
        "gpc": claims.gpc,
        "iat": claims.issued_at,
    }
    return str(_serializer().dumps(payload))


def read(token: str, app: Flask | None = None) -> ConsentClaims | None:
    """Verify ``token`` with the current or a fallback key; ``None`` when bad in any way
    (``app``: the application's keys outside a request, for the gate's fast path)."""
    if not token or len(token) > 4096:
        return None
    return _verifier(app).read(token)


def _claims(payload: Any) -> ConsentClaims | None:
    try:
        cats = payload["cat"]
        valid = (
            isinstance(payload["site"], str)
            and isinstance(payload["sub"], str)
            and isinstance(payload["rid"], str)
            and type(payload["ver"]) is int
            and type(payload["iat"]) is int
            and isinstance(payload["act"], str)
            and type(payload["gpc"]) is bool
            and isinstance(cats, dict)
            and set(cats) == set(CATEGORIES)
            and all(type(v) is bool for v in cats.values())
        )
        if not valid:
            return None
        return ConsentClaims(
            payload["site"],
            payload["sub"],
            payload["rid"],
            payload["ver"],
            dict(cats),
            payload["act"],
            payload["gpc"],
            payload["iat"],
        )
    except (KeyError, TypeError):
        return None


def new_api_token() -> tuple[str, str]:
    """A fresh API token and the SHA-256 hex under which it is stored."""
    token = "cl_" + secrets.token_urlsafe(32)
    return token, api_token_hash(token)


def api_token_hash(token: str) -> str:
    """The stored form of an API token."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
