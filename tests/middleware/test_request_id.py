from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from wsgikit import exc
from wsgikit.deploy.components.request_id import filter_factory
from wsgikit.deploy.options import ConfigError
from wsgikit.middleware.access_log import AccessLogMiddleware
from wsgikit.middleware.errors import ErrorCatcherMiddleware
from wsgikit.middleware.request_id import (
    RequestIdFilter,
    RequestIdMiddleware,
    current_request_id,
    new_request_id,
)
from wsgikit.testing import TestApp

GENERATED = re.compile(r"^req-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
log = logging.getLogger("tests.request_id")


def echo(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    log.warning("handling")
    start_response("200 OK", [("Content-Type", "text/plain"), ("X-Request-ID", "app-set")])
    return [environ["wsgikit.request_id"].encode()]


@pytest.fixture
def records() -> Iterator[list[logging.LogRecord]]:
    """Records of ``tests.request_id`` / ``wsgikit.*`` passed through a handler carrying RequestIdFilter."""
    captured: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            captured.append(record)

    handler = Collect()
    handler.addFilter(RequestIdFilter())
    loggers = [logging.getLogger("tests.request_id"), logging.getLogger("wsgikit")]
    for logger in loggers:
        logger.addHandler(handler)
    yield captured
    for logger in loggers:
        logger.removeHandler(handler)


def test_generates_an_id_and_sets_environ_and_header(records: list[logging.LogRecord]) -> None:
    response = TestApp(RequestIdMiddleware(echo)).get("/")
    request_id = response.headers["X-Request-ID"]
    assert GENERATED.match(request_id)
    assert response.text == request_id
    assert response.headers.getall("X-Request-ID") == [request_id]  # the app's own value is replaced
    assert [r.request_id for r in records] == [request_id]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("inbound", "kept"),
    [
        ("abc-123", True),
        ("req-6f1c9e2a-0a4b-4c4d-8e8f-123456789abc", True),
        ("A.b_c-9", True),
        ("x" * 128, True),
        ("x" * 129, False),
        ("x" * 10_000, False),
        ("a\r\nSet-Cookie: x=1", False),
        ("a\nb", False),
        ("a\x00b", False),
        ("café", False),
        ("☃", False),
        ("has space", False),
        ('quote"d', False),
        ("", False),
        ("<script>", False),
    ],
    ids=repr,
)
def test_inbound_ids_are_validated(
    inbound: str, kept: bool, environ_for: Callable[..., Any], serve: Callable[..., Any]
) -> None:
    # built by hand: WebOb refuses to put some of these values into a request
    environ = environ_for()
    environ["HTTP_X_REQUEST_ID"] = inbound.encode("utf-8").decode("latin-1")
    served = serve(RequestIdMiddleware(echo), environ=environ)
    returned = served.header("X-Request-ID")
    assert served.error is None
    assert returned == inbound if kept else GENERATED.match(returned)
    assert served.body == returned.encode()


def test_compat_headers_inbound_and_outbound() -> None:
    app = TestApp(
        RequestIdMiddleware(echo, compat_headers=["X-Openstack-Request-Id", "X-Compute-Request-Id"])
    )
    response = app.get("/", headers={"X-Openstack-Request-Id": "req-from-keystone"})
    assert response.headers["X-Request-ID"] == "req-from-keystone"
    assert response.headers["X-Openstack-Request-Id"] == "req-from-keystone"
    assert response.headers["X-Compute-Request-Id"] == "req-from-keystone"
    # the main header wins, an invalid compat value is skipped
    response = app.get("/", headers={"X-Compute-Request-Id": "bad\tvalue", "X-Request-ID": "main-1"})
    assert response.headers["X-Compute-Request-Id"] == "main-1"


def test_custom_header_and_untrusted_inbound() -> None:
    response = TestApp(RequestIdMiddleware(echo, header="X-Correlation-ID")).get(
        "/", headers={"X-Correlation-ID": "c-1"}
    )
    assert response.headers["X-Correlation-ID"] == "c-1"
    response = TestApp(RequestIdMiddleware(echo, trust_inbound=False)).get(
        "/", headers={"X-Request-ID": "c-1"}
    )
    assert GENERATED.match(response.headers["X-Request-ID"])


def test_error_responses_carry_the_id(records: list[logging.LogRecord]) -> None:
    def failing(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        raise RuntimeError("boom")

    response = TestApp(RequestIdMiddleware(ErrorCatcherMiddleware(failing))).get("/", status=500)
    request_id = response.headers["X-Request-ID"]
    assert response.json["request_id"] == request_id
    assert [r.request_id for r in records if r.name == "wsgikit.errors"] == [request_id]  # type: ignore[attr-defined]

    def not_found(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        return exc.HTTPNotFound()(environ, start_response)

    response = TestApp(RequestIdMiddleware(not_found)).get("/", status=404)
    assert response.json["request_id"] == response.headers["X-Request-ID"]


def test_exc_info_replacement_keeps_the_header(serve: Callable[..., Any]) -> None:
    import sys

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        try:
            raise ValueError
        except ValueError:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")], sys.exc_info())
        return [b"later"]

    served = serve(RequestIdMiddleware(app))
    assert served.status.startswith("503")
    assert GENERATED.match(served.header("X-Request-ID"))


def test_streamed_body_and_close_log_with_the_id(
    records: list[logging.LogRecord], serve: Callable[..., Any]
) -> None:
    class Body:
        def __iter__(self) -> Iterator[bytes]:
            log.warning("chunk 1")
            yield b"1"
            log.warning("chunk 2")
            yield b"2"

        def close(self) -> None:
            log.warning("closing")

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Body:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return Body()

    served = serve(RequestIdMiddleware(app), headers={"X-Request-ID": "stream-1"})
    assert served.body == b"12"
    assert [(r.getMessage(), r.request_id) for r in records] == [  # type: ignore[attr-defined]
        ("chunk 1", "stream-1"),
        ("chunk 2", "stream-1"),
        ("closing", "stream-1"),
    ]
    assert current_request_id() is None  # nothing leaks into the thread after the request


def test_a_settled_body_goes_to_the_server_unwrapped(
    records: list[logging.LogRecord], serve: Callable[..., Any], environ_for: Callable[..., Any]
) -> None:
    """request_id(errors(access_log(app))) over a list: no application code runs while the body is
    iterated or closed, so the two outer layers hand the server access_log's own body (one wrapper where
    there were three); the header, the environ key and the access line still carry the id."""
    logged = AccessLogMiddleware(echo, logger_name="tests.request_id.access", level="WARNING")
    pipeline = RequestIdMiddleware(ErrorCatcherMiddleware(logged))
    body = pipeline(environ_for(headers={"X-Request-ID": "settled-1"}), lambda *args: None)
    assert type(body).__name__ == "_LoggedBody" and body.settled_body is True
    assert b"".join(body) == b"settled-1"
    body.close()
    served = serve(pipeline, headers={"X-Request-ID": "settled-2"})
    assert served.body == b"settled-2" and served.header("X-Request-ID") == "settled-2"
    access = [record for record in records if record.name == "tests.request_id.access"]
    assert [record.request_id for record in access] == ["settled-1", "settled-2"]  # type: ignore[attr-defined]


def test_an_unsettled_body_is_still_iterated_with_the_id(
    records: list[logging.LogRecord], serve: Callable[..., Any]
) -> None:
    """The same pipeline over a generator: access_log's body is not settled, so errors still catches what
    the generator raises mid-body and request_id still tags its records."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        log.warning("in the body")
        yield b"one"
        raise RuntimeError("mid-body")

    pipeline = RequestIdMiddleware(
        ErrorCatcherMiddleware(AccessLogMiddleware(app, logger_name="tests.request_id.access"))
    )
    served = serve(pipeline, headers={"X-Request-ID": "unsettled-1"})
    assert served.body == b"one"  # errors aborted the response after its first chunk
    in_body = [record for record in records if record.getMessage() == "in the body"]
    assert [record.request_id for record in in_body] == ["unsettled-1"]  # type: ignore[attr-defined]


def test_records_outside_a_request_get_a_dash(records: list[logging.LogRecord]) -> None:
    log.warning("idle")
    assert records[-1].request_id == "-"  # type: ignore[attr-defined]


def test_concurrent_requests_keep_their_own_ids(records: list[logging.LogRecord]) -> None:
    barrier = threading.Barrier(8, timeout=10)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        barrier.wait()  # all requests are in flight together
        log.warning(environ["wsgikit.request_id"])
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b""]

    test_app = TestApp(RequestIdMiddleware(app))
    returned: list[str] = []

    def request(index: int) -> None:
        returned.append(test_app.get("/", headers={"X-Request-ID": f"id-{index}"}).headers["X-Request-ID"])

    threads = [threading.Thread(target=request, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert sorted(returned) == sorted(f"id-{i}" for i in range(8))
    assert all(r.getMessage() == r.request_id for r in records)  # type: ignore[attr-defined]
    assert len(records) == 8


def test_new_ids_are_unique() -> None:
    assert len({new_request_id() for _ in range(1000)}) == 1000


def test_ids_come_from_one_urandom_call_per_draw(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from wsgikit.middleware import request_id as module

    calls: list[int] = []
    real = os.urandom

    def counting(size: int) -> bytes:
        calls.append(size)
        return real(size)

    monkeypatch.setattr(module, "_ids", iter(()))
    monkeypatch.setattr(module.os, "urandom", counting)
    ids = [new_request_id() for _ in range(3 * module.IDS_PER_DRAW)]
    assert calls == [16 * module.IDS_PER_DRAW] * 3
    assert len(set(ids)) == len(ids)


def test_threads_never_share_an_id() -> None:
    taken: list[list[str]] = [[] for _ in range(8)]

    def take(into: list[str]) -> None:
        for _ in range(2000):
            into.append(new_request_id())

    threads = [threading.Thread(target=take, args=(into,)) for into in taken]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [request_id for into in taken for request_id in into]
    assert len(set(every)) == len(every) == 16000


def test_a_forked_child_never_repeats_its_parents_ids() -> None:
    """gunicorn forks its workers from one master: ids the parent drew but did not use stay its own. The
    fork happens in a fresh interpreter, where no other thread runs (Python 3.12 warns about forking a
    process that has threads, and the suite turns warnings into errors)."""
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent(
        """
        import os
        from wsgikit.middleware.request_id import new_request_id

        new_request_id()  # the parent holds a draw with unused ids
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.write(write, ",".join(new_request_id() for _ in range(5)).encode())
            os._exit(0)
        os.close(write)
        with os.fdopen(read) as pipe:
            child = pipe.read().split(",")
        os.waitpid(pid, 0)
        parent = [new_request_id() for _ in range(5)]
        print(" ".join(child))
        print(" ".join(parent))
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    child, parent = (line.split() for line in done.stdout.splitlines())
    assert len(child) == len(parent) == 5
    assert all(GENERATED.match(request_id) for request_id in child + parent)
    assert not set(child) & set(parent)


@pytest.mark.parametrize(
    ("kwargs", "option"),
    [
        ({"header": "X Bad"}, "header"),
        ({"header": "X-Id\r\n"}, "header"),
        ({"compat_headers": "X-A"}, "compat_headers"),
        ({"compat_headers": ["ok", "b:d"]}, "compat_headers"),
    ],
)
def test_bad_options_name_the_option(kwargs: dict[str, Any], option: str) -> None:
    with pytest.raises(ValueError, match=f"^{option}:"):
        RequestIdMiddleware(echo, **kwargs)


def test_factory() -> None:
    middleware = filter_factory(
        {}, header="X-Trace", compat_headers="X-Openstack-Request-Id, X-Compute-Request-Id"
    )(echo)
    assert middleware.header == "X-Trace"
    assert middleware.compat_headers == ("X-Openstack-Request-Id", "X-Compute-Request-Id")
    with pytest.raises(ConfigError, match="header"):
        filter_factory({"__file__": "paste.ini"}, header="bad header")
    with pytest.raises(ConfigError, match="did you mean"):
        filter_factory({}, headers="X-Trace")


def test_trust_inbound_from_ini() -> None:
    """An edge service replaces whatever id a client sent: ``trust_inbound = false``."""
    trusting = TestApp(filter_factory({})(echo))
    assert trusting.get("/", headers={"X-Request-ID": "client-1"}).text == "client-1"
    edge = TestApp(filter_factory({}, trust_inbound="false")(echo))
    response = edge.get("/", headers={"X-Request-ID": "client-1"})
    assert GENERATED.match(response.text) and response.headers["X-Request-ID"] == response.text
    with pytest.raises(ConfigError, match="trust_inbound"):
        filter_factory({}, trust_inbound="perhaps")


def test_new_ids_are_version_4_uuids() -> None:
    import uuid

    for _ in range(2000):
        request_id = new_request_id()
        assert GENERATED.match(request_id)
        parsed = uuid.UUID(request_id.removeprefix("req-"))
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122
        assert str(parsed) == request_id.removeprefix("req-")
    variants = {new_request_id()[23] for _ in range(400)}
    assert variants == set("89ab")  # every variant nibble occurs, nothing else
