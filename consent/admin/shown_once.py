"""A secret shown once, after a redirect: a new API token or a new member's one-time password
goes from the POST that made it to the page that shows it in the session cookie, encrypted
(Flask's session is signed, not encrypted), and is gone once shown. Reloading that page then
neither shows it again nor sends the form again (which made a second token)."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app, session

#: How long a kept secret waits for its page (seconds); the browser follows the redirect at once.
WAIT = 300


def _fernet() -> Fernet:
    secret = current_app.config["SECRET_KEY"]
    secret = secret.encode() if isinstance(secret, str) else secret
    key = hashlib.sha256(b"consent-ledger shown once\0" + secret).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def keep(name: str, value: dict[str, Any]) -> None:
    """Keep ``value`` for the next page that takes ``name``."""
    session[f"once.{name}"] = _fernet().encrypt(json.dumps(value).encode()).decode()


def take(name: str) -> dict[str, Any] | None:
    """What was kept under ``name``, once (None if nothing, or if it waited too long)."""
    kept = session.pop(f"once.{name}", None)
    if not isinstance(kept, str):
        return None
    try:
        value = json.loads(_fernet().decrypt(kept.encode(), ttl=WAIT))
    except (InvalidToken, ValueError):
        return None
    return value if isinstance(value, dict) else None
