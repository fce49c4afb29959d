"""ProxyFixMiddleware and the forwarding-header parsers: trusted hop counts, trusted peers, hostile values."""

from __future__ import annotations

import json
from typing import Any

import pytest

from wsgikit.deploy.components import proxy_fix as proxy_fix_component
from wsgikit.deploy.options import ConfigError
from wsgikit.middleware._forwarded import (
    parse_forwarded,
    parse_host,
    parse_node,
    parse_prefix,
)
from wsgikit.middleware.proxy_fix import ORIG_KEY, ProxyFixMiddleware
from wsgikit.testing import TestApp
from wsgikit.types import StartResponse, WSGIEnvironment, WSGIIterable

KEYS = ("REMOTE_ADDR", "wsgi.url_scheme", "HTTP_HOST", "SERVER_NAME", "SERVER_PORT", "SCRIPT_NAME")


def echo(environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
    seen = {key: environ.get(key) for key in KEYS}
    seen["orig"] = environ.get(ORIG_KEY)
    body = json.dumps(seen).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


BASE = {
    "REMOTE_ADDR": "10.0.0.2",
    "HTTP_HOST": "internal:8080",
    "SERVER_NAME": "internal",
    "SERVER_PORT": "8080",
}


def see(headers: dict[str, str], environ: dict[str, str] | None = None, **options: Any) -> dict[str, Any]:
    client = TestApp(ProxyFixMiddleware(echo, **options), extra_environ={**BASE, **(environ or {})})
    result: dict[str, Any] = client.get("/", headers=headers).json
    return result


def test_defaults_trust_nothing() -> None:
    seen = see(
        {
            "X-Forwarded-For": "1.2.3.4",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "evil.example",
            "X-Forwarded-Port": "443",
            "X-Forwarded-Prefix": "/evil",
            "Forwarded": "for=1.2.3.4;proto=https;host=evil.example",
        }
    )
    assert {key: seen[key] for key in KEYS} == {**seen["orig"]}
    assert seen["REMOTE_ADDR"] == "10.0.0.2" and seen["wsgi.url_scheme"] == "http"


@pytest.mark.parametrize(
    ("xff", "hops", "expected"),
    [
        pytest.param("203.0.113.9", 1, "203.0.113.9", id="one-hop"),
        pytest.param("spoofed, 203.0.113.9", 1, "203.0.113.9", id="spoofed-left-most-ignored"),
        pytest.param("1.1.1.1, 203.0.113.9, 10.0.0.1", 2, "203.0.113.9", id="two-hops"),
        pytest.param("203.0.113.9", 2, "10.0.0.2", id="fewer-values-than-hops"),
        pytest.param("2001:db8::1", 1, "2001:db8::1", id="ipv6"),
        pytest.param("[2001:db8::1]:4711", 1, "2001:db8::1", id="ipv6-bracketed-port"),
        pytest.param("203.0.113.9:4711", 1, "203.0.113.9", id="ipv4-port"),
        pytest.param("not-an-ip", 1, "10.0.0.2", id="garbage"),
        pytest.param("unknown", 1, "10.0.0.2", id="unknown"),
        pytest.param("1.2.3.4\r\nX-Evil: 1", 1, "10.0.0.2", id="crlf"),
        pytest.param("", 1, "10.0.0.2", id="empty"),
        pytest.param("1.2.3.4,", 1, "10.0.0.2", id="trailing-comma"),
        pytest.param("1.2.3.4, " * 2000, 1, "10.0.0.2", id="oversized"),
    ],
)
def test_x_forwarded_for(xff: str, hops: int, expected: str) -> None:
    headers = {"X-Forwarded-For": xff} if "\n" not in xff else {}
    environ = {"HTTP_X_FORWARDED_FOR": xff} if "\n" in xff else None
    assert see(headers, environ, x_for=hops)["REMOTE_ADDR"] == expected


@pytest.mark.parametrize(
    ("proto", "expected"),
    [("https", "https"), ("HTTPS", "https"), ("http, https", "https"), ("ftp", "http"), ("https x", "http")],
)
def test_x_forwarded_proto(proto: str, expected: str) -> None:
    assert see({"X-Forwarded-Proto": proto}, x_proto=1)["wsgi.url_scheme"] == expected


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        pytest.param("api.example.com", ("api.example.com", "api.example.com", "80"), id="name"),
        pytest.param("API.Example.com:8443", ("api.example.com:8443", "api.example.com", "8443"), id="port"),
        pytest.param("[2001:db8::1]:8443", ("[2001:db8::1]:8443", "2001:db8::1", "8443"), id="ipv6"),
        pytest.param("evil.example/path", None, id="path"),
        pytest.param("user@evil.example", None, id="userinfo"),
        pytest.param("evil.example:99999", None, id="bad-port"),
        pytest.param("evil example", None, id="space"),
        pytest.param("[::1", None, id="unclosed-bracket"),
        pytest.param("-evil.example", None, id="leading-dash"),
    ],
)
def test_x_forwarded_host(host: str, expected: tuple[str, str, str] | None) -> None:
    seen = see({"X-Forwarded-Host": host}, x_host=1)
    got = (seen["HTTP_HOST"], seen["SERVER_NAME"], seen["SERVER_PORT"])
    assert got == (expected or ("internal:8080", "internal", "8080"))


