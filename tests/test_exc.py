"""wsgikit.exc: negotiated error bodies, the extra status codes, safe redirects."""

from __future__ import annotations

import json

import pytest
import webob.exc

from wsgikit import exc
from wsgikit.testing import TestApp

ACCEPTS = {
    "json": ("application/json", "application/json"),
    "any": ("*/*", "application/problem+json"),
    "html": ("text/html", "text/html; charset=UTF-8"),
    "plain": ("text/plain", "text/plain; charset=UTF-8"),
    "problem": ("application/problem+json", "application/problem+json"),
    "none": (None, "application/problem+json"),
    "browser": (
        "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        "text/html; charset=UTF-8",
    ),
    "unacceptable": ("image/png", "application/problem+json"),
    "malformed": (";;;q=x", "application/problem+json"),
}
STATUSES = [400, 404, 405, 418, 500]


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("code", STATUSES)
@pytest.mark.parametrize("accept_id", list(ACCEPTS))
def test_error_body_matrix(accept_id: str, code: int, method: str) -> None:
    accept, expected_type = ACCEPTS[accept_id]
    headers = {"Accept": accept} if accept else {}
    error = exc.status_map[code](detail="it <broke> & stayed broken")
    res = TestApp(error).request("/thing", method=method, headers=headers, expect_errors=True)
    assert res.status_int == code
    assert res.headers["Content-Type"] == expected_type
    if method == "HEAD":
        assert res.body == b""
        get = TestApp(exc.status_map[code](detail="it <broke> & stayed broken")).request(
            "/thing", headers=headers, expect_errors=True
        )
        assert res.headers["Content-Length"] == get.headers["Content-Length"]
        return
    assert int(res.headers["Content-Length"]) == len(res.body)
    if "json" in expected_type:
        document = json.loads(res.body)
        assert document == {
            "type": "about:blank",
            "title": exc.status_map[code].title,
            "status": code,
            "detail": "it <broke> & stayed broken",
        }
        assert "<" not in document["title"]
    elif expected_type.startswith("text/html"):
        assert b"it &lt;broke&gt; &amp; stayed broken" in res.body
        assert b"<broke>" not in res.body
    else:
        assert res.body.startswith(f"{code} ".encode())
        assert b"it <broke> & stayed broken" in res.body


def test_request_id_in_problem_document() -> None:
    app = TestApp(exc.HTTPNotFound(), extra_environ={"wsgikit.request_id": "req-1234"})
    assert app.get("/", status=404).json["request_id"] == "req-1234"


def test_detail_defaults_to_explanation_without_html() -> None:
    body = TestApp(exc.HTTPForbidden()).get("/", status=403).json
    assert body["detail"] == exc.HTTPForbidden.explanation
    assert "<br" not in json.dumps(body)


@pytest.mark.parametrize(
    ("code", "title"),
    [
        (418, "I'm a teapot"),
        (421, "Misdirected Request"),
        (425, "Too Early"),
        (426, "Upgrade Required"),
        (506, "Variant Also Negotiates"),
        (508, "Loop Detected"),
        (510, "Not Extended"),
    ],
)
def test_codes_webob_lacks(code: int, title: str) -> None:
    cls = exc.status_map[code]
    assert code not in webob.exc.status_map
    assert cls.code == code and cls.title == title
    assert isinstance(cls(), webob.exc.HTTPError)
    res = TestApp(cls()).get("/", expect_errors=True)
    assert res.status == f"{code} {title}"
    assert res.json["status"] == code


def test_status_map_is_complete_and_consistent() -> None:
    assert set(webob.exc.status_map) <= set(exc.status_map)
    for code, cls in exc.status_map.items():
        assert cls.code == code
        assert issubclass(cls, exc.WSGIHTTPException)
        if code in webob.exc.status_map:
            assert issubclass(cls, webob.exc.status_map[code])


def test_hierarchy_catches_both_ways() -> None:
    with pytest.raises(webob.exc.HTTPNotFound):
        raise exc.HTTPNotFound()
    with pytest.raises(exc.HTTPClientError):
        raise exc.HTTPNotFound()
    with pytest.raises(webob.exc.HTTPClientError):
        raise exc.HTTPConflict()
    assert issubclass(exc.HTTPServiceUnavailable, exc.HTTPServerError)
    assert exc.HTTPContentTooLarge is exc.HTTPRequestEntityTooLarge


def test_error_response_helper_and_headers_kept() -> None:
    error = exc.error_response(405, "only GET", headers=[("Allow", "GET, HEAD")])
    res = TestApp(error).post("/", expect_errors=True)
    assert res.status_int == 405
    assert res.headers["Allow"] == "GET, HEAD"
    assert res.json["detail"] == "only GET"
    with pytest.raises(KeyError):
        exc.error_response(299)


def test_no_body_statuses() -> None:
    for cls in (exc.HTTPNoContent, exc.HTTPNotModified):
        res = TestApp(cls()).get("/", status=cls.code)
        assert res.body == b""
        assert "Content-Type" not in res.headers


def test_explicit_body_wins() -> None:
    error = exc.HTTPConflict(body=b"custom", content_type="text/plain")
    res = TestApp(error).get("/", status=409, headers={"Accept": "application/json"})
    assert res.body == b"custom"


