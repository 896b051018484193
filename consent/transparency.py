"""Each site's receipts as a transparency log: tiles in the database, signed checkpoints.

The pure rules live in :mod:`consent.tlog` (Merkle tree, tiles, proofs) and
:mod:`consent.notes` (keys, signed notes); this module stores tiles inside the append's
transaction and answers checkpoints and proofs from them, reading O(log n) rows.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app
from sqlalchemy import Connection, func, select
from sqlalchemy.dialects import postgresql, sqlite

from .config import ConfigError
from .models import LogTile, Receipt
from .notes import Signer, Verifier, generate_signer_key, parse_signer_key, parse_verifier_key
from .notes import sign_checkpoint as _sign
from .tlog import TileReader, TileWrite, append_leaves, inclusion_proof, leaf_hash, tree_root

_T = LogTile.__table__
_R = Receipt.__table__


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


def init_app(app: Flask) -> None:
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
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass  # another worker of this instance made it first
    else:
        with os.fdopen(fd, "w") as handle:
            handle.write(generate_signer_key(netloc)[0] + "\n")
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


def reader(conn: Connection, site_id: int) -> TileReader:
    """Read a site's tiles (``b""`` when absent), each row at most once per reader."""
    cache: dict[tuple[int, int], bytes] = {}

    def read(level: int, index: int) -> bytes:
        if (level, index) not in cache:
            row = conn.execute(
                select(_T.c.hashes).where(
                    _T.c.site_id == site_id, _T.c.level == level, _T.c.idx == index
                )
            ).scalar()
            cache[level, index] = bytes(row) if row is not None else b""
        return cache[level, index]

    return read


def append(conn: Connection, site_id: int, size: int, hashes: list[str]) -> TileReader:
    """Add receipt hashes as leaves after ``size``, inside the caller's transaction."""
    read = reader(conn, site_id)
    writes = append_leaves(read, size, [leaf_hash(bytes.fromhex(h)) for h in hashes])
    _upsert(conn, site_id, writes)
    written = {(w.level, w.index): w.data for w in writes}
    return lambda level, index: written.get((level, index)) or read(level, index)


def _upsert(conn: Connection, site_id: int, writes: list[TileWrite]) -> None:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    for write in writes:
        statement = dialect.insert(_T).values(
            site_id=site_id, level=write.level, idx=write.index, hashes=write.data
        )
        conn.execute(
            statement.on_conflict_do_update(
                index_elements=[_T.c.site_id, _T.c.level, _T.c.idx],
                set_={"hashes": statement.excluded.hashes},
            )
        )


def checkpoint(site_key: str, size: int, read: TileReader) -> str:
    """The signed checkpoint of a site's log at ``size``."""
    return _sign(origin(site_key), size, tree_root(read, size), log_keys().signer)


def proof(
    site_key: str, seq: int, size: int, read: TileReader, signed: str | None = None
) -> dict[str, Any]:
    """Receipt ``seq``'s inclusion proof in the tree of ``size``, with that checkpoint."""
    path = inclusion_proof(read, seq - 1, size)
    return {
        "leaf_index": seq - 1,
        "tree_size": size,
        "inclusion": [b64(node) for node in path],
        "checkpoint": signed or checkpoint(site_key, size, read),
    }


def current_proofs(site_key: str, site_id: int, seqs: list[int]) -> dict[int, dict[str, Any]]:
    """Inclusion proofs of several receipts against the current checkpoint, signed once."""
    from .extensions import db

    with db.engine.connect() as conn:
        read, now = reader(conn, site_id), size(conn, site_id)
        signed = checkpoint(site_key, now, read)
        return {seq: proof(site_key, seq, now, read, signed) for seq in seqs}


def b64(node: bytes) -> str:
    """A hash as proofs carry it: standard base64 with padding."""
    return base64.b64encode(node).decode()


def size(conn: Connection, site_id: int) -> int:
    """The current tree size: the site's newest seq."""
    return int(
        conn.execute(select(func.max(_R.c.seq)).where(_R.c.site_id == site_id)).scalar() or 0
    )
