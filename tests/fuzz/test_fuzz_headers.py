"""Property-based fuzzing of every request-header parser: any text in, a documented answer out.

For each parser the property is the same: whatever the client sends, the parser returns a value of its
documented shape (or raises the one exception its docstring names), and the middleware built on it answers
with a status it documents — never an exception. Inputs mix arbitrary text with the grammar's own pieces
(tokens, q-values, quotes, separators), so that both the garbage and the almost-valid are tried.
"""

from __future__ import annotations

import base64
import ipaddress
import string
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wsgikit import exc
from wsgikit.middleware import _encoding, _forwarded
from wsgikit.middleware.auth import TokenBackend, parse_authorization, parse_basic
from wsgikit.middleware.cors import CorsMiddleware, normalize_origin
from wsgikit.middleware.proxy_fix import ProxyFixMiddleware
from wsgikit.middleware.static import StaticApp
from wsgikit.middleware.versions import APIVersion, VersionsMiddleware, parse_version, requested_version
from wsgikit.testing import TestApp

FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# through a WSGI stack (validated by wsgiref.validate): fewer examples, each costs a request or three
STACK = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ROOT = Path(__file__).resolve().parents[2]
TOKENS = str(ROOT / "tests" / "data" / "auth" / "tokens")

# Header values as servers hand them over: latin-1 text without CR/LF (a server never passes those on).
latin1 = st.text(st.characters(min_codepoint=0, max_codepoint=255, blacklist_characters="\r\n"), max_size=80)


def grammar(*pieces: str) -> st.SearchStrategy[str]:
    """Text made of the grammar's own pieces and arbitrary latin-1: the almost-valid."""
    return st.lists(st.one_of(st.sampled_from(pieces), latin1), max_size=12).map("".join)


def header(*pieces: str) -> st.SearchStrategy[str]:
    return st.one_of(latin1, grammar(*pieces))


