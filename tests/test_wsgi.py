"""wsgikit.wsgi: closing, capture, headers, path shifting."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from wsgikit import wsgi
from wsgikit.types import StartResponse, WSGIEnvironment, WSGIIterable


def test_closing_iterator_closes_once_after_full_iteration(counting: Any) -> None:
    body = counting([b"a", b"b"])
    calls: list[str] = []
    wrapper = wsgi.ClosingIterator(body, callbacks=[lambda: calls.append("done")])
    assert b"".join(wrapper) == b"ab"
    wrapper.close()
    wrapper.close()
    assert body.closed == 1
    assert calls == ["done"]
    assert wrapper.closed


def test_closing_iterator_early_close_and_error(counting: Any) -> None:
    body = counting([b"a", b"b", b"c"])
    wrapper = wsgi.ClosingIterator(body)
    iterator = iter(wrapper)
    assert next(iterator) == b"a"
    wrapper.close()
    assert body.closed == 1

    failing = counting([b"a", b"b"], fail_at=1)
    wrapper = wsgi.ClosingIterator(failing)
    with pytest.raises(RuntimeError):
        list(wrapper)
    wrapper.close()
    assert failing.closed == 1


def test_closing_iterator_runs_callbacks_even_when_close_fails() -> None:
    class BadClose:
        def __iter__(self) -> Iterator[bytes]:
            return iter([b"x"])

        def close(self) -> None:
            raise OSError("close failed")

    calls: list[int] = []
    wrapper = wsgi.ClosingIterator(BadClose(), callbacks=[lambda: calls.append(1), lambda: calls.append(2)])
    with pytest.raises(OSError):
        wrapper.close()
    assert calls == [1, 2]


def test_closing_iterator_reports_failing_callback_after_running_all() -> None:
    calls: list[int] = []

    def bad() -> None:
        raise ValueError("callback")

    wrapper = wsgi.ClosingIterator([b"x"], callbacks=[bad, lambda: calls.append(1)])
    with pytest.raises(ValueError, match="callback"):
        wrapper.close()
    assert calls == [1]


def test_close_iterable_without_close() -> None:
    wsgi.close_iterable([b"plain list"])


def lazy_app(environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
    write = start_response("201 Created", [("Content-Type", "text/plain")])
    write(b"written-")
    yield b"first-"
    yield b"second"


def test_call_app_with_lazy_generator_and_write() -> None:
    capture, iterable, chunks = wsgi.call_app(lazy_app, {})
    assert capture.status == "201 Created"
    assert capture.code == 201
    assert b"".join(chunks) == b"written-first-second"
    wsgi.close_iterable(iterable)


def test_call_app_closes_when_start_response_never_called(counting: Any) -> None:
    body = counting([])

    def silent(environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
        return body

    with pytest.raises(RuntimeError, match="without calling start_response"):
        wsgi.call_app(silent, {})
    assert body.closed == 1


def test_response_capture_exc_info_rules() -> None:
    capture = wsgi.ResponseCapture()
    capture("200 OK", [])
    with pytest.raises(AssertionError):
        capture("500 Internal Server Error", [])
    try:
        raise ValueError("x")
    except ValueError as error:
        capture("500 Internal Server Error", [("A", "b")], (ValueError, error, error.__traceback__))
    assert capture.code == 500
    assert capture.exc_info is not None
    forwarded: list[tuple[str, object]] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: object = None) -> object:
        forwarded.append((status, exc_info))
        return lambda data: None

    capture.forward(start_response)
    assert forwarded[0][0] == "500 Internal Server Error"
    assert forwarded[0][1] is capture.exc_info


def test_response_capture_not_started() -> None:
    capture = wsgi.ResponseCapture()
    assert not capture.started
    with pytest.raises(RuntimeError):
        _ = capture.code


@pytest.mark.parametrize("value", ["a\r\nInjected: 1", "a\nb", "a\rb", "nul\0", "snow ☃"])
def test_header_values_with_crlf_or_non_latin1_are_rejected(value: str) -> None:
    headers: list[tuple[str, str]] = []
    with pytest.raises(wsgi.HeaderValueError):
        wsgi.set_header(headers, "X-Test", value)
    with pytest.raises(wsgi.HeaderValueError):
        wsgi.add_header(headers, "X-Test", value)
    assert headers == []


def test_header_helpers_are_case_insensitive() -> None:
    headers = [("Content-Type", "text/plain"), ("vary", "Cookie"), ("Vary", "accept-encoding")]
    assert wsgi.get_header(headers, "content-type") == "text/plain"
    assert wsgi.get_header(headers, "missing", "d") == "d"
    assert wsgi.has_header(headers, "VARY")
    wsgi.merge_header_tokens(headers, "Vary", "Accept-Encoding", "Origin")
    assert wsgi.header_tokens(headers, "vary") == ["Cookie", "accept-encoding", "Origin"]
    assert len([h for h in headers if h[0].lower() == "vary"]) == 1
    wsgi.set_header(headers, "content-type", "application/json")
    assert wsgi.get_header(headers, "Content-Type") == "application/json"
    assert wsgi.remove_header(headers, "CONTENT-TYPE") == ["application/json"]
    assert not wsgi.has_header(headers, "content-type")


def test_vary_star_is_left_alone() -> None:
    headers = [("Vary", "*")]
    wsgi.merge_header_tokens(headers, "Vary", "Origin")
    assert headers == [("Vary", "*")]


@pytest.mark.parametrize(
    ("script", "path", "prefix", "new_script", "new_path"),
    [
        ("", "/v2.1/servers", "/v2.1", "/v2.1", "/servers"),
        ("/api", "/v2.1", "/v2.1/", "/api/v2.1", ""),
        ("", "/x", "/", "", "/x"),
    ],
)
def test_shift_path(script: str, path: str, prefix: str, new_script: str, new_path: str) -> None:
    environ = {"SCRIPT_NAME": script, "PATH_INFO": path}
    wsgi.shift_path(environ, prefix)
    assert (environ["SCRIPT_NAME"], environ["PATH_INFO"]) == (new_script, new_path)


def test_shift_path_refuses_a_partial_segment() -> None:
    with pytest.raises(ValueError):
        wsgi.shift_path({"SCRIPT_NAME": "", "PATH_INFO": "/v2.10/x"}, "/v2.1")


def test_pop_path_segment() -> None:
    environ = {"SCRIPT_NAME": "/app", "PATH_INFO": "/a/b/"}
    assert wsgi.pop_path_segment(environ) == "a"
    assert (environ["SCRIPT_NAME"], environ["PATH_INFO"]) == ("/app/a", "/b/")
    assert wsgi.pop_path_segment(environ) == "b"
    assert wsgi.pop_path_segment(environ) == ""
    assert wsgi.pop_path_segment(environ) is None


@pytest.mark.parametrize(
    ("code", "method", "allowed"),
    [(200, "GET", True), (200, "HEAD", False), (204, "GET", False), (304, "GET", False), (101, "GET", False)],
)
def test_body_allowed(code: int, method: str, allowed: bool) -> None:
    assert wsgi.body_allowed(code, method) is allowed
    assert wsgi.status_code(f"{code} X") == code


# -- SendTracker -------------------------------------------------------------------------------------------


class ServerSide:
    """Records what a server's start_response and write() were given."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, bool]] = []  # (status, exc_info given)
        self.written: list[bytes] = []

    def start_response(self, status: str, headers: list[tuple[str, str]], exc_info: object = None) -> object:
        self.calls.append((status, exc_info is not None))
        return self.written.append


