"""The embed compressed by the service itself (brotli when the package is there, else gzip),
so a bare ``make run`` sends what production's proxy sends.

Each body is compressed once per ETag and kept in a bounded LRU per worker: the embed is
one body per site (its config differs), the same until the site changes. A compressed
answer carries its own ETag (the plain one with ``-br`` or ``-gz``, as Apache does: a
cache may keep both), ``Content-Encoding`` and ``Vary: Accept-Encoding``; a proxy in front
that compresses too leaves an answer that is already encoded alone.
"""

from __future__ import annotations

import gzip
import threading

from cachetools import LRUCache
from flask import Request, Response, current_app
from werkzeug.wrappers import Response as BaseResponse

try:  # brotli is optional: gzip alone is fine
    import brotli as _brotli
except ImportError:  # pragma: no cover - depends on what is installed
    _brotli = None

#: Bodies kept compressed per worker (per encoding); an embed is a few KiB each.
CACHE_SIZE = 512
#: Below this many bytes compression costs more than it saves.
MIN_SIZE = 256
#: Our preference when a client accepts several encodings equally.
PREFERENCE = ("br", "gzip") if _brotli is not None else ("gzip",)
_SUFFIX = {"br": "br", "gzip": "gz"}


def _encode(encoding: str, body: bytes) -> bytes:
    if encoding == "br":
        assert _brotli is not None
        return bytes(_brotli.compress(body, quality=11))
    return gzip.compress(body, compresslevel=9, mtime=0)


def accepted(header: str | None) -> str | None:
    """The encoding to answer with for an ``Accept-Encoding`` header (RFC 9110 §12.5.3),
    or None for the plain body."""
    weights: dict[str, float] = {}
    for item in (header or "").split(","):
        name, _, params = item.strip().partition(";")
        name = name.strip().lower()
        if not name:
            continue
        weight = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        weights[name] = weight
    wildcard = weights.get("*", 0.0)
    best = [(weights.get(enc, wildcard), -rank, enc) for rank, enc in enumerate(PREFERENCE)]
    weight, _, encoding = max(best)
    return encoding if weight > 0 else None


class Compressed:
    """Compressed bodies by (encoding, ETag), least recently used dropped first."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self._bodies: LRUCache[tuple[str, str], bytes] = LRUCache(maxsize=size)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._bodies)

    def body(self, encoding: str, etag: str, plain: bytes) -> bytes:
        """``plain`` compressed with ``encoding``, computed once per ETag."""
        key = (encoding, etag)
        with self._lock:
            found = self._bodies.get(key)
        if found is None:
            found = _encode(encoding, plain)
            with self._lock:
                self._bodies[key] = found
        return found


def negotiate(response: Response, request: Request) -> BaseResponse:
    """Compress a plain 200 with a strong ETag if the client takes it; then answer 304
    when the client's copy is current. Every answer says it varies by Accept-Encoding."""
    response.vary.add("Accept-Encoding")
    etag, weak = response.get_etag()
    encoding = accepted(request.headers.get("Accept-Encoding"))
    plain = response.get_data()
    if encoding is not None and etag and not weak and len(plain) >= MIN_SIZE:
        response.set_data(_cache().body(encoding, etag, plain))
        response.headers["Content-Encoding"] = encoding
        response.set_etag(f"{etag}-{_SUFFIX[encoding]}")
    return response.make_conditional(request)


def _cache() -> Compressed:
    extensions = current_app.extensions
    cache: Compressed | None = extensions.get("consent_compressed")
    if cache is None:
        cache = extensions["consent_compressed"] = Compressed()
    return cache
