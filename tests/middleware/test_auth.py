"""Auth middleware: Basic (htpasswd), token, noauth; identity-header stripping; hostile credentials."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from paste.deploy import loadapp

from wsgikit.deploy.components import auth as auth_component
from wsgikit.deploy.options import ConfigError
from wsgikit.middleware._authfiles import parse_htpasswd, parse_tokens, verify_password
from wsgikit.middleware.auth import (
    ENVIRON_KEY,
    AuthMiddleware,
    AuthUnavailable,
    BasicAuthMiddleware,
    BasicBackend,
    Identity,
    NoAuthBackend,
    TokenAuthMiddleware,
    TokenBackend,
    parse_basic,
    require_roles,
    strip_identity_headers,
)
from wsgikit.testing import TestApp
from wsgikit.types import StartResponse, WSGIEnvironment, WSGIIterable

DATA = Path(__file__).resolve().parent.parent / "data" / "auth"
HTPASSWD = str(DATA / "htpasswd")
TOKENS = str(DATA / "tokens")
# The clear-text passwords of tests/data/auth/htpasswd.
PASSWORDS = {"alice": "bcrypt-pw", "jose": "pässwörd-☃", "sam": "sha256-pw", "sue": "sha512-pw"}
IDENTITY_KEYS = [
    "REMOTE_USER",
    "AUTH_TYPE",
    "HTTP_X_IDENTITY_STATUS",
    "HTTP_X_USER_ID",
    "HTTP_X_USER_NAME",
    "HTTP_X_PROJECT_ID",
    "HTTP_X_ROLES",
]


def echo_identity(environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
    """Answer with the identity-related environ the app sees."""
    seen: dict[str, Any] = {
        key: value
        for key, value in environ.items()
        if key in IDENTITY_KEYS
        or key.startswith(("HTTP_X_SERVICE", "HTTP_X_IS_", "HTTP_REMOTE", "HTTP_X_REMOTE"))
    }
    identity = environ.get(ENVIRON_KEY)
    seen["identity"] = (
        None if identity is None else [identity.user_id, identity.project_id, list(identity.roles)]
    )
    body = json.dumps(seen).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def basic(user: str | bytes, password: str | bytes) -> str:
    raw = (user if isinstance(user, bytes) else user.encode()) + b":"
    raw += password if isinstance(password, bytes) else password.encode()
    return "Basic " + base64.b64encode(raw).decode()


@pytest.fixture
def basic_client() -> TestApp:
    return TestApp(AuthMiddleware(echo_identity, backend=BasicBackend(HTPASSWD), realm="test"))


@pytest.fixture
def token_client() -> TestApp:
    return TestApp(AuthMiddleware(echo_identity, backend=TokenBackend(tokens_file=TOKENS)))


# -- Basic ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("user", sorted(PASSWORDS))
def test_basic_each_hash_type_logs_in(basic_client: TestApp, user: str) -> None:
    seen = basic_client.get("/", headers={"Authorization": basic(user, PASSWORDS[user])}).json
    assert seen["REMOTE_USER"] == user
    assert seen["AUTH_TYPE"] == "Basic"
    assert seen["HTTP_X_IDENTITY_STATUS"] == "Confirmed"
    assert seen["HTTP_X_USER_ID"] == seen["HTTP_X_USER_NAME"] == user
    assert seen["identity"] == [user, "", []]


HOSTILE_AUTHORIZATION = [
    pytest.param(None, id="none"),
    pytest.param("", id="empty"),
    pytest.param("Basic", id="scheme-only"),
    pytest.param("Basic ", id="scheme-space"),
    pytest.param("Basic !!!!", id="bad-base64-chars"),
    pytest.param("Basic YWxpY2U6eA", id="missing-padding"),
    pytest.param("Basic " + base64.b64encode(b"alice").decode(), id="no-colon"),
    pytest.param("Basic " + base64.b64encode(b":bcrypt-pw").decode(), id="empty-user"),
    pytest.param("Basic " + base64.b64encode(b"alice:").decode(), id="empty-password"),
    pytest.param("Basic " + base64.b64encode(b":").decode(), id="empty-both"),
    pytest.param("Basic " + base64.b64encode(b"adm\xffin:pw").decode(), id="non-utf8-user"),
    pytest.param("Basic " + base64.b64encode(b"alice:bcrypt\xff").decode(), id="non-utf8-password"),
    pytest.param(basic("alice", "wrong"), id="wrong-password"),
    pytest.param(basic("nobody", "bcrypt-pw"), id="unknown-user"),
    pytest.param(basic("alice", "bcrypt-pw").replace("Basic", "Bearer"), id="wrong-scheme"),
    pytest.param("Digest username=alice", id="digest"),
    pytest.param(basic("alice", "bcrypt-pw") + ", " + basic("sam", "sha256-pw"), id="two-headers-joined"),
    pytest.param("Basic " + "A" * 9000, id="8k-header"),
    pytest.param(basic("ali\x01ce", "pw"), id="control-char-user"),
    pytest.param(basic("☃", "pw"), id="non-latin1-user"),
    pytest.param(basic("alice", "pässwörd-☃"), id="emoji-password-wrong-user"),
]


@pytest.mark.parametrize("authorization", HOSTILE_AUTHORIZATION)
def test_basic_hostile_authorization_gets_401_with_challenge(
    basic_client: TestApp, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = basic_client.get("/", headers=headers, status=401)
    assert response.headers["WWW-Authenticate"] == 'Basic realm="test", charset="UTF-8"'
    assert response.content_type == "application/problem+json"
    assert response.json["status"] == 401
    assert "Traceback" not in response.text


def test_lowercase_scheme_and_extra_spaces_are_accepted(basic_client: TestApp) -> None:
    value = "basic   " + basic("sam", "sha256-pw").split()[1] + "  "
    assert basic_client.get("/", headers={"Authorization": value}).json["REMOTE_USER"] == "sam"


def test_unknown_user_and_wrong_password_look_the_same(basic_client: TestApp) -> None:
    unknown = basic_client.get("/", headers={"Authorization": basic("nobody", "x")}, status=401)
    wrong = basic_client.get("/", headers={"Authorization": basic("alice", "x")}, status=401)
    assert (unknown.status, unknown.body, unknown.headerlist) == (wrong.status, wrong.body, wrong.headerlist)


@pytest.mark.parametrize(
    "value",
    [None, "Basic", "Basic !!!", "Basic " + base64.b64encode(b"a").decode(), "Bearer x"],
    ids=repr,
)
def test_parse_basic_rejects(value: str | None) -> None:
    assert parse_basic(value) is None


def test_htpasswd_reloads_when_it_changes(tmp_path: Path) -> None:
    path = tmp_path / "htpasswd"
    shutil.copy(HTPASSWD, path)
    client = TestApp(BasicAuthMiddleware(echo_identity, htpasswd=str(path)))
    client.get("/", headers={"Authorization": basic("sam", "sha256-pw")}, status=200)
    lines = [line for line in path.read_text().splitlines() if not line.startswith("sam:")]
    path.write_text("\n".join(lines) + "\n")
    os.utime(path, ns=(1, 1))  # a different mtime even on coarse-grained filesystems
    client.get("/", headers={"Authorization": basic("sam", "sha256-pw")}, status=401)
    client.get("/", headers={"Authorization": basic("sue", "sha512-pw")}, status=200)


def test_token_identity_follows_a_rewritten_tokens_file(tmp_path: Path) -> None:
    from wsgikit.middleware._authfiles import hash_token

    path = tmp_path / "tokens"
    path.write_text(f"{hash_token('t-1')} alice proj-a reader\n")
    client = TestApp(TokenAuthMiddleware(echo_identity, tokens_file=str(path)))
    for _ in range(2):  # the second request is served from the identities built for this content
        seen = client.get("/", headers={"X-Auth-Token": "t-1"}).json
        assert seen["identity"] == ["alice", "proj-a", ["reader"]]
    path.write_text(f"{hash_token('t-1')} alice proj-b admin,reader\n")
    os.utime(path, ns=(1, 1))
    seen = client.get("/", headers={"X-Auth-Token": "t-1"}).json
    assert seen["identity"] == ["alice", "proj-b", ["admin", "reader"]]
    assert seen["HTTP_X_ROLES"] == "admin,reader"


def test_remembered_tokens_are_bounded_and_forgotten_when_the_file_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wsgikit.middleware import auth
    from wsgikit.middleware._authfiles import hash_token

    monkeypatch.setattr(auth, "TOKEN_CACHE_SIZE", 2)
    path = tmp_path / "tokens"
    users = {"t-1": "alice", "t-2": "bob", "t-3": "carol"}
    path.write_text("".join(f"{hash_token(token)} {user} proj reader\n" for token, user in users.items()))
    middleware = TokenAuthMiddleware(echo_identity, tokens_file=str(path))
    client = TestApp(middleware)
    for _ in range(2):  # more tokens than the cache holds: every one keeps its own identity
        for token, user in users.items():
            assert client.get("/", headers={"X-Auth-Token": token}).json["identity"][0] == user
            assert len(middleware.backend._verified[1]) <= 2  # type: ignore[attr-defined]
    client.get("/", headers={"X-Auth-Token": "t-4"}, status=401)  # unknown tokens are not remembered
    assert "t-4" not in middleware.backend._verified[1]  # type: ignore[attr-defined]
    path.write_text(f"{hash_token('t-2')} bob proj reader\n")  # t-1 and t-3 revoked
    os.utime(path, ns=(1, 1))
    client.get("/", headers={"X-Auth-Token": "t-3"}, status=401)
    client.get("/", headers={"X-Auth-Token": "t-1"}, status=401)
    assert client.get("/", headers={"X-Auth-Token": "t-2"}).json["identity"][0] == "bob"


def test_htpasswd_broken_reload_keeps_old_content(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "htpasswd"
    shutil.copy(HTPASSWD, path)
    client = TestApp(BasicAuthMiddleware(echo_identity, htpasswd=str(path)))
    path.write_text("this line is broken\n")
    os.utime(path, ns=(2, 2))
    with caplog.at_level(logging.ERROR, logger="wsgikit.auth"):
        client.get("/", headers={"Authorization": basic("sam", "sha256-pw")}, status=200)
        client.get("/", headers={"Authorization": basic("sam", "sha256-pw")}, status=200)
    assert [record.message for record in caplog.records].count(caplog.records[0].message) == 1
    assert "cannot reload" in caplog.records[0].message


# (filter, file option, source file, the credentials whose line is removed, what marks that line, others)
REMOVABLE = {
    "token_auth": (
        TokenAuthMiddleware,
        "tokens_file",
        TOKENS,
        {"X-Auth-Token": "tok-admin-123"},
        " admin-user ",
        {"X-Auth-Token": "tok-member-456"},
    ),
    "basic_auth": (
        BasicAuthMiddleware,
        "htpasswd",
        HTPASSWD,
        {"Authorization": basic("sam", "sha256-pw")},
        "sam:",
        {"Authorization": basic("sue", "sha512-pw")},
    ),
}


def client_and_removal(tmp_path: Path, entry: str, **options: Any) -> tuple[TestApp, Path, Any]:
    """A client of ``entry`` on a copy of its file, the copy, and a function that removes one line."""
    cls, key, source, _, marker, _ = REMOVABLE[entry]
    path = tmp_path / key
    shutil.copy(source, path)

    def remove() -> None:
        path.write_text("".join(line for line in path.read_text().splitlines(True) if marker not in line))
        os.utime(path, ns=(1, 1))  # a different mtime even on coarse-grained filesystems

    return TestApp(cls(echo_identity, **{key: str(path)}, **options)), path, remove


@pytest.mark.parametrize("entry", sorted(REMOVABLE))
def test_by_default_a_removed_credential_is_refused_on_the_next_request(
    tmp_path: Path, entry: str, auth_clock: Any
) -> None:
    # the clock stands still: without check_interval, no time has to pass for the file to be looked at
    client, _, remove = client_and_removal(tmp_path, entry)
    _, _, _, removed, _, kept = REMOVABLE[entry]
    client.get("/", headers=removed, status=200)
    remove()
    client.get("/", headers=removed, status=401)
    client.get("/", headers=kept, status=200)


@pytest.mark.parametrize("entry", sorted(REMOVABLE))
def test_with_check_interval_a_removed_credential_works_until_the_next_look(
    tmp_path: Path, entry: str, auth_clock: Any, stat_calls: list[str]
) -> None:
    client, path, remove = client_and_removal(tmp_path, entry, check_interval=2.0)
    _, _, _, removed, _, kept = REMOVABLE[entry]
    client.get("/", headers=removed, status=200)
    remove()
    stat_calls.clear()
    auth_clock.now += 1.99
    for _ in range(3):
        client.get("/", headers=removed, status=200)
    assert str(path) not in stat_calls  # no system call for the file within the interval
    auth_clock.now += 0.01
    client.get("/", headers=removed, status=401)
    assert str(path) in stat_calls
    client.get("/", headers=kept, status=200)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("alice", "expected 'user:hash'"),
        ("alice:", "expected 'user:hash'"),
        ("alice:$apr1$abc$def", "malformed apr_md5_crypt hash"),
        ("alice:$6$salt$short", "malformed sha512_crypt hash"),
        ("alice:{SHA}abcdef", "unsupported hash"),
        ("alice:plaintext", "unsupported hash"),
    ],
)
def test_htpasswd_parse_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_htpasswd(text, "f")


def test_htpasswd_comments_and_trailing_fields() -> None:
    sha = "$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5"
    stored = parse_htpasswd(f"# c\n\nsam:{sha}:comment\n")
    assert stored == {"sam": sha}


def test_bcrypt_long_password_uses_first_72_bytes() -> None:
    import bcrypt

    stored = bcrypt.hashpw(b"p" * 72, bcrypt.gensalt(4)).decode()
    assert verify_password("p" * 100, stored)
    assert not verify_password("q" + "p" * 99, stored)


@pytest.mark.parametrize("stored", ["", "$2b$04$short", "$2y$xx", "$6$", "garbage"], ids=repr)
def test_verify_password_malformed_hash_is_false(stored: str) -> None:
    assert verify_password("pw", stored) is False


def test_missing_htpasswd_fails_at_startup(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        BasicBackend(str(tmp_path / "missing"))


# -- identity header stripping ---------------------------------------------------------------------------

SPOOFED = {
    "X-Identity-Status": "Confirmed",
    "X-User-Id": "root",
    "X-User-Name": "root",
    "X-Project-Id": "admin-project",
    "X-Roles": "admin",
    "X-Role": "admin",
    "X-Is-Admin-Project": "True",
    "X-Service-Roles": "admin",
    "X-Service-Identity-Status": "Confirmed",
    "X-Remote-User": "admin",
    "Remote-User": "admin",
    "X-User-Domain-Id": "default",
    "X-Tenant-Id": "t",
}


@pytest.mark.parametrize(
    "spoof",
    [pytest.param({key: value}, id=key) for key, value in SPOOFED.items()]
    + [
        pytest.param({"X-User_Id": "root"}, id="underscore-user-id"),
        pytest.param({"X_Roles": "admin"}, id="x_roles"),
    ],
)
@pytest.mark.parametrize(
    ("authorization", "status"),
    [
        pytest.param(None, 401, id="missing"),
        pytest.param(basic("alice", "wrong"), 401, id="invalid"),
        pytest.param(basic("sam", "sha256-pw"), 200, id="valid"),
    ],
)
@pytest.mark.parametrize("delay", [False, True], ids=["strict", "delay"])
def test_spoofed_identity_headers_never_reach_the_app(
    spoof: dict[str, str], authorization: str | None, status: int, delay: bool
) -> None:
    client = TestApp(AuthMiddleware(echo_identity, backend=BasicBackend(HTPASSWD), delay_auth_decision=delay))
    headers = dict(spoof)
    if authorization:
        headers["Authorization"] = authorization
    response = client.get("/", headers=headers, status=200 if delay else status)
    if response.status_int == 401:
        return
    seen = response.json
    for value in seen.values():
        assert value not in ("root", "admin", "admin-project", "True", "default", "t")
    if status == 200:
        assert seen["HTTP_X_IDENTITY_STATUS"] == "Confirmed"
        assert seen["REMOTE_USER"] == "sam"
        assert seen["HTTP_X_ROLES"] == ""
    else:
        assert seen["HTTP_X_IDENTITY_STATUS"] == "Invalid"
        assert seen["identity"] is None
        assert "REMOTE_USER" not in seen


def test_server_set_remote_user_is_replaced() -> None:
    client = TestApp(AuthMiddleware(echo_identity, backend=BasicBackend(HTPASSWD), delay_auth_decision=True))
    seen = client.get("/", extra_environ={"REMOTE_USER": "admin"}).json
    assert "REMOTE_USER" not in seen


# -- delay_auth_decision, exempt, downstream -------------------------------------------------------------


def unauthorized_app(environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
    start_response("401 Unauthorized", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"no"]


def test_delay_mode_adds_challenge_to_downstream_401() -> None:
    client = TestApp(
        AuthMiddleware(unauthorized_app, backend=BasicBackend(HTPASSWD), delay_auth_decision=True)
    )
    response = client.get("/", status=401)
    assert response.headers["WWW-Authenticate"].startswith("Basic realm=")
    assert response.body == b"no"


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/healthcheck", 200),
        ("/healthcheck/", 200),
        ("/healthcheck/db", 200),
        ("/healthcheckx", 401),
        ("/healthcheck/../admin", 401),
        ("/healthcheck/./x", 401),
        ("/public", 200),
        ("/", 401),
        ("/admin", 401),
    ],
)
def test_exempt_paths(path: str, status: int) -> None:
    app = AuthMiddleware(echo_identity, backend=BasicBackend(HTPASSWD), exempt=["/healthcheck/", "/public"])
    response = TestApp(app).get(path, status=status, headers={"X-Roles": "admin"})
    if status == 200:
        assert response.json == {"identity": None}


def test_downstream_errors_pass_through_untouched() -> None:
    def failing(environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
        raise RuntimeError("db down")

    client = TestApp(AuthMiddleware(failing, backend=BasicBackend(HTPASSWD)))
    with pytest.raises(RuntimeError, match="db down"):
        client.get("/", headers={"Authorization": basic("sam", "sha256-pw")})


def test_downstream_response_is_untouched() -> None:
    def teapot(environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
        start_response("500 Internal Server Error", [("Content-Type", "text/plain"), ("X-Mine", "1")])
        return [b"mine"]

    client = TestApp(AuthMiddleware(teapot, backend=BasicBackend(HTPASSWD)))
    response = client.get("/", headers={"Authorization": basic("sam", "sha256-pw")}, status=500)
    assert response.body == b"mine" and response.headers["X-Mine"] == "1"
    assert "WWW-Authenticate" not in response.headers


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"realm": 'a"b'}, "realm"),
        ({"realm": "a\r\nb"}, "realm"),
        ({"realm": ""}, "realm"),
        ({"exempt": ["health"]}, "exempt"),
    ],
)
def test_bad_options(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        AuthMiddleware(echo_identity, backend=BasicBackend(HTPASSWD), **kwargs)


# -- tokens --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"X-Auth-Token": "tok-admin-123"}, id="x-auth-token"),
        pytest.param({"Authorization": "Bearer tok-admin-123"}, id="bearer"),
        pytest.param({"Authorization": "bearer  tok-admin-123 "}, id="bearer-lowercase"),
    ],
)
def test_token_logs_in(token_client: TestApp, headers: dict[str, str]) -> None:
    seen = token_client.get("/", headers=headers).json
    assert seen["REMOTE_USER"] == "admin-user"
    assert seen["AUTH_TYPE"] == "Bearer"
    assert seen["HTTP_X_PROJECT_ID"] == "proj-1"
    assert seen["HTTP_X_ROLES"] == "admin,member"
    assert seen["identity"] == ["admin-user", "proj-1", ["admin", "member"]]


def test_token_without_roles(token_client: TestApp) -> None:
    assert token_client.get("/", headers={"X-Auth-Token": "tok-noroles-789"}).json["HTTP_X_ROLES"] == ""


HOSTILE_TOKENS = [
    pytest.param({}, id="none"),
    pytest.param({"X-Auth-Token": ""}, id="empty"),
    pytest.param({"X-Auth-Token": "wrong"}, id="wrong"),
    pytest.param({"X-Auth-Token": "tok-admin-123 "[:-1] + "4"}, id="near-miss"),
    pytest.param({"X-Auth-Token": "tok admin"}, id="space"),
    pytest.param({"X-Auth-Token": "tök-☃"}, id="non-ascii"),
    pytest.param({"X-Auth-Token": "x" * 9000}, id="oversized"),
    pytest.param({"Authorization": "Bearer"}, id="bearer-empty"),
    pytest.param({"Authorization": "Bearer a b"}, id="bearer-two-parts"),
    pytest.param({"Authorization": "Basic tok-admin-123"}, id="wrong-scheme"),
    pytest.param({"Authorization": "Bearer " + hashlib.sha256(b"tok-admin-123").hexdigest()}, id="the-hash"),
]


@pytest.mark.parametrize("headers", HOSTILE_TOKENS)
def test_token_hostile_inputs_get_401(token_client: TestApp, headers: dict[str, str]) -> None:
    response = token_client.get("/", headers=headers, status=401)
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="wsgikit"'


@pytest.mark.parametrize(
    "environ",
    [
        pytest.param({"HTTP_X_AUTH_TOKEN": "tok-admin-123\r\nX-Roles: admin"}, id="token-crlf"),
        pytest.param({"HTTP_AUTHORIZATION": "Bearer tok-admin-123\r\nX: y"}, id="bearer-crlf"),
        pytest.param({"HTTP_X_AUTH_TOKEN": "tok-admin-123\x00"}, id="token-nul"),
    ],
)
def test_token_control_characters_get_401(token_client: TestApp, environ: dict[str, str]) -> None:
    token_client.get("/", extra_environ=environ, status=401)


@pytest.mark.parametrize(
    "value",
    [basic("sam", "sha256-pw") + "\r\nX-Roles: admin", "Basic\r\n" + basic("sam", "sha256-pw")[6:]],
    ids=["trailing-crlf", "crlf-after-scheme"],
)
def test_basic_control_characters_get_401(basic_client: TestApp, value: str) -> None:
    basic_client.get("/", extra_environ={"HTTP_AUTHORIZATION": value}, status=401)


def test_token_custom_header() -> None:
    client = TestApp(TokenAuthMiddleware(echo_identity, tokens_file=TOKENS, header="X-Api-Key"))
    assert client.get("/", headers={"X-Api-Key": "tok-member-456"}).json["REMOTE_USER"] == "member-user"
    client.get("/", headers={"X-Auth-Token": "tok-member-456"}, status=401)
    assert client.get("/", headers={"Authorization": "Bearer tok-member-456"}).status_int == 200


def token_validator(token: str) -> Identity | None:
    if token == "down":
        raise AuthUnavailable("identity service down")
    if token == "bug":
        raise KeyError("oops")
    if token == "bad-identity":
        return Identity("u\r\nX-Evil: 1", "u")
    return Identity("uid-" + token, "name-" + token, "p", ("reader",)) if token.startswith("ok") else None


@pytest.mark.parametrize(
    ("token", "status", "delay_status"),
    [
        ("ok1", 200, 200),
        ("nope", 401, 200),
        ("down", 503, 200),
        ("bug", 503, 200),
        ("bad-identity", 503, 200),
    ],
)
def test_token_validator(token: str, status: int, delay_status: int) -> None:
    strict = TestApp(TokenAuthMiddleware(echo_identity, validator=token_validator))
    response = strict.get("/", headers={"X-Auth-Token": token}, status=status)
    if status == 200:
        assert response.json["identity"] == ["uid-ok1", "p", ["reader"]]
    if status == 503:
        assert "oops" not in response.text and "down" not in response.text
    delayed = TestApp(TokenAuthMiddleware(echo_identity, validator=token_validator, delay_auth_decision=True))
    seen = delayed.get("/", headers={"X-Auth-Token": token}, status=delay_status).json
    assert seen["HTTP_X_IDENTITY_STATUS"] == ("Confirmed" if status == 200 else "Invalid")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "exactly one"),
        ({"tokens_file": TOKENS, "validator": token_validator}, "exactly one"),
        ({"tokens_file": TOKENS, "header": "X-Roles"}, "identity header"),
        ({"tokens_file": TOKENS, "header": "Authorization"}, "identity header"),
        ({"tokens_file": TOKENS, "header": "X Bad"}, "not a header name"),
    ],
)
def test_token_backend_options(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TokenBackend(**kwargs)


@pytest.mark.parametrize("value", [-1, -0.5, float("nan"), float("inf"), True, "2s"], ids=repr)
@pytest.mark.parametrize(
    "build",
    [
        pytest.param(
            lambda value: TokenAuthMiddleware(echo_identity, tokens_file=TOKENS, check_interval=value),
            id="token_auth",
        ),
        pytest.param(
            lambda value: BasicAuthMiddleware(echo_identity, htpasswd=HTPASSWD, check_interval=value),
            id="basic_auth",
        ),
        pytest.param(lambda value: TokenBackend(tokens_file=TOKENS, check_interval=value), id="TokenBackend"),
        pytest.param(lambda value: BasicBackend(HTPASSWD, check_interval=value), id="BasicBackend"),
    ],
)
def test_a_bad_check_interval_is_refused_naming_it(build: Any, value: Any) -> None:
    with pytest.raises(ValueError, match=r"^check_interval: "):
        build(value)


def test_check_interval_with_a_validator_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^check_interval: applies to tokens_file only"):
        TokenAuthMiddleware(echo_identity, validator=token_validator, check_interval=30)
    with pytest.raises(ValueError, match=r"^check_interval: "):
        TokenBackend(validator=token_validator, check_interval=0.5)
    # 0 is the default: it says nothing about a file
    assert TokenBackend(validator=token_validator, check_interval=0).file is None


@pytest.mark.parametrize(
    "text",
    ["abc user project", "f" * 64 + " user", "f" * 64 + " u p r extra", "f" * 64 + " u p ro\x01le"],
    ids=repr,
)
def test_token_file_parse_errors(text: str) -> None:
    with pytest.raises(ValueError, match="tokens:1"):
        parse_tokens(text)


# -- noauth and require_roles -----------------------------------------------------------------------------


def test_noauth_warns_loudly_and_sets_identity(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="wsgikit.auth"):
        backend = NoAuthBackend(user="dev", project="demo", roles=["admin"])
    assert "NOAUTH" in caplog.text
    client = TestApp(AuthMiddleware(echo_identity, backend=backend))
    seen = client.get("/", headers={"X-Roles": "spoofed"}).json
    assert seen["identity"] == ["dev", "demo", ["admin"]]
    assert seen["HTTP_X_ROLES"] == "admin"
    other = client.get("/", headers={"X-Auth-User": "bob", "X-Auth-Project-Id": "p2"}).json
    assert other["identity"] == ["bob", "p2", ["admin"]]


@pytest.mark.parametrize("headers", [{"X-Auth-User": "bad user"}, {"X-Auth-Project-Id": "a,b"}], ids=repr)
def test_noauth_malformed_override_is_401(headers: dict[str, str]) -> None:
    client = TestApp(AuthMiddleware(echo_identity, backend=NoAuthBackend()))
    client.get("/", headers=headers, status=401)


def test_noauth_fixed_identity_ignores_headers() -> None:
    client = TestApp(AuthMiddleware(echo_identity, backend=NoAuthBackend(header_identity=False)))
    assert client.get("/", headers={"X-Auth-User": "bob"}).json["REMOTE_USER"] == "noauth"


def test_noauth_header_identity_from_ini() -> None:
    overridable = TestApp(auth_component.noauth_filter_factory({})(echo_identity))
    assert overridable.get("/", headers={"X-Auth-User": "bob"}).json["REMOTE_USER"] == "bob"
    fixed = TestApp(auth_component.noauth_filter_factory({}, header_identity="false")(echo_identity))
    assert fixed.get("/", headers={"X-Auth-User": "bob"}).json["REMOTE_USER"] == "noauth"
    with pytest.raises(ConfigError, match="header_identity"):
        auth_component.noauth_filter_factory({}, header_identity="sometimes")


@pytest.mark.parametrize(
    ("token", "status"), [("tok-admin-123", 200), ("tok-member-456", 403), (None, 401)], ids=repr
)
def test_require_roles(token: str | None, status: int) -> None:
    guarded = require_roles("admin")(echo_identity)
    client = TestApp(TokenAuthMiddleware(guarded, tokens_file=TOKENS, delay_auth_decision=True))
    response = client.get("/", headers={"X-Auth-Token": token} if token else {}, status=status)
    if status == 401:
        assert "WWW-Authenticate" in response.headers
    with pytest.raises(ValueError, match="at least one"):
        require_roles()


@pytest.mark.parametrize(
    ("headers", "user"),
    [
        ({"Authorization": basic("sam", "sha256-pw")}, "sam"),
        ({"X-Auth-Token": "tok-member-456"}, "member-user"),
        ({"Authorization": basic("sam", "wrong"), "X-Auth-Token": "tok-member-456"}, "member-user"),
        ({"Authorization": basic("sam", "wrong")}, None),
        ({"X-Roles": "admin", "X-Identity-Status": "Confirmed"}, None),
    ],
)
def test_chained_filters_accept_either(headers: dict[str, str], user: str | None) -> None:
    inner = TokenAuthMiddleware(echo_identity, tokens_file=TOKENS)
    client = TestApp(BasicAuthMiddleware(inner, htpasswd=HTPASSWD, delay_auth_decision=True))
    response = client.get("/", headers=headers, status=200 if user else 401)
    if user:
        assert response.json["REMOTE_USER"] == user
        assert response.json["HTTP_X_IDENTITY_STATUS"] == "Confirmed"


def test_identity_validation() -> None:
    with pytest.raises(ValueError):
        Identity("", "x")
    with pytest.raises(ValueError):
        Identity("a", "b", roles=("a,b",))
    assert Identity("a", "b", roles=("r", "s")).has_roles("r")


# -- PasteDeploy ------------------------------------------------------------------------------------------


def write_ini(tmp_path: Path, body: str) -> str:
    shutil.copy(HTPASSWD, tmp_path / "htpasswd")
    shutil.copy(TOKENS, tmp_path / "tokens")
    path = tmp_path / "paste.ini"
    path.write_text(body)
    return str(path)


def echo_factory(global_conf: dict[str, Any], **local_conf: str) -> Any:
    return echo_identity


def test_paste_ini_basic_auth(tmp_path: Path) -> None:
    ini = write_ini(
        tmp_path,
        "[pipeline:main]\npipeline = auth echo\n"
        "[filter:auth]\nuse = egg:wsgikit#auth_basic\nhtpasswd = htpasswd\nrealm = api\n"
        "exempt = /health /public\n"
        f"[app:echo]\npaste.app_factory = {__name__}:echo_factory\n",
    )
    client = TestApp(loadapp("config:" + ini))
    response = client.get("/", status=401)
    assert response.headers["WWW-Authenticate"] == 'Basic realm="api", charset="UTF-8"'
    assert client.get("/health").status_int == 200
    assert client.get("/", headers={"Authorization": basic("sam", "sha256-pw")}).status_int == 200


@pytest.mark.parametrize(
    ("entry", "options"),
    [
        ("token_auth", {"tokens_file": TOKENS, "header": "X-Api-Key", "delay_auth_decision": "true"}),
        ("token_auth", {"validator": f"{__name__}:token_validator"}),
        ("noauth", {"user": "dev", "project": "p", "roles": "admin, member"}),
        ("basic_auth", {"htpasswd": HTPASSWD, "exempt": "/a, /b"}),
    ],
)
def test_factories_build(entry: str, options: dict[str, str]) -> None:
    factory = {
        "token_auth": auth_component.token_filter_factory,
        "noauth": auth_component.noauth_filter_factory,
        "basic_auth": auth_component.basic_filter_factory,
    }[entry]
    middleware = factory({"here": str(DATA)}, **options)(echo_identity)
    assert isinstance(middleware, AuthMiddleware)
    assert set(auth_component.FILTER_OPTIONS[entry].by_name) >= set(options)


@pytest.mark.parametrize(
    ("factory", "options", "key"),
    [
        (auth_component.basic_filter_factory, {}, "htpasswd"),
        (auth_component.basic_filter_factory, {"htpasswd": "missing-file"}, "htpasswd"),
        (auth_component.basic_filter_factory, {"htpasswd": HTPASSWD, "relm": "x"}, "relm"),
        (auth_component.token_filter_factory, {}, "tokens_file"),
        (auth_component.token_filter_factory, {"tokens_file": HTPASSWD}, "tokens_file"),
        (auth_component.token_filter_factory, {"validator": "no.such.module:f"}, "validator"),
        (
            auth_component.token_filter_factory,
            {"tokens_file": TOKENS, "check_interval": "soon"},
            "check_interval",
        ),
        (
            auth_component.basic_filter_factory,
            {"htpasswd": HTPASSWD, "check_interval": "-2"},
            "check_interval",
        ),
        (
            auth_component.token_filter_factory,
            {"validator": f"{__name__}:token_validator", "check_interval": "1s"},
            "check_interval",
        ),
        (auth_component.noauth_filter_factory, {"delay_auth_decision": "maybe"}, "delay_auth_decision"),
    ],
)
def test_factory_config_errors(factory: Any, options: dict[str, str], key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        factory({"__file__": "paste.ini", "here": str(DATA)}, **options)
    assert caught.value.key == key


CHECK_INTERVAL_INI = """\
[pipeline:main]
pipeline = auth echo

