"""Three compute nodes behind nginx, one PostgreSQL, and a node that dies mid-run.

The deployment of docs/deploy/scale-out.rst, for real: a PostgreSQL server in a temporary directory, three
``wsgikit serve paste-configs/compute-cluster.ini --server gunicorn --workers 2`` nodes, nginx with
``paste-configs/nginx-cluster.conf`` in front. Client threads send a bounded, mixed workload (creates,
deletes, start/stop actions, reads) through nginx; part-way through, one node's master and workers are
SIGKILLed together, and later the node is started again.

The clients behave as a careful API client would: a failed request (a 5xx) is retried with the same
arguments; a create retried after its first attempt was committed answers 409 (server names are unique per
project, enforced by the database), a delete retried after it was committed answers 404.

Then, read straight from the database: every server a create acknowledged is there exactly once (unless
acknowledged as deleted later), every acknowledged delete is gone, no name is there twice, every server is
in the state its last acknowledged action left it in; every failure was a 502/503/504 (never a 500, never a
refused or reset connection to nginx) — or, for at most one request per worker of the killed node, a body
cut short after its headers (nginx had already sent the status line; the client sees fewer bytes than
Content-Length and retries); the restarted node serves requests from nginx again, and the request ids the
clients sent through nginx are the ones in the nodes' access logs.
"""

from __future__ import annotations

import http.client
import json
import random
import re
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from compute_cluster import TOKEN, Nginx, Node, Postgres, cluster, process_group, request

pytestmark = pytest.mark.integration

THREADS = 8
REQUESTS = 2000  # in all, across the threads (retries included)
KILL_AT, RESTART_AT = 0.25, 0.5  # fractions of REQUESTS done
TRUNCATED = -1  # the status line and headers arrived, then the body stopped short (see below)
RETRYABLE = {502, 503, 504, TRUNCATED}


@dataclass
class Known:
    """What the client threads know from acknowledged answers."""

    created: dict[str, str] = field(default_factory=dict)  # name -> id, from 202 answers
    existing_by_name: set[str] = field(default_factory=set)  # names whose retried create answered 409
    deleted: set[str] = field(default_factory=set)  # ids whose delete answered 204 (or 404 on a retry)
    status: dict[str, str] = field(default_factory=dict)  # id -> status after its last acknowledged action
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    failures: list[tuple[str, int, str]] = field(default_factory=list)
    failed_ids: set[str] = field(default_factory=set)  # request ids answered 5xx (by nginx or a node)
    truncated: list[tuple[str, str]] = field(default_factory=list)  # (kind, request id)
    sent_ids: set[str] = field(default_factory=set)
    unexpected: list[Any] = field(default_factory=list)


