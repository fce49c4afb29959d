from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import webob.exc

from wsgikit import exc
from wsgikit.deploy.components.errors import filter_factory
from wsgikit.middleware.errors import ErrorCatcherMiddleware
from wsgikit.middleware.request_id import RequestIdMiddleware
from wsgikit.testing import TestApp

SECRET = "db-password-123"
HEADERS = {"Authorization": "Basic YWxpY2U6czNjcmV0", "Cookie": "session=cookie-value-42"}


def failing(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    raise RuntimeError(SECRET)


def error_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "wsgikit.errors" and r.levelno >= logging.ERROR]


@pytest.mark.parametrize(
    ("accept", "content_type"),
    [
        (None, "application/problem+json"),
        ("application/json", "application/json"),
        ("text/html", "text/html; charset=UTF-8"),
        ("text/plain", "text/plain; charset=UTF-8"),
        ("image/png", "application/problem+json"),
    ],
)
def test_500_leaks_nothing(accept: str | None, content_type: str, caplog: pytest.LogCaptureFixture) -> None:
    headers = dict(HEADERS, **({"Accept": accept} if accept else {}))
    response = TestApp(ErrorCatcherMiddleware(failing)).get("/x", headers=headers, status=500)
    assert response.content_type == content_type.partition(";")[0]
    assert response.headers["Content-Length"] == str(len(response.body))
    for leak in ("Traceback", "RuntimeError", SECRET, "cookie-value-42", "YWxpY2U6czNjcmV0", "session"):
        assert leak not in response.text
    [record] = error_records(caplog)
    assert record.exc_info is not None and str(record.exc_info[1]) == SECRET
    assert "GET /x" in record.getMessage()


def test_problem_document_shape() -> None:
    response = TestApp(ErrorCatcherMiddleware(failing)).get("/", status=500)
    assert response.json == {"type": "about:blank", "title": "Internal Server Error", "status": 500}


@pytest.mark.parametrize(
    ("debug", "remote_addr", "networks", "shows"),
    [
        (False, "127.0.0.1", None, False),
        (True, "127.0.0.1", None, True),
        (True, "::1", None, True),
        (True, "203.0.113.5", None, False),
        (True, "", None, False),
        (True, "not-an-ip", None, False),
        (True, "10.1.2.3", ["10.0.0.0/8"], True),
        (True, "127.0.0.1", ["10.0.0.0/8"], False),
    ],
)
def test_debug_output_only_for_allowed_clients(
    debug: bool, remote_addr: str, networks: list[str] | None, shows: bool, caplog: pytest.LogCaptureFixture
) -> None:
    kwargs: dict[str, Any] = {"debug": debug}
    if networks is not None:
        kwargs["debug_networks"] = networks
    app = TestApp(ErrorCatcherMiddleware(failing, **kwargs), extra_environ={"REMOTE_ADDR": remote_addr})
    body = app.get("/", status=500).text
    assert ("Traceback" in body and SECRET in body) is shows
    assert ("Traceback" in body or SECRET in body) is shows


def test_ini_debug_false_string_means_off() -> None:
    make = filter_factory({"__file__": "paste.ini"}, debug="false", debug_networks="127.0.0.1")
    middleware = make(failing)
    assert middleware.debug is False
    assert "Traceback" not in TestApp(middleware).get("/", status=500).text
    assert filter_factory({}, debug="true")(failing).debug is True


def test_error_after_first_chunk_aborts(serve: Callable[..., Any], caplog: pytest.LogCaptureFixture) -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "application/json")])
        yield b'{"a":'
        raise RuntimeError(SECRET)

    served = serve(RequestIdMiddleware(ErrorCatcherMiddleware(app)))
    assert isinstance(served.error, RuntimeError)  # the server sees it and drops the connection
    assert served.status == "200 OK"
    assert served.body == b'{"a":'  # nothing appended
    [record] = error_records(caplog)
    assert "aborted" in record.getMessage()
    assert record.request_id == served.header("X-Request-ID")  # type: ignore[attr-defined]


