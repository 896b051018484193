"""The transparency log's signing key: one for every site, named after the public URL.

Loaded once at start (:func:`load_keys`, by :func:`consent.ledger.transparency.init_app`); the
verifier keys, current first, are what ``/log/key`` publishes.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask, current_app

from consent.config import ConfigError
from consent.core.notes import (
    Signer,
    Verifier,
    generate_signer_key,
    parse_signer_key,
    parse_verifier_key,
)


@dataclass(frozen=True)
class LogKeys:
    """The key that signs every site's checkpoints, and the verifier keys to publish."""

    signer: Signer
    retired: tuple[Verifier, ...]
    netloc: str

    @property
    def verifiers(self) -> tuple[Verifier, ...]:
        """Current key first, then the retired ones."""
        return (self.signer.verifier, *self.retired)


def load_keys(app: Flask) -> None:
    """Load the log key; refuse to start when its name is not the public URL's netloc."""
    netloc = urlsplit(app.config["CONSENT_PUBLIC_URL"]).netloc
    configured = app.config.get("CONSENT_LOG_KEY")
    retired = [parse_verifier_key(v) for v in app.config.get("CONSENT_LOG_KEY_RETIRED", [])]
    if configured:
        signer = parse_signer_key(configured)
    elif app.testing:
        signer = parse_signer_key(generate_signer_key(netloc)[0])  # ephemeral
    elif app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        signer, older = _instance_key(Path(app.instance_path) / "log-keys", netloc)
        retired += older
    else:
        raise ConfigError("CONSENT_LOG_KEY is required on PostgreSQL (instances share the log)")
    if signer.name != netloc:
        raise ConfigError(
            f"the log key is named {signer.name!r}, but CONSENT_PUBLIC_URL's netloc is {netloc!r}"
        )
    app.extensions["consent_log"] = LogKeys(signer, tuple(retired), netloc)


def _instance_key(folder: Path, netloc: str) -> tuple[Signer, list[Verifier]]:
    """The instance's key for ``netloc`` (created once, mode 0600); keys of other names retire."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{netloc.replace('/', '_')}.key"
    if not path.exists():
        # Written whole under another name, then linked into place: a worker starting beside
        # this one sees no file or the whole key, never an empty one; the first link wins.
        fd, draft = tempfile.mkstemp(dir=folder, prefix=".draft-")  # mode 0600
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(generate_signer_key(netloc)[0] + "\n")
            with contextlib.suppress(FileExistsError):
                os.link(draft, path)
        finally:
            os.unlink(draft)
    signer = parse_signer_key(path.read_text().strip())
    older = [
        parse_signer_key(other.read_text().strip()).verifier
        for other in sorted(folder.glob("*.key"))
        if other != path
    ]
    return signer, older


def log_keys() -> LogKeys:
    """This app's log keys."""
    keys: LogKeys = current_app.extensions["consent_log"]
    return keys


def origin(site_key: str) -> str:
    """The log's origin line: ``<netloc of CONSENT_PUBLIC_URL>/log/<site_key>``."""
    return f"{log_keys().netloc}/log/{site_key}"
