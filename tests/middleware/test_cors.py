"""CorsMiddleware: origin tables, credentials, preflights, Vary, hostile request values."""

from __future__ import annotations

import re
from typing import Any

import pytest

from wsgikit.deploy.components import cors as cors_component
from wsgikit.deploy.options import ConfigError
from wsgikit.middleware.cors import CorsMiddleware, normalize_origin
from wsgikit.testing import TestApp
from wsgikit.types import StartResponse, WSGIEnvironment, WSGIIterable

calls: list[str] = []


def app(environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
    calls.append(environ["REQUEST_METHOD"])
    start_response(
        "200 OK",
        [
            ("Content-Type", "text/plain"),
            ("Content-Length", "2"),
            ("Vary", "Accept-Encoding"),
            ("Access-Control-Allow-Origin", "*"),  # an app's own, wrong, CORS header is replaced
        ],
    )
    return [b"ok"]


EXACT = {
    "allowed_origins": ["https://app.example.com", "http://localhost:3000/"],
    "allowed_origin_patterns": [r"https://[a-z0-9-]+\.preview\.example\.com"],
    "allow_credentials": True,
    "allow_headers": ["X-Auth-Token"],
    "expose_headers": ["X-Request-ID"],
    "max_age": 600,
}


def client(**options: Any) -> TestApp:
    return TestApp(CorsMiddleware(app, **(options or EXACT)))


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        pytest.param("https://app.example.com", True, id="exact"),
        pytest.param("HTTPS://APP.EXAMPLE.COM", True, id="case"),
        pytest.param("http://localhost:3000", True, id="port"),
        pytest.param("https://pr-12.preview.example.com", True, id="pattern"),
        pytest.param("http://app.example.com", False, id="other-scheme"),
        pytest.param("https://app.example.com:444", False, id="other-port"),
        pytest.param("https://app.example.com.evil.com", False, id="suffix-attack"),
        pytest.param("https://evilapp.example.com", False, id="prefix-attack"),
        pytest.param("https://x.preview.example.com.evil.com", False, id="pattern-not-anchored"),
        pytest.param("https://a.b.preview.example.com", False, id="pattern-dot"),
        pytest.param("null", False, id="null"),
        pytest.param("https://app.example.com/", False, id="trailing-slash"),
        pytest.param("https://app.example.com/path", False, id="path"),
        pytest.param("https://user@app.example.com", False, id="userinfo"),
        pytest.param("", False, id="empty"),
        pytest.param("https://app.example.com, https://evil.com", False, id="list"),
        pytest.param("https://app.example.com\tx", False, id="tab"),
    ],
)
def test_origin_table(origin: str, allowed: bool) -> None:
    response = client().get("/", headers={"Origin": origin})
    assert response.body == b"ok"
    assert "Origin" in response.headers["Vary"] and "Accept-Encoding" in response.headers["Vary"]
    if allowed:
        assert response.headers["Access-Control-Allow-Origin"] == origin
        assert response.headers["Access-Control-Allow-Credentials"] == "true"
        assert response.headers["Access-Control-Expose-Headers"] == "X-Request-ID"
    else:
        assert "Access-Control-Allow-Origin" not in response.headers
        assert "Access-Control-Allow-Credentials" not in response.headers


@pytest.mark.parametrize(
    "origin",
    ["https://app.example.com\r\nSet-Cookie: x=1", "https://app.example.com\x00", "https://café.example"],
)
def test_hostile_origin_never_echoed(origin: str) -> None:
    response = client().get("/", extra_environ={"HTTP_ORIGIN": origin})
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Set-Cookie" not in response.headers


def test_no_origin_still_varies() -> None:
    response = client().get("/")
    assert response.headers["Vary"] == "Accept-Encoding, Origin"
    assert "Access-Control-Allow-Origin" not in response.headers  # the app's own grant is removed


