"""Streaming and aborting over a real socket: waitress on 127.0.0.1 (ephemeral port), in a thread."""

from __future__ import annotations

import http.client
import logging
import threading
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from wsgiref.validate import validator

import pytest

from wsgikit.middleware.errors import ErrorCatcherMiddleware
from wsgikit.middleware.gzip import GzipMiddleware
from wsgikit.middleware.request_id import RequestIdMiddleware

pytestmark = pytest.mark.integration

TIMEOUT = 10


@contextmanager
def waitress_server(app: Callable[..., Any]) -> Iterator[int]:
    from waitress import wasyncore
    from waitress.server import create_server

    # waitress 3 sends each chunk as soon as it has it (send_bytes defaults to 1)
    server: Any = create_server(app, host="127.0.0.1", port=0, threads=2, channel_timeout=TIMEOUT)
    thread = threading.Thread(target=server.run, name="waitress-test", daemon=True)
    thread.start()
    try:
        yield int(server.effective_port)
    finally:
        # close every socket from inside the loop thread, so the loop ends with an empty map
        server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
        thread.join(timeout=TIMEOUT)
        server.task_dispatcher.shutdown()
        assert not thread.is_alive(), "waitress did not stop"


def connect(port: int) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)


def test_streamed_gzip_first_chunk_is_decodable_before_the_second_exists() -> None:
    first = b"first chunk, " * 100
    second = b"second chunk, " * 100
    client_decoded_first = threading.Event()
    produced: list[bytes] = []

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        produced.append(first)
        yield first
        # the second chunk does not exist until the client has decoded the first
        if not client_decoded_first.wait(TIMEOUT):
            raise RuntimeError("the client never decoded the first chunk")
        produced.append(second)
        yield second

    with waitress_server(validator(GzipMiddleware(app))) as port:
        connection = connect(port)
        try:
            connection.request("GET", "/", headers={"Accept-Encoding": "gzip"})
            response = connection.getresponse()
            assert response.status == 200
            assert response.getheader("Content-Encoding") == "gzip"
            assert response.getheader("Content-Length") is None
            decoder = zlib.decompressobj(31)
            decoded = b""
            while len(decoded) < len(first):
                data = response.read1(65536)
                assert data, "connection ended before the first chunk was decodable"
                decoded += decoder.decompress(data)
            assert decoded == first
            assert produced == [first]  # the app is still waiting: nothing was buffered
            client_decoded_first.set()
            decoded += decoder.decompress(response.read())
            assert decoded == first + second
            assert decoder.eof
        finally:
            client_decoded_first.set()
            connection.close()


def test_error_after_first_chunk_reaches_the_client_truncated(caplog: pytest.LogCaptureFixture) -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "application/json")])
        yield b'{"servers": ['
        raise RuntimeError("database went away")

    stack = validator(RequestIdMiddleware(ErrorCatcherMiddleware(app)))
    with caplog.at_level(logging.ERROR), waitress_server(stack) as port:
        connection = connect(port)
        try:
            connection.request("GET", "/servers")
            response = connection.getresponse()
            assert response.status == 200  # the status was already on the wire
            request_id = response.getheader("X-Request-ID")
            with pytest.raises(http.client.IncompleteRead) as truncated:
                response.read()
            partial = truncated.value.partial
        finally:
            connection.close()

    assert partial == b'{"servers": ['  # truncated, with no error page spliced in
    errors = [r for r in caplog.records if r.name == "wsgikit.errors"]
    assert len(errors) == 1
    assert errors[0].request_id == request_id  # type: ignore[attr-defined]
    assert "aborted" in errors[0].getMessage()


def test_error_before_first_chunk_is_a_complete_500() -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "application/json")])
        raise RuntimeError("before any byte")
        yield b""  # pragma: no cover

    stack = validator(RequestIdMiddleware(GzipMiddleware(ErrorCatcherMiddleware(app))))
    with waitress_server(stack) as port:
        connection = connect(port)
        try:
            connection.request("GET", "/", headers={"Accept-Encoding": "gzip"})
            response = connection.getresponse()
            body = response.read()
            assert response.status == 500
            assert response.getheader("Content-Length") == str(len(body))
            assert b"before any byte" not in body
            # keep-alive still works: the connection was not broken
            connection.request("GET", "/")
            assert connection.getresponse().status == 500
        finally:
            connection.close()
