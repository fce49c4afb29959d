"""Real servers on 127.0.0.1 for the integration tests.

Every request still goes through :class:`wsgikit.testing.TestApp` (WebTest + ``wsgiref.validate``): the
app under test is :class:`RemoteApp`, a small WSGI application that forwards each request to a real server
— over HTTP, or over the uwsgi protocol to a uWSGI ``--socket`` — and hands back its answer.

Servers are subprocesses with bounded start-up (readiness polled), and a finalizer that always stops them
(SIGTERM, then SIGKILL). A missing server binary skips the test, or fails it when ``CI=true``.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote_to_bytes

import pytest
from ports import free_port

from wsgikit.testing import TestApp

ROOT = Path(__file__).resolve().parents[2]
PASTE_CONFIGS = ROOT / "paste-configs"
VENV_BIN = Path(sys.executable).parent
START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0
IO_TIMEOUT = 30.0

HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "trailers"}
    | {"transfer-encoding", "upgrade"}
)


def require_binary(path: str | Path | None, what: str) -> str:
    """The binary's path; skip when it is missing, or fail when ``CI=true``.

    ``WSGIKIT_TEST_HIDE_TOOLS`` (see tests/conftest.py) names binaries to treat as missing.
    """
    hidden = set(os.environ.get("WSGIKIT_TEST_HIDE_TOOLS", "").replace(",", " ").split())
    if path is not None and os.access(path, os.X_OK) and Path(path).name not in hidden:
        return str(path)
    message = f"{what} is not installed"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (CI=true: a missing server fails the run)")
    pytest.skip(message)


def uwsgi_binary() -> str:
    return require_binary(shutil.which("uwsgi", path=str(VENV_BIN)), "uWSGI (pip install uwsgi)")


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    return require_binary(found, "nginx (apt-get install nginx)")


def template(source: Path, target: Path, replacements: dict[str, str]) -> Path:
    """Copy ``source`` to ``target``, replacing each literal, which must occur in the source."""
    text = source.read_text(encoding="utf-8")
    for old, new in replacements.items():
        assert old in text, f"{source.name} no longer contains {old!r}; update the test's template"
        text = text.replace(old, new)
    target.write_text(text, encoding="utf-8")
    return target


def kill_session(leader: int) -> None:
    """SIGKILL whatever is left of the process group ``leader`` started (orphaned uWSGI/gunicorn workers)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(leader, signal.SIGKILL)


