"""C2SP signed notes with Ed25519 keys in golang.org/x/mod/sumdb/note's format, and checkpoints.

A checkpoint (C2SP tlog-checkpoint) is the note text ``<origin>\\n<size>\\n<root base64>\\n``;
the service signs one per tree size and anybody with the verifier key can check it with
this module or with Go's ``note.Open``. Imports neither Flask nor SQLAlchemy.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from consent.core.merkle import HASH_SIZE
from consent.core.tlog_errors import BadSignature, Malformed, UnknownKey, WrongOrigin

ALG_ED25519 = 1
#: Go's note.Open gives up on notes with more signatures than this; so do we.
MAX_SIGNATURES = 100
_SIG_PREFIX = "\u2014 "  # em dash, space
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")
_HEX8 = re.compile(r"[0-9a-fA-F]{8}", re.ASCII)
_DECIMAL = re.compile(r"0|[1-9][0-9]*", re.ASCII)


def _b64decode(text: str) -> bytes:
    """Standard base64 with padding, in its one canonical spelling only."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as e:
        raise Malformed(f"not base64: {text[:16]!r}…") from e
    if base64.b64encode(raw).decode("ascii") != text:
        raise Malformed(f"not canonical base64: {text[:16]!r}…")
    return raw


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _check_name(name: str) -> None:
    """A key name is non-empty, without spaces, control characters or ``+`` (as in Go)."""
    if not name or "+" in name or any(ch.isspace() or ch < " " for ch in name):
        raise Malformed(f"invalid key name {name!r}")


def _key_id(name: str, public_key: bytes) -> int:
    """The 32-bit key id: the first 4 bytes of SHA-256(name ‖ "\\n" ‖ 0x01 ‖ public key)."""
    material = name.encode() + b"\n" + bytes([ALG_ED25519]) + public_key
    return int.from_bytes(hashlib.sha256(material).digest()[:4], "big")


@dataclass(frozen=True)
class Verifier:
    """A verifier key: who signs, under which key id, with which Ed25519 public key."""

    name: str
    key_id: int
    public_key: bytes

    @classmethod
    def for_public_key(cls, name: str, public_key: bytes) -> Verifier:
        """The verifier of ``name`` for a raw 32-byte Ed25519 public key."""
        _check_name(name)
        if len(public_key) != 32:
            raise Malformed("an Ed25519 public key is 32 bytes")
        return cls(name, _key_id(name, public_key), public_key)

    @property
    def vkey(self) -> str:
        """The key as text: ``<name>+<key id hex>+<base64(0x01 ‖ public key)>``."""
        return f"{self.name}+{self.key_id:08x}+{_b64(bytes([ALG_ED25519]) + self.public_key)}"

    def verify(self, message: bytes, signature: bytes) -> bool:
        """Whether ``signature`` is this key's Ed25519 signature of ``message``."""
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True


class Signer:
    """A signer key: the name and Ed25519 private key behind ``PRIVATE+KEY+…``; never printed."""

    def __init__(self, name: str, seed: bytes) -> None:
        if len(seed) != 32:
            raise Malformed("an Ed25519 private key seed is 32 bytes")
        self._private = Ed25519PrivateKey.from_private_bytes(seed)
        public = self._private.public_key().public_bytes_raw()
        #: The matching verifier key, to publish at ``/log/key``.
        self.verifier = Verifier.for_public_key(name, public)

    @property
    def name(self) -> str:
        """The key name, which is also the name on every signature line."""
        return self.verifier.name

    @property
    def skey(self) -> str:
        """The key as text: ``PRIVATE+KEY+<name>+<key id hex>+<base64(0x01 ‖ seed)>``."""
        seed = self._private.private_bytes_raw()
        v = self.verifier
        return f"PRIVATE+KEY+{v.name}+{v.key_id:08x}+{_b64(bytes([ALG_ED25519]) + seed)}"

    def sign(self, message: bytes) -> bytes:
        """The Ed25519 signature of ``message``."""
        return self._private.sign(message)

    def __repr__(self) -> str:
        return f"Signer({self.name!r}, key_id={self.verifier.key_id:08x})"


def generate_signer_key(name: str) -> tuple[str, str]:
    """A new random key pair for ``name``: (signer key, verifier key) as text."""
    seed = Ed25519PrivateKey.generate().private_bytes_raw()
    signer = Signer(name, seed)
    return signer.skey, signer.verifier.vkey


def _split_key(rest: str) -> tuple[str, int, bytes]:
    """Name, key id and algorithm-tagged key bytes of ``<name>+<hex>+<base64>``."""
    name, _, rest = rest.partition("+")
    hex_id, _, key64 = rest.partition("+")
    _check_name(name)
    if not _HEX8.fullmatch(hex_id):
        raise Malformed("a key id is 8 hex digits")
    key = _b64decode(key64)
    if len(key) != 33 or key[0] != ALG_ED25519:
        raise Malformed("not an Ed25519 key (0x01 followed by 32 bytes)")
    return name, int(hex_id, 16), key[1:]


def parse_verifier_key(vkey: str) -> Verifier:
    """Read a verifier key in note format; its key id must match its name and key."""
    name, key_id, public_key = _split_key(vkey.strip())
    verifier = Verifier.for_public_key(name, public_key)
    if verifier.key_id != key_id:
        raise Malformed(f"key id {key_id:08x} does not match the key")
    return verifier


