"""Throwaway Redis servers for fault tests: a real one on a free loopback port, stopped and
restarted by its own PID, and a black hole (a socket that accepts and never answers)."""

from __future__ import annotations

import contextlib
import shutil
import signal
import socket
import subprocess
import threading
from pathlib import Path

import pytest
from flask import Flask

from .servers import free_port, wait_until


def stop_redis_use(app: Flask) -> None:
    """End an app's Redis threads (the site-change subscriber, the link's re-check), so a
    test's Redis going away leaves nothing pinging it for the rest of the session."""
    subscriber = app.extensions.get("consent_site_changes")
    if subscriber is not None:
        subscriber.stop()
    link = app.extensions.get("consent_redis")
    if link is not None:
        link.close()


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    """``redis-server`` on a free 127.0.0.1 port, keeping nothing on disk."""

    def __init__(self, folder: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server is not installed")
        self.binary, self.folder = binary, folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start it (on the same port as before) and wait until it answers PING."""
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1"]
        args += ["--save", "", "--appendonly", "no", "--dir", str(self.folder)]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL)
        wait_until(lambda: _answers(self.port), what="redis-server answering")

    def stop(self) -> None:
        """Stop it by its PID and wait until the port refuses."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=30)
        self.process = None


class BlackHole:
    """A listening socket that accepts connections and never answers; counts them."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = f"redis://127.0.0.1:{self.sock.getsockname()[1]}/0"
        self.accepted: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                conn, _ = self.sock.accept()
                self.accepted.append(conn)

    def close(self) -> None:
        """Close the listener and every accepted connection."""
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread
        self.sock.close()
        for conn in self.accepted:
            conn.close()