def test_error_before_first_chunk_of_a_generator_is_a_clean_500(caplog: pytest.LogCaptureFixture) -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain"), ("X-Partial", "1")])
        yield b""
        raise RuntimeError(SECRET)

    response = TestApp(ErrorCatcherMiddleware(app)).get("/", status=500)
    assert "X-Partial" not in response.headers
    assert int(response.headers["Content-Length"]) == len(response.body)
    assert len(error_records(caplog)) == 1


def test_lazy_generator_that_fails_before_start_response() -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
        raise RuntimeError(SECRET)
        yield b""  # pragma: no cover

    TestApp(ErrorCatcherMiddleware(app)).get("/", status=500)


def test_write_then_raise_aborts(serve: Callable[..., Any]) -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])(b"partial")
        raise RuntimeError(SECRET)

    served = serve(ErrorCatcherMiddleware(app))
    assert isinstance(served.error, RuntimeError)
    assert served.body == b"partial"


def test_head_gets_headers_without_body(serve: Callable[..., Any]) -> None:
    served = serve(ErrorCatcherMiddleware(failing), method="HEAD")
    assert served.code == 500
    assert served.body == b""
    assert int(served.header("Content-Length")) > 0


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (exc.HTTPNotFound("no such thing"), 404),
        (webob.exc.HTTPNotFound(), 404),
        (exc.HTTPFound(location="/elsewhere"), 302),
        (exc.HTTPRequestEntityTooLarge(), 413),
        (exc.HTTPImATeapot(), 418),
    ],
    ids=lambda v: (
        type(v).__module__.split(".")[0] + "." + type(v).__name__ if not isinstance(v, int) else str(v)
    ),
)
@pytest.mark.parametrize("where", ["call", "iteration"])
def test_http_exceptions_pass_through(
    error: Exception, status: int, where: str, caplog: pytest.LogCaptureFixture
) -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes] | list[bytes]:
        if where == "call":
            raise error

        def body() -> Iterator[bytes]:
            raise error
            yield b""  # pragma: no cover

        return body()

    response = TestApp(ErrorCatcherMiddleware(app)).get("/", status=status)
    if status == 404:
        assert response.json["status"] == 404
    if status == 302:
        assert response.headers["Location"].endswith("/elsewhere")
    assert not error_records(caplog)


def test_consumer_closing_mid_stream_is_not_an_error(
    serve: Callable[..., Any], counting: Any, caplog: pytest.LogCaptureFixture
) -> None:
    body = counting([b"a", b"b", b"c"])

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return body

    served = serve(ErrorCatcherMiddleware(app), stop_after=1)
    assert served.error is None and served.body == b"a"
    assert body.closed == 1
    assert not error_records(caplog)


