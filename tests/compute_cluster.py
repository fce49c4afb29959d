"""Real parts for the cluster tests and benchmark: PostgreSQL, compute nodes under gunicorn, nginx.

Used by ``tests/conftest.py`` (the ``postgres`` fixtures), ``tests/integration/test_cluster.py`` and
``benchmarks/bench_cluster.py``. Everything listens on 127.0.0.1 on free ports, lives in a temporary
directory and is stopped by whoever started it (SIGTERM, then SIGKILL).

PostgreSQL refuses to run as root. When the tests run as root (as in CI), :class:`Postgres` runs
``initdb`` and ``postgres`` as the unprivileged ``postgres`` user that Debian's package creates (or
``nobody``), by passing ``user=``/``group=`` to :class:`subprocess.Popen` (the same as ``runuser -u
postgres --``), in a directory under ``/tmp`` that it hands over to that user.
"""

from __future__ import annotations

import contextlib
import glob
import http.client
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ports import free_port

ROOT = Path(__file__).resolve().parents[1]
PASTE_CONFIGS = ROOT / "paste-configs"
CLUSTER_INI = PASTE_CONFIGS / "compute-cluster.ini"
NGINX_CONF = PASTE_CONFIGS / "nginx-cluster.conf"
TOKEN = "demo-token"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0


def postgres_bindir_path() -> str:
    """A PATH on which ``initdb`` and ``postgres`` are found: Debian keeps them out of PATH, in
    ``/usr/lib/postgresql/<major>/bin`` (newest major first)."""
    majors = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(re.sub(r"\D", "", p) or 0))
    return os.pathsep.join([*reversed(majors), os.environ.get("PATH", "")])


def nginx_argv(nginx: str, prefix: Path, conf: Path) -> list[str]:
    directives = "daemon off;"
    if os.geteuid() == 0:  # as root, nginx would switch its workers to "nobody", who cannot use the prefix
        directives += " user root;"
    return [nginx, "-p", f"{prefix}/", "-c", str(conf), "-g", directives]


def process_group(leader: int) -> list[int]:
    """Every live process in the process group ``leader`` (a gunicorn master and its workers)."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rpartition(")")[2].split()
        # fields[0] is the state, fields[2] the process group; zombies are dead already
        if int(fields[2]) == leader and fields[0] != "Z":
            members.append(int(entry))
    return members


def descendants(root: int) -> list[int]:
    """``root`` and every live process below it (PostgreSQL's backends each start a session of their own,
    so they are found by parent, not by process group)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            if fields[0] != "Z":
                children.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process so far (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Process:
    """A subprocess in a session of its own, with its output in a log file."""

    def __init__(self, name: str, argv: list[str], log: Path, **popen: Any) -> None:
        self.name = name
        self.argv = argv
        self.log_path = log
        self._log = open(log, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            argv, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True, **popen
        )

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def alive(self) -> bool:
        return self.process.poll() is None

    def pids(self) -> list[int]:
        return process_group(self.process.pid)

    def kill(self) -> list[int]:
        """SIGKILL the whole process group at once (master and workers); the pids that were killed."""
        pids = self.pids()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(STOP_TIMEOUT)
        self._log.close()
        return pids

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(sig)
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(STOP_TIMEOUT)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)  # workers a master left behind
        self._log.close()


# -- PostgreSQL -----------------------------------------------------------------------------------------


