"""wsgikit.wsgify: WebOb compatibility and the additions."""

from __future__ import annotations

import dataclasses
import datetime
import io
import json
import uuid
from typing import Any

import pytest
import webob
import webob.dec
import webob.exc

from wsgikit import Request, Response, exc, wsgify
from wsgikit.testing import TestApp
from wsgikit.types import StartResponse, WSGIEnvironment, WSGIIterable


def routed(**named: Any) -> dict[str, Any]:
    return {"wsgiorg.routing_args": ((), named)}


# -- return values ---------------------------------------------------------------------------------------


def test_str_bytes_none_and_response() -> None:
    assert TestApp(wsgify(lambda req: "héllo")).get("/").text == "héllo"
    res = TestApp(wsgify(lambda req: b"\x00raw")).get("/")
    assert res.body == b"\x00raw"
    assert res.headers["Content-Type"] == "text/html; charset=UTF-8"

    def none(req: Request) -> None:
        req.response.status = 202
        req.response.text = "queued"

    res = TestApp(wsgify(none)).get("/", status=202)
    assert res.text == "queued"
    res = TestApp(wsgify(lambda req: Response("made", status=201, content_type="text/plain"))).get(
        "/", status=201
    )
    assert res.text == "made" and res.content_type == "text/plain"


def test_str_same_bytes_as_webob() -> None:
    ours = TestApp(wsgify(lambda req: "same")).get("/")
    theirs = TestApp(webob.dec.wsgify(lambda req: "same")).get("/")
    assert ours.body == theirs.body
    assert ours.headers["Content-Type"] == theirs.headers["Content-Type"]
    assert ours.headers["Content-Length"] == theirs.headers["Content-Length"]


def test_returning_any_wsgi_app() -> None:
    def inner(environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"inner ", environ["PATH_INFO"].encode()]

    assert TestApp(wsgify(lambda req: inner)).get("/p").text == "inner /p"


@dataclasses.dataclass
class Server:
    id: uuid.UUID
    name: str
    created: datetime.date


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"a": 1, "é": "ü"}, {"a": 1, "é": "ü"}),
        ([1, "two", None], [1, "two", None]),
        (
            Server(uuid.UUID(int=1), "web", datetime.date(2026, 1, 2)),
            {"id": "00000000-0000-0000-0000-000000000001", "name": "web", "created": "2026-01-02"},
        ),
        ({"nested": [Server(uuid.UUID(int=2), "db", datetime.date(2026, 3, 4))]}, None),
    ],
    ids=["dict", "list", "dataclass", "nested-dataclass"],
)
def test_json_results(value: Any, expected: Any) -> None:
    res = TestApp(wsgify(lambda req: value)).get("/")
    assert res.content_type == "application/json"
    assert int(res.headers["Content-Length"]) == len(res.body)
    if expected is not None:
        assert res.json == expected
    else:
        assert res.json["nested"][0]["name"] == "db"


def test_json_respects_status_headers_and_cookies_set_on_req_response() -> None:
    def create(req: Request) -> dict[str, str]:
        req.response.status = 201
        req.response.headers["Location"] = "/servers/1"
        req.response.set_cookie("seen", "1")
        return {"id": "1"}

    res = TestApp(wsgify(create)).post("/", status=201)
    assert res.json == {"id": "1"}
    assert res.headers["Location"].endswith("/servers/1")
    assert "seen=1" in res.headers["Set-Cookie"]
    assert res.content_type == "application/json"


def test_unserialisable_result_is_a_server_error() -> None:
    with pytest.raises(TypeError, match="not JSON serialisable"):
        TestApp(wsgify(lambda req: {"x": object()})).get("/")


def test_head_drops_body_keeps_length() -> None:
    for app in (wsgify(lambda req: {"a": 1}), wsgify(lambda req: "text")):
        get = TestApp(app).get("/")
        head = TestApp(app).head("/")
        assert head.body == b""
        assert head.headers["Content-Length"] == get.headers["Content-Length"]


def test_cookies_merged_into_a_returned_response() -> None:
    def handler(req: Request) -> Response:
        req.response.set_cookie("a", "1")
        return Response("other")

    assert "a=1" in TestApp(wsgify(handler)).get("/").headers["Set-Cookie"]


# -- exceptions ------------------------------------------------------------------------------------------


def test_raised_http_exceptions_become_responses() -> None:
    def handler(req: Request) -> None:
        raise exc.HTTPConflict("server is running")

    res = TestApp(wsgify(handler)).get("/", status=409)
    assert res.json["detail"] == "server is running"