def test_close_raising_is_logged_once_and_swallowed(
    serve: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    class Body:
        closed = 0

        def __iter__(self) -> Iterator[bytes]:
            yield b"ok"

        def close(self) -> None:
            Body.closed += 1
            raise ValueError("close failed")

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Body:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return Body()

    served = serve(ErrorCatcherMiddleware(app))
    assert served.error is None and served.body == b"ok"
    assert Body.closed == 1
    [record] = error_records(caplog)
    assert "close()" in record.getMessage()


def test_base_exceptions_are_not_caught() -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        TestApp(ErrorCatcherMiddleware(app)).get("/")


def test_request_id_in_body_header_and_log(caplog: pytest.LogCaptureFixture) -> None:
    app = TestApp(RequestIdMiddleware(ErrorCatcherMiddleware(failing)))
    response = app.get("/", headers={"X-Request-ID": "abc-123"}, status=500)
    assert response.headers["X-Request-ID"] == "abc-123"
    assert response.json["request_id"] == "abc-123"
    [record] = error_records(caplog)
    assert record.request_id == "abc-123"  # type: ignore[attr-defined]
    assert "abc-123" in record.getMessage()


def test_logged_path_cannot_forge_lines(caplog: pytest.LogCaptureFixture) -> None:
    TestApp(ErrorCatcherMiddleware(failing)).get("/a%0D%0AFAKE%20LINE", status=500)
    [record] = error_records(caplog)
    assert "\n" not in record.getMessage() and "\r" not in record.getMessage()


@pytest.mark.parametrize(
    ("kwargs", "option"),
    [
        ({"debug": "true"}, "debug"),
        ({"debug_networks": ["nope"]}, "debug_networks"),
        ({"debug_networks": [1.5]}, "debug_networks"),
    ],
)
def test_bad_options_name_the_option(kwargs: dict[str, Any], option: str) -> None:
    with pytest.raises(ValueError, match=f"^{option}:"):
        ErrorCatcherMiddleware(failing, **kwargs)


def test_debug_networks_accepts_a_string() -> None:
    assert len(ErrorCatcherMiddleware(failing, debug_networks="10.0.0.0/8, 192.0.2.1").debug_networks) == 2


def test_problem_json_is_valid_json_under_html_accept_rejection() -> None:
    body = (
        TestApp(ErrorCatcherMiddleware(failing))
        .get("/", headers={"Accept": "application/xml"}, status=500)
        .body
    )
    assert json.loads(body)["status"] == 500


def test_successful_responses_pass_untouched(serve: Callable[..., Any]) -> None:
    def listing(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "4")])
        return [b"fine"]

    assert TestApp(ErrorCatcherMiddleware(listing)).get("/").body == b"fine"
    served = serve(ErrorCatcherMiddleware(listing), method="HEAD")
    assert served.error is None and served.code == 200


# -- fault_format = openstack: nova's fault bodies for every error of the pipeline --------------------------


def openstack_pipeline(tmp_path: Any) -> TestApp:
    """errors(openstack) → sizelimit → versions → token auth → router → a Controller, outermost first."""
    import hashlib

    from wsgikit.middleware.auth import TokenAuthMiddleware, require_roles
    from wsgikit.middleware.sizelimit import SizeLimitMiddleware
    from wsgikit.middleware.versions import VersionsMiddleware
    from wsgikit.routing import Controller, Mapper, Router

    class Servers(Controller):
        def show(self, req: Any, id: str) -> Any:
            if id == "boom":
                raise RuntimeError("secret internals")
            if id == "busy":
                raise exc.HTTPConflict("Cannot 'stop' instance busy while it is in vm_state stopped")
            return {"server": {"id": id}}

        def create(self, req: Any) -> Any:
            return {"server": req.json}

    mapper = Mapper()
    mapper.resource("server", "servers", controller=Servers())
    mapper.connect("/admin", controller=require_roles("admin")(Router(Mapper())), action="x")
    tokens = tmp_path / "tokens"
    tokens.write_text(f"{hashlib.sha256(b'good').hexdigest()} alice demo member\n")
    app: Any = Router(mapper)
    app = TokenAuthMiddleware(app, tokens_file=str(tokens))
    app = VersionsMiddleware(
        app,
        service="compute",
        min_version="2.1",
        max_version="2.10",
        legacy_header="X-OpenStack-Nova-API-Version",
    )
    app = SizeLimitMiddleware(app, max_body_size=100)
    app = ErrorCatcherMiddleware(app, fault_format="openstack")
    return TestApp(app)


AUTH = {"X-Auth-Token": "good"}


