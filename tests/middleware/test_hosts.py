"""allowed_hosts: malformed, missing and foreign ``Host`` values get 400 before the application runs."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import pytest

from wsgikit.deploy.components.hosts import filter_factory
from wsgikit.deploy.options import ConfigError
from wsgikit.middleware import hosts
from wsgikit.middleware.errors import ErrorCatcherMiddleware
from wsgikit.middleware.hosts import AllowedHostsMiddleware, host_name


def counting_app() -> tuple[Callable[..., Any], list[str]]:
    calls: list[str] = []

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        calls.append(environ.get("HTTP_HOST", ""))
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [b"ok"]

    return app, calls


@pytest.fixture
def ask(serve: Callable[..., Any], environ_for: Callable[..., Any]) -> Callable[..., Any]:
    """One GET through ``validator(app)`` with ``Host: host`` (none when ``None``)."""

    def run(app: Callable[..., Any], host: str | None, protocol: str = "HTTP/1.1") -> Any:
        environ = environ_for("/servers", SERVER_PROTOCOL=protocol)
        environ.pop("HTTP_HOST", None)
        if host is not None:
            environ["HTTP_HOST"] = host
        return serve(app, environ=environ)

    return run


@pytest.mark.parametrize(
    ("value", "name"),
    [
        ("api.example.com", "api.example.com"),
        ("API.Example.COM:8443", "api.example.com"),
        ("example.com.", "example.com"),
        ("127.0.0.1:8080", "127.0.0.1"),
        ("[::1]:8774", "[::1]"),
        ("[0:0::1]", "[::1]"),
        ("[2001:DB8::1]", "[2001:db8::1]"),
        ("my_service:8080", "my_service"),  # compose service names, as nginx accepts them
        ("localhost", "localhost"),
        ("a" * 63 + ".example.com", "a" * 63 + ".example.com"),
    ],
)
def test_well_formed_hosts_give_their_name(value: str, name: str) -> None:
    assert host_name(value) == name


@pytest.mark.parametrize(
    "value",
    [
        "",
        " ",
        "a b",
        "evil.example/x y",
        "user@evil.example",
        "x, y",  # a repeated Host, as waitress joins it
        "x:abc",
        "x:",
        "x:0",
        "x:65536",
        "x:99999",
        "x:-1",
        "\xff",
        "\u00e9t\u00e9.example",
        "x\x00y",
        "x\r\ny",
        "a..b",
        ".example.com",
        "-" * 3,
        "a" * 64 + ".example.com",  # a label is at most 63 characters
        "a." * 200,
        "[::1",
        "[zz]",
        "[::1]x",
        "[::1]:",
        "[fe80::1%eth0]",
        "::1",  # an IPv6 address in a Host has brackets
        "1.2.3.4:80:80",
        "*.example.com",
        "example.com\\",
    ],
)
def test_malformed_hosts_give_none(value: str) -> None:
    assert host_name(value) is None


@pytest.mark.parametrize(
    ("served_hosts", "value", "allowed"),
    [
        (("*",), "anything.example", True),
        (("*",), "a b", False),
        (("api.example.com",), "api.example.com:8774", True),
        (("api.example.com",), "API.EXAMPLE.COM.", True),
        (("api.example.com",), "evil.example", False),
        (("api.example.com",), "x.api.example.com", False),
        (("*.example.com",), "api.example.com", True),
        (("*.example.com",), "a.b.example.com", True),
        (("*.example.com",), "example.com", False),
        (("*.example.com",), "evilexample.com", False),
        ((".example.com",), "example.com", True),
        ((".example.com",), "api.example.com", True),
        ((".example.com",), "evilexample.com", False),
        (("127.0.0.1", "[::1]"), "127.0.0.1:8080", True),
        (("127.0.0.1", "::1"), "[0::1]:8080", True),
        (("127.0.0.1",), "127.0.0.2", False),
        (("API.Example.com.",), "api.example.com", True),
    ],
)
def test_only_the_hosts_served_reach_the_application(
    served_hosts: tuple[str, ...], value: str, allowed: bool, ask: Callable[..., Any]
) -> None:
    inner, calls = counting_app()
    served = ask(AllowedHostsMiddleware(inner, hosts=served_hosts), value)
    assert served.code == (200 if allowed else 400)
    assert calls == ([value] if allowed else [])


def test_a_refusal_is_a_problem_document_that_does_not_echo_the_host(ask: Callable[..., Any]) -> None:
    inner, _ = counting_app()
    served = ask(AllowedHostsMiddleware(inner, hosts=["api.example.com"]), "evil.example")
    assert served.code == 400
    assert served.header("Content-Type") == "application/problem+json"
    document = json.loads(served.body)
    assert document["status"] == 400
    assert "does not answer to" in document["detail"]
    assert b"evil.example" not in served.body


def test_refusals_take_the_pipelines_fault_format(ask: Callable[..., Any]) -> None:
    inner, _ = counting_app()
    app = ErrorCatcherMiddleware(AllowedHostsMiddleware(inner), fault_format="openstack")
    served = ask(app, "a b")
    assert served.code == 400
    assert json.loads(served.body)["badRequest"]["code"] == 400


def test_http_1_1_without_host_is_refused_and_http_1_0_is_not(ask: Callable[..., Any]) -> None:
    inner, calls = counting_app()
    app = AllowedHostsMiddleware(inner)
    missing = ask(app, None)
    assert missing.code == 400
    assert "no Host header" in json.loads(missing.body)["detail"]
    assert ask(app, None, protocol="HTTP/1.0").code == 200
    assert ask(app, "", protocol="HTTP/1.0").code == 400  # present and empty: malformed whatever the version
    assert len(calls) == 1


def test_refusals_log_nothing_above_info(caplog: pytest.LogCaptureFixture, ask: Callable[..., Any]) -> None:
    inner, _ = counting_app()
    app = ErrorCatcherMiddleware(AllowedHostsMiddleware(inner, hosts=["api.example.com"]))
    with caplog.at_level(logging.DEBUG):
        for value in ("evil.example", "a b", "\xff", "x" * 5000):
            assert ask(app, value).code == 400
    assert [record for record in caplog.records if record.levelno > logging.INFO] == []


def test_verdicts_are_remembered_within_a_bound(
    monkeypatch: pytest.MonkeyPatch, ask: Callable[..., Any]
) -> None:
    parsed: list[str | None] = []
    real = hosts.host_name

    def counting(value: str | None) -> str | None:
        parsed.append(value)
        return real(value)

    inner, _ = counting_app()
    app = AllowedHostsMiddleware(inner, hosts=["api.example.com"])
    monkeypatch.setattr(hosts, "host_name", counting)
    for _ in range(3):
        assert ask(app, "api.example.com").code == 200
        assert ask(app, "evil.example").code == 400
    assert parsed == ["api.example.com", "evil.example"]
    for number in range(hosts.CACHE_SIZE * 3):
        ask(app, f"h{number}.example")
    assert len(app._verdicts) <= hosts.CACHE_SIZE
    long = "x" * (hosts.MAX_HOST + 1)
    ask(app, long)
    assert long not in app._verdicts


@pytest.mark.parametrize(
    "pattern",
    ["", "api.example.com:8443", "*.", ".", "*.[::1]", "http://api.example.com", "a b", "**.x", "x.*"],
)
def test_entries_that_could_never_match_are_refused_at_start_up(pattern: str) -> None:
    inner, _ = counting_app()
    with pytest.raises(ValueError, match="hosts"):
        AllowedHostsMiddleware(inner, hosts=[pattern])


def test_the_ini_option_names_file_and_key(ask: Callable[..., Any]) -> None:
    inner, _ = counting_app()
    app = filter_factory({"__file__": "paste.ini"}, hosts="api.example.com  .internal.example  10.0.0.5")(
        inner
    )
    assert ask(app, "db.internal.example").code == 200
    assert ask(app, "10.0.0.5:8774").code == 200
    assert ask(app, "10.0.0.6").code == 400
    with pytest.raises(ConfigError, match="hosts") as error:
        filter_factory({"__file__": "paste.ini"}, hosts="api.example.com:8774")
    assert error.value.key == "hosts"
    with pytest.raises(ConfigError, match="did you mean 'hosts'"):
        filter_factory({}, hostz="x")