def test_plain_webob_exceptions_get_problem_bodies() -> None:
    def handler(req: Request) -> None:
        raise webob.exc.HTTPNotFound("no such thing")

    res = TestApp(wsgify(handler)).get("/", status=404, headers={"Accept": "application/json"})
    assert res.json["detail"] == "no such thing"


@pytest.mark.parametrize(
    "body",
    [b"", b"{", b"not json", b"\xff\xfe{}", b"[" * 5_000, b'{"a": 1} trailing'],
    ids=["empty", "truncated", "text", "not-utf8", "deep", "trailing"],
)
def test_bad_json_body_is_400_not_500(body: bytes) -> None:
    res = TestApp(wsgify(lambda req: req.json)).post("/", body, content_type="application/json", status=400)
    assert res.json["status"] == 400
    assert "Traceback" not in res.text


def test_good_json_body() -> None:
    res = TestApp(wsgify(lambda req: {"got": req.json})).post_json("/", {"a": [1, 2]})
    assert res.json == {"got": {"a": [1, 2]}}


def test_other_exceptions_propagate() -> None:
    def handler(req: Request) -> None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        TestApp(wsgify(handler)).get("/")


# -- route variables -------------------------------------------------------------------------------------


def test_route_variables_become_keyword_arguments() -> None:
    @wsgify
    def show(req: Request, id: str, format: str = "json") -> dict[str, str]:
        return {"id": id, "format": format}

    env = routed(controller="servers", action="show", id="42", format="xml")
    assert TestApp(show, extra_environ=env).get("/").json == {"id": "42", "format": "xml"}


def test_route_variables_with_var_keyword() -> None:
    @wsgify
    def show(req: Request, **kw: str) -> dict[str, str]:
        return kw

    env = routed(controller="servers", action="show", id="42")
    assert TestApp(show, extra_environ=env).get("/").json == {"id": "42"}


def test_undeclared_route_variables_are_not_passed() -> None:
    @wsgify
    def index(req: Request) -> str:
        return "ok"

    assert TestApp(index, extra_environ=routed(project_id="p", controller="c")).get("/").text == "ok"


# -- WebOb behaviours ------------------------------------------------------------------------------------


def test_methods_bind_through_get() -> None:
    class Controller:
        greeting = "hi"

        @wsgify
        def index(self, req: Request) -> str:
            return f"{self.greeting} {req.path_info}"

    assert TestApp(Controller().index).get("/x").text == "hi /x"


def test_request_class_args_and_kwargs() -> None:
    class MyRequest(Request):
        marker = "mine"

    def handler(req: MyRequest, a: int, b: int = 0) -> str:
        return f"{req.marker} {a} {b}"

    app = wsgify(handler, RequestClass=MyRequest, args=(1,), kwargs={"b": 2})
    assert TestApp(app).get("/").text == "mine 1 2"


def test_webob_request_class_still_works() -> None:
    app = wsgify(lambda req: f"{type(req).__name__}", RequestClass=webob.Request)
    assert TestApp(app).get("/").text == "Request"


def test_callable_as_function_in_tests() -> None:
    @wsgify
    def handler(req: Request) -> str:
        return "direct " + req.path_info

    assert handler(Request.blank("/d")) == "direct /d"
    assert handler.get("/g").text == "direct /g"
    assert handler.request("/r", method="POST").text == "direct /r"
    assert handler.post("/p", POST={"a": "1"}).text == "direct /p"


def test_wrong_signature() -> None:
    with pytest.raises(TypeError, match="wrong signature"):
        wsgify(lambda req: "x")({"REQUEST_METHOD": "GET"})


def test_decorator_with_arguments_and_clone() -> None:
    @wsgify(args=("bound",))
    def handler(req: Request, value: str) -> str:
        return value

    assert TestApp(handler).get("/").text == "bound"
    assert handler.undecorated is handler.func
    clone = handler.clone(lambda req, value: value.upper())
    assert TestApp(clone).get("/").text == "BOUND"


def test_functools_metadata() -> None:
    def documented(req: Request) -> str:
        """Docs of the handler."""
        return ""

    app = wsgify(documented)
    assert app.__name__ == "documented"
    assert app.__doc__ == "Docs of the handler."
    assert app.__wrapped__ is documented
    assert "documented" in repr(app)


# -- middleware ------------------------------------------------------------------------------------------


@wsgify
def echo(req: Request) -> str:
    return req.path_info


@wsgify.middleware
def tagger(req: Request, app: Any, tag: str = "t", suffix: str = "") -> Response:
    res = req.get_response(app)
    res.headers["X-Tag"] = tag + suffix
    return res


