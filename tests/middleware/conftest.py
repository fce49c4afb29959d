"""Shared helpers for the middleware tests: a tiny in-process "server" that drives an application through
``wsgiref.validate.validator`` the way a real server would, and records everything it saw; for the auth
files, a clock the tests move and a record of ``os.stat`` calls."""

from __future__ import annotations

import gzip
import os
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from wsgiref.validate import validator

import pytest
import webob

from wsgikit.wsgi import close_iterable, get_header, status_code


@dataclass
class Served:
    """What a client of :func:`serve` would have received."""

    status: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    chunks: list[bytes] = field(default_factory=list)
    error: BaseException | None = None
    #: start_response calls that came after the headers were sent (the server rejected them)
    late_calls: list[tuple[str, bool]] = field(default_factory=list)
    #: chunks the application produced after one of its late start_response calls was rejected
    chunks_after_rejection: int = 0
    headers_sent: bool = False

    @property
    def body(self) -> bytes:
        return b"".join(self.chunks)

    @property
    def code(self) -> int:
        assert self.status is not None
        return status_code(self.status)

    def header(self, name: str) -> str | None:
        return get_header(self.headers, name)

    def decoded(self) -> bytes:
        """The body with its Content-Encoding removed."""
        return decode(self.body, self.header("Content-Encoding"))


def decode(body: bytes, encoding: str | None) -> bytes:
    if encoding is None:
        return body
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "br":
        import brotli

        return bytes(brotli.decompress(body))
    if encoding == "zstd":
        import zstandard

        return bytes(zstandard.ZstdDecompressor().decompressobj().decompress(body))
    raise AssertionError(f"unexpected Content-Encoding {encoding!r}")


def make_environ(
    path: str = "/",
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    **extra: Any,
) -> dict[str, Any]:
    request = webob.Request.blank(path, method=method, headers=headers or {})
    if body is not None:
        request.body = body
    environ: dict[str, Any] = request.environ
    environ.update(extra)
    return environ


def run_request(
    app: Callable[..., Any],
    path: str = "/",
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    environ: dict[str, Any] | None = None,
    stop_after: int | None = None,
    validate: bool = True,
    **extra: Any,
) -> Served:
    """Run one request through ``validator(app)`` like a server: headers count as sent at the first
    non-empty chunk; a ``start_response`` with ``exc_info`` after that re-raises it; the iterable is
    always closed. ``stop_after`` closes the response early, like a client that went away."""
    if environ is None:
        environ = make_environ(path, method=method, headers=headers, body=body, **extra)
    served = Served()

    def write(data: bytes) -> None:
        assert served.status is not None, "write() before start_response"
        if data:
            served.headers_sent = True
        served.chunks.append(data)

    def start_response(status: str, response_headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        if served.headers_sent:
            served.late_calls.append((status, exc_info is not None))
            if exc_info is not None:
                raise exc_info[1].with_traceback(exc_info[2])
            raise AssertionError("start_response called after the headers were sent, without exc_info")
        if served.status is not None and exc_info is None:
            raise AssertionError("start_response called twice without exc_info")
        served.status = status
        served.headers = list(response_headers)
        return write

    wrapped = validator(app) if validate else app
    try:
        result = wrapped(environ, start_response)
        try:
            for chunk in result:
                if served.late_calls:
                    served.chunks_after_rejection += 1
                if chunk:
                    served.headers_sent = True
                served.chunks.append(chunk)
                if stop_after is not None and len(served.chunks) >= stop_after:
                    break
        finally:
            close_iterable(result)
    except Exception as error:
        served.error = error
    return served


@pytest.fixture
def serve() -> Callable[..., Served]:
    """:func:`run_request`: one request through ``validator(app)``, recorded as :class:`Served`."""
    return run_request


@pytest.fixture
def environ_for() -> Callable[..., dict[str, Any]]:
    """:func:`make_environ`: a complete WSGI environ for a path, method, headers and body."""
    return make_environ


@pytest.fixture
def decode_body() -> Callable[[bytes, str | None], bytes]:
    """:func:`decode`: remove a Content-Encoding (gzip, br, zstd)."""
    return decode


@pytest.fixture
def inflate() -> Callable[[bytes], bytes]:
    """Decode a gzip stream that may be incomplete (what a client has so far)."""

    def run(data: bytes) -> bytes:
        return zlib.decompressobj(31).decompress(data)

    return run


class Clock:
    """A stand-in for :func:`time.monotonic` that moves only when a test moves it."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def auth_clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The monotonic clock of the auth files' re-reading (``wsgikit.middleware._authfiles``), frozen."""
    from wsgikit.middleware import _authfiles

    clock = Clock()
    monkeypatch.setattr(_authfiles, "monotonic", clock)
    return clock


@pytest.fixture
def stat_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every path ``os.stat`` is called with while the test runs (the real call is still made)."""
    from wsgikit.middleware import _authfiles

    calls: list[str] = []
    real = os.stat

    def recording(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
        calls.append(os.fsdecode(path) if isinstance(path, str | bytes | os.PathLike) else str(path))
        return real(path, *args, **kwargs)

    # the same os module as everyone's: the record is filtered by path where it is read
    monkeypatch.setattr(_authfiles.os, "stat", recording)
    return calls
