"""RFC 8785 (JSON Canonicalization Scheme) serialisation and the hashes built on it."""

from __future__ import annotations

import hashlib
from typing import Any

import rfc8785


def canonical(value: Any) -> bytes:
    """Serialise ``value`` as RFC 8785 canonical JSON (UTF-8 bytes)."""
    return rfc8785.dumps(value)


def sha256_hex(data: bytes) -> str:
    """SHA-256 of ``data`` as 64 lower-case hex digits."""
    return hashlib.sha256(data).hexdigest()


def digest(value: Any) -> str:
    """SHA-256 hex of the canonical JSON of ``value``."""
    return sha256_hex(canonical(value))


def salted_digest(salt: bytes, value: Any) -> str:
    """SHA-256 hex of ``salt`` followed by the canonical JSON of ``value``."""
    return sha256_hex(salt + canonical(value))
