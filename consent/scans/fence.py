"""The scan's network fence: a forward proxy on 127.0.0.1 that connects only to the allowed
origins, so the scanning browser can reach no other host whatever the page does.

The crawler answers every request to another host locally (a Playwright route), but the
browser follows a redirect of a routed request on its own, unrouted, and a page can open
connections no route sees. Every connection of the browser goes through this proxy
(``<-loopback>`` included), which refuses any host and port that is not allowed.
"""

from __future__ import annotations

import selectors
import socket
import socketserver
import threading
from collections.abc import Iterable
from types import TracebackType
from urllib.parse import urlsplit

_MAX_HEAD = 64 * 1024
_IDLE = 30.0
_REFUSED = b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
_BAD = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
_HOP_BY_HOP = frozenset({"proxy-connection", "connection", "keep-alive", "proxy-authorization"})


def host_port(origin: str) -> tuple[str, int]:
    """``(host, port)`` of an origin, the port defaulted by its scheme."""
    parts = urlsplit(origin)
    default = 443 if parts.scheme in ("https", "wss") else 80
    return (parts.hostname or "").lower(), parts.port or default


def _split_authority(authority: str) -> tuple[str, int] | None:
    host, _, port = authority.rpartition(":")
    if not port.isascii() or not port.isdigit():
        return None
    return host.strip("[]").lower(), int(port)


class _Handler(socketserver.StreamRequestHandler):
    server: _Server
    #: Unbuffered: the request head is read line by line, and nothing after it is held back.
    rbufsize = 0

    def handle(self) -> None:
        head = self._read_head()
        if head is None:
            self.wfile.write(_BAD)
            return
        method, target, version, headers = head
        if method == "CONNECT":
            where = _split_authority(target)
            self._tunnel(where, b"HTTP/1.1 200 Connection Established\r\n\r\n")
            return
        parts = urlsplit(target)
        if parts.scheme != "http" or not parts.hostname:
            self.wfile.write(_BAD)
            return
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        kept = [line for line in headers if line.split(":", 1)[0].lower() not in _HOP_BY_HOP]
        request = "\r\n".join([f"{method} {path} {version}", *kept, "Connection: close", "", ""])
        self._tunnel((parts.hostname.lower(), parts.port or 80), None, request.encode("latin-1"))

    def _read_head(self) -> tuple[str, str, str, list[str]] | None:
        lines: list[str] = []
        size = 0
        while True:
            line = self.rfile.readline(_MAX_HEAD)
            size += len(line)
            if not line or size > _MAX_HEAD:
                return None
            text = line.decode("latin-1").rstrip("\r\n")
            if not text:
                break
            lines.append(text)
        words = lines[0].split(" ") if lines else []
        if len(words) != 3:
            return None
        return words[0], words[1], words[2], lines[1:]

    def _tunnel(
        self, where: tuple[str, int] | None, greeting: bytes | None, first: bytes = b""
    ) -> None:
        if where is None or where not in self.server.allowed:
            self.server.refused.append(f"{where[0]}:{where[1]}" if where else "?")
            self.wfile.write(_REFUSED)
            return
        try:
            upstream = socket.create_connection(where, timeout=15)
        except OSError:
            self.wfile.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            return
        with upstream:
            if greeting:
                self.wfile.write(greeting)
            if first:
                upstream.sendall(first)
            _pipe(self.connection, upstream)


def _pipe(client: socket.socket, upstream: socket.socket) -> None:
    """Copy bytes both ways until both sides have closed (a half-close is passed on) or
    nothing moved for a while."""
    with selectors.DefaultSelector() as selector:
        selector.register(client, selectors.EVENT_READ, (client, upstream))
        selector.register(upstream, selectors.EVENT_READ, (upstream, client))
        while selector.get_map():
            ready = selector.select(_IDLE)
            if not ready:
                return
            for key, _ in ready:
                source, target = key.data
                try:
                    data = source.recv(65536)
                    if data:
                        target.sendall(data)
                        continue
                    selector.unregister(source)
                    target.shutdown(socket.SHUT_WR)
                except OSError:
                    return


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, allowed: frozenset[tuple[str, int]]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.allowed = allowed
        self.refused: list[str] = []


class Fence:
    """The proxy, running while the ``with`` block runs; ``url`` is what the browser uses."""

    def __init__(self, origins: Iterable[str]) -> None:
        self._server = _Server(frozenset(host_port(origin) for origin in origins))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The proxy's address for the browser: ``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def refused(self) -> list[str]:
        """``host:port`` of every connection refused so far."""
        return list(self._server.refused)

    def __enter__(self) -> Fence:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