def echo(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


# -- Accept-Encoding ----------------------------------------------------------------------------------------


@FAST
@given(header("gzip", "br", "zstd", "identity", "*", "x-gzip", ";q=", "0", "1", ".5", "0.001", ",", " ", ";"))
def test_accept_encoding(value: str) -> None:
    parsed = _encoding.parse_accept_encoding(value)
    for coding, q in parsed.items():
        assert coding == coding.lower() and coding.strip() == coding and coding
        assert 0.0 <= q <= 1.0
    chosen = _encoding.choose_encoding(value, ("br", "gzip", "zstd"))
    assert chosen in (None, "br", "gzip", "zstd")
    if chosen is not None:
        assert parsed.get(chosen, parsed.get("*", 0.0)) > 0.0


# -- Accept (error negotiation) -----------------------------------------------------------------------------


@FAST
@given(header("application/json", "text/html", "*/*", "text/*", "application/problem+json", ";q=", "0", ","))
def test_error_negotiation(value: str) -> None:
    assert exc.negotiate_error_type(value) in (
        exc.PROBLEM_JSON,
        "application/json",
        "text/html",
        "text/plain",
    )
    content_type, body = exc.render_problem({"HTTP_ACCEPT": value}, 404, "no such <thing>")
    assert content_type.split(";")[0] in (exc.PROBLEM_JSON, "application/json", "text/html", "text/plain")
    assert b"<thing>" not in body or content_type.split(";")[0] != "text/html"


# -- Forwarded / X-Forwarded-* ------------------------------------------------------------------------------

FORWARDED_PIECES = ("for=", "proto=", "host=", "by=", '"', "[2001:db8::1]", "192.0.2.1", ":8080", ";", ",")


@FAST
@given(header(*FORWARDED_PIECES), header("192.0.2.1", "::1", "[", "]", ":", "_hidden", "unknown", ","))
def test_forwarded_parsers(forwarded: str, node: str) -> None:
    elements = _forwarded.parse_forwarded(forwarded)
    assert elements is None or all(
        isinstance(value, str) for element in elements for value in element.values()
    )
    address = _forwarded.parse_node(node)
    if address is not None:
        ipaddress.ip_address(address)
    port = _forwarded.parse_port(node)
    assert port is None or 0 < int(port) < 65536
    host = _forwarded.parse_host(node)
    assert host is None or (host[0] and (host[1] is None or 0 < int(host[1]) < 65536))
    prefix = _forwarded.parse_prefix(node)
    assert prefix is None or ((prefix == "" or prefix.startswith("/")) and ".." not in prefix.split("/"))
    assert all("," not in value for value in _forwarded.comma_values(node))


@STACK
@given(
    xff=header("192.0.2.1", "2001:db8::1", ",", " ", "_x", "999.1.1.1"),
    proto=header("https", "http", "HTTPS", "ftp", ","),
    host=header("example.com", ":443", "[::1]", "/", "@", ","),
    port=header("443", "0", "65536", "99999", ","),
    prefix=header("/api", "/..", "//", "%2e", "/a b", ","),
    forwarded=header(*FORWARDED_PIECES),
)
def test_proxy_fix_answers_anything(
    xff: str, proto: str, host: str, port: str, prefix: str, forwarded: str
) -> None:
    seen: dict[str, Any] = {}

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.update(environ)
        return echo(environ, start_response)

    stack = ProxyFixMiddleware(app, x_for=1, x_proto=1, x_host=1, x_port=1, x_prefix=1)
    headers = {
        "X-Forwarded-For": xff,
        "X-Forwarded-Proto": proto,
        "X-Forwarded-Host": host,
        "X-Forwarded-Port": port,
        "X-Forwarded-Prefix": prefix,
    }
    TestApp(stack, extra_environ={"REMOTE_ADDR": "127.0.0.1"}).get(
        "/", headers={k: v for k, v in headers.items() if v.strip()}
    )
    ipaddress.ip_address(seen["REMOTE_ADDR"])
    assert seen["wsgi.url_scheme"] in ("http", "https")
    assert ".." not in seen["SCRIPT_NAME"].split("/")
    with_forwarded = ProxyFixMiddleware(app, forwarded=1)
    TestApp(with_forwarded, extra_environ={"REMOTE_ADDR": "127.0.0.1"}).get(
        "/", headers={"Forwarded": forwarded} if forwarded.strip() else {}
    )
    ipaddress.ip_address(seen["REMOTE_ADDR"])


# -- Authorization (Basic, Bearer) --------------------------------------------------------------------------


@FAST
@given(header("Basic ", "Bearer ", "basic", "YWxpY2U6eA==", "=", "!", " ", ":", "\x00"))
def test_authorization_parsers(value: str) -> None:
    credentials = parse_basic(value)
    if credentials is not None:
        user, password = credentials
        assert user and password and ":" not in user
        assert all(ord(char) < 0x100 for char in user) and user.isprintable()
    bearer = parse_authorization(value, "Bearer")
    assert bearer is None or (bearer and " " not in bearer)
    token = TokenBackend(tokens_file=TOKENS).token({"HTTP_X_AUTH_TOKEN": value, "HTTP_AUTHORIZATION": value})
    assert token is None or (token and all(0x21 <= ord(char) <= 0x7E for char in token))


@FAST
@given(
    user=st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF, blacklist_characters=":"), min_size=1),
    password=st.text(st.characters(blacklist_categories=("Cs",)), min_size=1),
)
def test_basic_round_trip(user: str, password: str) -> None:
    encoded = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
    expected = (user, password) if user.isprintable() else None
    assert parse_basic(encoded) == expected


@STACK
@given(header("Bearer ", "Basic ", "tok", "=", " "), header("tok", " ", "\x01", "é"))
def test_token_auth_answers_401_or_200(authorization: str, token: str) -> None:
    from wsgikit.middleware.auth import TokenAuthMiddleware

    client = TestApp(TokenAuthMiddleware(echo, tokens_file=TOKENS))
    headers = {"Authorization": authorization, "X-Auth-Token": token}
    response = client.get("/", headers={k: v for k, v in headers.items() if v.strip()}, expect_errors=True)
    assert response.status_int in (200, 401)


