"""The compute example over a real socket: ``wsgikit serve nova-style.ini --server gunicorn --workers 2``.

Concurrent creates from several client threads land in two worker processes that share one SQLite file;
every acknowledged create must be there afterwards, in the API and in the database file.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ports import free_port

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
TOKEN = {"X-Auth-Token": "demo-token"}
THREADS, PER_THREAD = 6, 15


def request(
    port: int, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> Any:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        payload = json.dumps(body).encode() if body is not None else None
        all_headers = {**TOKEN, **(headers or {})}
        if payload is not None:
            all_headers["Content-Type"] = "application/json"
        connection.request(method, path, body=payload, headers=all_headers)
        response = connection.getresponse()
        data = response.read()
        return response.status, dict(response.getheaders()), json.loads(data) if data else None
    finally:
        connection.close()


@pytest.fixture
def server(tmp_path: Path, gunicorn: None) -> Iterator[tuple[int, Path]]:
    """``(port, database file)`` of a running 2-worker gunicorn; its log is ``tmp_path / "server.log"``."""
    port = free_port()
    db = tmp_path / "compute.sqlite3"
    env = {**os.environ, "WSGIKIT_COMPUTE_DB": str(db)}
    env.pop("WSGIKIT_COMPUTE_AUTH", None)
    log = (tmp_path / "server.log").open("wb")
    command = [sys.executable, "-m", "wsgikit", "serve", str(ROOT / "paste-configs" / "nova-style.ini")]
    command += ["--server", "gunicorn", "--workers", "2", "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, (tmp_path / "server.log").read_text(errors="replace")
            assert time.monotonic() < deadline, "gunicorn did not answer within 60 s"
            try:
                if request(port, "GET", "/")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        # the first worker answers before the second has booted; wait for both to share the SQLite file
        while (tmp_path / "server.log").read_text(errors="replace").count("Booting worker with pid") < 2:
            assert proc.poll() is None, (tmp_path / "server.log").read_text(errors="replace")
            assert time.monotonic() < deadline, "the second gunicorn worker did not boot within 60 s"
            time.sleep(0.1)
        yield port, db
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:  # pragma: no cover - only if the graceful stop hangs
            proc.kill()
            proc.wait(10)
        log.close()


def test_concurrent_creates_lose_no_rows(server: tuple[int, Path]) -> None:
    port, db = server
    log = (db.parent / "server.log").read_text(errors="replace")
    assert log.count("Booting worker with pid") == 2, log  # two processes share the SQLite file
    created: list[str] = []
    failures: list[Any] = []
    lock = threading.Lock()

    def create(thread: int) -> None:
        for i in range(PER_THREAD):
            try:
                body = {"server": {"name": f"t{thread}-{i}", "flavorRef": "1", "metadata": {"n": str(i)}}}
                status, _, answer = request(port, "POST", "/v2.1/servers", body)
            except OSError as error:  # pragma: no cover - reported below
                failures.append(error)
                continue
            with lock:
                if status == 202:
                    created.append(answer["server"]["id"])
                else:  # pragma: no cover - reported below
                    failures.append((status, answer))

    threads = [threading.Thread(target=create, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert failures == []
    assert len(created) == len(set(created)) == THREADS * PER_THREAD

    status, headers, listed = request(port, "GET", "/v2.1/servers/detail")
    assert status == 200
    assert headers["OpenStack-API-Version"] == "compute 2.1"
    assert {s["id"] for s in listed["servers"]} == set(created)
    assert all(s["metadata"]["n"] for s in listed["servers"])

    # and in the file itself, read by a connection of our own
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT COUNT(*) FROM servers").fetchone()[0] == THREADS * PER_THREAD
    connection.close()


def test_served_errors_over_the_socket(server: tuple[int, Path]) -> None:
    port, _ = server
    assert request(port, "GET", "/v2.1/servers", headers={"X-Auth-Token": "nope"})[0] == 401
    status, headers, _ = request(
        port, "GET", "/v2.1/flavors", headers={"OpenStack-API-Version": "compute 9.0"}
    )
    assert status == 406
    assert headers["OpenStack-API-Version"].startswith("compute ")
    status, _, answer = request(
        port, "POST", "/v2.1/servers", {"server": {"name": "x" * 70_000, "flavorRef": "1"}}
    )
    assert status == 413
    assert answer["overLimit"]["code"] == 413
    status, _, answer = request(port, "GET", "/v2.1/demo/servers/missing")
    assert (status, answer) == (
        404,
        {"itemNotFound": {"code": 404, "message": "Instance missing could not be found."}},
    )


def test_links_name_only_well_formed_hosts(server: tuple[int, Path]) -> None:
    """Links and Location are built from Host: a malformed one is a 400 (nova's fault body) on every
    pipeline, the version documents' included, and nothing is created under it."""
    port, _ = server
    status, _, answer = request(port, "GET", "/v2.1/flavors", headers={"Host": "compute.example:8774"})
    assert status == 200
    assert answer["flavors"][0]["links"][0]["href"].startswith("http://compute.example:8774/v2.1/")
    before = len(request(port, "GET", "/v2.1/servers")[2]["servers"])
    for path in ("/", "/v2.1", "/v2.1/flavors"):
        for host in ("evil.example/x y", "user@evil.example", "x:99999", ""):
            status, headers, answer = request(port, "GET", path, headers={"Host": host})
            assert (status, answer["badRequest"]["code"]) == (400, 400), (path, host)
            assert headers["X-OpenStack-Request-ID"].startswith("req-")
    body = {"server": {"name": "hosted", "flavorRef": "1"}}
    status, headers, _ = request(port, "POST", "/v2.1/servers", body, headers={"Host": "evil.example:99999"})
    assert status == 400
    assert "Location" not in headers
    assert len(request(port, "GET", "/v2.1/servers")[2]["servers"]) == before