class Client:
    """One keep-alive connection to nginx; retries retryable failures like a well-behaved client."""

    def __init__(self, port: int, thread: int, known: Known, lock: threading.Lock, budget: Budget) -> None:
        self.port = port
        self.thread = thread
        self.known = known
        self.lock = lock
        self.budget = budget
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.sent = 0

    def call(self, kind: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        self.sent += 1
        request_id = f"t{self.thread}-{self.sent}"
        headers = {"X-Auth-Token": TOKEN, "X-Request-ID": request_id}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            self.connection.request(method, path, body=payload, headers=headers)
            response = self.connection.getresponse()
            data = response.read()
        except http.client.IncompleteRead:
            # A node killed between writing its headers and its body: nginx had already sent the status
            # line, so all it can do is close the connection early; the client sees fewer bytes than
            # Content-Length said, a failure it detects and retries like a 502.
            self.connection.close()
            with self.lock:
                self.known.truncated.append((kind, request_id))
            self.budget.spend()
            return TRUNCATED, None
        except (OSError, http.client.HTTPException) as error:  # nginx itself must never fail
            self.connection.close()
            with self.lock:
                self.known.unexpected.append((kind, method, path, repr(error)))
            return 0, None
        self.budget.spend()
        with self.lock:
            self.known.statuses[(kind, response.status)] += 1
            self.known.sent_ids.add(request_id)
            if response.getheader("X-Request-ID") != request_id:
                self.known.unexpected.append((kind, "X-Request-ID", response.getheader("X-Request-ID")))
            if response.status >= 500:
                self.known.failures.append((kind, response.status, data[:200].decode("latin-1")))
                self.known.failed_ids.add(request_id)
        if response.getheader("Connection", "").lower() == "close":
            self.connection.close()
        is_json = response.getheader("Content-Type", "").startswith("application/json")
        return response.status, json.loads(data) if data and is_json else None

    def retried(self, kind: str, method: str, path: str, body: Any = None) -> tuple[int, Any, bool]:
        """Call until the answer is not a retryable failure (a few tries, a short pause between):
        ``(status, answer, whether it took a retry)``."""
        for attempt in range(20):
            status, answer = self.call(kind if attempt == 0 else kind + "-retry", method, path, body)
            if status not in RETRYABLE:
                return status, answer, attempt > 0
            time.sleep(0.05)
        return status, answer, True


class Budget:
    """The shared request count, and the moments the main thread acts on."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0
        self.lock = threading.Lock()
        self.reached = {fraction: threading.Event() for fraction in (KILL_AT, RESTART_AT)}

    def spend(self) -> None:
        with self.lock:
            self.done += 1
            for fraction, event in self.reached.items():
                if self.done >= fraction * self.total:
                    event.set()

    def left(self) -> bool:
        return self.done < self.total


def workload(client: Client, seed: int) -> None:
    rng = random.Random(seed)
    known = client.known
    mine: list[str] = []  # ids this thread created and has not deleted
    believed: dict[str, str | None] = {}  # id -> status, None when a failed action left it unknown
    n = 0
    while client.budget.left():
        n += 1
        roll = rng.random()
        if roll < 0.3 or not mine:
            name = f"w{client.thread}-{n}"
            body = {"server": {"name": name, "flavorRef": "1", "metadata": {"thread": str(client.thread)}}}
            status, answer, again = client.retried("create", "POST", "/v2.1/servers", body)
            if status == 202:
                with client.lock:
                    known.created[name] = answer["server"]["id"]
                mine.append(answer["server"]["id"])
                believed[answer["server"]["id"]] = "ACTIVE"
            elif status == 409 and again:  # an earlier attempt was committed before its node died
                with client.lock:
                    known.existing_by_name.add(name)
            else:
                with client.lock:
                    known.unexpected.append(("create", status, answer))
        elif roll < 0.55:  # nearly as many deletes as creates: a few hundred live servers at most
            server_id = mine.pop(rng.randrange(len(mine)))
            status, answer, again = client.retried("delete", "DELETE", f"/v2.1/servers/{server_id}")
            # 404: nginx (DELETE is idempotent) or the client retried after the delete was committed
            if status == 204 or status == 404:
                with client.lock:
                    known.deleted.add(server_id)
                    known.status.pop(server_id, None)
            else:
                with client.lock:
                    known.unexpected.append(("delete", status, answer))
        elif roll < 0.7:
            server_id = rng.choice(mine)
            current = believed[server_id]
            if current is None:  # learn it first
                status, answer, _ = client.retried("read", "GET", f"/v2.1/servers/{server_id}")
                current = believed[server_id] = answer["server"]["status"] if status == 200 else None
            if current is None:
                continue
            verb, after = ("os-stop", "SHUTOFF") if current == "ACTIVE" else ("os-start", "ACTIVE")
            status, answer = client.call("action", "POST", f"/v2.1/servers/{server_id}/action", {verb: None})
            if status == 202:
                believed[server_id] = after
            elif status in RETRYABLE or status == 409:  # not retried: it may or may not have happened
                believed[server_id] = None
            else:
                with client.lock:
                    known.unexpected.append(("action", status, answer))
        else:
            path = "/v2.1/servers" if roll < 0.85 or not mine else f"/v2.1/servers/{rng.choice(mine)}"
            status, _, _ = client.retried("read", "GET", path)
            if status != 200:
                with client.lock:
                    known.unexpected.append(("read", status, path))
    with client.lock:
        known.status.update({sid: s for sid, s in believed.items() if s is not None and sid in mine})
    client.connection.close()


@pytest.fixture
def deployment(
    tool: Any, postgres_server: Postgres, tmp_path: Path
) -> Iterator[tuple[Nginx, list[Node], str]]:
    nginx_bin = tool("nginx", "apt-get install nginx")
    url = postgres_server.create_database("cluster")
    with cluster(nginx_bin, tmp_path, url, nodes=3, workers=2, pool_size=2) as (proxy, nodes):
        yield proxy, nodes, url


def test_node_killed_mid_run_loses_nothing(deployment: tuple[Nginx, list[Node], str]) -> None:
    proxy, nodes, url = deployment
    victim = nodes[1]
    known, lock, budget = Known(), threading.Lock(), Budget(REQUESTS)
    clients = [Client(proxy.port, n, known, lock, budget) for n in range(THREADS)]
    threads = [threading.Thread(target=workload, args=(c, n)) for n, c in enumerate(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    try:
        assert budget.reached[KILL_AT].wait(60), "the workload stalled before the kill"
        killed = victim.kill()  # SIGKILL to master and workers at once
        assert len(killed) == 3, killed  # the master and its two workers
        deadline = time.monotonic() + 10  # the kernel tears the workers down a moment after the master
        while process_group(victim.process.process.pid):  # type: ignore[union-attr]
            assert time.monotonic() < deadline, process_group(victim.process.process.pid)  # type: ignore[union-attr]
            time.sleep(0.01)
        assert budget.reached[RESTART_AT].wait(60), "the workload stalled after the kill"
        victim.start()
    finally:
        for thread in threads:
            thread.join(120)
    assert not any(thread.is_alive() for thread in threads)
    assert budget.done >= REQUESTS
    print(
        f"{budget.done} requests in {time.monotonic() - started:.1f}s;", dict(sorted(known.statuses.items()))
    )
    print("truncated:", known.truncated, "failures:", Counter((k, s) for k, s, _ in known.failures))

    # every failure was a clean, retryable 5xx; no broken connection, no 500
    assert known.unexpected == []
    assert {status for _, status, _ in known.failures} <= RETRYABLE
    # a body can only be cut short for a request in flight on the killed node: one per worker at most
    assert len(known.truncated) <= victim.workers, known.truncated
    assert all(status < 500 or status in RETRYABLE for (_, status) in known.statuses)

    # the database agrees with every acknowledged answer
    import psycopg

    with psycopg.connect(url) as connection:
        rows = connection.execute("SELECT id, name, status FROM servers").fetchall()
    in_db = {server_id: (name, status) for server_id, name, status in rows}
    names = Counter(name for name, _ in in_db.values())
    assert [name for name, count in names.items() if count > 1] == []
    for name, server_id in known.created.items():
        if server_id in known.deleted:
            assert server_id not in in_db
        else:
            assert in_db.get(server_id, (None,))[0] == name
    for name in known.existing_by_name:
        assert names[name] == 1
    expected_names = {n for n, sid in known.created.items() if sid not in known.deleted}
    assert {name for name, _ in in_db.values()} == expected_names | known.existing_by_name
    for server_id, status in known.status.items():
        assert in_db[server_id][1] == status, server_id

    # some requests did fail over or fail (the kill happened under load) — and the workload went on
    assert sum(count for (kind, _), count in known.statuses.items() if kind == "create") > 300

    # the restarted node serves nginx's requests again (nginx retries it after fail_timeout)
    before = victim.access_log.read_text() if victim.access_log.exists() else ""
    deadline = time.monotonic() + 20
    probes = 0
    while time.monotonic() < deadline:
        probes += 1
        status, _, _ = request(
            proxy.port, "GET", "/v2.1/flavors", headers={"X-Request-ID": f"probe-{probes}"}
        )
        assert status == 200
        if re.search(r"\bprobe-\d+\b", victim.access_log.read_text()[len(before) :]):
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"the restarted node got no request from nginx in 20 s:\n{victim.log()}")
    print(f"restarted node served probe {probes} through nginx")
    assert request(victim.port, "GET", "/healthcheck")[0] == 200
    # draining a node before maintenance: its health check says so while the file exists
    drain = Path(victim.env["WSGIKIT_COMPUTE_DRAIN"])
    drain.touch()
    assert request(victim.port, "GET", "/healthcheck")[0] == 503
    drain.unlink()
    assert request(victim.port, "GET", "/healthcheck")[0] == 200

    # request ids: what the clients sent (nginx passes a sane X-Request-ID on) is in the nodes' logs
    # (a node killed between sending an answer and logging it may miss one line per worker)
    logged = "".join(node.access_log.read_text() for node in nodes)
    ids_in_logs = set(re.findall(r"\bt\d+-\d+\b", logged))
    missing = known.sent_ids - known.failed_ids - {rid for _, rid in known.truncated} - ids_in_logs
    assert len(missing) <= victim.workers, sorted(missing)
    assert "rid=t0-1 " in proxy.access_log()
    # without an id of the client's, nginx makes one ($request_id): answered, and logged by nginx and a node
    status, headers, _ = request(proxy.port, "GET", "/v2.1/flavors")
    assert status == 200
    generated = headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated), generated
    deadline = time.monotonic() + 10  # both write their line once the response is out
    while f"rid={generated} " not in proxy.access_log() or generated not in "".join(
        node.access_log.read_text() for node in nodes
    ):
        assert time.monotonic() < deadline, f"{generated} is not in nginx's and a node's access log"
        time.sleep(0.05)


# -- nginx passes a failed request to the next node for idempotent methods only -----------------------------


class StubNode:
    """A raw upstream for nginx on 127.0.0.1: records the method and X-Request-ID of every request it reads;
    answers ``200 ok`` — or, as a node dying mid-request, closes the connection without a word."""

    def __init__(self, *, answers: bool) -> None:
        self.answers = answers
        self.seen: list[tuple[str, str]] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)  # so that serve() sees stop() soon
        self.port = self.listener.getsockname()[1]
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        while not self.stopped.is_set():
            try:
                connection, _ = self.listener.accept()
            except TimeoutError:
                continue
            with connection:
                connection.settimeout(10)
                self.handle(connection)

    def handle(self, connection: socket.socket) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = connection.recv(65536)
            if not chunk:
                return
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {
            name.strip().lower(): value.strip() for name, _, value in (h.partition(":") for h in lines[1:])
        }
        length = int(headers.get("content-length", "0"))
        while len(body) < length:
            chunk = connection.recv(65536)
            if not chunk:
                return
            body += chunk
        self.seen.append((lines[0].split(" ", 1)[0], headers.get("x-request-id", "")))
        if self.answers:
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join(10)
        self.listener.close()


@pytest.mark.parametrize(
    ("method", "passed_on"),
    [("GET", True), ("HEAD", True), ("PUT", True), ("DELETE", True), ("POST", False), ("PATCH", False)],
)
def test_nginx_passes_only_idempotent_requests_to_the_next_node(
    tool: Any, tmp_path: Path, method: str, passed_on: bool
) -> None:
    """paste-configs/nginx-cluster.conf as shipped, two nodes: one dies with the request read (closes without
    answering), one answers. An idempotent request goes on to the live node and is answered there; a POST or
    PATCH reaches one node only — nginx answers 502 rather than send it twice — and the client decides."""
    nginx_bin = tool("nginx", "apt-get install nginx")
    dying, live = StubNode(answers=False), StubNode(answers=True)
    proxy = Nginx(nginx_bin, tmp_path, [dying, live])  # type: ignore[list-item]
    try:
        answers = {}
        for n in range(4):  # round robin: the dying node gets the first or the second request
            request_id = f"{method.lower()}-{n}"
            connection = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=30)
            body = b"{}" if method in ("POST", "PUT", "PATCH") else None
            connection.request(method, "/v2.1/servers/x", body=body, headers={"X-Request-ID": request_id})
            response = connection.getresponse()
            response.read()
            connection.close()
            answers[request_id] = response.status
            if any(rid == request_id for _, rid in dying.seen):
                break
        assert len(dying.seen) == 1, (dying.seen, live.seen)
        failed = dying.seen[0][1]
        sent = [rid for _, rid in live.seen]
        assert all(seen_method == method for seen_method, _ in dying.seen + live.seen)
        if passed_on:
            assert answers[failed] == 200 and sent.count(failed) == 1, (answers, live.seen)
        else:
            assert answers[failed] == 502 and failed not in sent, (answers, live.seen)
        assert all(status == 200 for rid, status in answers.items() if rid != failed), answers
        deadline = time.monotonic() + 10  # nginx writes its log line once the response is out
        while f"rid={failed} " not in proxy.access_log():
            assert time.monotonic() < deadline, proxy.access_log()
            time.sleep(0.05)
    finally:
        proxy.stop()
        dying.stop()
        live.stop()