# -- CORS Origin --------------------------------------------------------------------------------------------


@STACK
@given(header("https://", "http://", "app.example", "APP.example", ":443", "/", "null", ".evil", "@", " "))
def test_cors_origin(origin: str) -> None:
    normalized = normalize_origin(origin)
    assert normalized is None or (
        normalized == normalized.lower() and "/" not in normalized.split("://", 1)[1]
    )
    app = CorsMiddleware(echo, allowed_origins=["https://app.example"], allow_credentials=True)
    client = TestApp(app)
    for method in ("GET", "OPTIONS"):
        headers = {"Origin": origin, "Access-Control-Request-Method": "POST"} if origin.strip() else {}
        response = client.request("/", method=method, headers=headers, expect_errors=True)
        granted = response.headers.get("Access-Control-Allow-Origin")
        assert granted is None or normalize_origin(granted) == "https://app.example"


# -- microversions (OpenStack-API-Version and the legacy X-OpenStack-Nova-API-Version) ----------------------


@FAST
@given(header("compute", "volume", " ", "2.", "1", "latest", "0", ".", ",", "99999999999999999999"))
def test_version_parsers(value: str) -> None:
    try:
        version = parse_version(value)
    except ValueError:
        pass
    else:
        assert isinstance(version, APIVersion) and version.major >= 0 and version.minor >= 0
    try:
        asked = requested_version(value, "compute")
    except ValueError:
        pass
    else:
        assert asked is None or (asked and " " not in asked)


@STACK
@given(
    header("compute ", "volume ", "2.", "1", "90", "latest", ",", "3.0", "2.100"),
    header("2.", "1", "90", "latest", "2.1 ", "x", "99999999999999999999"),
)
def test_versions_middleware_answers_200_400_or_406(value: str, legacy: str) -> None:
    app = VersionsMiddleware(
        echo,
        service="compute",
        min_version="2.1",
        max_version="2.90",
        legacy_header="X-OpenStack-Nova-API-Version",
    )
    client = TestApp(app)
    for headers in (
        {"OpenStack-API-Version": value},
        {"X-OpenStack-Nova-API-Version": legacy},
        {"OpenStack-API-Version": value, "X-OpenStack-Nova-API-Version": legacy},
    ):
        sent = {k: v for k, v in headers.items() if v.strip()}
        response = client.get("/", headers=sent, expect_errors=True)
        assert response.status_int in (200, 400, 406)


# -- Range --------------------------------------------------------------------------------------------------


_STATIC: list[TestApp] = []


def static_client() -> TestApp:
    """One static app over one 208-byte file, for every example."""
    if not _STATIC:
        import tempfile

        directory = Path(tempfile.mkdtemp(prefix="wsgikit-fuzz-static-"))
        (directory / "file.txt").write_bytes(string.ascii_letters.encode() * 4)
        _STATIC.append(TestApp(StaticApp(str(directory))))
    return _STATIC[0]


@STACK
@given(header("bytes=", "BYTES=", "0", "-", "10", "99999999999999999999", ",", "items=", " ", "5-3", "-0"))
def test_range_on_static_files(value: str) -> None:
    headers = {"Range": value} if value.strip() else {}
    response = static_client().get("/file.txt", headers=headers, expect_errors=True)
    assert response.status_int in (200, 206, 416)
    if response.status_int == 206:
        assert 0 < len(response.body) <= 208


def test_range_bytes_dash_is_ignored_not_a_500() -> None:
    # found by the property above: WebOb's Range.parse raises ValueError on "bytes=-"
    for value in ("bytes=-", "BYTES=-", "bytes = - "):
        assert static_client().get("/file.txt", headers={"Range": value}).status_int == 200