@pytest.mark.parametrize(
    "location",
    [
        "//evil.example/x",
        "/\\evil.example/x",
        "\\\\evil.example/x",
        "/\t/evil.example/x",
        "\t//evil.example/x",
        "/\n/evil.example/x",
        " //evil.example/x",
        "\\/evil.example/x",
    ],
    ids=[
        "slash-slash",
        "slash-backslash",
        "backslash-backslash",
        "tab-inside",
        "tab-leading",
        "newline",
        "space",
        "backslash-slash",
    ],
)
def test_redirect_location_is_never_protocol_relative(location: str) -> None:
    assert exc.safe_location(location) == "/evil.example/x"
    if "\n" in location:
        return  # webob refuses newlines in Location outright
    res = TestApp(exc.HTTPFound(location=location)).get("/start", status=302)
    assert res.headers["Location"] == "http://localhost/evil.example/x"


def test_redirect_absolute_and_relative_locations() -> None:
    res = TestApp(exc.HTTPSeeOther(location="https://other.example/a")).get("/", status=303)
    assert res.headers["Location"] == "https://other.example/a"
    res = TestApp(exc.HTTPMovedPermanently(location="/new")).head("/", status=301)
    assert res.headers["Location"] == "http://localhost/new"
    assert res.body == b""


def test_as_wsgikit_upgrades_plain_webob_errors() -> None:
    upgraded = exc.as_wsgikit(webob.exc.HTTPNotFound("gone", headers=[("X-A", "1")]))
    assert isinstance(upgraded, exc.HTTPNotFound)
    res = TestApp(upgraded).get("/", status=404)
    assert res.json["detail"] == "gone"
    assert res.headers["X-A"] == "1"
    redirect = webob.exc.HTTPFound(location="/a")
    assert exc.as_wsgikit(redirect) is redirect
    templated = webob.exc.HTTPNotFound(body_template="${detail}")
    assert exc.as_wsgikit(templated) is templated


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("application/json;q=0.5, text/html", "text/html"),
        ("text/plain;q=0.9, application/json", "application/json"),
        ("application/*", "application/problem+json"),
        ("text/*", "text/html"),
        ("", "application/problem+json"),
    ],
)
def test_negotiate_error_type(accept: str, expected: str) -> None:
    assert exc.negotiate_error_type(accept) == expected


# -- unreadable request bodies -----------------------------------------------------------------------------


def test_guarded_input_reads_up_to_the_length_and_no_further() -> None:
    import io

    environ = {"wsgi.input": io.BytesIO(b"line one\nline two\nEXTRA"), "CONTENT_LENGTH": "18"}
    stream = exc.guard_input(environ)
    assert environ["wsgi.input"] is stream and exc.guard_input(environ) is stream
    assert stream.readline() == b"line one\n"
    assert list(stream) == [b"line two\n"]
    assert stream.read() == b"" and stream.read(5) == b""
    assert stream.tell() == 18  # other attributes are the stream's


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, b""),
        ({"CONTENT_LENGTH": "x"}, b""),
        ({"wsgi.input_terminated": True}, b"all of it"),
        ({"CONTENT_LENGTH": "3", "wsgi.input_terminated": True}, b"all"),
    ],
)
def test_guard_input_length(environ: dict[str, object], expected: bytes) -> None:
    import io

    assert exc.guard_input({"wsgi.input": io.BytesIO(b"all of it"), **environ}).read() == expected


def test_guarded_input_short_body_is_a_request_body_error() -> None:
    import io

    stream = exc.guard_input({"wsgi.input": io.BytesIO(b"abc"), "CONTENT_LENGTH": "10"})
    with pytest.raises(exc.RequestBodyError) as raised:
        stream.read(10)
    assert raised.value.code == 400
    stream = exc.guard_input({"wsgi.input": io.BytesIO(b"abc"), "CONTENT_LENGTH": "10"})
    assert stream.readline() == b"abc"
    with pytest.raises(exc.RequestBodyError):
        stream.readline()


def test_request_body_error_leaves_http_and_application_errors_alone() -> None:
    assert exc.request_body_error(exc.HTTPRequestEntityTooLarge()) is None
    assert exc.request_body_error(ValueError("a bug")) is None
    answer = exc.request_body_error(ConnectionResetError())
    assert isinstance(answer, exc.RequestBodyError) and isinstance(answer, exc.HTTPBadRequest)


def test_guarded_input_lets_other_errors_propagate() -> None:
    class Buggy:
        def read(self, size: int) -> bytes:
            raise KeyError("a bug in a wrapper")

    with pytest.raises(KeyError):
        exc.guard_input({"wsgi.input": Buggy(), "CONTENT_LENGTH": "5"}).read(5)


@pytest.mark.parametrize(
    ("code", "name"),
    [(400, "badRequest"), (401, "unauthorized"), (403, "forbidden"), (404, "itemNotFound"),
     (405, "badMethod"), (406, "computeFault"), (409, "conflictingRequest"), (413, "overLimit"),
     (415, "badMediaType"),
     (429, "overLimit"), (500, "computeFault"), (501, "notImplemented"), (503, "serviceUnavailable")],
)  # fmt: skip
def test_openstack_fault_names_are_novas(code: int, name: str) -> None:
    assert exc.openstack_fault(code, "why") == {name: {"code": code, "message": "why"}}


def test_openstack_format_is_read_from_the_environ() -> None:
    environ = {exc.FAULT_FORMAT_KEY: "openstack", "HTTP_ACCEPT": "text/html"}
    content_type, body = exc.render_problem(environ, 404, "no server 7")
    assert content_type == "application/json"
    assert json.loads(body) == {"itemNotFound": {"code": 404, "message": "no server 7"}}
    _, body = exc.render_problem(environ, 503)
    assert json.loads(body) == {"serviceUnavailable": {"code": 503, "message": "Service Unavailable"}}
    content_type, _ = exc.render_problem({exc.FAULT_FORMAT_KEY: "problem"}, 404)
    assert content_type == exc.PROBLEM_JSON
