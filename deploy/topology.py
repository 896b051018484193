"""The reference topology on one machine, for tests and demos; torn down by PID.

    .venv/bin/python deploy/topology.py up [--dir DIR] [--state-ttl S] [--replica]
    .venv/bin/python deploy/topology.py down [--dir DIR]

``up`` brings up, each on a free 127.0.0.1 port and in DIR (default
/tmp/consent-topology): a throwaway PostgreSQL primary (initdb; roles consent_owner, who
migrates, and consent_app, with docs/postgres-grants.sql), optionally a streaming replica
(pg_basebackup -R), a throwaway redis-server, two app instances (gunicorn -c
gunicorn.conf.py, 2 workers each), nginx in front (its own prefix and config, which
includes deploy/nginx/consent-proxy.conf), and one ``consent worker`` (site scans). It
writes DIR/consent.env (source it to run ``consent`` commands against the cluster) and
DIR/state.json (every PID), and prints the URLs. ``down`` stops each process by its PID
and removes DIR. Debian's nginx, postgresql and redis-server packages are
installed when missing (as root; apt-get update first).

Run it with the project's virtualenv Python: gunicorn and ``consent`` are taken from
beside it. Tests drive :class:`Topology` directly.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
BIN = Path(sys.executable).parent
DEFAULT_DIR = Path("/tmp/consent-topology")
#: Upper bound on any wait for a process (a guard against hangs, not a measurement).
PATIENCE = 60.0
NGINX = "/usr/sbin/nginx"
BROTLI_MODULE = "/usr/lib/nginx/modules/ngx_http_brotli_filter_module.so"
#: Debian packages by what they provide.
PACKAGES = {"nginx": "nginx", "redis-server": "redis-server", "postgres": "postgresql"}
OPTIONAL_PACKAGES = ("libnginx-mod-http-brotli-filter",)


class TopologyError(RuntimeError):
    """The topology cannot be brought up (or down) on this machine."""


class MissingPackages(TopologyError):
    """Debian packages are missing and cannot be installed here."""


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie does not count)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def children(pid: int) -> list[int]:
    """The live child processes of ``pid``."""
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [child for child in map(int, text.split()) if alive(child)]


def wait_until(predicate, what: str, timeout: float = PATIENCE) -> None:  # type: ignore[no-untyped-def]
    """Poll ``predicate`` until it holds, or raise after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TopologyError(f"{what}: not reached within {timeout:.0f} s")
        time.sleep(0.05)


def answers(url: str) -> bool:
    """Whether an HTTP server answers ``url`` (any status)."""
    try:
        urllib.request.urlopen(url, timeout=2).close()  # noqa: S310 (loopback only)
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False
    return True


def redis_answers(port: int) -> bool:
    """Whether a Redis server on ``port`` answers PING."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def pg_bin() -> Path | None:
    """Debian's PostgreSQL server binaries (the newest installed major version)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def missing_packages() -> list[str]:
    """The Debian packages this machine lacks for the topology."""
    have = {
        "nginx": Path(NGINX).exists(),
        "redis-server": shutil.which("redis-server") is not None,
        "postgres": pg_bin() is not None,
    }
    return [PACKAGES[name] for name, found in have.items() if not found]


def ensure_packages() -> None:
    """Install Debian's nginx, redis-server and postgresql when missing (root only), and
    the brotli filter for nginx when the distribution has it; their services stay off."""
    missing = missing_packages()
    if missing and os.geteuid() != 0:
        raise MissingPackages(
            f"missing Debian packages: {' '.join(missing)} (apt-get install them as root)"
        )
    optional = [name for name in OPTIONAL_PACKAGES if not Path(BROTLI_MODULE).exists()]
    if not missing and (not optional or os.geteuid() != 0 or not shutil.which("apt-get")):
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    guard = Path("/usr/sbin/policy-rc.d")
    made_guard = not guard.exists()
    if made_guard:  # keep the packages' own services (port 80, 5432, 6379) from starting
        guard.write_text("#!/bin/sh\nexit 101\n")
        guard.chmod(0o755)
    try:
        _apt(["apt-get", "update", "-qq"], env)
        if missing:
            _apt(["apt-get", "install", "-y", "-qq", *missing], env)
        with contextlib.suppress(MissingPackages):  # brotli is a bonus
            _apt(["apt-get", "install", "-y", "-qq", *optional], env)
    finally:
        if made_guard:
            guard.unlink()
    if missing_packages():
        raise MissingPackages(f"still missing after apt-get: {' '.join(missing_packages())}")