def test_send_tracker_forwards_at_once_and_counts_write() -> None:
    server = ServerSide()
    tracker = wsgi.SendTracker(server.start_response)
    assert (tracker.status, tracker.bytes_sent, tracker.sent) == (None, 0, False)
    write = tracker.start_response("200 OK", [("Content-Type", "text/plain")])
    assert server.calls == [("200 OK", False)] and tracker.status == "200 OK"
    write(b"")
    assert not tracker.sent
    write(b"abc")
    assert tracker.count(b"de") == b"de"
    assert server.written == [b"", b"abc"]
    assert (tracker.bytes_sent, tracker.sent) == (5, True)


def test_send_tracker_passes_exc_info_only_when_given() -> None:
    server = ServerSide()
    tracker = wsgi.SendTracker(server.start_response)
    tracker.start_response("200 OK", [])
    try:
        raise ValueError("late")
    except ValueError:
        import sys

        tracker.start_response("500 Internal Server Error", [], sys.exc_info())  # type: ignore[arg-type]
    assert server.calls == [("200 OK", False), ("500 Internal Server Error", True)]
    assert tracker.status == "500 Internal Server Error"


def test_send_tracker_write_before_start_response_is_an_error() -> None:
    tracker = wsgi.SendTracker(ServerSide().start_response)
    with pytest.raises(RuntimeError, match="before start_response"):
        tracker.write(b"x")