def test_middleware_binding_forms() -> None:
    assert TestApp(tagger(echo)).get("/a").headers["X-Tag"] == "t"
    assert TestApp(tagger(echo, tag="x")).get("/a").headers["X-Tag"] == "x"
    assert TestApp(tagger(tag="y")(echo)).get("/a").headers["X-Tag"] == "y"

    @wsgify.middleware(tag="z")
    def decorated(req: Request, app: Any, tag: str) -> Any:
        req.headers["X-In"] = tag
        return app

    res = TestApp(decorated(wsgify(lambda req: req.headers["X-In"]))).get("/")
    assert res.text == "z"


def test_middleware_per_call_kwargs_merge_with_bound_ones() -> None:
    bound = tagger(echo, tag="bound")
    res = bound(Request.blank("/m"), suffix="-call")
    assert res.headers["X-Tag"] == "bound-call"


def test_middleware_passthrough_returns_app_response() -> None:
    @wsgify.middleware
    def passthrough(req: Request, app: Any) -> Any:
        return app

    assert TestApp(passthrough(echo)).get("/through").text == "/through"


# -- undecodable request data ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "reads", "part"),
    [
        ("/%80", "path_info", "path"),
        ("/caf%E9", "path", "path"),
        ("/?q=%ff", "GET", "query string"),
        ("/?%fe=1", "params", "query string"),
    ],
    ids=["path-info", "path", "query-value", "query-name"],
)
def test_non_utf8_request_data_is_a_400(url: str, reads: str, part: str) -> None:
    @wsgify
    def handler(req: Request) -> str:
        return repr(getattr(req, reads))

    res = TestApp(handler).get(url, status=400)
    assert res.json["detail"] == f"The request {part} is not valid UTF-8."


def test_non_utf8_form_body_is_decoded_with_replacement_characters() -> None:
    @wsgify
    def handler(req: Request) -> dict[str, str]:
        return dict(req.POST)

    res = TestApp(handler).post("/", b"name=%ff", content_type="application/x-www-form-urlencoded")
    assert res.json == {"name": "\ufffd"}


def test_the_applications_own_decoding_errors_propagate() -> None:
    @wsgify
    def handler(req: Request) -> str:
        return b"\xff".decode("utf-8")

    with pytest.raises(UnicodeDecodeError):
        TestApp(handler).get("/fine")


# -- hostile JSON and unreadable bodies --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b'{"n": ' + b"1" * 5000 + b"}", "too many digits"),
        (b'{"name": "\\ud800"}', "unpaired surrogate"),
        (b'{"\\udfff": 1}', "unpaired surrogate"),
        (b'[["x", {"a": "ok\\uDBFF"}]]', "unpaired surrogate"),
    ],
    ids=["5000-digit-number", "lone-high-surrogate", "lone-low-surrogate-key", "nested-surrogate"],
)
@pytest.mark.parametrize("codec", ["json", "msgspec"])
def test_json_that_would_fail_later_is_400_at_req_json(body: bytes, detail: str, codec: str) -> None:
    from wsgikit import _json

    if codec == "msgspec" and _json.msgspec is None:
        pytest.skip("msgspec is not installed (the json extra)")
    previous = _json.use(codec)
    try:
        res = TestApp(wsgify(lambda req: {"got": req.json})).post(
            "/", body, content_type="application/json", status=400
        )
    finally:
        _json.use(previous)
    assert detail in res.json["detail"]