def _apt(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        raise MissingPackages(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")


@dataclass
class Service:
    """One process of the topology: what it is, its PID, and the signal that stops it."""

    name: str
    pid: int
    stop_signal: int = signal.SIGTERM
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def stop(self, timeout: float = 30.0) -> None:
        """Signal it, wait for it to exit (SIGKILL after ``timeout``), reap it if ours."""
        if alive(self.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, self.stop_signal)
            deadline = time.monotonic() + timeout
            while alive(self.pid) and time.monotonic() < deadline:
                if self.process is not None and self.process.poll() is not None:
                    break
                time.sleep(0.05)
            if alive(self.pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.pid, signal.SIGKILL)
        if self.process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=timeout)
        wait_until(lambda: not alive(self.pid), f"{self.name} (PID {self.pid}) exiting")


class Topology:
    """PostgreSQL (+ replica), Redis, two app instances and nginx, in one folder."""

    def __init__(
        self,
        folder: Path = DEFAULT_DIR,
        *,
        state_ttl: float | None = None,
        redis_recheck: float | None = None,
        replica: bool = False,
        env: dict[str, str] | None = None,
    ) -> None:
        self.folder = Path(folder)
        self.replica = replica
        self.ports = {
            name: free_port() for name in ("postgres", "replica", "redis", "a", "b", "nginx")
        }
        self.url = f"http://127.0.0.1:{self.ports['nginx']}"
        self.instances = {name: f"http://127.0.0.1:{self.ports[name]}" for name in ("a", "b")}
        self.services: dict[str, Service] = {}
        self.pg = pg_bin()
        self.extra_env = dict(env or {})
        if state_ttl is not None:
            self.extra_env["CONSENT_STATE_TTL"] = str(state_ttl)
        if redis_recheck is not None:
            self.extra_env["CONSENT_REDIS_RECHECK"] = str(redis_recheck)
        self.notes: list[str] = []
        #: The CONSENT_* settings every process of the cluster shares (consent.env).
        self.settings: dict[str, str] = {}
        #: PostgreSQL's folders and nginx's prefix: in /tmp, where the postgres and
        #: www-data users can reach them (a test's tmp_path is private to root).
        self.scratch: Path | None = None

    # -- the whole ------------------------------------------------------------------------

    def up(self) -> Topology:
        """Install what is missing, then start everything (stopping all again on failure)."""
        ensure_packages()
        self.pg = pg_bin()
        if self.folder.exists():
            raise TopologyError(f"{self.folder} exists: `down` it first, or choose another")
        self.folder.mkdir(parents=True)
        self.scratch = Path(tempfile.mkdtemp(prefix="consent-topology-"))
        self.scratch.chmod(0o755)
        try:
            self._start_postgres()
            if self.replica:
                self._start_replica()
            self._start_redis()
            self._write_env()
            self.consent("init-db", env=self._env(self.owner_url))
            self._psql("consent_owner", "consent", "-f", str(ROOT / "docs/postgres-grants.sql"))
            for name in ("a", "b"):  # both boot at once, then each is waited for
                self._spawn_instance(name)
            for name in ("a", "b"):
                self._await_instance(name)
            self._start_nginx()
            self._start_worker()
        except BaseException:
            self.down()
            raise
        self._save()
        return self

    def down(self) -> None:
        """Stop every process by its PID (nginx first, PostgreSQL last); remove the folder."""
        order = ["nginx", "worker", "a", "b", "redis", "replica", "postgres"]
        for name in order:
            service = self.services.pop(name, None)
            if service is not None:
                service.stop()
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)
        shutil.rmtree(self.folder, ignore_errors=True)

    def pids(self) -> dict[str, list[int]]:
        """Every live PID by service, the children included (gunicorn and nginx workers,
        PostgreSQL's backends)."""
        return {
            name: [service.pid, *children(service.pid)]
            for name, service in self.services.items()
            if alive(service.pid)
        }

    # -- one at a time (tests stop and start Redis, an instance) --------------------------

    def stop(self, name: str) -> None:
        """Stop one service by its PID."""
        self.services.pop(name).stop()

    def kill(self, name: str) -> None:
        """SIGKILL a service with its children, as a crash would (an instance's gunicorn
        master and workers are one process group: each service starts in its own session)."""
        service = self.services.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(service.pid, signal.SIGKILL)
        if service.process is not None:
            service.process.wait(timeout=PATIENCE)
        wait_until(lambda: not alive(service.pid), f"{name} (PID {service.pid}) killed")
        self._save()

    def start_instance(self, name: str) -> None:
        """Start app instance ``name`` again on its port (after a stop or a kill)."""
        self._spawn_instance(name)
        self._await_instance(name)
        self._save()

    def restart_postgres(self) -> None:
        """Stop the primary (a fast shutdown) and start it again on the same data."""
        self.stop("postgres")
        assert self.scratch is not None
        self._pg_start("postgres", self.scratch / "postgres")
        self._save()

    def start_redis(self) -> None:
        """Start Redis again on the same port (empty: it keeps nothing on disk)."""
        self._start_redis()
        self._save()

    def consent(self, *args: str, env: dict[str, str] | None = None) -> str:
        """Run ``consent ARGS`` against the cluster (as the app role); its stdout."""
        done = subprocess.run(
            [str(BIN / "consent"), *args],
            env=env or self._env(),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=PATIENCE * 2,
        )
        if done.returncode != 0:
            raise TopologyError(f"consent {' '.join(args)} failed:\n{done.stderr[-3000:]}")
        return done.stdout

    # -- PostgreSQL -----------------------------------------------------------------------

    @property
    def owner_url(self) -> str:
        return f"postgresql+psycopg://consent_owner@127.0.0.1:{self.ports['postgres']}/consent"

    @property
    def app_url(self) -> str:
        return f"postgresql+psycopg://consent_app@127.0.0.1:{self.ports['postgres']}/consent"

    @property
    def replica_url(self) -> str:
        return f"postgresql+psycopg://consent_app@127.0.0.1:{self.ports['replica']}/consent"

    def _as_postgres(self) -> list[str]:
        if os.geteuid() != 0:
            return []  # initdb runs as whoever we are, just not as root
        try:
            pwd.getpwnam("postgres")
        except KeyError as error:
            raise TopologyError("no 'postgres' OS user to run the throwaway cluster") from error
        return ["runuser", "-u", "postgres", "--"]

    def _pg(self, *args: str) -> None:
        assert self.pg is not None
        done = subprocess.run(
            [*self._as_postgres(), str(self.pg / args[0]), *args[1:]],
            capture_output=True,
            text=True,
            timeout=PATIENCE * 2,
        )
        if done.returncode != 0:
            raise TopologyError(f"{args[0]} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")

    def _pg_folder(self, name: str) -> Path:
        assert self.scratch is not None
        folder = self.scratch / name
        folder.mkdir()
        if os.geteuid() == 0:
            account = pwd.getpwnam("postgres")
            os.chown(folder, account.pw_uid, account.pw_gid)
        return folder

    def _pg_start(self, name: str, folder: Path) -> None:
        port = self.ports[name]
        options = (
            f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c max_connections=100 "
            "-c shared_buffers=32MB -c fsync=off -c synchronous_commit=off"
        )
        # -l: else the server would hold pg_ctl's stdout pipe open.
        self._pg("pg_ctl", "-D", str(folder / "data"), "-l", str(folder / "server.log"),
                 "-w", "-t", "60", "-o", options, "start")  # fmt: skip
        pid = int((folder / "data" / "postmaster.pid").read_text().split()[0])
        self.services[name] = Service(name, pid, signal.SIGINT)  # SIGINT: a fast shutdown

    def _start_postgres(self) -> None:
        folder = self._pg_folder("postgres")
        self._pg("initdb", "-D", str(folder / "data"), "-U", "postgres", "--auth=trust",
                 "-E", "UTF8", "--no-sync")  # fmt: skip
        self._pg_start("postgres", folder)
        for statement in (
            "CREATE ROLE consent_owner LOGIN",
            "CREATE ROLE consent_app LOGIN",
            "CREATE DATABASE consent OWNER consent_owner",
        ):
            self._psql("postgres", "postgres", "-c", statement)

    def _start_replica(self) -> None:
        folder = self._pg_folder("replica")
        self._pg("pg_basebackup", "-h", "127.0.0.1", "-p", str(self.ports["postgres"]),
                 "-U", "postgres", "-D", str(folder / "data"), "-R", "-X", "stream", "-c", "fast",
                 "--no-sync")  # fmt: skip
        self._pg_start("replica", folder)

    def _psql(self, user: str, database: str, *args: str) -> None:
        self._pg("psql", "-h", "127.0.0.1", "-p", str(self.ports["postgres"]), "-U", user,
                 "-d", database, "-v", "ON_ERROR_STOP=1", "-q", *args)  # fmt: skip

    # -- Redis, the app, nginx, the worker ------------------------------------------------

    def _start_redis(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise MissingPackages("redis-server is not installed")
        port = self.ports["redis"]
        log = self.folder / "redis.log"
        process = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder), "--logfile", str(log)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        self.services["redis"] = Service("redis", process.pid, process=process)
        wait_until(lambda: redis_answers(port), "redis-server answering PING")

    def _env(self, database_url: str | None = None) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith("CONSENT_")}
        env.update(self.settings)
        if database_url is not None:
            env["CONSENT_DATABASE_URL"] = database_url
        return env

    def _write_env(self) -> None:
        sys.path.insert(0, str(ROOT))  # the key's format is the project's own (pure code)
        from consent.core.notes import generate_signer_key

        log_key = generate_signer_key(f"127.0.0.1:{self.ports['nginx']}")[0]
        self.settings = {
            "CONSENT_DATABASE_URL": self.app_url,
            "CONSENT_REDIS_URL": f"redis://127.0.0.1:{self.ports['redis']}/0",
            "CONSENT_SECRET_KEY": secrets.token_urlsafe(32),
            "CONSENT_PUBLIC_URL": self.url,
            "CONSENT_LOG_KEY": log_key,
            "CONSENT_TRUSTED_PROXIES": "1",
            **({"CONSENT_READ_DATABASE_URL": self.replica_url} if self.replica else {}),
            **self.extra_env,
        }
        lines = [f"{key}={value}" for key, value in self.settings.items()]
        (self.folder / "consent.env").write_text("\n".join(lines) + "\n")

    def _spawn_instance(self, name: str) -> None:
        env = {**self._env(), "CONSENT_BIND": f"127.0.0.1:{self.ports[name]}"}
        env["WEB_CONCURRENCY"] = "2"
        with (self.folder / f"app-{name}.log").open("ab") as log:
            process = subprocess.Popen(
                [
                    str(BIN / "gunicorn"),
                    "-c",
                    str(ROOT / "gunicorn.conf.py"),
                    *self._control_socket(name),
                    "wsgi:app",
                ],
                env=env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.services[name] = Service(name, process.pid, process=process)

    def _await_instance(self, name: str) -> None:
        base, pid = self.instances[name], self.services[name].pid
        try:
            wait_until(lambda: answers(f"{base}/healthz"), f"instance {name} answering")
            wait_until(lambda: len(children(pid)) == 2, f"instance {name}'s 2 workers")
        except TopologyError as error:
            # What gunicorn said (a worker that fails to boot, or is killed at its timeout).
            log = (self.folder / f"app-{name}.log").read_text(errors="replace")
            raise TopologyError(
                f"{error}; its workers now {children(pid)}; its log ends:\n{log[-3000:]}"
            ) from error

    def _control_socket(self, name: str) -> list[str]:
        """Each instance's own control socket (gunicorn 24+ shares one path by default)."""
        help_text = subprocess.run(
            [str(BIN / "gunicorn"), "--help"], capture_output=True, text=True, timeout=PATIENCE
        ).stdout
        if "--control-socket" not in help_text:
            return []
        return ["--control-socket", str(self.folder / f"gunicorn-{name}.ctl")]

    def _nginx_config(self) -> Path:
        assert self.scratch is not None
        prefix = self.scratch / "nginx"
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (prefix / "tmp" / sub).mkdir(parents=True, exist_ok=True)
        user = ""
        if os.geteuid() == 0:  # its workers drop to www-data: they write the temp folders
            account = pwd.getpwnam("www-data")
            for path in [prefix / "tmp", *(prefix / "tmp").iterdir()]:
                os.chown(path, account.pw_uid, account.pw_gid)
            user = "user www-data;"
        brotli = Path(BROTLI_MODULE).exists()
        upstream = "\n".join(
            f"        server 127.0.0.1:{self.ports[name]} max_fails=1 fail_timeout=5s;"
            for name in ("a", "b")
        )
        config = f"""# Written by deploy/topology.py; the proxy rules are deploy/nginx's.
{f"load_module {BROTLI_MODULE};" if brotli else ""}
{user}
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/tmp/body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;
    {f"include {DEPLOY}/nginx/brotli.conf;" if brotli else ""}
    upstream consent_app {{
{upstream}
        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{self.ports["nginx"]};
        server_name localhost;
        include {DEPLOY}/nginx/consent-proxy.conf;
    }}
}}
"""
        path = prefix / "nginx.conf"
        path.write_text(config)
        return path

    def _start_nginx(self) -> None:
        config = self._nginx_config()
        prefix = config.parent
        command = [NGINX, "-p", str(prefix), "-c", str(config), "-e", str(prefix / "error.log")]
        check = subprocess.run([*command, "-t"], capture_output=True, text=True, timeout=30)
        if check.returncode != 0:
            raise TopologyError(f"nginx -t refused the config:\n{check.stderr}")
        process = subprocess.Popen(
            [*command, "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.services["nginx"] = Service("nginx", process.pid, signal.SIGQUIT, process)
        wait_until(lambda: answers(f"{self.url}/healthz"), "nginx answering")

    def _start_worker(self) -> None:
        """One ``consent worker``: the instances put site scans on Redis's queue."""
        with (self.folder / "worker.log").open("ab") as log:
            process = subprocess.Popen(
                [str(BIN / "consent"), "worker"],
                env=self._env(),
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.services["worker"] = Service("worker", process.pid, process=process)

    # -- state, for `down` from another process -------------------------------------------

    def _save(self) -> None:
        state = {
            "url": self.url,
            "instances": self.instances,
            "ports": self.ports,
            "services": {
                name: {"pid": s.pid, "signal": int(s.stop_signal)}
                for name, s in self.services.items()
            },
            "notes": self.notes,
            "scratch": str(self.scratch),
        }
        (self.folder / "state.json").write_text(json.dumps(state, indent=2) + "\n")

    @classmethod
    def load(cls, folder: Path) -> Topology:
        """The topology a ``up`` in another process left in ``folder``."""
        state = json.loads((folder / "state.json").read_text())
        topology = cls.__new__(cls)
        topology.folder, topology.url = folder, state["url"]
        topology.instances, topology.ports = state["instances"], state["ports"]
        topology.notes, topology.scratch = state["notes"], Path(state["scratch"])
        topology.services = {
            name: Service(name, entry["pid"], signal.Signals(entry["signal"]))
            for name, entry in state["services"].items()
        }
        return topology


def main(argv: list[str] | None = None) -> int:
    """``up`` or ``down`` from the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["up", "down"])
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--state-ttl", type=float, default=None)
    parser.add_argument("--replica", action="store_true", help="add a streaming replica")
    args = parser.parse_args(argv)
    try:
        if args.action == "down":
            if not (args.dir / "state.json").exists():
                print(f"nothing to stop: no {args.dir / 'state.json'}", file=sys.stderr)
                return 1
            Topology.load(args.dir).down()
            print("stopped")
            return 0
        topology = Topology(args.dir, state_ttl=args.state_ttl, replica=args.replica).up()
    except TopologyError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"nginx:      {topology.url}")
    for name, base in topology.instances.items():
        print(f"instance {name}: {base}")
    print(f"settings:   set -a; . {args.dir / 'consent.env'}; set +a")
    print("            then e.g. .venv/bin/consent create-site --name Demo --origin https://x.test")
    for note in topology.notes:
        print(f"note:       {note}")
    print(f"stop with:  {sys.executable} {Path(__file__)} down --dir {args.dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