def test_wildcard_without_credentials() -> None:
    wildcard = TestApp(CorsMiddleware(app, allowed_origins=["*"]))
    response = wildcard.get("/", headers={"Origin": "https://anyone.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers
    assert response.headers["Vary"] == "Accept-Encoding"


def test_wildcard_with_credentials_is_refused() -> None:
    with pytest.raises(ValueError, match="allow_credentials"):
        CorsMiddleware(app, allowed_origins=["*"], allow_credentials=True)


PREFLIGHT = {"Origin": "https://app.example.com", "Access-Control-Request-Method": "PUT"}


@pytest.mark.parametrize(
    ("extra", "granted_headers"),
    [
        pytest.param({}, None, id="no-headers"),
        pytest.param({"Access-Control-Request-Headers": "X-Auth-Token"}, "x-auth-token", id="allowed-header"),
        pytest.param(
            {"Access-Control-Request-Headers": "content-type, x-auth-token"},
            "content-type, x-auth-token",
            id="safelisted-and-allowed",
        ),
    ],
)
def test_preflight_granted(extra: dict[str, str], granted_headers: str | None) -> None:
    calls.clear()
    response = client().options("/servers", headers={**PREFLIGHT, **extra}, status=204)
    assert calls == []  # answered before the app (and any auth behind it)
    assert response.body == b""
    assert response.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert response.headers["Access-Control-Allow-Methods"] == "GET, HEAD, POST, PUT, PATCH, DELETE"
    assert response.headers.get("Access-Control-Allow-Headers") == granted_headers
    assert response.headers["Access-Control-Max-Age"] == "600"
    assert response.headers["Vary"].startswith("Origin")
    assert "Access-Control-Allow-Private-Network" not in response.headers


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({**PREFLIGHT, "Origin": "https://evil.example"}, id="origin"),
        pytest.param({**PREFLIGHT, "Access-Control-Request-Method": "TRACE"}, id="method"),
        pytest.param({**PREFLIGHT, "Access-Control-Request-Method": "put"}, id="method-case"),
        pytest.param({**PREFLIGHT, "Access-Control-Request-Headers": "X-Other"}, id="header"),
        pytest.param(
            {**PREFLIGHT, "Access-Control-Request-Headers": "X-Auth-Token, Bad Header"}, id="bad-token"
        ),
        pytest.param({**PREFLIGHT, "Access-Control-Request-Headers": ",".join(["a"] * 100)}, id="too-many"),
        pytest.param({**PREFLIGHT, "Access-Control-Request-Private-Network": "true"}, id="private-network"),
    ],
)
def test_preflight_refused(headers: dict[str, str]) -> None:
    calls.clear()
    response = client().options("/", headers=headers, status=204)
    assert calls == []
    if "Access-Control-Request-Private-Network" in headers:
        assert "Access-Control-Allow-Private-Network" not in response.headers
        return
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Access-Control-Allow-Methods" not in response.headers
    assert "Origin" in response.headers["Vary"]


def test_allow_any_header_echoes_validated_names() -> None:
    cors = TestApp(CorsMiddleware(app, allowed_origins=["https://app.example.com"], allow_headers=["*"]))
    response = cors.options(
        "/", headers={**PREFLIGHT, "Access-Control-Request-Headers": "X-A, x-b"}, status=204
    )
    assert response.headers["Access-Control-Allow-Headers"] == "x-a, x-b"
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_plain_options_goes_to_the_app() -> None:
    calls.clear()
    client().options("/", headers={"Origin": "https://app.example.com"})
    assert calls == ["OPTIONS"]


def test_error_responses_get_cors_headers() -> None:
    def failing(environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
        start_response("404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", "0")])
        return []

    response = TestApp(CorsMiddleware(failing, **EXACT)).get(
        "/", headers={"Origin": "https://app.example.com"}, status=404
    )
    assert response.headers["Access-Control-Allow-Origin"] == "https://app.example.com"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"allowed_origins": ["null"]}, "allowed_origins"),
        ({"allowed_origins": ["app.example.com"]}, "allowed_origins"),
        ({"allowed_origins": ["https://a.example/path"]}, "allowed_origins"),
        ({"allowed_origin_patterns": ["("]}, "allowed_origin_patterns"),
        ({"allow_methods": ["GET POST"]}, "allow_methods"),
        ({"allow_headers": ["X:Y"]}, "allow_headers"),
        ({"expose_headers": ["a\r\nb"]}, "expose_headers"),
        ({"max_age": -1}, "max_age"),
    ],
)
def test_bad_options(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        CorsMiddleware(app, **options)


def test_normalize_origin() -> None:
    assert normalize_origin("HTTP://[::1]:8080") == "http://[::1]:8080"
    assert normalize_origin(None) is None
    assert normalize_origin("x" * 400) is None


def test_factory() -> None:
    middleware = cors_component.filter_factory(
        {},
        allowed_origins="https://a.example, https://b.example",
        allowed_origin_patterns=r"https://[a-z]{1,3}\.example",
        allow_credentials="true",
        max_age="10m",
    )(app)
    assert isinstance(middleware, CorsMiddleware)
    assert middleware.max_age == 600
    assert middleware.allowed_origin_patterns[0].fullmatch("https://abc.example")
    assert isinstance(middleware.allowed_origin_patterns[0], re.Pattern)
    with pytest.raises(ValueError, match="allow_credentials"):
        cors_component.filter_factory({}, allowed_origins="*", allow_credentials="yes")
    with pytest.raises(ConfigError, match="did you mean 'allowed_origins'"):
        cors_component.filter_factory({}, allowed_origin="https://a.example")
