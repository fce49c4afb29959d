"""ProxyApp against real backends on 127.0.0.1: a waitress WSGI app and a raw http.server for responses no
WSGI app may produce (hop-by-hop headers, chunked framing)."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from wsgiref.validate import validator

import pytest
import webob
from paste.deploy import loadapp
from ports import free_port
from waitress import wasyncore
from waitress.server import create_server

from wsgikit.deploy.components import proxy as proxy_component
from wsgikit.deploy.options import ConfigError
from wsgikit.middleware.proxy import ProxyApp
from wsgikit.testing import TestApp
from wsgikit.types import StartResponse, WSGIEnvironment, WSGIIterable

release = threading.Event()


def backend_app(environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
    path = environ["PATH_INFO"]
    if path == "/stream":
        # The second chunk waits until the test has received the first one through the proxy.
        def stream() -> Iterator[bytes]:
            yield b"first-" * 20000
            release.wait(10)
            yield b"second"

        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return stream()
    if path == "/slow":
        threading.Event().wait(1)
    if path == "/cookies":
        start_response(
            "201 Created",
            [
                ("Content-Type", "text/plain"),
                ("Set-Cookie", "a=1"),
                ("Set-Cookie", "b=2"),
                ("Content-Length", "0"),
            ],
        )
        return []
    if path == "/missing":
        start_response("404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", "4")])
        return [b"nope"]
    body = environ["wsgi.input"].read()
    seen = {
        "method": environ["REQUEST_METHOD"],
        "uri": environ.get("REQUEST_URI"),
        "path": path,
        "query": environ.get("QUERY_STRING", ""),
        "content_length": environ.get("CONTENT_LENGTH"),
        "content_type": environ.get("CONTENT_TYPE"),
        "headers": {k[5:]: v for k, v in environ.items() if k.startswith("HTTP_")},
        "body_sha": hashlib.sha256(body).hexdigest(),
        "body_len": len(body),
    }
    out = json.dumps(seen).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(out)))])
    return [out]


@pytest.fixture(scope="module")
def backend() -> Iterator[str]:
    server = create_server(
        backend_app,
        host="127.0.0.1",
        port=0,
        threads=4,
        channel_timeout=10,
        clear_untrusted_proxy_headers=False,  # let the test see the X-Forwarded-* the proxy sent
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        release.set()
        # close every socket from inside the loop thread (server.close() from here races the loop's select
        # and can kill the thread with an exception), so the loop ends with an empty map
        server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
        thread.join(10)
        server.task_dispatcher.shutdown()
        assert not thread.is_alive(), "waitress did not stop"


class RawHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Connection", "keep-alive, X-Foo")
        self.send_header("X-Foo", "1")
        self.send_header("X-Bar", "2")
        self.send_header("Keep-Alive", "timeout=5")
        self.send_header("Trailer", "X-Checksum")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for part in (b"hello ", b"chunked ", b"world"):
            self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
        self.wfile.write(b"0\r\n\r\n")
        self.close_connection = True

    def do_HEAD(self) -> None:
        # a backend that wrongly sends a body with its HEAD answer, on a kept-alive connection
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", "5")
        self.end_headers()
        self.wfile.flush()
        # late, so that the bytes are not yet there when the proxy takes the connection for the next request
        threading.Event().wait(0.3)
        self.wfile.write(b"oops!")

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def raw_backend() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), RawHandler)
    server.timeout = 5
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def test_forwards_method_path_query_headers_and_body(backend: str) -> None:
    client = TestApp(ProxyApp(backend + "/base/"), extra_environ={"REMOTE_ADDR": "198.51.100.7"})
    body = bytes(range(256)) * 4096  # 1 MiB, streamed up in chunks
    response = client.post(
        "/a%20b/%C3%BC?x=1&y=%2F",
        params=body,
        content_type="application/octet-stream",
        headers={
            "X-Custom": "yes",
            "Connection": "X-Drop-Me",
            "X-Drop-Me": "1",
            "Proxy-Authorization": "Basic eA==",
            "Te": "trailers",
            "Expect": "100-continue",
            "X-Forwarded-For": "203.0.113.1",
        },
    )
    seen = response.json
    assert seen["method"] == "POST"
    assert seen["path"] == "/base/a b/ü".encode().decode("latin-1")
    assert seen["query"] == "x=1&y=%2F"
    assert seen["body_len"] == len(body)
    assert seen["body_sha"] == hashlib.sha256(body).hexdigest()
    assert seen["content_length"] == str(len(body))
    assert seen["content_type"] == "application/octet-stream"
    headers = seen["headers"]
    assert headers["X_CUSTOM"] == "yes"
    for gone in ("X_DROP_ME", "PROXY_AUTHORIZATION", "TE", "EXPECT"):
        assert gone not in headers
    assert headers["X_FORWARDED_FOR"] == "203.0.113.1, 198.51.100.7"
    assert headers["X_FORWARDED_PROTO"] == "http"
    assert headers["X_FORWARDED_HOST"] == "localhost:80"
    assert headers["HOST"] == backend.split("//")[1]


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH", "OPTIONS"])
def test_methods(backend: str, method: str) -> None:
    response = TestApp(ProxyApp(backend)).request("/m", method=method)
    assert response.json["method"] == method


def test_head(backend: str) -> None:
    response = TestApp(ProxyApp(backend)).head("/missing", status=404)
    assert response.body == b""


def test_status_and_repeated_headers_pass_through(backend: str) -> None:
    client = TestApp(ProxyApp(backend))
    response = client.get("/cookies", status=201)
    assert response.headers.getall("Set-Cookie") == ["a=1", "b=2"]
    assert client.get("/missing", status=404).body == b"nope"


def test_preserve_host(backend: str) -> None:
    client = TestApp(ProxyApp(backend, preserve_host=True, forwarded_headers=False))
    headers = client.get("/", headers={"Host": "api.example", "X-Forwarded-For": "1.2.3.4"}).json["headers"]
    assert headers["HOST"] == "api.example"
    assert headers["X_FORWARDED_FOR"] == "1.2.3.4"  # passed on untouched when not adding our own
    assert "X_FORWARDED_PROTO" not in headers


def test_hop_by_hop_response_headers_removed(raw_backend: str) -> None:
    response = TestApp(ProxyApp(raw_backend)).get("/")
    assert response.body == b"hello chunked world"
    for name in ("Connection", "X-Foo", "Keep-Alive", "Transfer-Encoding", "Trailer"):
        assert name not in response.headers
    assert response.headers["X-Bar"] == "2"


def test_a_body_sent_after_head_does_not_poison_the_pooled_connection(raw_backend: str) -> None:
    client = TestApp(ProxyApp(raw_backend))
    for _ in range(3):
        assert client.head("/").headers["Content-Length"] == "5"
        assert client.get("/").body == b"hello chunked world"


def run(app: Any, environ: WSGIEnvironment) -> tuple[list[str], Any]:
    status: list[str] = []

    def start_response(s: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        status.append(s)
        return lambda data: None

    return status, validator(app)(environ, start_response)


def test_response_streams(backend: str) -> None:
    release.clear()
    status, body = run(ProxyApp(backend, chunk_size=4096), webob.Request.blank("/stream").environ)
    try:
        chunks = iter(body)
        received = b""
        while len(received) < len(b"first-") * 20000:
            received += next(chunks)  # arrives while the backend is still waiting for `release`
        assert received == b"first-" * 20000
        release.set()
        assert b"".join(chunks) == b"second"
    finally:
        release.set()
        body.close()
    assert status == ["200 OK"]


def test_chunked_request_body_is_sent_chunked(backend: str) -> None:
    data = b"x" * 200_000
    environ = webob.Request.blank("/upload", method="POST").environ
    environ.pop("CONTENT_LENGTH", None)
    environ["wsgi.input"] = io.BytesIO(data)
    environ["wsgi.input_terminated"] = True
    status, body = run(ProxyApp(backend, chunk_size=65536), environ)
    try:
        seen = json.loads(b"".join(body))
    finally:
        body.close()
    assert status == ["200 OK"]
    assert seen["body_len"] == len(data)
    assert seen["headers"].get("TRANSFER_ENCODING", "chunked") == "chunked"


def test_connection_refused_is_502() -> None:
    response = TestApp(ProxyApp(f"http://127.0.0.1:{free_port()}")).get("/", status=502)
    assert response.json["status"] == 502
    assert "127.0.0.1" not in response.text


def test_timeout_is_504(backend: str) -> None:
    response = TestApp(ProxyApp(backend, timeout=0.2)).get("/slow", status=504)
    assert response.json["status"] == 504


@pytest.mark.parametrize(
    ("environ", "status"),
    [
        pytest.param({"QUERY_STRING": "a=1\r\nX-Evil: 1"}, 400, id="crlf-query"),
        pytest.param({"HTTP_X_EVIL": "a\r\nInjected: 1"}, 400, id="crlf-header"),
        pytest.param({"PATH_INFO": "/☃"}, 400, id="non-latin1-path"),
    ],
)
def test_malformed_requests(backend: str, environ: dict[str, str], status: int) -> None:
    base = webob.Request.blank("/").environ
    base.update(environ)
    statuses, body = run(ProxyApp(backend), base)
    try:
        b"".join(body)
    finally:
        body.close()
    assert statuses[0].startswith(str(status))


def test_short_request_body_is_400(backend: str) -> None:
    environ = webob.Request.blank("/", method="POST").environ
    environ["CONTENT_LENGTH"] = "100"
    environ["wsgi.input"] = io.BytesIO(b"short")
    statuses, body = run(ProxyApp(backend), environ)
    body.close()
    assert statuses[0].startswith("400")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"url": "ftp://x"}, "url"),
        ({"url": "http://"}, "url"),
        ({"url": "http://h/?q=1"}, "url"),
        ({"url": "http://u:p@h/"}, "url"),
        ({"url": "http://h:99999/"}, "url"),
        ({"url": "http://h", "timeout": 0}, "timeout"),
        ({"url": "http://h", "chunk_size": 0}, "chunk_size"),
    ],
)
def test_bad_options(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ProxyApp(**kwargs)


def test_paste_ini(backend: str, tmp_path: Any) -> None:
    ini = tmp_path / "paste.ini"
    ini.write_text(f"[app:main]\nuse = egg:wsgikit#proxy\nurl = {backend}/p\ntimeout = 5s\n")
    assert TestApp(loadapp(f"config:{ini}")).get("/x").json["path"] == "/p/x"
    with pytest.raises(ConfigError) as caught:
        proxy_component.app_factory({}, url="ftp://x")
    assert caught.value.key == "url"
    with pytest.raises(ConfigError, match="did you mean 'timeout'"):
        proxy_component.app_factory({}, url="http://h", timout="1")


def test_check_names_file_line_section_and_key(tmp_path: Any) -> None:
    from wsgikit.deploy import check_config

    ini = tmp_path / "paste.ini"
    ini.write_text(
        "[app:main]\nuse = egg:wsgikit#proxy\n"
        "backends = http://127.0.0.1:8001 weight=2\n    127.0.0.1:8002\n"
        "policy = fastest\nhash_key = not a header\n"
        "[app:one]\nuse = egg:wsgikit#proxy\nurl = http://h\nbackends = http://h2\nmax_fails = -1\n"
    )
    found = [(p.line, p.section, p.key) for p in check_config(str(ini))]
    assert found == [
        (3, "app:main", "backends"),
        (5, "app:main", "policy"),
        (6, "app:main", "hash_key"),
        (10, "app:one", "backends"),
        (11, "app:one", "max_fails"),
    ]
    problems = {(p.section, p.key): str(p) for p in check_config(str(ini))}
    assert problems["app:main", "policy"] == (
        f"{ini}:5 [app:main] policy: expected one of round_robin, least_conn, hash, got 'fastest'"
    )
    assert "expected http://host[:port][/path], got '127.0.0.1:8002'" in problems["app:main", "backends"]
    assert "give url or backends, not both" in problems["app:one", "backends"]


def test_balancing_options_from_paste_ini(backend: str, tmp_path: Any) -> None:
    ini = tmp_path / "paste.ini"
    ini.write_text(
        "[app:main]\nuse = egg:wsgikit#proxy\n"
        f"backends = {backend}/a weight=3, {backend}/b\n"
        "policy = least_conn\nmax_fails = 3\nfail_timeout = 2s\nretry_methods = get head\nkeepalive = 2\n"
    )
    app = loadapp(f"config:{ini}")
    assert [(b.spec.prefix, b.weight) for b in app.backends] == [("/a", 3), ("/b", 1)]
    assert (app.balancer.policy, app.balancer.max_fails, app.balancer.fail_timeout) == ("least_conn", 3, 2.0)
    assert app.retry_methods == {"GET", "HEAD"}
    assert {TestApp(app).get("/x").json["path"] for _ in range(4)} == {"/a/x", "/b/x"}
    with pytest.raises(ConfigError, match=r"give url \(one backend\) or backends"):
        proxy_component.app_factory({})


class OneRequestPerConnection(BaseHTTPRequestHandler):
    """Keeps each connection open after answering, then drops it unanswered when it is reused: what a
    backend whose keep-alive timeout expires just as the proxy reuses the connection looks like."""

    protocol_version = "HTTP/1.1"
    served = 0

    def handle(self) -> None:
        self.handle_one_request()  # the first request only; the next one on this connection is dropped
        with contextlib.suppress(OSError):
            self.rfile.readline()

    def do_GET(self) -> None:
        type(self).served += 1
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_kept_alive_connection_closed_by_the_backend_is_retried_once(method: str) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), OneRequestPerConnection)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    OneRequestPerConnection.served = 0
    OneRequestPerConnection.do_POST = OneRequestPerConnection.do_GET  # type: ignore[attr-defined]
    try:
        client = TestApp(ProxyApp(f"http://127.0.0.1:{server.server_address[1]}"))
        assert client.get("/").body == b"ok"
        if method == "GET":
            # the pooled connection is dropped unanswered: retried on a new one, the client never knows
            for _ in range(3):
                assert client.get("/").body == b"ok"
            assert OneRequestPerConnection.served == 4
        else:
            # a POST may have been acted on: never replayed, even on a reused connection
            client.post("/", params=b"x", status=502)
            assert OneRequestPerConnection.served == 1
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
