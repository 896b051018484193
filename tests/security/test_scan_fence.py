"""The scan's network fence (consent.scans.fence): the proxy every connection of the scanning
browser goes through connects to the allowed origins only, whatever it is asked."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from consent.scans.fence import Fence, host_port


class _Recorder(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.server.paths.append(self.path)  # type: ignore[attr-defined]
        body = f"served {self.path}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def servers() -> Iterator[tuple[ThreadingHTTPServer, ThreadingHTTPServer]]:
    """An allowed server and a canary, each on its own loopback port."""
    started = []
    for _ in range(2):
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
        server.paths = []  # type: ignore[attr-defined]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        started.append(server)
    yield started[0], started[1]
    for server in started:
        server.shutdown()
        server.server_close()


def _ask(fence: Fence, *messages: bytes) -> bytes:
    """Send each message in turn on one connection to the proxy; everything it answered."""
    port = int(fence.url.rsplit(":", 1)[1])
    answer = b""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        for message in messages:
            conn.sendall(message)
            if message.startswith(b"CONNECT"):
                answer += conn.recv(4096)  # the tunnel's answer before what goes through it
        conn.shutdown(socket.SHUT_WR)
        while chunk := conn.recv(65536):
            answer += chunk
    return answer


def test_only_the_allowed_origins_are_reached(
    servers: tuple[ThreadingHTTPServer, ThreadingHTTPServer],
) -> None:
    allowed, canary = (f"http://127.0.0.1:{s.server_address[1]}" for s in servers)
    with Fence([allowed]) as fence:
        ok = _ask(fence, f"GET {allowed}/page?q=1 HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        assert ok.startswith(b"HTTP/1.0 200") and ok.endswith(b"served /page?q=1")
        tunnel = _ask(
            fence,
            f"CONNECT {allowed.removeprefix('http://')} HTTP/1.1\r\n\r\n".encode(),
            b"GET /through HTTP/1.1\r\nHost: x\r\n\r\n",
        )
        assert tunnel.startswith(b"HTTP/1.1 200 Connection Established")
        assert tunnel.endswith(b"served /through")
        for attempt in (
            f"GET {canary}/direct HTTP/1.1\r\nHost: x\r\n\r\n",
            f"CONNECT {canary.removeprefix('http://')} HTTP/1.1\r\n\r\n",
            f"CONNECT localhost:{canary.rsplit(':', 1)[1]} HTTP/1.1\r\n\r\n",
            "CONNECT 127.0.0.1 HTTP/1.1\r\n\r\n",
        ):
            assert _ask(fence, attempt.encode()).startswith(b"HTTP/1.1 403"), attempt
        for nonsense in (
            f"GET https://{canary.removeprefix('http://')}/ HTTP/1.1\r\n\r\n",
            "GET /relative HTTP/1.1\r\n\r\n",
            "hello\r\n\r\n",
            "GET " + "a" * 70_000,
        ):
            assert _ask(fence, nonsense.encode()).startswith(b"HTTP/1.1 400"), nonsense[:40]
        refused = fence.refused
    assert servers[0].paths == ["/page?q=1", "/through"]  # type: ignore[attr-defined]
    assert servers[1].paths == []  # type: ignore[attr-defined]
    port = canary.rsplit(":", 1)[1]
    assert refused == [f"127.0.0.1:{port}", f"127.0.0.1:{port}", f"localhost:{port}", "?"]


@pytest.mark.parametrize(
    ("origin", "expected"),
    [
        ("https://shop.example", ("shop.example", 443)),
        ("http://127.0.0.1:5000", ("127.0.0.1", 5000)),
        ("https://[::1]:8443", ("::1", 8443)),
        ("HTTP://Shop.Example", ("shop.example", 80)),
    ],
)
def test_origins_become_host_and_port(origin: str, expected: tuple[str, int]) -> None:
    assert host_port(origin) == expected