def test_send_tracker_replace_sends_the_error_as_exc_info() -> None:
    server = ServerSide()
    seen: list[object] = []

    def recording(status: str, headers: list[tuple[str, str]], exc_info: object = None) -> object:
        seen.append(exc_info)
        return server.start_response(status, headers, exc_info)

    tracker = wsgi.SendTracker(recording)
    tracker.start_response("200 OK", [])
    try:
        raise KeyError("gone")
    except KeyError as caught:
        error = caught
    write = tracker.replace(error)("413 Content Too Large", [("Content-Length", "0")])
    assert server.calls[-1] == ("413 Content Too Large", True)
    assert seen[-1] == (KeyError, error, error.__traceback__)
    assert tracker.status == "413 Content Too Large"
    write(b"xy")
    assert tracker.bytes_sent == 2


@pytest.mark.parametrize(
    ("fail_before_write", "expected"), [(True, "503 Service Unavailable"), (False, "200 OK")]
)
def test_send_tracker_under_validator(fail_before_write: bool, expected: str) -> None:
    from wsgiref.util import setup_testing_defaults
    from wsgiref.validate import validator

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        if fail_before_write:
            raise RuntimeError("down")
        write(b"via write ")
        return [b"and iterable"]

    def middleware(environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
        """Built on SendTracker: answers 503 when the app fails before sending a byte."""
        tracker = wsgi.SendTracker(start_response)
        try:
            body = app(environ, tracker.start_response)
            chunks = [tracker.count(chunk) for chunk in body]
            wsgi.close_iterable(body)
            return chunks
        except RuntimeError as error:
            if tracker.sent:
                raise
            tracker.replace(error)("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"unavailable"]

    environ: dict[str, object] = {"QUERY_STRING": ""}
    setup_testing_defaults(environ)
    server = ServerSide()
    result = validator(middleware)(environ, server.start_response)
    body = b"".join(result)
    result.close()
    assert server.calls[-1][0] == expected
    assert b"".join(server.written) + body == (
        b"unavailable" if fail_before_write else b"via write and iterable"
    )


# -- is_client_read_error ----------------------------------------------------------------------------------


def test_client_read_errors_are_the_servers_input_failures() -> None:
    from gunicorn.http.errors import ChunkMissingTerminator, InvalidChunkSize, NoMoreData
    from webob.request import DisconnectionError

    for error in (
        InvalidChunkSize(b"zz"),
        ChunkMissingTerminator(b"x"),
        NoMoreData(b""),
        DisconnectionError("gone"),
        OSError("error during read(18) on wsgi.input"),  # uWSGI
        TimeoutError(),
        ConnectionResetError(),
    ):
        assert wsgi.is_client_read_error(error), error
    for error in (
        ValueError("x"),
        KeyError("x"),
        RuntimeError("x"),
        UnicodeDecodeError("utf-8", b"", 0, 1, ""),
    ):
        assert not wsgi.is_client_read_error(error), error


class _Claims:
    """An iterable whose ``settled_body`` is whatever it is given."""

    def __init__(self, claim: object) -> None:
        self.settled_body = claim

    def __iter__(self) -> Iterator[bytes]:
        return iter([b"x"])


class _AnyAttribute:
    """A proxy answering every attribute, as some wrappers do: it must not pass for a settled body."""

    def __getattr__(self, name: str) -> object:
        return name

    def __iter__(self) -> Iterator[bytes]:
        return iter([b"x"])


def _generator() -> Iterator[bytes]:
    yield b"x"


@pytest.mark.parametrize(
    ("body", "settled"),
    [
        ([b"x"], True),
        ((b"x",), True),
        ([], True),
        (_generator(), False),
        (iter([b"x"]), False),
        (_Claims(True), True),
        (_Claims(False), False),
        (_Claims(1), False),
        (_AnyAttribute(), False),
    ],
    ids=["list", "tuple", "empty", "generator", "iterator", "claims", "denies", "truthy-1", "proxy"],
)
def test_is_settled(body: object, settled: bool) -> None:
    assert wsgi.is_settled(body) is settled