def test_paired_surrogates_and_escaped_backslashes_are_fine() -> None:
    body = b'{"emoji": "\\ud83d\\ude00", "text": "\\\\ud800"}'
    res = TestApp(wsgify(lambda req: {"got": req.json})).post("/", body, content_type="application/json")
    assert res.json == {"got": {"emoji": "\U0001f600", "text": "\\ud800"}}


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "text/json"])
def test_json_with_a_content_type_that_is_not_json_is_415(content_type: str) -> None:
    res = TestApp(wsgify(lambda req: {"got": req.json})).post(
        "/", b'{"a": 1}', content_type=content_type, status=415
    )
    assert res.json["status"] == 415
    assert "application/json" in res.json["detail"]


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=UTF-8", "application/merge-patch+json", ""],
)
def test_json_media_types_and_no_content_type_are_read(content_type: str) -> None:
    inner = wsgify(lambda req: {"got": req.json})

    def as_sent(environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
        environ["CONTENT_TYPE"] = content_type
        if not content_type:
            del environ["CONTENT_TYPE"]
        return inner(environ, start_response)

    assert TestApp(as_sent).post("/", b'{"a": 1}').json == {"got": {"a": 1}}


def test_strict_json_content_type_can_be_relaxed() -> None:
    class LenientRequest(Request):
        strict_json_content_type = False

    lenient = TestApp(wsgify(lambda req: {"got": req.json}, RequestClass=LenientRequest))
    assert lenient.post("/", b"[1]", content_type="text/plain").json == {"got": [1]}

    def per_request(req: Request) -> Any:
        req.strict_json_content_type = False
        return {"got": req.json}

    assert TestApp(wsgify(per_request)).post("/", b"[2]", content_type="text/plain").json == {"got": [2]}


class FailingStream:
    """A server input stream that fails the way a server's does after ``good`` bytes."""

    def __init__(self, good: bytes, error: BaseException) -> None:
        self.data = good
        self.error = error

    def read(self, size: int = -1) -> bytes:
        if self.data:
            data, self.data = self.data[:size], self.data[size:]
            return data
        raise self.error

    def readline(self, size: int = -1) -> bytes:
        return self.read(size)


def as_a_server_reads(app: Any, stream: Any, length: int | None) -> Any:
    """``app`` reading ``stream`` as its ``wsgi.input``, not seekable, as a real server presents it:
    with ``CONTENT_LENGTH`` = ``length``, or chunked (``wsgi.input_terminated``) when it is None."""

    def served(environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
        environ.pop("webob.is_body_seekable", None)
        environ["wsgi.input"] = stream
        if length is None:
            environ.pop("CONTENT_LENGTH", None)
            environ["wsgi.input_terminated"] = True
        else:
            environ["CONTENT_LENGTH"] = str(length)
        return app(environ, start_response)  # type: ignore[no-any-return]

    return served


def _gunicorn_errors() -> list[Any]:
    names = ["InvalidChunkSize", "ChunkMissingTerminator", "NoMoreData"]
    try:
        from gunicorn.http.errors import ChunkMissingTerminator, InvalidChunkSize, NoMoreData
    except ImportError:  # the minimal venv (make test-minimal) has no servers
        skip = pytest.mark.skip(reason="gunicorn is not installed")
        return [pytest.param(None, id=name, marks=skip) for name in names]
    errors = [InvalidChunkSize(b"zz"), ChunkMissingTerminator(b"ll"), NoMoreData(b"")]
    return [pytest.param(error, id=name) for error, name in zip(errors, names, strict=True)]


@pytest.mark.parametrize(
    "error",
    [
        *_gunicorn_errors(),
        pytest.param(OSError("error during read(18) on wsgi.input"), id="uwsgi-OSError"),
        pytest.param(ConnectionResetError(), id="reset"),
    ],
)
@pytest.mark.parametrize("access", ["json", "body", "body_file", "POST"])
def test_unreadable_body_is_400_logged_without_traceback(
    error: BaseException, access: str, caplog: pytest.LogCaptureFixture
) -> None:
    def handler(req: Request) -> Any:
        value = getattr(req, access)
        return {"read": len(value.read()) if access == "body_file" else len(value)}

    app = as_a_server_reads(wsgify(handler), FailingStream(b"{", error), None)
    with caplog.at_level("INFO", logger="wsgikit.request"):
        res = TestApp(app).post(
            "/",
            b"{",
            content_type="application/json" if access != "POST" else "application/x-www-form-urlencoded",
            status=400,
        )
    assert res.json["detail"] == "The request body could not be read: it is malformed or incomplete."
    [record] = caplog.records
    assert record.exc_info is None
    assert type(error).__name__ in record.getMessage()


def test_a_body_shorter_than_its_content_length_is_400() -> None:
    # a server whose input just ends (gunicorn: short read; WebOb would raise DisconnectionError)
    app = as_a_server_reads(wsgify(lambda req: {"got": req.json}), io.BytesIO(b'{"a": 1'), 100)
    res = TestApp(app).post("/", b'{"a": 1', content_type="application/json", status=400)
    assert "could not be read" in res.json["detail"]


@pytest.mark.parametrize("length", [True, False], ids=["content-length", "chunked"])
@pytest.mark.parametrize("size", [20, 50_000], ids=["small", "over-webob-tempfile-limit"])
def test_req_json_reads_the_body_once_and_keeps_it(length: bool, size: int) -> None:
    document = {"servers": [{"id": str(index), "name": "web-" + "x" * 40} for index in range(size // 60)]}
    body = json.dumps(document).encode()
    seen: dict[str, Any] = {}

    def handler(req: Request) -> Any:
        parsed = req.json
        # the body stays the request's, in memory (WebOb's req.body would spool one over 10 KB to a file)
        seen.update(body=req.body, again=req.json, raw=req.body_file_raw, file=req.body_file.read())
        return {"count": len(parsed["servers"])}

    app = as_a_server_reads(wsgify(handler), io.BytesIO(body), len(body) if length else None)
    res = TestApp(app).post("/", body, content_type="application/json")
    assert res.json == {"count": len(document["servers"])}
    assert seen["body"] == seen["file"] == body
    assert seen["again"] == document
    assert isinstance(seen["raw"], io.BytesIO)


def test_req_json_after_part_of_the_body_was_read_through_body_file() -> None:
    def handler(req: Request) -> Any:
        assert req.body_file.read(0) == b""
        return {"got": req.json}

    app = as_a_server_reads(wsgify(handler), io.BytesIO(b'{"a": [1, 2]}'), 13)
    assert TestApp(app).post("/", b'{"a": [1, 2]}', content_type="application/json").json == {
        "got": {"a": [1, 2]}
    }


def test_application_errors_are_not_taken_for_body_errors() -> None:
    def handler(req: Request) -> Any:
        req.body  # noqa: B018 - reads fine
        raise FileNotFoundError("/etc/app.conf")  # an OSError of the application's own

    with pytest.raises(FileNotFoundError):
        TestApp(wsgify(handler)).post("/", b"x", content_type="text/plain")


# -- Response's short constructor path gives WebOb's result ------------------------------------------------


class _PlainSubclass(Response):
    default_content_type = "application/json"
    default_charset = "latin-1"


class _NoDefaults(Response):
    default_content_type = None  # type: ignore[assignment]


class _StrBody(str):
    pass


class _BytesBody(bytes):
    pass


def _state(build: Any) -> tuple[str, Any]:
    try:
        response = build()
    except (TypeError, ValueError, UnicodeEncodeError) as error:
        return "raised", (type(error), str(error))
    return "built", (
        response.status,
        response.headerlist,
        list(response.app_iter),
        response.conditional_response,
        response.charset,
    )


@pytest.mark.parametrize("cls", [Response, _PlainSubclass, _NoDefaults], ids=lambda cls: cls.__name__)
@pytest.mark.parametrize(
    "body", ["", "héllo", "☃", b"raw\x00", _StrBody("sub"), _BytesBody(b"sub")], ids=repr
)
@pytest.mark.parametrize("status", [None, 200, "201 Created", 204, 304, "100 Continue", "404 Not Found"])
@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "text/plain",
        "text/html",
        "application/json",
        "application/xml",
        "image/svg+xml",
        "text/html; charset=latin-1",
        "text/plain;CHARSET=ascii",
        "image/png",
    ],
)
def test_short_response_constructor_matches_webob(
    cls: type[Response], body: Any, status: Any, content_type: Any
) -> None:
    class Reference(cls):  # type: ignore[valid-type,misc]
        """The same class, built by WebOb's constructor only."""

        def __init__(self, *args: Any, **kw: Any) -> None:
            webob.Response.__init__(self, *args, **kw)

    kwargs = {"status": status, "content_type": content_type}
    assert _state(lambda: cls(body, **kwargs)) == _state(lambda: Reference(body, **kwargs))


def _served(response: webob.Response, method: str = "GET", **headers: str) -> tuple[str, list[Any], bytes]:
    request = webob.Request.blank("/base/here", method=method, headers=headers)
    got = request.get_response(response)
    return got.status, sorted(got.headerlist), got.body


@pytest.mark.parametrize(
    ("setup", "method", "headers"),
    [
        ({}, "GET", {}),
        ({}, "HEAD", {}),
        ({"location": "../elsewhere"}, "GET", {}),
        ({"headers": [("LOCATION", "/abs")]}, "GET", {}),
        ({"etag": "abc", "conditional_response": True}, "GET", {"If-None-Match": '"abc"'}),
        ({"status": 201}, "GET", {}),
    ],
    ids=["plain", "head", "relative-location", "upper-case-location", "conditional-304", "created"],
)
def test_response_call_matches_webob(setup: dict[str, Any], method: str, headers: dict[str, str]) -> None:
    def build(cls: type[webob.Response]) -> webob.Response:
        response = cls("hello", content_type="text/plain", status=setup.get("status"))
        if "location" in setup:
            response.location = setup["location"]
        for name, value in setup.get("headers", []):
            response.headerlist.append((name, value))
        if "etag" in setup:
            response.etag = setup["etag"]
            response.conditional_response = setup["conditional_response"]
        return response

    ours = _served(build(Response), method, **headers)
    assert ours == _served(build(webob.Response), method, **headers)
    if "location" in setup:
        assert ("Location", "http://localhost/elsewhere") in ours[1]  # made absolute, as WebOb does