@pytest.mark.parametrize(
    ("method", "path", "headers", "body", "status", "name", "message"),
    [
        ("GET", "/nowhere", AUTH, None, 404, "itemNotFound", "The resource could not be found."),
        ("PUT", "/servers/1", AUTH, None, 405, "badMethod", "not allowed"),
        ("GET", "/servers/1", {}, None, 401, "unauthorized", ""),
        ("GET", "/admin", AUTH, None, 403, "forbidden", "admin"),
        ("POST", "/servers", AUTH, b"x" * 101, 413, "overLimit", "100 bytes"),
        ("POST", "/servers", AUTH, b"{not json", 400, "badRequest", "JSON"),
        ("GET", "/servers/1", {**AUTH, "OpenStack-API-Version": "compute 9.9"}, None, 406, "computeFault",
         "9.9"),
        ("GET", "/servers/1", {**AUTH, "X-OpenStack-Nova-API-Version": "9.9"}, None, 406, "computeFault",
         "9.9"),
        ("GET", "/servers/busy", AUTH, None, 409, "conflictingRequest", "vm_state stopped"),
        ("GET", "/servers/boom", AUTH, None, 500, "computeFault", "Internal Server Error"),
    ],
    ids=["router-404", "router-405", "auth-401", "auth-403", "sizelimit-413", "wsgify-400", "versions-406",
         "legacy-406", "app-409", "catcher-500"],
)  # fmt: skip
def test_openstack_faults_for_every_error_of_the_pipeline(
    tmp_path: Any,
    caplog: pytest.LogCaptureFixture,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes | None,
    status: int,
    name: str,
    message: str,
) -> None:
    client = openstack_pipeline(tmp_path)
    kwargs: dict[str, Any] = {"method": method, "headers": headers, "status": status}
    if body is not None:
        kwargs.update(body=body, content_type="application/json")
    with caplog.at_level(logging.ERROR, logger="wsgikit.errors"):
        response = client.request(path, **kwargs)
    assert response.content_type == "application/json"
    document = response.json
    assert list(document) == [name]
    assert document[name]["code"] == status
    assert message in document[name]["message"]
    assert "secret internals" not in response.text
    assert len(error_records(caplog)) == (1 if status == 500 else 0)


def test_openstack_faults_ignore_accept_and_keep_head_empty(tmp_path: Any) -> None:
    client = openstack_pipeline(tmp_path)
    response = client.get("/nowhere", headers={**AUTH, "Accept": "text/html"}, status=404)
    assert response.json == {"itemNotFound": {"code": 404, "message": "The resource could not be found."}}
    head = client.head("/nowhere", headers=AUTH, status=404)
    assert head.body == b"" and head.content_type == "application/json"


def test_openstack_fault_carries_retry_after_on_429() -> None:
    def limited(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        return exc.HTTPTooManyRequests("slow down", headers=[("Retry-After", "30")])(environ, start_response)

    response = TestApp(ErrorCatcherMiddleware(limited, fault_format="openstack")).get("/", status=429)
    assert response.json == {"overLimit": {"code": 429, "message": "slow down", "retryAfter": "30"}}
    assert response.headers["Retry-After"] == "30"


def test_problem_is_still_the_default(tmp_path: Any) -> None:
    response = TestApp(ErrorCatcherMiddleware(failing)).get("/", status=500)
    assert response.content_type == "application/problem+json"
    assert response.json["status"] == 500


def test_fault_format_from_ini_and_bad_values() -> None:
    app = filter_factory({}, fault_format="openstack")(failing)
    assert TestApp(app).get("/", status=500).json["computeFault"]["code"] == 500
    with pytest.raises(ValueError, match="fault_format"):
        filter_factory({}, fault_format="nova")
    with pytest.raises(ValueError, match=r"^fault_format:"):
        ErrorCatcherMiddleware(failing, fault_format="xml")


def test_an_environ_without_a_path_still_gets_its_500_logged(caplog: pytest.LogCaptureFixture) -> None:
    """PEP 3333 makes PATH_INFO a string; a harness or a broken gateway may give None. The error path must
    not fail on it (it raised TypeError while logging, and the 500 was lost). Called directly: wsgiref's
    validator would refuse this environ before the middleware saw it, which is the point."""
    statuses: list[str] = []
    environ = {"REQUEST_METHOD": "GET", "SCRIPT_NAME": None, "PATH_INFO": None, "wsgi.errors": None}
    body = ErrorCatcherMiddleware(failing)(
        environ, lambda status, headers, exc_info=None: statuses.append(status)
    )
    assert statuses == ["500 Internal Server Error"] and b"".join(body)
    [record] = error_records(caplog)
    assert record.getMessage().startswith("GET : unhandled")
