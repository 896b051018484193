"""Real processes for fault tests: gunicorn, a throwaway PostgreSQL cluster, a cuttable link.

Every process is started on a free 127.0.0.1 port and stopped by its own PID (or by
``pg_ctl stop`` on its own data directory); nothing here touches the machine's PostgreSQL.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import pytest

from consent.core.notes import generate_signer_key

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
#: Upper bound on any wait for a process; a guard against hangs, not a measurement.
PATIENCE = 60.0


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(predicate, timeout: float = PATIENCE, what: str = "condition") -> None:  # type: ignore[no-untyped-def]
    """Poll ``predicate`` until it holds, or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout} s")
        time.sleep(0.05)


def _answers(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=2).close()
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False
    return True


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


class Gunicorn:
    """The service under ``gunicorn -c gunicorn.conf.py wsgi:app`` on a free port.

    Its stdout and stderr (gunicorn's and the app's logs, the access log included) go to
    ``log``. The port and log key survive a restart, so clients and checkpoints carry on.
    """

    def __init__(
        self, database_url: str, log: Path, workers: int = 2, app: str = "wsgi:app", **env: str
    ) -> None:
        self.app = app
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.workers_wanted = workers
        self.log = log
        self.env = {
            **os.environ,
            "CONSENT_DATABASE_URL": database_url,
            "CONSENT_SECRET_KEY": "fault-test-secret",
            "CONSENT_PUBLIC_URL": self.base,
            "CONSENT_LOG_KEY": generate_signer_key(f"127.0.0.1:{self.port}")[0],
            "CONSENT_BIND": f"127.0.0.1:{self.port}",
            "WEB_CONCURRENCY": str(workers),
            "CONSENT_RATELIMIT_CONSENTS": "100000/minute",
            **env,
        }
        self.env.pop("CONSENT_REDIS_URL", None)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Gunicorn:
        """Start the master and wait until every worker answers."""
        command = [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), self.app]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                command, env=self.env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
            )
        wait_until(lambda: _answers(f"{self.base}/healthz"), what="gunicorn answering")
        wait_until(lambda: len(self.workers()) == self.workers_wanted, what="all workers up")
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def workers(self) -> list[int]:
        """PIDs of the master's live worker processes."""
        try:
            text = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text()
        except OSError:
            return []
        return [pid for pid in map(int, text.split()) if _alive(pid)]

    def kill_workers(self, count: int) -> list[int]:
        """SIGKILL ``count`` workers at once (the master respawns them)."""
        victims = self.workers()[:count]
        for pid in victims:
            os.kill(pid, signal.SIGKILL)
        return victims

    def kill_master_and_restart(self) -> None:
        """SIGKILL the master; its orphaned workers exit on their own; then start anew."""
        orphans = self.workers()
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=PATIENCE)
        wait_until(lambda: not any(_alive(pid) for pid in orphans), what="orphaned workers exiting")
        self.start()

    def stop(self) -> None:
        """SIGTERM the master (graceful), SIGKILL only if it does not stop."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def log_text(self) -> str:
        """Everything gunicorn and the app wrote so far."""
        return self.log.read_text(errors="replace")


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


class Cluster:
    """A throwaway PostgreSQL cluster in a temporary folder, run as the ``postgres`` user."""

    def __init__(self) -> None:
        bin_dir = _pg_bin()
        if bin_dir is None:
            pytest.skip("PostgreSQL server binaries (/usr/lib/postgresql/*/bin) are missing")
        try:
            account = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("no 'postgres' OS user to run a throwaway cluster as")
        if os.geteuid() == 0:
            if shutil.which("runuser") is None:
                pytest.skip("runuser is missing (initdb refuses to run as root)")
            self.as_postgres = ["runuser", "-u", "postgres", "--"]
        elif os.geteuid() == account.pw_uid:
            self.as_postgres = []
        else:
            pytest.skip("a throwaway cluster needs root (runuser) or the postgres user")
        self.bin = bin_dir
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="consent-pg-"))
        os.chown(self.folder, account.pw_uid, account.pw_gid)
        self.data = self.folder / "data"
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        #: Passed on every start: without them the server would try the default port.
        self.options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
            "-c max_connections=60 -c shared_buffers=16MB"
        )

    def _run(self, *args: str) -> None:
        subprocess.run(
            [*self.as_postgres, str(self.bin / args[0]), *args[1:]],
            check=True,
            capture_output=True,
            timeout=PATIENCE,
        )

    def _ctl(self, *args: str) -> None:
        # -l on every call: else the server inherits (and holds open) pg_ctl's stdout pipe.
        log = str(self.folder / "server.log")
        self._run("pg_ctl", "-D", str(self.data), "-l", log, "-w", "-t", "60", *args)

    def start(self) -> Cluster:
        """initdb (first time only) and start, listening on 127.0.0.1 only."""
        if not self.data.exists():
            self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
                      "-E", "UTF8", "--no-sync")  # fmt: skip
        self._ctl("-o", self.options, "start")
        return self

    def restart(self, mode: str) -> None:
        """``pg_ctl restart -m fast|immediate`` (immediate: crash recovery on start)."""
        self._ctl("-m", mode, "-o", self.options, "restart")

    def stop(self, mode: str = "fast") -> None:
        """``pg_ctl stop``; nothing if it is not running."""
        if (self.data / "postmaster.pid").exists():
            self._ctl("-m", mode, "stop")

    def destroy(self) -> None:
        """Stop the cluster and delete its folder."""
        try:
            self.stop("immediate")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


class Link:
    """A TCP relay to a database that a test can cut: ``up``, ``refuse`` or ``blackhole``.

    ``refuse`` and ``blackhole`` also sever every open connection, as a network or server
    failure would; ``blackhole`` then accepts new connections and never answers (what a
    dropped route looks like to a client), so only a connect timeout ends the wait.
    """

    def __init__(self, target_port: int) -> None:
        self.target = ("127.0.0.1", target_port)
        self.mode = "up"
        #: Connections accepted per mode: how often the service tried to reach the database.
        self.accepted: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._server.getsockname()[1])
        self._stopping = False
        threading.Thread(target=self._accept, daemon=True).start()

    def set(self, mode: str) -> None:
        """Switch mode; leaving ``up`` severs every relayed connection."""
        with self._lock:
            self.mode = mode
            if mode != "up":
                for sock in self._open:
                    _close(sock)
                self._open.clear()

    def close(self) -> None:
        """Stop accepting and sever everything."""
        self._stopping = True
        self.set("refuse")
        _close(self._server)

    def _accept(self) -> None:
        while not self._stopping:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            with self._lock:
                mode = self.mode
                self.accepted[mode] += 1
                if mode == "refuse":
                    _close(client)
                    continue
                self._open.append(client)
            if mode == "up":
                threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client: socket.socket) -> None:
        try:
            server = socket.create_connection(self.target, timeout=5)
        except OSError:
            _close(client)
            return
        with self._lock:
            self._open.append(server)
        pair = {client: server, server: client}
        try:
            while True:
                ready, _, _ = select.select(list(pair), [], [], 1.0)
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        return
                    pair[sock].sendall(data)
        except (OSError, ValueError):
            return
        finally:
            _close(client)
            _close(server)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
