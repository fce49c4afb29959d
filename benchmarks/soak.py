"""Soak: the compute example under gunicorn, mixed valid and hostile traffic, RSS recorded over time.

``wsgikit serve paste-configs/nova-style.ini --server gunicorn --workers 2`` on a fresh SQLite file; client
threads create, show, list and delete servers and, in between, send hostile requests over raw sockets
(malformed chunked bodies, 5,000-digit numbers, lone surrogates, wrong content types, bad tokens, path
tricks, truncated bodies). Every answer must be one the request allows, no worker may restart, the log
may hold no traceback and no ERROR line, and the table must end with ``creates - deletes`` rows. Each
worker's RSS (``/proc/PID/status`` ``VmRSS``) is sampled every half second.

``make soak`` runs it for five minutes and writes ``benchmarks/results/soak/`` (``rss.csv``,
``summary.json`` and, with matplotlib from the ``bench`` extra, ``rss.png``);
``tests/integration/test_soak.py`` runs it for 45 s in CI.

    python benchmarks/soak.py --duration 300 --out benchmarks/results/soak
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "paste-configs" / "nova-style.ini"
TOKEN = "demo-token"
AUTH = f"X-Auth-Token: {TOKEN}\r\n"


def _post(path: str, body: bytes, content_type: str = "application/json", extra: str = "") -> bytes:
    head = f"POST {path} HTTP/1.1\r\nHost: soak\r\n{AUTH}Content-Type: {content_type}\r\n"
    return head.encode() + f"Content-Length: {len(body)}\r\n{extra}\r\n".encode() + body


def _get(path: str, extra: str = "", auth: str = AUTH) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: soak\r\n{auth}{extra}\r\n".encode()


def _chunked(path: str, chunks: bytes) -> bytes:
    head = f"POST {path} HTTP/1.1\r\nHost: soak\r\n{AUTH}Content-Type: application/json\r\n"
    return head.encode() + b"Transfer-Encoding: chunked\r\n\r\n" + chunks


# (name, raw request, statuses allowed, the client half-closes after sending)
HOSTILE: list[tuple[str, bytes, frozenset[str], bool]] = [
    ("chunk-size-zz", _chunked("/v2.1/servers", b"zz\r\n{}\r\n0\r\n\r\n"), frozenset({"400"}), False),
    ("chunk-data-long", _chunked("/v2.1/servers", b"2\r\n{}xx\r\n0\r\n\r\n"), frozenset({"400"}), False),
    ("chunk-truncated", _chunked("/v2.1/servers", b"10\r\n{}"), frozenset({"400", "closed"}), True),
    (
        "body-short",
        _post("/v2.1/servers", b'{"server": {', extra="").replace(
            b"Content-Length: 12", b"Content-Length: 90"
        ),
        frozenset({"400", "closed"}),
        True,
    ),
    (
        "5000-digits",
        _post("/v2.1/servers", b'{"server": {"name": ' + b"9" * 5000 + b"}}"),
        frozenset({"400"}),
        False,
    ),
    (
        "lone-surrogate",
        _post("/v2.1/servers", b'{"server": {"name": "\\ud800", "flavorRef": "1"}}'),
        frozenset({"400"}),
        False,
    ),
    (
        "text-plain",
        _post("/v2.1/servers", b'{"server": {"name": "x"}}', "text/plain"),
        frozenset({"415"}),
        False,
    ),
    ("bad-json", _post("/v2.1/servers", b'{"server": '), frozenset({"400"}), False),
    ("deep-json", _post("/v2.1/servers", b"[" * 50000 + b"]" * 50000), frozenset({"400", "413"}), False),
    ("too-large", _post("/v2.1/servers", b'{"x": "' + b"a" * 70000 + b'"}'), frozenset({"413"}), False),
    ("no-token", b"GET /v2.1/servers HTTP/1.1\r\nHost: soak\r\n\r\n", frozenset({"401"}), False),
    (
        "bad-token",
        b"GET /v2.1/servers HTTP/1.1\r\nHost: soak\r\nX-Auth-Token: nope\r\n\r\n",
        frozenset({"401"}),
        False,
    ),
    (
        "huge-token",
        b"GET /v2.1/servers HTTP/1.1\r\nHost: soak\r\nX-Auth-Token: " + b"t" * 9000 + b"\r\n\r\n",
        frozenset({"401", "431"}),
        False,
    ),
    (
        "traversal",
        f"GET /v2.1/servers/%2e%2e/%2e%2e HTTP/1.1\r\nHost: soak\r\n{AUTH}\r\n".encode(),
        frozenset({"404"}),
        False,
    ),
    (
        "bad-utf8-path",
        f"GET /v2.1/servers/%ff%fe HTTP/1.1\r\nHost: soak\r\n{AUTH}\r\n".encode(),
        frozenset({"400", "404"}),
        False,
    ),
    (
        "bad-version",
        _get("/v2.1/servers", "OpenStack-API-Version: compute 9.x\r\n"),
        frozenset({"400"}),
        False,
    ),
    (
        "unknown-version",
        _get("/v2.1/servers", "OpenStack-API-Version: compute 3.0\r\n"),
        frozenset({"406"}),
        False,
    ),
    (
        "bad-method",
        f"PATCH /v2.1/servers HTTP/1.1\r\nHost: soak\r\n{AUTH}\r\n".encode(),
        frozenset({"405"}),
        False,
    ),
    (
        "unknown-server",
        f"GET /v2.1/servers/no-such-id HTTP/1.1\r\nHost: soak\r\n{AUTH}\r\n".encode(),
        frozenset({"404"}),
        False,
    ),
    (
        "cl-and-te",
        _chunked("/v2.1/servers", b"2\r\n{}\r\n0\r\n\r\n").replace(
            b"Transfer-Encoding", b"Content-Length: 2\r\nTransfer-Encoding"
        ),
        frozenset({"400"}),
        False,
    ),
]


@dataclass
class SoakResult:
    """What a soak run saw."""

    duration: float
    requests: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)
    creates: int = 0
    deletes: int = 0
    rows: int = -1
    api_rows: int = -1
    samples: list[tuple[float, int, int]] = field(default_factory=list)  # (seconds, pid, RSS kB)
    booted: int = 0
    log_problems: list[str] = field(default_factory=list)

    def rss_by_worker(self) -> dict[int, list[tuple[float, int]]]:
        workers: dict[int, list[tuple[float, int]]] = {}
        for seconds, pid, rss in self.samples:
            workers.setdefault(pid, []).append((seconds, rss))
        return workers

    def growth_second_half_kb(self) -> dict[int, int]:
        """Per worker: RSS at the end minus RSS at the middle of the run (kB)."""
        growth = {}
        for pid, series in self.rss_by_worker().items():
            middle = [rss for seconds, rss in series if seconds >= self.duration / 2]
            if middle:
                growth[pid] = middle[-1] - middle[0]
        return growth

    def summary(self) -> dict[str, Any]:
        by_worker = self.rss_by_worker()
        return {
            "duration_s": round(self.duration, 1),
            "requests": self.requests,
            "requests_per_s": round(self.requests / self.duration, 1) if self.duration else 0,
            "statuses": dict(sorted(self.statuses.items())),
            "unexpected": self.unexpected[:20],
            "creates": self.creates,
            "deletes": self.deletes,
            "rows": self.rows,
            "api_rows": self.api_rows,
            "workers_booted": self.booted,
            "log_problems": self.log_problems[:20],
            "rss_kb": {
                str(pid): {
                    "first": series[0][1],
                    "middle": _at(series, self.duration / 2),
                    "last": series[-1][1],
                }
                for pid, series in by_worker.items()
            },
            "growth_second_half_kb": {str(pid): kb for pid, kb in self.growth_second_half_kb().items()},
        }


def _at(series: list[tuple[float, int]], seconds: float) -> int:
    return next((rss for at, rss in series if at >= seconds), series[-1][1])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def rss_kb(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def children(pid: int) -> list[int]:
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as listing:
                found += [int(child) for child in listing.read().split()]
    except OSError:
        pass
    return found


def _json_request(port: int, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        headers = {"X-Auth-Token": TOKEN}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        data = response.read()
        return response.status, json.loads(data) if data else None
    finally:
        connection.close()


def _raw(port: int, raw: bytes, half_close: bool) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        try:
            sock.sendall(raw)
            if half_close:
                sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass
        response = http.client.HTTPResponse(sock, method="POST" if raw.startswith(b"POST") else "GET")
        try:
            response.begin()
            response.read()
        except (http.client.RemoteDisconnected, ConnectionResetError, http.client.BadStatusLine):
            return "closed"
        finally:
            response.close()
        return str(response.status)


class _Traffic:
    """One client thread: a loop of valid operations with a hostile request in between."""

    def __init__(self, port: int, result: SoakResult, lock: threading.Lock, seed: int) -> None:
        self.port = port
        self.result = result
        self.lock = lock
        self.seed = seed
        self.rng = random.Random(seed)
        self.mine: list[str] = []
        self.number = 0

    def record(self, what: str, status: str, allowed: frozenset[str] | set[str]) -> None:
        with self.lock:
            self.result.requests += 1
            self.result.statuses[status] += 1
            if status not in allowed:
                self.result.unexpected.append(f"{what}: {status} (allowed {sorted(allowed)})")

    def step(self) -> None:
        roll = self.rng.random()
        if roll < 0.3:
            self.number += 1
            body = {
                "server": {
                    "name": f"soak-{self.seed}-{self.number}",
                    "flavorRef": "1",
                    "metadata": {"n": str(self.number)},
                }
            }
            status, answer = _json_request(self.port, "POST", "/v2.1/servers", body)
            self.record("create", str(status), {"202"})
            if status == 202:
                self.mine.append(answer["server"]["id"])
                with self.lock:
                    self.result.creates += 1
        elif roll < 0.45 and self.mine:
            server = self.mine.pop(self.rng.randrange(len(self.mine)))
            status, _ = _json_request(self.port, "DELETE", f"/v2.1/servers/{server}")
            self.record("delete", str(status), {"204"})
            if status == 204:
                with self.lock:
                    self.result.deletes += 1
        elif roll < 0.6 and self.mine:
            status, _ = _json_request(self.port, "GET", f"/v2.1/servers/{self.rng.choice(self.mine)}")
            self.record("show", str(status), {"200"})
        elif roll < 0.75:
            status, _ = _json_request(self.port, "GET", "/v2.1/servers/detail?limit=20")
            self.record("list", str(status), {"200"})
        else:
            name, raw, allowed, half_close = self.rng.choice(HOSTILE)
            self.record(name, _raw(self.port, raw, half_close), allowed)


def soak(duration: float, workdir: Path, *, threads: int = 4, workers: int = 2) -> SoakResult:
    """Run the soak for ``duration`` seconds in ``workdir`` (database, log) and return what it saw."""
    port = free_port()
    database = workdir / "compute.sqlite3"
    log_path = workdir / "server.log"
    env = {**os.environ, "WSGIKIT_COMPUTE_DB": str(database), "WSGIKIT_COMPUTE_AUTH": "token"}
    argv = [sys.executable, "-m", "wsgikit", "serve", str(CONFIG), "--server", "gunicorn"]
    argv += ["--workers", str(workers), "--host", "127.0.0.1", "--port", str(port)]
    result = SoakResult(duration=duration)
    with open(log_path, "wb") as log:
        server = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=workdir)
    try:
        _wait_ready(server, port, log_path, workers)
        lock = threading.Lock()
        stop = threading.Event()
        started = time.monotonic()

        def sample() -> None:
            while not stop.is_set():
                now = time.monotonic() - started
                for pid in children(server.pid):
                    rss = rss_kb(pid)
                    if rss is not None:
                        with lock:
                            result.samples.append((round(now, 2), pid, rss))
                stop.wait(0.5)

        def drive(seed: int) -> None:
            traffic = _Traffic(port, result, lock, seed)
            while time.monotonic() - started < duration:
                try:
                    traffic.step()
                except OSError as error:
                    with lock:
                        result.unexpected.append(f"client error: {error!r}")

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        drivers = [threading.Thread(target=drive, args=(seed,), daemon=True) for seed in range(threads)]
        for thread in drivers:
            thread.start()
        for thread in drivers:
            thread.join(duration + 120)
        stop.set()
        sampler.join(5)
        result.duration = time.monotonic() - started
        status, listed = _json_request(port, "GET", "/v2.1/servers")
        result.api_rows = len(listed["servers"]) if status == 200 else -1
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(10)
    connection = sqlite3.connect(database)
    try:
        result.rows = connection.execute("SELECT COUNT(*) FROM servers").fetchone()[0]
    finally:
        connection.close()
    log_text = log_path.read_text(errors="replace")
    result.booted = log_text.count("Booting worker with pid")
    result.log_problems = [
        line
        for line in log_text.splitlines()
        if "Traceback" in line or " ERROR " in line or "WORKER TIMEOUT" in line
    ]
    return result


def _wait_ready(server: subprocess.Popen[bytes], port: int, log_path: Path, workers: int) -> None:
    deadline = time.monotonic() + 60
    while True:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{log_path.read_text(errors='replace')}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"gunicorn did not start:\n{log_path.read_text(errors='replace')}")
        try:
            booted = log_path.read_text(errors="replace").count("Booting worker with pid")
            if booted >= workers and _json_request(port, "GET", "/")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)


def write_results(result: SoakResult, out: Path) -> None:
    """``rss.csv``, ``summary.json`` and (with matplotlib) ``rss.png`` in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    lines = ["seconds,pid,rss_kb"] + [f"{seconds},{pid},{rss}" for seconds, pid, rss in result.samples]
    (out / "rss.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (out / "summary.json").write_text(json.dumps(result.summary(), indent=2) + "\n", encoding="utf-8")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed (pip install -e '.[bench]'): no plot", file=sys.stderr)
        return
    figure, axes = plt.subplots(figsize=(8, 4))
    for number, (pid, series) in enumerate(sorted(result.rss_by_worker().items()), 1):
        axes.plot(
            [s for s, _ in series], [rss / 1024 for _, rss in series], label=f"worker {number} (pid {pid})"
        )
    axes.set_xlabel("seconds")
    axes.set_ylabel("RSS (MiB)")
    axes.set_ylim(bottom=0)
    axes.set_title(f"compute example under gunicorn: {result.requests} requests in {result.duration:.0f} s")
    axes.legend()
    axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(out / "rss.png", dpi=100)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--duration", type=float, default=300.0, help="seconds of traffic (default 300)")
    parser.add_argument("--threads", type=int, default=4, help="client threads (default 4)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "soak")
    args = parser.parse_args(argv)
    import tempfile

    with tempfile.TemporaryDirectory(prefix="wsgikit-soak-") as tmp:
        result = soak(args.duration, Path(tmp), threads=args.threads)
    write_results(result, args.out)
    summary = result.summary()
    print(json.dumps(summary, indent=2))
    ok = not result.unexpected and not result.log_problems and result.rows == result.creates - result.deletes
    return 0 if ok and result.booted == 2 else 1


if __name__ == "__main__":
    sys.exit(main())
