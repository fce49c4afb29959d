"""Healthcheck app and filter: status codes per method, disable file, checks, details only when allowed."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from paste.deploy import loadapp

from wsgikit.deploy.components import healthcheck as healthcheck_component
from wsgikit.deploy.options import ConfigError
from wsgikit.middleware.healthcheck import HealthcheckApp, HealthcheckMiddleware, run_check
from wsgikit.testing import TestApp
from wsgikit.types import StartResponse, WSGIEnvironment, WSGIIterable


def downstream(environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "10")])
    return [b"downstream"]


def ok_check() -> bool:
    return True


def failing_check() -> tuple[bool, str]:
    return False, "replica lag 30s"


def raising_check() -> bool:
    raise ConnectionError("db unreachable")


def weird_check() -> str:
    return "yes"


LOCAL = {"REMOTE_ADDR": "127.0.0.1"}
REMOTE = {"REMOTE_ADDR": "203.0.113.9"}


@pytest.mark.parametrize(
    ("checks", "get_status", "head_status", "text"),
    [
        pytest.param([], 200, 204, "OK\n", id="no-checks"),
        pytest.param([ok_check], 200, 204, "OK\n", id="ok"),
        pytest.param([ok_check, failing_check], 503, 503, "UNAVAILABLE\n", id="failing"),
        pytest.param([raising_check], 503, 503, "UNAVAILABLE\n", id="raising"),
        pytest.param([weird_check], 503, 503, "UNAVAILABLE\n", id="bad-return"),
    ],
)
def test_app_status_codes(
    checks: list[Any], get_status: int, head_status: int, text: str, caplog: pytest.LogCaptureFixture
) -> None:
    client = TestApp(HealthcheckApp(checks=checks), extra_environ=REMOTE)
    with caplog.at_level(logging.ERROR, logger="wsgikit.healthcheck"):
        response = client.get("/", status=get_status)
    assert response.text == text
    assert response.headers["Cache-Control"] == "no-store"
    assert "db unreachable" not in response.text
    head = client.head("/", status=head_status)
    assert head.body == b""
    if checks == [raising_check]:
        assert "db unreachable" in caplog.text


def test_disable_by_file(tmp_path: Path) -> None:
    flag = tmp_path / "drain"
    client = TestApp(HealthcheckApp(disable_by_file=str(flag), checks=[ok_check]))
    assert client.get("/").status_int == 200
    flag.touch()
    assert client.get("/", status=503).text == "DISABLED BY FILE\n"
    client.head("/", status=503)
    flag.unlink()
    client.head("/", status=204)


@pytest.mark.parametrize(
    ("environ", "networks", "detailed", "json_expected"),
    [
        pytest.param(LOCAL, None, True, True, id="loopback-default"),
        pytest.param({"REMOTE_ADDR": "::1"}, None, True, True, id="ipv6-loopback"),
        pytest.param(REMOTE, None, True, False, id="remote-default"),
        pytest.param(REMOTE, ["203.0.113.0/24"], True, True, id="remote-allowed"),
        pytest.param(LOCAL, None, False, False, id="not-detailed"),
        pytest.param({"REMOTE_ADDR": "garbage"}, None, True, False, id="bad-address"),
    ],
)
def test_details_only_when_enabled_and_allowed(
    environ: dict[str, str], networks: list[str] | None, detailed: bool, json_expected: bool
) -> None:
    app = HealthcheckApp(checks=[ok_check, failing_check], detailed=detailed, allowed_networks=networks)
    response = TestApp(app, extra_environ=environ).get("/", status=503)
    if json_expected:
        assert response.json["status"] == "unavailable"
        assert response.json["checks"][1] == {
            "name": f"{__name__}:failing_check",
            "ok": False,
            "message": "replica lag 30s",
        }
    else:
        assert response.content_type == "text/plain"
        assert "replica" not in response.text


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_other_methods_405(method: str) -> None:
    response = TestApp(HealthcheckApp()).request("/", method=method, status=405)
    assert response.headers["Allow"] == "GET, HEAD"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/healthcheck", b"OK\n"),
        ("/healthcheck/", b"downstream"),
        ("/other", b"downstream"),
        ("/", b"downstream"),
    ],
)
def test_filter_answers_only_its_path(path: str, body: bytes) -> None:
    client = TestApp(HealthcheckMiddleware(downstream))
    assert client.get(path).body == body


def test_filter_custom_path() -> None:
    client = TestApp(HealthcheckMiddleware(downstream, path="/_health", checks=[failing_check]))
    client.get("/_health", status=503)
    client.head("/_health", status=503)
    assert client.get("/healthcheck").body == b"downstream"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"path": "health"}, "path"),
        ({"checks": ["nope"]}, "checks"),
        ({"allowed_networks": ["x"]}, "allowed"),
    ],
)
def test_bad_options(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        HealthcheckMiddleware(downstream, **kwargs)


def test_run_check_names_lambdas() -> None:
    assert run_check(lambda: True).ok


def test_paste_ini_app_and_filter(tmp_path: Path) -> None:
    ini = tmp_path / "paste.ini"
    ini.write_text(
        "[pipeline:main]\npipeline = health down\n"
        "[filter:health]\nuse = egg:wsgikit#healthcheck\npath = /hc\n"
        f"checks = {__name__}:ok_check\ndisable_by_file = drain\n"
        f"[app:down]\npaste.app_factory = {__name__}:downstream_factory\n"
        "[app:hcapp]\nuse = egg:wsgikit#healthcheck\ndetailed = true\n"
    )
    client = TestApp(loadapp(f"config:{ini}"))
    assert client.get("/hc").text == "OK\n"
    (tmp_path / "drain").touch()
    client.get("/hc", status=503)
    assert client.get("/x").body == b"downstream"
    detailed = TestApp(loadapp(f"config:{ini}", name="hcapp"), extra_environ=LOCAL)
    document = detailed.get("/").json
    # "upstreams" is there only while a proxy lives in this process (see test_upstream_counters)
    assert {key: document[key] for key in ("status", "checks")} == {"status": "ok", "checks": []}


def test_upstream_counters_in_the_details() -> None:
    from wsgikit.middleware.proxy import ProxyApp

    proxy = ProxyApp(backends="http://127.0.0.1:9 weight=2 http://127.0.0.1:10", max_fails=1)
    backend = proxy.backends[0]
    proxy.balancer.release(proxy.balancer.acquire(exclude=proxy.backends[1:]) or backend, failed=True)
    document = TestApp(HealthcheckApp(detailed=True), extra_environ=LOCAL).get("/").json
    mine = [stats for stats in document["upstreams"] if stats[0]["url"] == "http://127.0.0.1:9"]
    assert mine == [
        [
            {
                "url": "http://127.0.0.1:9",
                "weight": 2,
                "requests": 1,
                "failures": 1,
                "ejected": 1,
                "active": 0,
                "down": True,
            },
            {
                "url": "http://127.0.0.1:10",
                "weight": 1,
                "requests": 0,
                "failures": 0,
                "ejected": 0,
                "active": 0,
                "down": False,
            },
        ]
    ]
    # never shown to a client outside allowed_networks
    outside = TestApp(HealthcheckApp(detailed=True), extra_environ={"REMOTE_ADDR": "203.0.113.9"})
    assert outside.get("/").text == "OK\n"


def downstream_factory(global_conf: dict[str, Any], **local_conf: str) -> Any:
    return downstream


def test_factory_errors() -> None:
    with pytest.raises(ConfigError, match="did you mean 'checks'"):
        healthcheck_component.filter_factory({}, check="x:y")
    with pytest.raises(ConfigError) as caught:
        healthcheck_component.app_factory({}, path="/hc")
    assert caught.value.key == "path"
    with pytest.raises(ConfigError):
        healthcheck_component.app_factory({}, checks="no_such_module_xyz:f")