[filter:auth]
use = egg:wsgikit#{entry}
{file_line}
check_interval = {value}

[app:echo]
paste.app_factory = {module}:echo_factory
"""


def check_interval_ini(tmp_path: Path, entry: str, value: str, file_line: str | None = None) -> str:
    if file_line is None:
        file_line = "tokens_file = tokens" if entry == "token_auth" else "htpasswd = htpasswd"
    body = CHECK_INTERVAL_INI.format(entry=entry, file_line=file_line, value=value, module=__name__)
    return write_ini(tmp_path, body)


@pytest.mark.parametrize(
    ("entry", "value", "seconds"),
    [
        ("token_auth", "2s", 2.0),
        ("basic_auth", "250ms", 0.25),
        ("auth_basic", "5m", 300.0),
        ("token_auth", "0", 0.0),
    ],
)
def test_check_interval_from_ini_reaches_the_backend(
    tmp_path: Path, entry: str, value: str, seconds: float
) -> None:
    from wsgikit.deploy import check_config
    from wsgikit.deploy import loadapp as wsgikit_loadapp

    ini = check_interval_ini(tmp_path, entry, value)
    assert check_config(ini) == []
    app = wsgikit_loadapp("config:" + ini)
    assert isinstance(app, AuthMiddleware)
    assert app.backend.file.interval == seconds  # type: ignore[attr-defined]
    assert loadapp("config:" + ini).backend.file.interval == seconds  # PasteDeploy's own loader too
    TestApp(app).get("/", status=401)


@pytest.mark.parametrize(
    ("entry", "value", "file_line", "message"),
    [
        ("token_auth", "soon", None, "expected a duration"),
        ("basic_auth", "soon", None, "expected a duration"),
        ("token_auth", "-5s", None, "expected a duration"),
        ("basic_auth", "-1", None, "expected a duration"),
        ("token_auth", "2s", f"validator = {__name__}:token_validator", "applies to tokens_file only"),
    ],
)
def test_a_bad_check_interval_in_ini_is_found_by_check_and_at_load(
    tmp_path: Path, entry: str, value: str, file_line: str | None, message: str
) -> None:
    from wsgikit.deploy import check_config
    from wsgikit.deploy import loadapp as wsgikit_loadapp

    ini = check_interval_ini(tmp_path, entry, value, file_line)
    (problem,) = check_config(ini)
    assert (problem.line, problem.section, problem.key) == (7, "filter:auth", "check_interval")
    assert message in problem.message
    with pytest.raises(ConfigError) as error:
        wsgikit_loadapp("config:" + ini)
    assert (error.value.line, error.value.key) == (7, "check_interval")
    assert message in error.value.message


def test_check_interval_and_validator_together_are_a_config_error_check_finds() -> None:
    local_conf = {"validator": "json:loads", "check_interval": "0"}
    errors = auth_component.TOKEN_OPTIONS.check(local_conf, {"__file__": "/etc/a.ini"}, section="filter:a")
    assert [error.key for error in errors] == ["check_interval"]
    assert errors[0].message == (
        "check_interval applies to tokens_file only; give validator or check_interval, not both"
    )


def test_token_file_and_validator_together_are_a_config_error_check_finds() -> None:
    local_conf = {"tokens_file": "tokens", "validator": "json:loads"}
    errors = auth_component.TOKEN_OPTIONS.check(local_conf, {"__file__": "/etc/a.ini"}, section="filter:a")
    assert [error.key for error in errors] == ["validator"]
    assert errors[0].message.endswith("; give tokens_file or validator, not both")


# -- OPTIONS and CORS preflights behind auth --------------------------------------------------------------

PREFLIGHT = {"Origin": "https://app.example", "Access-Control-Request-Method": "POST"}


def routed_api() -> Any:
    from wsgikit.routing import Mapper, Router

    mapper = Mapper()
    mapper.connect("/items", controller=echo_identity, conditions={"method": ["GET", "POST"]})
    return Router(mapper)


def test_a_preflight_passes_auth_without_credentials_and_without_identity(token_client: TestApp) -> None:
    # the route handles OPTIONS itself here (echo_identity answers any method): it sees no identity
    seen = token_client.options("/", headers={**PREFLIGHT, "X-User-Id": "admin", "X-Roles": "admin"}).json
    assert seen == {"identity": None}


def test_options_that_is_not_a_preflight_needs_credentials() -> None:
    client = TestApp(TokenAuthMiddleware(routed_api(), tokens_file=TOKENS))
    for headers in ({}, {"Origin": "https://app.example"}, {"Access-Control-Request-Method": "POST"}):
        assert client.options("/items", headers=headers, status=401).headers["WWW-Authenticate"]
    answer = client.options("/items", headers=PREFLIGHT, status=204)  # the router's automatic answer
    assert answer.headers["Allow"] == "GET, HEAD, OPTIONS, POST"
    client.post("/items", headers=PREFLIGHT, status=401)  # the actual request still needs credentials


@pytest.mark.parametrize("cors_outside", [True, False], ids=["cors-before-auth", "cors-after-auth"])
def test_cors_answers_preflights_wherever_it_sits(cors_outside: bool) -> None:
    from wsgikit.middleware.cors import CorsMiddleware

    def cors(app: Any) -> Any:
        return CorsMiddleware(app, allowed_origins=["https://app.example"], allow_headers=["X-Auth-Token"])

    def auth(app: Any) -> Any:
        return TokenAuthMiddleware(app, tokens_file=TOKENS)

    app = cors(auth(routed_api())) if cors_outside else auth(cors(routed_api()))
    answer = TestApp(app).options(
        "/items", headers={**PREFLIGHT, "Access-Control-Request-Headers": "X-Auth-Token"}, status=204
    )
    assert answer.headers["Access-Control-Allow-Origin"] == "https://app.example"
    assert answer.headers["Access-Control-Allow-Headers"].lower() == "x-auth-token"
    TestApp(app).get("/items", headers={"Origin": "https://app.example"}, status=401)


@pytest.mark.parametrize(
    ("environ", "kept"),
    [
        # first key, last key, between others: each position is found
        ({"HTTP_X_ROLES_EXTRA": "a", "HTTP_HOST": "h"}, {"HTTP_HOST": "h"}),
        ({"HTTP_HOST": "h", "HTTP_X_SERVICE_ROLES": "admin"}, {"HTTP_HOST": "h"}),
        ({"HTTP_HOST": "h", "REMOTE_USER": "x", "PATH_INFO": "/"}, {"HTTP_HOST": "h", "PATH_INFO": "/"}),
        ({"AUTH_TYPE": "Basic"}, {}),
        # look-alikes stay: a prefix without its underscore, a key that only contains a stripped one
        ({"HTTP_X_ROLESX": "a", "HTTP_X_AUTH_TOKEN": "t"}, {"HTTP_X_ROLESX": "a", "HTTP_X_AUTH_TOKEN": "t"}),
        ({"X_HTTP_X_USER_ID": "a", "REMOTE_USERS": "b"}, {"X_HTTP_X_USER_ID": "a", "REMOTE_USERS": "b"}),
        # a key holding a newline cannot make a stripped key look present, or hide one
        ({"A\nREMOTE_USER": "a", "HTTP_HOST": "h"}, {"A\nREMOTE_USER": "a", "HTTP_HOST": "h"}),
        ({"A\n": "a", "HTTP_X_USER_ID": "u"}, {"A\n": "a"}),
        # keys that are not str (PEP 3333 says they are) neither break nor hide anything
        ({1: "one", "HTTP_X_USER_NAME": "u"}, {1: "one"}),
        ({1: "one", "HTTP_HOST": "h"}, {1: "one", "HTTP_HOST": "h"}),
    ],
)
def test_strip_identity_headers_finds_every_key(environ: dict[Any, str], kept: dict[Any, str]) -> None:
    expected = [key for key in environ if key not in kept]
    environ = {**environ, "wsgikit.identity": "forged"}
    assert strip_identity_headers(environ) == expected
    assert environ == kept


def test_strip_identity_headers_never_learns_an_identity_key_as_safe() -> None:
    from wsgikit.middleware import auth

    # A request of keys never met: each is tested, the ones that are not identity keys are remembered.
    first = {"HTTP_X_LEARN_ME": "a", "HTTP_X_USER_ID": "forged", "REMOTE_USER": "forged"}
    assert strip_identity_headers(first) == ["HTTP_X_USER_ID", "REMOTE_USER"]
    assert "HTTP_X_LEARN_ME" in auth._KNOWN_SAFE
    assert not {"HTTP_X_USER_ID", "REMOTE_USER"} & auth._KNOWN_SAFE
    # The same keys again, now mostly known: the identity keys are still found and removed.
    again = {"HTTP_X_LEARN_ME": "a", "HTTP_X_USER_ID": "forged", "REMOTE_USER": "forged"}
    assert strip_identity_headers(again) == ["HTTP_X_USER_ID", "REMOTE_USER"]
    assert again == {"HTTP_X_LEARN_ME": "a"}
    # Only known keys: nothing to remove, and the forged identity object still goes.
    known = {"HTTP_X_LEARN_ME": "a", ENVIRON_KEY: "forged"}
    assert strip_identity_headers(known) == []
    assert known == {"HTTP_X_LEARN_ME": "a"}


def test_strip_identity_headers_remembers_a_bounded_number_of_short_keys(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from wsgikit.middleware import auth

    monkeypatch.setattr(auth, "_KNOWN_SAFE", set())
    monkeypatch.setattr(auth, "KNOWN_SAFE_MAX", 3)
    long_key = "HTTP_X_" + "A" * 80
    environ = {long_key: "x", "HTTP_X_ONE": "1", "HTTP_X_TWO": "2"}
    assert strip_identity_headers(environ) == []
    assert {"HTTP_X_ONE", "HTTP_X_TWO"} == auth._KNOWN_SAFE  # the long key is tested, not remembered
    # a client inventing names fills the set once; past the bound every new key is only tested
    for index in range(5):
        invented = {f"HTTP_X_NEW_{index}": "v", "HTTP_X_USER_NAME": "forged"}
        assert strip_identity_headers(invented) == ["HTTP_X_USER_NAME"]
        assert len(auth._KNOWN_SAFE) <= 3


def test_a_remembered_token_is_refused_once_removed_from_the_file(tmp_path: Path) -> None:
    """The token sent as it was verified skips the checks of its form, never the look at the file."""
    from wsgikit.middleware._authfiles import hash_token

    path = tmp_path / "tokens"
    path.write_text(f"{hash_token('t-1')} alice proj reader\n{hash_token('t-2')} bob proj reader\n")
    client = TestApp(TokenAuthMiddleware(echo_identity, tokens_file=str(path)))
    for headers in ({"X-Auth-Token": "t-1"}, {"X-Auth-Token": " t-1 "}, {"Authorization": "Bearer t-1"}):
        for _ in range(2):
            assert client.get("/", headers=headers).json["identity"][0] == "alice"
    path.write_text(f"{hash_token('t-2')} bob proj reader\n")
    os.utime(path, ns=(1, 1))
    client.get("/", headers={"X-Auth-Token": "t-1"}, status=401)
    client.get("/", headers={"Authorization": "Bearer t-1"}, status=401)
    assert client.get("/", headers={"X-Auth-Token": "t-2"}).json["identity"][0] == "bob"
    client.get("/", headers={"X-Auth-Token": ""}, status=401)
    client.get("/", status=401)
