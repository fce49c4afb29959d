from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import webob.exc

from wsgikit.middleware.cascade import Cascade
from wsgikit.testing import TestApp
from wsgikit.types import StartResponse, WSGIEnvironment, WSGIIterable


class Tracked:
    """An app answering ``status``, whose body records reads and closes, and which reads the request body."""

    def __init__(self, name: str, status: str, read: int | None = 0) -> None:
        self.name, self.status, self.read = name, status, read
        self.closed = 0
        self.iterated = 0
        self.seen_body: bytes | None = None
        self.input: Any = None

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
        self.input = environ["wsgi.input"]
        if self.read is None:
            self.seen_body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        elif self.read:
            self.seen_body = environ["wsgi.input"].read(self.read)
        body = f"{self.name}:{self.seen_body!r}".encode()
        start_response(self.status, [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
        return self._body(body)

    def _body(self, body: bytes) -> Iterator[bytes]:
        try:
            self.iterated += 1
            yield body
        finally:
            self.closed += 1


def test_first_non_caught_answer_wins_and_abandoned_bodies_are_closed_unread() -> None:
    first, second, third = Tracked("a", "404 Not Found"), Tracked("b", "200 OK"), Tracked("c", "200 OK")
    response = TestApp(Cascade([first, second, third])).get("/")
    assert response.text.startswith("b:")
    assert (first.closed, first.iterated) == (1, 0) or (first.iterated == 0)
    assert second.closed == 1
    assert third.closed == 0 and third.input is None


def test_last_answer_is_final_even_if_caught() -> None:
    response = TestApp(Cascade([Tracked("a", "404 Not Found"), Tracked("b", "404 Not Found")])).get(
        "/", status=404
    )
    assert response.text.startswith("b:")


def test_catch_codes_are_configurable() -> None:
    app = Cascade([Tracked("a", "405 Method Not Allowed"), Tracked("b", "200 OK")], catch=(404, 405))
    assert TestApp(app).get("/").text.startswith("b:")
    app = Cascade([Tracked("a", "405 Method Not Allowed"), Tracked("b", "200 OK")])
    assert TestApp(app).get("/", status=405).text.startswith("a:")


def test_raised_http_exception_with_a_caught_code_falls_through() -> None:
    def raising(environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
        raise webob.exc.HTTPNotFound()

    assert TestApp(Cascade([raising, Tracked("b", "200 OK")])).get("/").text.startswith("b:")


def test_body_is_replayed_to_the_next_app() -> None:
    first = Tracked("a", "404 Not Found", read=3)
    second = Tracked("b", "200 OK", read=None)
    response = TestApp(Cascade([first, second])).post("/", b"hello world")
    assert first.seen_body == b"hel"
    assert second.seen_body == b"hello world"
    assert response.text == "b:b'hello world'"


def test_replay_readline_and_iteration() -> None:
    seen: list[Any] = []

    def liner(environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
        stream = environ["wsgi.input"]
        seen.append((stream.readline(), stream.readlines()))
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b""]

    second = Tracked("b", "200 OK", read=None)
    TestApp(Cascade([liner, second])).post("/", b"one\ntwo\nthree")
    assert seen == [(b"one\n", [b"two\n", b"three"])]
    assert second.seen_body == b"one\ntwo\nthree"


def test_no_body_means_no_copy() -> None:
    first, second = Tracked("a", "404 Not Found"), Tracked("b", "200 OK")
    TestApp(Cascade([first, second])).get("/")
    assert type(first.input).__name__ != "ReplayInput"
    assert type(second.input).__name__ != "ReplayInput"


def test_single_app_passes_through_untouched() -> None:
    only = Tracked("a", "200 OK", read=None)
    assert TestApp(Cascade([only])).post("/", b"x").text == "a:b'x'"
    assert type(only.input).__name__ != "ReplayInput"


@pytest.mark.parametrize("catch", [[99], [600]])
def test_bad_catch_rejected(catch: list[int]) -> None:
    with pytest.raises(ValueError, match="catch"):
        Cascade([Tracked("a", "200 OK")], catch=catch)


def test_needs_an_app() -> None:
    with pytest.raises(ValueError, match="apps"):
        Cascade([])