class ServerProcess:
    """A server subprocess, its log file, and a bounded start and stop."""

    def __init__(self, name: str, argv: list[str], log: Path, *, cwd: Path | None = None) -> None:
        self.name = name
        self.argv = argv
        self.log_path = log
        self._log = open(log, "wb")  # noqa: SIM115 - closed in stop()
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        # a session of its own, so that stop() can reach workers a master leaves behind
        self.process = subprocess.Popen(
            argv, stdout=self._log, stderr=subprocess.STDOUT, cwd=cwd or ROOT, env=env, start_new_session=True
        )

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_for_port(self, port: int, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"{self.name} exited with {self.process.returncode}:\n{self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        pytest.fail(f"{self.name} did not listen on 127.0.0.1:{port} within {timeout}s:\n{self.log()}")

    def stop(self, sig: int = signal.SIGTERM) -> int:
        """Stop the process (``sig``, then SIGKILL after a timeout); its exit status."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_TIMEOUT)
        kill_session(self.process.pid)
        self._log.close()
        return self.process.returncode


@pytest.fixture(scope="module")
def start_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[..., ServerProcess]]:
    """Start servers for the module; every one is stopped when the module is done."""
    started: list[ServerProcess] = []
    logs = tmp_path_factory.mktemp("server-logs")

    def start(name: str, argv: list[str], *, port: int, cwd: Path | None = None) -> ServerProcess:
        if "gunicorn" in argv:  # `python -m gunicorn` or `wsgikit serve --server gunicorn`
            request.getfixturevalue("gunicorn")
        server = ServerProcess(name, argv, logs / f"{name}-{len(started)}.log", cwd=cwd)
        started.append(server)
        server.wait_for_port(port)
        return server

    yield start
    for server in reversed(started):
        server.stop()


# -- forwarding the test client's requests to a real server -------------------------------------------------

Answer = tuple[str, list[tuple[str, str]], Iterator[bytes], Callable[[], None]]


class HTTPTransport:
    """Send a request over HTTP/1.1 with :mod:`http.client`."""

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = port

    def send(self, method: str, target: str, headers: list[tuple[str, str]], body: bytes) -> Answer:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=IO_TIMEOUT)
        conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        for name, value in headers:
            conn.putheader(name, value)
        conn.endheaders(body if body or method in ("POST", "PUT", "PATCH") else None)
        response = conn.getresponse()
        return _answer(response, conn.close)


def gateway_variables(
    method: str, target: str, headers: list[tuple[str, str]], host: str, port: int
) -> dict[str, str]:
    """The CGI variables nginx sends with ``uwsgi_pass`` and ``fastcgi_pass`` for one request."""
    path, _, query = target.partition("?")
    variables = {
        "REQUEST_METHOD": method,
        "REQUEST_URI": target,
        "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "SERVER_NAME": host,
        "SERVER_PORT": str(port),
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "50000",
        "REQUEST_SCHEME": "http",
    }
    for name, value in headers:
        key = name.upper().replace("-", "_")
        variables[key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else "HTTP_" + key] = value
    return variables


class UwsgiTransport:
    """Send a request over the uwsgi protocol, as nginx's ``uwsgi_pass`` does.

    A packet is a 4-byte header — modifier1 (0 = WSGI), the 16-bit little-endian size of the vars,
    modifier2 — then each CGI variable as a 16-bit little-endian length and bytes, key then value; the body
    follows. uWSGI answers with a plain HTTP response.
    """

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = port

    def send(self, method: str, target: str, headers: list[tuple[str, str]], body: bytes) -> Answer:
        variables = gateway_variables(method, target, headers, self.host, self.port)
        packed = b"".join(
            struct.pack("<H", len(k)) + k + struct.pack("<H", len(v)) + v
            for k, v in ((k.encode("latin-1"), v.encode("latin-1")) for k, v in variables.items())
        )
        sock = socket.create_connection((self.host, self.port), timeout=IO_TIMEOUT)
        sock.sendall(struct.pack("<BHB", 0, len(packed), 0) + packed + body)
        response = http.client.HTTPResponse(sock, method=method)
        response.begin()
        return _answer(response, sock.close)


class FastCGITransport:
    """Send a request over FastCGI, as nginx's ``fastcgi_pass`` does, to a uWSGI ``--fastcgi-socket``.

    Records are an 8-byte header (version 1, type, request id, content length, padding length) and a
    body: BEGIN_REQUEST (the responder role), the CGI variables as PARAMS name-value pairs, the body as
    STDIN, each stream ended by an empty record; the answer comes back as STDOUT records — CGI-style
    headers (``Status: 200 OK``) and the body — until END_REQUEST.
    """

    BEGIN_REQUEST, END_REQUEST, PARAMS, STDIN, STDOUT, STDERR = 1, 3, 4, 5, 6, 7

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = port

    @staticmethod
    def record(kind: int, content: bytes, request_id: int = 1) -> bytes:
        padding = -len(content) % 8
        return struct.pack(">BBHHBx", 1, kind, request_id, len(content), padding) + content + b"\0" * padding

    @staticmethod
    def pair(name: bytes, value: bytes) -> bytes:
        def length(n: int) -> bytes:
            return bytes([n]) if n < 128 else struct.pack(">I", n | 0x80000000)

        return length(len(name)) + length(len(value)) + name + value

    def send(self, method: str, target: str, headers: list[tuple[str, str]], body: bytes) -> Answer:
        variables = {"GATEWAY_INTERFACE": "CGI/1.1", "SCRIPT_NAME": ""}
        variables.update(gateway_variables(method, target, headers, self.host, self.port))
        params = b"".join(self.pair(k.encode("latin-1"), v.encode("latin-1")) for k, v in variables.items())
        out = [self.record(self.BEGIN_REQUEST, struct.pack(">HB5x", 1, 0))]
        out += [self.record(self.PARAMS, params[i : i + 65535]) for i in range(0, len(params), 65535)]
        out.append(self.record(self.PARAMS, b""))
        out += [self.record(self.STDIN, body[i : i + 65535]) for i in range(0, len(body), 65535)]
        out.append(self.record(self.STDIN, b""))
        with socket.create_connection((self.host, self.port), timeout=IO_TIMEOUT) as sock:
            sock.sendall(b"".join(out))
            stream = sock.makefile("rb")
            stdout = bytearray()
            while True:
                header = stream.read(8)
                if len(header) < 8:
                    raise ConnectionError("FastCGI stream ended before END_REQUEST")
                _, kind, _, length, padding = struct.unpack(">BBHHBx", header)
                content = stream.read(length + padding)[:length]
                if kind == self.STDOUT:
                    stdout += content
                elif kind == self.END_REQUEST:
                    break
        head, _, payload = bytes(stdout).partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = "200 OK"
        if lines and lines[0].startswith("HTTP/"):  # some servers answer with a full status line
            status = lines.pop(0).split(" ", 1)[1]
        response_headers: list[tuple[str, str]] = []
        for line in lines:
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = value.strip()
            elif name.lower() not in HOP_BY_HOP:
                response_headers.append((name, value.strip()))
        return status, response_headers, iter([payload] if payload else []), lambda: None


def _answer(response: http.client.HTTPResponse, close: Callable[[], None]) -> Answer:
    headers = [(name, value) for name, value in response.getheaders() if name.lower() not in HOP_BY_HOP]

    def chunks() -> Iterator[bytes]:
        while chunk := response.read1(65536):
            yield chunk

    def close_all() -> None:
        response.close()
        close()

    return f"{response.status} {response.reason}", headers, chunks(), close_all


class _Body:
    def __init__(self, chunks: Iterator[bytes], close: Callable[[], None]) -> None:
        self._chunks = chunks
        self.close = close

    def __iter__(self) -> Iterator[bytes]:
        return self._chunks


class RemoteApp:
    """A WSGI application that forwards each request to a real server through ``transport``."""

    def __init__(self, transport: Any) -> None:
        self.transport = transport

    def __call__(self, environ: dict[str, Any], start_response: Any) -> _Body:
        path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        target = quote(path.encode("latin-1"), safe="/;:@&=+$,!~*'()%")
        if environ.get("QUERY_STRING"):
            target += "?" + environ["QUERY_STRING"]
        headers = [
            (key[5:].replace("_", "-").title(), value)
            for key, value in environ.items()
            if key.startswith("HTTP_") and key not in ("HTTP_CONNECTION", "HTTP_KEEP_ALIVE")
        ]
        if environ.get("CONTENT_TYPE"):
            headers.append(("Content-Type", environ["CONTENT_TYPE"]))
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        if length or environ["REQUEST_METHOD"] in ("POST", "PUT", "PATCH"):
            headers.append(("Content-Length", str(len(body))))
        status, response_headers, chunks, close = self.transport.send(
            environ["REQUEST_METHOD"], target, headers, body
        )
        start_response(status, response_headers)
        return _Body(chunks, close)


class Recorder:
    """Keeps the status, headers and body of the last response as they were sent (WebTest decodes gzip
    before a test sees the body)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.status = ""
        self.headers: list[tuple[str, str]] = []
        self.body = b""

    def header(self, name: str) -> str | None:
        values = [value for key, value in self.headers if key.lower() == name.lower()]
        return ", ".join(values) if values else None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> _Body:
        self.status, self.headers, self.body = "", [], b""

        def recording_start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            self.status, self.headers = status, list(headers)
            return start_response(status, headers, exc_info)

        result = self.app(environ, recording_start_response)

        def chunks() -> Iterator[bytes]:
            for chunk in result:
                self.body += chunk
                yield chunk

        return _Body(chunks(), getattr(result, "close", lambda: None))


def recording_client(app: Any) -> TestApp:
    """A validated WebTest client whose ``.recorder`` holds the last response as sent."""
    recorder = Recorder(app)
    client = TestApp(recorder)
    client.recorder = recorder
    return client


def remote_client(transport: Any) -> TestApp:
    """A WebTest client (requests and responses validated) talking to a real server."""
    return recording_client(RemoteApp(transport))


# -- fixtures (test modules use these rather than importing this file) --------------------------------------


@pytest.fixture(scope="session")
def http_client() -> Callable[[int], TestApp]:
    """``http_client(port)`` → a validated WebTest client for an HTTP server on 127.0.0.1."""
    return lambda port: remote_client(HTTPTransport(port))


@pytest.fixture(scope="session")
def uwsgi_client() -> Callable[[int], TestApp]:
    """``uwsgi_client(port)`` → a validated WebTest client for a uWSGI ``--socket`` on 127.0.0.1."""
    return lambda port: remote_client(UwsgiTransport(port))


@pytest.fixture(scope="session")
def fastcgi_client() -> Callable[[int], TestApp]:
    """``fastcgi_client(port)`` → a validated WebTest client for a FastCGI socket (uWSGI
    ``--fastcgi-socket``) on 127.0.0.1."""
    return lambda port: remote_client(FastCGITransport(port))


@pytest.fixture(scope="session")
def transport_client() -> Callable[[Any], TestApp]:
    """``transport_client(transport)`` → a validated WebTest client for any object with the transports'
    ``send(method, target, headers, body)`` (e.g. a CGI runner in the test module)."""
    return remote_client


@pytest.fixture(scope="session")
def local_client() -> Callable[[Any], TestApp]:
    """``local_client(app)`` → a validated WebTest client calling ``app`` in this process."""
    return recording_client


@pytest.fixture(scope="session")
def port_factory() -> Callable[[], int]:
    return free_port


@pytest.fixture(scope="session")
def render_config() -> Callable[[Path, Path, dict[str, str]], Path]:
    return template


@pytest.fixture(scope="session")
def uwsgi_bin() -> str:
    return uwsgi_binary()


@pytest.fixture(scope="session")
def nginx_bin() -> str:
    return nginx_binary()


@pytest.fixture(scope="session")
def logrotate_bin() -> str:
    # /usr/sbin is not on every user's PATH
    found = shutil.which("logrotate", path=f"{os.environ.get('PATH', '')}:/usr/sbin")
    return require_binary(found, "logrotate (apt-get install logrotate)")


@pytest.fixture(scope="session")
def fcgiwrap_bin() -> str:
    """fcgiwrap (Debian's package): runs CGI scripts for nginx, a process per request."""
    found = shutil.which("fcgiwrap", path=f"{os.environ.get('PATH', '')}:/usr/sbin")
    return require_binary(found, "fcgiwrap (apt-get install fcgiwrap)")
