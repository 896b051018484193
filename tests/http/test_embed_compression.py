"""The service compresses the embed itself: brotli or gzip as the client accepts, computed
once per ETag, with its own ETag per encoding and ``Vary: Accept-Encoding``."""

from __future__ import annotations

import gzip

import brotli
import pytest
from flask import Flask
from flask.testing import FlaskClient

from consent.visitor import compression
from consent.visitor.compression import Compressed, accepted

DECODE = {"br": brotli.decompress, "gzip": gzip.decompress}


@pytest.mark.parametrize(
    ("header", "chosen"),
    [
        (None, None),
        ("", None),
        ("identity", None),
        ("gzip", "gzip"),
        ("gzip, deflate, br", "br"),
        ("br;q=0.5, gzip", "gzip"),
        ("GZIP;Q=1", "gzip"),
        ("br;q=0", None),
        ("*", "br"),
        ("*;q=0, gzip", "gzip"),
        ("br;q=nonsense, gzip;q=0.1", "gzip"),
        ("deflate, compress", None),
    ],
)
def test_accept_encoding(header: str | None, chosen: str | None) -> None:
    assert accepted(header) == chosen


def _paths(client: FlaskClient, site: str) -> list[str]:
    build = client.get("/embed/builds").json["items"][0]["build"]
    return [f"/embed/{site}.js", "/embed/banner.css", f"/embed/builds/{build}.js"]


@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_compressed_bodies_decode_to_the_plain_one(
    client: FlaskClient, site: str, encoding: str
) -> None:
    client.get(f"/embed/{site}.js")  # records the build
    for path in _paths(client, site):
        plain = client.get(path)
        assert plain.status_code == 200
        assert "Content-Encoding" not in plain.headers
        assert "Accept-Encoding" in plain.headers["Vary"]
        packed = client.get(path, headers={"Accept-Encoding": encoding})
        assert packed.status_code == 200, path
        assert packed.headers["Content-Encoding"] == encoding
        assert "Accept-Encoding" in packed.headers["Vary"]
        assert DECODE[encoding](packed.data) == plain.data
        assert len(packed.data) < len(plain.data) / 2
        assert int(packed.headers["Content-Length"]) == len(packed.data)
        assert packed.headers["Content-Type"] == plain.headers["Content-Type"]


def test_each_encoding_has_its_etag_and_answers_304(client: FlaskClient, site: str) -> None:
    path = f"/embed/{site}.js"
    plain = client.get(path).headers["ETag"]
    etags = {"identity": plain}
    for encoding in ("br", "gzip"):
        answer = client.get(path, headers={"Accept-Encoding": encoding})
        etags[encoding] = answer.headers["ETag"]
        again = client.get(
            path, headers={"Accept-Encoding": encoding, "If-None-Match": answer.headers["ETag"]}
        )
        assert again.status_code == 304 and again.data == b""
        assert "Accept-Encoding" in again.headers["Vary"]
    assert len(set(etags.values())) == 3
    assert etags["br"] == plain[:-1] + '-br"' and etags["gzip"] == plain[:-1] + '-gz"'
    # A copy in another encoding is not current for this one.
    other = client.get(path, headers={"Accept-Encoding": "gzip", "If-None-Match": etags["br"]})
    assert other.status_code == 200 and other.headers["Content-Encoding"] == "gzip"


def test_computed_once_per_etag(
    app: Flask, client: FlaskClient, site: str, other_site: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real = compression._encode

    def counted(encoding: str, body: bytes) -> bytes:
        calls.append(encoding)
        return real(encoding, body)

    monkeypatch.setattr(compression, "_encode", counted)
    for _ in range(3):
        for key in (site, other_site):
            assert client.get(f"/embed/{key}.js", headers={"Accept-Encoding": "br"}).status_code
    # Two sites, two bodies: compressed once each, however often asked.
    assert calls == ["br", "br"]
    assert len(app.extensions["consent_compressed"]) == 2


def test_the_cache_is_bounded() -> None:
    cache = Compressed(size=2)
    for number in range(5):
        body = f"console.log({number});".encode() * 50
        assert gzip.decompress(cache.body("gzip", f"etag-{number}", body)) == body
    assert len(cache) == 2


def test_an_unknown_site_is_not_compressed(client: FlaskClient) -> None:
    answer = client.get("/embed/nope.js", headers={"Accept-Encoding": "br"})
    assert answer.status_code == 404 and "Content-Encoding" not in answer.headers
