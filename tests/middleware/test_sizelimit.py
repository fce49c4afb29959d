from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from wsgikit.deploy.components.sizelimit import filter_factory
from wsgikit.deploy.options import ConfigError
from wsgikit.middleware.errors import ErrorCatcherMiddleware
from wsgikit.middleware.sizelimit import BodyTooLarge, LimitedInput, SizeLimitMiddleware
from wsgikit.testing import TestApp

LIMIT = 1000


class Stream(io.BytesIO):
    """A server input stream that records how far it was read."""

    @property
    def consumed(self) -> int:
        return self.tell()


def reader(how: str) -> Callable[..., Any]:
    """An app that reads its whole body one way and answers with its length."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        stream = environ["wsgi.input"]
        if how == "read()":
            data = stream.read()
        elif how == "read(n)":
            data = b""
            while chunk := stream.read(100):
                data += chunk
        elif how == "readline()":
            data = b""
            while line := stream.readline():
                data += line
        elif how == "readlines()":
            data = b"".join(stream.readlines())
        else:
            data = b"".join(stream)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [str(len(data)).encode()]

    return app


READS = ["read()", "read(n)", "readline()", "readlines()", "iteration"]


def chunked_environ(environ_for: Callable[..., Any], body: bytes) -> dict[str, Any]:
    """A chunked upload as gunicorn and Werkzeug present it: no CONTENT_LENGTH, the Transfer-Encoding
    header, wsgi.input_terminated set. (waitress reads the whole body first and gives its length.)"""
    environ = environ_for(method="POST")
    environ.pop("CONTENT_LENGTH", None)
    environ["HTTP_TRANSFER_ENCODING"] = "chunked"
    environ["wsgi.input"] = Stream(body)
    environ["wsgi.input_terminated"] = True
    return environ


@pytest.mark.parametrize("how", READS)
def test_without_length_or_transfer_encoding_the_input_stays_limited(
    how: str, environ_for: Callable[..., Any]
) -> None:
    """No Content-Length and no Transfer-Encoding: no body (RFC 9112, 6.3), so the app is called without
    the 413-on-read machinery; a server that gave a body all the same still cannot pass the limit."""
    environ = chunked_environ(environ_for, b"w" * (10 * LIMIT))
    del environ["HTTP_TRANSFER_ENCODING"]
    stream = environ["wsgi.input"]
    with pytest.raises(BodyTooLarge):
        SizeLimitMiddleware(reader(how), max_body_size=LIMIT)(environ, lambda *args: None)
    assert stream.consumed <= LIMIT + 1


@pytest.mark.parametrize("how", READS)
def test_oversized_content_length_is_refused_unread(
    how: str, serve: Callable[..., Any], environ_for: Callable[..., Any]
) -> None:
    environ = environ_for(method="POST", body=b"x" * (LIMIT + 1))
    stream = environ["wsgi.input"] = Stream(b"x" * (LIMIT + 1))
    served = serve(SizeLimitMiddleware(reader(how), max_body_size=LIMIT), environ=environ)
    assert served.code == 413
    assert stream.consumed == 0
    assert int(served.header("Content-Length")) == len(served.body)


@pytest.mark.parametrize("size", [0, 1, LIMIT - 1, LIMIT])
@pytest.mark.parametrize("how", READS)
def test_bodies_up_to_the_limit_pass(size: int, how: str) -> None:
    body = b"line\n" * (size // 5) + b"x" * (size % 5)
    response = TestApp(SizeLimitMiddleware(reader(how), max_body_size=LIMIT)).post("/", body)
    assert response.text == str(size)


@pytest.mark.parametrize("how", READS)
@pytest.mark.parametrize("size", [LIMIT + 1, 10 * LIMIT, 100 * LIMIT])
def test_chunked_bodies_are_cut_off(
    how: str, size: int, serve: Callable[..., Any], environ_for: Callable[..., Any]
) -> None:
    body = (b"y" * 99 + b"\n") * (size // 100 + 1)
    environ = chunked_environ(environ_for, body)
    stream = environ["wsgi.input"]
    served = serve(SizeLimitMiddleware(reader(how), max_body_size=LIMIT), environ=environ)
    assert served.code == 413
    assert stream.consumed <= LIMIT + 1  # never more than one byte past the limit


@pytest.mark.parametrize("how", READS)
def test_chunked_bodies_within_the_limit(
    how: str, serve: Callable[..., Any], environ_for: Callable[..., Any]
) -> None:
    body = b"z\n" * (LIMIT // 2)
    served = serve(
        SizeLimitMiddleware(reader(how), max_body_size=LIMIT), environ=chunked_environ(environ_for, body)
    )
    assert served.code == 200 and served.body == str(LIMIT).encode()


@pytest.mark.parametrize("how", READS)
def test_never_reads_past_content_length(
    how: str, serve: Callable[..., Any], environ_for: Callable[..., Any]
) -> None:
    environ = environ_for(method="POST", body=b"hello")
    stream = environ["wsgi.input"] = Stream(b"hello, and then the next pipelined request")
    served = serve(SizeLimitMiddleware(reader(how), max_body_size=LIMIT), environ=environ)
    assert served.body == b"5"
    assert stream.consumed == 5


def test_no_content_length_and_not_terminated_means_empty(
    serve: Callable[..., Any], environ_for: Callable[..., Any]
) -> None:
    environ = environ_for(method="POST")
    environ.pop("CONTENT_LENGTH", None)
    stream = environ["wsgi.input"] = Stream(b"would hang on a real socket")
    served = serve(SizeLimitMiddleware(reader("read()"), max_body_size=LIMIT), environ=environ)
    assert served.body == b"0"
    assert stream.consumed == 0


@pytest.mark.parametrize("value", ["abc", "-1", "1e3", "0x10", "1 000", "+5", "١٢"])
def test_malformed_content_length_is_400(
    value: str, serve: Callable[..., Any], environ_for: Callable[..., Any]
) -> None:
    from wsgiref.validate import validator

    called: list[bool] = []

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        called.append(True)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b""]

    environ = environ_for(method="POST", body=b"12345")
    environ["CONTENT_LENGTH"] = value
    # the outer validator would reject the environ itself; validate the response side only
    served = serve(SizeLimitMiddleware(validator(app), max_body_size=LIMIT), environ=environ, validate=False)
    assert served.code == 400 and not called


def test_app_that_started_its_response_gets_a_clean_error(
    serve: Callable[..., Any], environ_for: Callable[..., Any]
) -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        yield b"reading... "
        environ["wsgi.input"].read()
        yield b"done"

    served = serve(
        SizeLimitMiddleware(app, max_body_size=LIMIT), environ=chunked_environ(environ_for, b"q" * 5000)
    )
    assert isinstance(served.error, BodyTooLarge)  # the server drops the connection: no "done"
    assert served.body == b"reading... "


def test_lazy_app_reading_before_start_response_gets_413(
    serve: Callable[..., Any], environ_for: Callable[..., Any]
) -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
        data = environ["wsgi.input"].read(5000)
        start_response("200 OK", [("Content-Type", "text/plain")])
        yield data

    served = serve(
        SizeLimitMiddleware(app, max_body_size=LIMIT), environ=chunked_environ(environ_for, b"q" * 5000)
    )
    assert served.code == 413 and served.error is None


def test_413_is_an_http_exception_the_error_catcher_passes_through(
    serve: Callable[..., Any], environ_for: Callable[..., Any]
) -> None:
    # sizelimit outside the error catcher: the catcher sees BodyTooLarge and answers it as a 413
    stack = SizeLimitMiddleware(ErrorCatcherMiddleware(reader("read()")), max_body_size=LIMIT)
    served = serve(
        stack, environ=chunked_environ(environ_for, b"q" * 5000), headers={"Accept": "application/json"}
    )
    assert served.code == 413
    assert b'"status": 413' in served.body


def test_413_body_is_negotiated() -> None:
    app = TestApp(SizeLimitMiddleware(reader("read()"), max_body_size=10))
    response = app.post("/", b"x" * 11, headers={"Accept": "text/html"}, status=413)
    assert response.content_type == "text/html"


def test_limited_input_unit() -> None:
    stream = LimitedInput(io.BytesIO(b"abc\ndef\nghi"), 8, 100)
    assert stream.readline() == b"abc\n"
    assert stream.readline(2) == b"de"
    assert stream.read(100) == b"f\n"
    assert stream.read() == b"" and stream.readline() == b""
    unknown = LimitedInput(io.BytesIO(b"0123456789"), None, 5)
    assert unknown.read(5) == b"01234"
    with pytest.raises(BodyTooLarge):
        unknown.read(1)


@pytest.mark.parametrize(
    ("kwargs"), [{"max_body_size": -1}, {"max_body_size": "10MB"}, {"max_body_size": True}]
)
def test_bad_options_name_the_option(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"^max_body_size:"):
        SizeLimitMiddleware(reader("read()"), **kwargs)


@pytest.mark.parametrize(
    ("value", "size"), [("10MB", 10_000_000), ("1MiB", 1_048_576), ("114688", 114688), ("1.5KB", 1500)]
)
def test_factory_sizes(value: str, size: int) -> None:
    assert filter_factory({}, max_body_size=value)(reader("read()")).max_body_size == size


def test_factory_rejects_bad_values() -> None:
    with pytest.raises(ConfigError, match="max_body_size"):
        filter_factory({"__file__": "paste.ini"}, max_body_size="lots")
    with pytest.raises(ConfigError, match="did you mean 'max_body_size'"):
        filter_factory({}, max_request_body_size="1MB")


def test_write_callable_app_over_a_chunked_body(
    serve: Callable[..., Any], environ_for: Callable[..., Any]
) -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        data = environ["wsgi.input"].read(100)
        start_response("200 OK", [("Content-Type", "text/plain")])(data)
        return []

    served = serve(SizeLimitMiddleware(app, max_body_size=LIMIT), environ=chunked_environ(environ_for, b"ok"))
    assert served.code == 200 and served.body == b"ok"


def test_body_marked_seekable_by_an_outer_layer_is_still_readable() -> None:
    """WebTest (and webob's make_body_seekable) mark the input seekable; the wrapper is not."""
    from wsgikit import wsgify
    from wsgikit.middleware.sizelimit import SizeLimitMiddleware
    from wsgikit.testing import TestApp

    app = TestApp(SizeLimitMiddleware(wsgify(lambda req: req.json), max_body_size=100))
    res = app.request("/", method="POST", body=b'{"a": 1}', content_type="application/json")
    assert res.json == {"a": 1}


class BrokenChunked(io.BytesIO):
    """gunicorn's input after a malformed chunk size: the first read raises its InvalidChunkSize."""

    def read(self, size: int | None = -1) -> bytes:
        from gunicorn.http.errors import InvalidChunkSize

        raise InvalidChunkSize(b"zz")

    readline = read  # type: ignore[assignment]


@pytest.mark.parametrize("how", READS)
@pytest.mark.parametrize("framing", ["chunked", "short-content-length"])
def test_unreadable_bodies_are_400_for_any_app(
    serve: Callable[..., Any], environ_for: Callable[..., Any], how: str, framing: str
) -> None:
    if framing == "chunked":
        environ = chunked_environ(environ_for, b"")
        environ["wsgi.input"] = BrokenChunked()
    else:  # a client that sent 5 of 100 bytes and went away
        environ = environ_for(method="POST", body=b"12345")
        environ["CONTENT_LENGTH"] = "100"
        environ["wsgi.input"] = Stream(b"12345")
    served = serve(SizeLimitMiddleware(reader(how), max_body_size=LIMIT), environ=environ, validate=False)
    assert served.code == 400 and served.error is None
    assert b"could not be read" in served.body