class Postgres:
    """A throw-away PostgreSQL server: ``initdb`` in a temporary directory, ``postgres`` on 127.0.0.1.

    Durability settings are off (``fsync``, ``full_page_writes``): the tests kill app nodes, never the
    database, and a test database is thrown away.

    :param initdb: path of the ``initdb`` binary; ``postgres`` is taken from the same directory.
    """

    def __init__(self, initdb: str, *, max_connections: int = 100) -> None:
        self.bindir = Path(initdb).parent
        self.port = free_port()
        self.max_connections = max_connections
        self.dir = Path(tempfile.mkdtemp(prefix="wsgikit-pg-"))
        self.data = self.dir / "data"
        self.popen: dict[str, Any] = {"cwd": self.dir, "env": {**os.environ, "LC_ALL": "C", "TZ": "UTC"}}
        if os.geteuid() == 0:
            # PostgreSQL refuses root: run it as the package's user, like `runuser -u postgres --`.
            try:
                user = pwd.getpwnam("postgres")
            except KeyError:
                user = pwd.getpwnam("nobody")
            os.chown(self.dir, user.pw_uid, user.pw_gid)
            self.popen.update(user=user.pw_uid, group=user.pw_gid, extra_groups=[])
        self.server: Process | None = None
        self._databases = 0

    def start(self) -> Postgres:
        initdb = [str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust"]
        initdb += ["-E", "UTF8", "--locale=C", "--no-sync"]
        done = subprocess.run(initdb, capture_output=True, text=True, timeout=120, **self.popen)
        if done.returncode:
            raise RuntimeError(f"initdb failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        argv = [str(self.bindir / "postgres"), "-D", str(self.data), "-h", "127.0.0.1", "-p", str(self.port)]
        argv += ["-k", str(self.dir)]  # its Unix socket stays in the temporary directory too
        for setting in (
            f"max_connections={self.max_connections}",
            "fsync=off",
            "full_page_writes=off",
            "synchronous_commit=off",
            "shared_buffers=32MB",
        ):
            argv += ["-c", setting]
        self.server = Process("postgres", argv, self.dir / "postgres.log", **self.popen)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if not self.server.alive():
                raise RuntimeError(f"postgres exited:\n{self.server.log()}")
            try:
                with self.connect("postgres"):
                    return self
            except Exception:
                if time.monotonic() > deadline:
                    self.stop()
                    raise
                time.sleep(0.1)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str = "postgres") -> Any:
        import psycopg

        return psycopg.connect(self.url(database), autocommit=True, connect_timeout=5)

    def create_database(self, prefix: str = "compute") -> str:
        """A new, empty database; its URL."""
        self._databases += 1
        name = f"{prefix}_{self._databases}"
        with self.connect() as connection:
            connection.execute(f"CREATE DATABASE {name} TEMPLATE template0")
        return self.url(name)

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop(signal.SIGINT)  # PostgreSQL's "fast" shutdown
        shutil.rmtree(self.dir, ignore_errors=True)


# -- compute nodes and nginx ----------------------------------------------------------------------------


def request(
    port: int, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], Any]:
    """One request on a new connection: ``(status, headers, decoded JSON body or None)``."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        payload = json.dumps(body).encode() if body is not None else None
        all_headers = {"X-Auth-Token": TOKEN, **(headers or {})}
        if payload is not None:
            all_headers["Content-Type"] = "application/json"
        connection.request(method, path, body=payload, headers=all_headers)
        response = connection.getresponse()
        data = response.read()
        try:
            decoded = json.loads(data) if data else None
        except ValueError:
            decoded = data.decode("latin-1")
        return response.status, dict(response.getheaders()), decoded
    finally:
        connection.close()


class Node:
    """One compute node: ``wsgikit serve compute-cluster.ini --server gunicorn`` on its own port."""

    def __init__(self, name: str, workdir: Path, database_url: str, *, workers: int = 2, pool_size: int = 4):
        self.name = name
        self.port = free_port()
        self.workdir = workdir
        self.access_log = workdir / f"{name}-access.log"
        self.env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "WSGIKIT_COMPUTE_DB": database_url,
            "WSGIKIT_COMPUTE_POOL_SIZE": str(pool_size),
            "WSGIKIT_COMPUTE_ACCESS_LOG": str(self.access_log),
            "WSGIKIT_COMPUTE_DRAIN": str(workdir / f"{name}.drain"),
        }
        self.argv = [sys.executable, "-m", "wsgikit", "serve", str(CLUSTER_INI), "--server", "gunicorn"]
        self.argv += ["--workers", str(workers), "--host", "127.0.0.1", "--port", str(self.port)]
        self.workers = workers
        self.process: Process | None = None
        self.starts = 0
        self._booted_before = 0

    def start(self) -> Node:
        """Start (or restart) the node; return once every worker has booted and it answers healthy."""
        self.spawn()
        return self.wait()

    def spawn(self) -> None:
        self.starts += 1
        self._booted_before = self._booted()
        self.process = Process(
            self.name, self.argv, self.workdir / f"{self.name}.log", cwd=self.workdir, env=self.env
        )

    def wait(self) -> Node:
        assert self.process is not None
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if not self.process.alive():
                raise RuntimeError(
                    f"{self.name} exited with {self.process.process.returncode}:\n{self.log()}"
                )
            if self._booted() - self._booted_before >= self.workers:
                with contextlib.suppress(OSError):
                    if request(self.port, "GET", "/healthcheck")[0] == 200:
                        return self
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} was not healthy within {START_TIMEOUT}s:\n{self.log()}")
            time.sleep(0.1)

    def _booted(self) -> int:
        return self.log().count("Booting worker with pid")

    def log(self) -> str:
        path = self.workdir / f"{self.name}.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    def kill(self) -> list[int]:
        assert self.process is not None
        return self.process.kill()

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop(signal.SIGINT)  # gunicorn's quick stop: nothing is in flight any more


class Nginx:
    """nginx with ``paste-configs/nginx-cluster.conf``, its upstream pointed at ``nodes``."""

    def __init__(self, nginx: str, workdir: Path, nodes: list[Node]) -> None:
        self.port = free_port()
        self.workdir = workdir
        text = NGINX_CONF.read_text(encoding="utf-8")
        servers = re.findall(r"^ *server 127\.0\.0\.1:808\d (.*);$", text, flags=re.M)
        assert len(servers) == 3, "nginx-cluster.conf no longer lists three nodes; update the harness"
        lines = "".join(f"        server 127.0.0.1:{node.port} {servers[0]};\n" for node in nodes)
        text = re.sub(r"(^ *server 127\.0\.0\.1:808\d .*;\n)+", lines, text, count=1, flags=re.M)
        assert "listen 127.0.0.1:8090;" in text
        text = text.replace("listen 127.0.0.1:8090;", f"listen 127.0.0.1:{self.port};")
        self.conf = workdir / "nginx.conf"
        self.conf.write_text(text, encoding="utf-8")
        self.process = Process(
            "nginx", nginx_argv(nginx, workdir, self.conf), workdir / "nginx.out", cwd=workdir
        )
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if not self.process.alive():
                raise RuntimeError(f"nginx exited:\n{self.process.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"nginx did not listen:\n{self.process.log()}") from None
                time.sleep(0.05)

    def access_log(self) -> str:
        return (self.workdir / "access.log").read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        self.process.stop(signal.SIGTERM)  # nginx's fast stop


@contextlib.contextmanager
def cluster(
    nginx_bin: str, workdir: Path, database_url: str, nodes: int, *, workers: int = 2, pool_size: int = 4
) -> Iterator[tuple[Nginx, list[Node]]]:
    """PostgreSQL-backed nodes (started one after another: schema creation is concurrency-safe anyway)
    and nginx in front; everything stopped on exit."""
    started: list[Node] = []
    proxy: Nginx | None = None
    try:
        for n in range(nodes):
            node = Node(f"node{n + 1}", workdir, database_url, workers=workers, pool_size=pool_size)
            started.append(node)
            node.spawn()
        for node in started:  # their start-ups overlap, as in a roll-out: schema creation races on purpose
            node.wait()
        proxy = Nginx(nginx_bin, workdir, started)
        yield proxy, started
    finally:
        if proxy is not None:
            proxy.stop()
        for node in started:
            node.stop()