def parse_signer_key(skey: str) -> Signer:
    """Read a signer key in note format; its key id must match the derived public key."""
    text = skey.strip()
    if not text.startswith("PRIVATE+KEY+"):
        raise Malformed("a signer key starts with PRIVATE+KEY+")
    name, key_id, seed = _split_key(text.removeprefix("PRIVATE+KEY+"))
    signer = Signer(name, seed)
    if signer.verifier.key_id != key_id:
        raise Malformed(f"key id {key_id:08x} does not match the key")
    return signer


def sign_note(text: str, *signers: Signer) -> str:
    """The signed note: ``text`` (ending in a newline), a blank line, one line per signature."""
    if not text.endswith("\n") or _CONTROL.search(text):
        raise Malformed("note text must end with a newline and hold no control characters")
    message = text.encode()
    lines = [
        f"{_SIG_PREFIX}{s.name} {_b64(s.verifier.key_id.to_bytes(4, 'big') + s.sign(message))}\n"
        for s in signers
    ]
    return text + "\n" + "".join(lines)


@dataclass(frozen=True)
class Note:
    """An opened note: its text and the known keys whose signatures on it verified."""

    text: str
    signed_by: tuple[Verifier, ...]


def _split_note(note: str | bytes) -> tuple[str, list[str]]:
    """The text and signature lines of a note, per C2SP signed-note."""
    try:
        raw = note.decode("utf-8") if isinstance(note, bytes) else note
        raw.encode("utf-8")  # no lone surrogates in a str either
    except UnicodeError as e:
        raise Malformed("a note is UTF-8 text") from e
    split = raw.rfind("\n\n")
    if _CONTROL.search(raw) or split < 0 or not raw.endswith("\n"):
        raise Malformed("not a signed note: text, a blank line, then signature lines")
    lines = raw[split + 2 : -1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise Malformed(f"more than {MAX_SIGNATURES} signatures")
    return raw[: split + 1], lines


def _signature(line: str) -> tuple[str, int, bytes]:
    """Key name, key id and signature of one ``— <name> <base64>`` line."""
    if not line.startswith(_SIG_PREFIX):
        raise Malformed("a signature line starts with an em dash and a space")
    name, _, sig64 = line.removeprefix(_SIG_PREFIX).partition(" ")
    _check_name(name)
    raw = _b64decode(sig64)
    if len(raw) < 5:
        raise Malformed("a signature is a key id and at least one byte")
    return name, int.from_bytes(raw[:4], "big"), raw[4:]


def open_note(note: str | bytes, verifiers: Iterable[Verifier]) -> Note:
    """Check a note's signatures: every known key's must verify, and at least one must exist."""
    text, lines = _split_note(note)
    known = {(v.name, v.key_id): v for v in verifiers}
    verified: dict[tuple[str, int], Verifier] = {}
    unknown: list[tuple[str, int]] = []
    message = text.encode()
    for line in lines:
        name, key_id, signature = _signature(line)
        verifier = known.get((name, key_id))
        if verifier is None:
            unknown.append((name, key_id))
        elif not verifier.verify(message, signature):
            raise BadSignature(name, key_id)
        else:
            verified[name, key_id] = verifier
    if not verified:
        raise UnknownKey(unknown)
    return Note(text, tuple(verified.values()))


@dataclass(frozen=True)
class Checkpoint:
    """A C2SP tlog-checkpoint: which log, how many leaves, and the Merkle root over them."""

    origin: str
    size: int
    root: bytes

    @property
    def text(self) -> str:
        """The checkpoint's note text: origin, size and base64 root, one a line."""
        if not self.origin or _CONTROL.search(self.origin) or "\n" in self.origin:
            raise Malformed(f"invalid origin {self.origin!r}")
        if not 0 <= self.size < 1 << 63 or len(self.root) != HASH_SIZE:
            raise Malformed("a checkpoint has a size in 0..2^63-1 and a 32-byte root")
        return f"{self.origin}\n{self.size}\n{_b64(self.root)}\n"


def parse_checkpoint(text: str) -> Checkpoint:
    """Read checkpoint text; extension lines after the root are allowed and ignored."""
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "" or "" in lines[:-1]:
        raise Malformed("a checkpoint is origin, size and root lines, each ending in a newline")
    origin, size, root64 = lines[:3]
    if not _DECIMAL.fullmatch(size) or int(size) >= 1 << 63:
        raise Malformed(f"checkpoint size {size[:24]!r} is not a canonical decimal")
    root = _b64decode(root64)
    if len(root) != HASH_SIZE:
        raise Malformed("checkpoint root is not 32 bytes")
    return Checkpoint(origin, int(size), root)


def sign_checkpoint(origin: str, size: int, root: bytes, signer: Signer) -> str:
    """The signed note of the checkpoint (origin, size, root)."""
    return sign_note(Checkpoint(origin, size, root).text, signer)


def open_checkpoint(
    note: str | bytes, verifiers: Iterable[Verifier], origin: str | None = None
) -> Checkpoint:
    """Verify a signed checkpoint (and its origin, when given) and return it."""
    checkpoint = parse_checkpoint(open_note(note, verifiers).text)
    if origin is not None and checkpoint.origin != origin:
        raise WrongOrigin(origin, checkpoint.origin)
    return checkpoint