@pytest.mark.parametrize(
    ("port", "expected"), [("443", "443"), ("0", "8080"), ("65536", "8080"), ("x", "8080")]
)
def test_x_forwarded_port(port: str, expected: str) -> None:
    seen = see({"X-Forwarded-Port": port}, x_port=1)
    assert seen["SERVER_PORT"] == expected
    assert seen["HTTP_HOST"] == f"internal:{expected}"


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ("/api", "/api"),
        ("/api/", "/api"),
        ("/", ""),
        ("/a/../b", ""),
        ("/%2e%2e", ""),
        ("api", ""),
        ("//evil.example", ""),
        ("/a b", ""),
    ],
)
def test_x_forwarded_prefix(prefix: str, expected: str) -> None:
    assert see({"X-Forwarded-Prefix": prefix}, x_prefix=1)["SCRIPT_NAME"] == expected


@pytest.mark.parametrize(
    ("header", "hops", "expected"),
    [
        pytest.param(
            'for="[2001:db8::1]:4711";proto=https;host=api.example',
            1,
            ("2001:db8::1", "https", "api.example"),
            id="quoted-ipv6",
        ),
        pytest.param(
            "for=1.1.1.1, for=203.0.113.9;proto=https",
            1,
            ("203.0.113.9", "https", "internal:8080"),
            id="right-most",
        ),
        pytest.param(
            "for=1.1.1.1;proto=https, for=203.0.113.9",
            2,
            ("1.1.1.1", "https", "internal:8080"),
            id="two-hops",
        ),
        pytest.param("For=203.0.113.9;PROTO=HTTPS", 1, ("203.0.113.9", "https", "internal:8080"), id="case"),
        pytest.param("for=_hidden;proto=https", 1, ("10.0.0.2", "https", "internal:8080"), id="obfuscated"),
        pytest.param("for=203.0.113.9", 2, ("10.0.0.2", "http", "internal:8080"), id="too-few"),
        pytest.param(
            "for=1.2.3.4;for=5.6.7.8", 1, ("10.0.0.2", "http", "internal:8080"), id="repeated-param"
        ),
        pytest.param("for=1.2.3.4;", 1, ("10.0.0.2", "http", "internal:8080"), id="trailing-semicolon"),
        pytest.param('for="1.2.3.4', 1, ("10.0.0.2", "http", "internal:8080"), id="unterminated-quote"),
        pytest.param("garbage", 1, ("10.0.0.2", "http", "internal:8080"), id="garbage"),
        pytest.param("host=evil.example/x", 1, ("10.0.0.2", "http", "internal:8080"), id="bad-host"),
    ],
)
def test_forwarded(header: str, hops: int, expected: tuple[str, str, str]) -> None:
    seen = see({"Forwarded": header}, forwarded=hops)
    assert (seen["REMOTE_ADDR"], seen["wsgi.url_scheme"], seen["HTTP_HOST"]) == expected


@pytest.mark.parametrize(
    ("peer", "applied"), [("10.0.0.2", True), ("192.0.2.1", False), ("not-an-ip", False), ("", False)]
)
def test_trusted_networks(peer: str, applied: bool) -> None:
    seen = see(
        {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"},
        {"REMOTE_ADDR": peer},
        x_for=1,
        x_proto=1,
        trusted_networks=["10.0.0.0/8", "::1"],
    )
    assert (seen["REMOTE_ADDR"] == "203.0.113.9") is applied
    assert (seen["wsgi.url_scheme"] == "https") is applied
    assert seen["orig"]["REMOTE_ADDR"] == peer


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"x_for": -1}, "x_for"),
        ({"forwarded": True}, "forwarded"),
        ({"trusted_networks": ["nope"]}, "trusted"),
    ],
)
def test_bad_options(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ProxyFixMiddleware(echo, **options)


def test_parsers_directly() -> None:
    assert parse_forwarded(None) is None
    assert parse_forwarded('for="\\"q\\""') == [{"for": '"q"'}]
    assert parse_node("[::1]x") is None
    assert parse_node("1.2.3.4:x") is None
    assert parse_host("[zz]") is None
    assert parse_host("[::1]x") is None
    assert parse_prefix(None) is None


def test_factory() -> None:
    factory = proxy_fix_component.filter_factory({}, x_for="1", trusted_networks="10.0.0.0/8 ::1")
    middleware = factory(echo)
    assert isinstance(middleware, ProxyFixMiddleware) and middleware.x_for == 1
    with pytest.raises(ConfigError, match="did you mean 'x_for'"):
        proxy_fix_component.filter_factory({}, x_fro="1")
    with pytest.raises(ConfigError):
        proxy_fix_component.filter_factory({}, x_for="-1")
