from __future__ import annotations

from typing import Any

import pytest

from wsgikit.middleware.versions import APIVersion, VersionsMiddleware, parse_version, requested_version
from wsgikit.testing import TestApp
from wsgikit.types import StartResponse, WSGIEnvironment, WSGIIterable


def version_app(environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
    body = str(environ["wsgikit.api_version"]).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Vary", "Accept")])
    return [body]


@pytest.fixture
def client() -> TestApp:
    return TestApp(VersionsMiddleware(version_app, service="compute", min_version="2.1", max_version="2.10"))


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "2.1"),
        ("compute 2.5", "2.5"),
        ("COMPUTE 2.10", "2.10"),
        ("compute latest", "2.10"),
        ("volume 3.0", "2.1"),
        ("volume 3.0, compute 2.3", "2.3"),
    ],
)
def test_chosen_version(client: TestApp, header: str | None, expected: str) -> None:
    headers = {} if header is None else {"OpenStack-API-Version": header}
    response = client.get("/", headers=headers)
    assert response.text == expected
    assert response.headers["OpenStack-API-Version"] == f"compute {expected}"
    assert response.headers["Vary"] == "Accept, OpenStack-API-Version"


@pytest.mark.parametrize(
    "header", ["compute 2", "compute 2.x", "compute", "compute 2.1 2.2", "compute 02.1", "compute -2.1"]
)
def test_malformed_is_400(client: TestApp, header: str) -> None:
    response = client.get("/", headers={"OpenStack-API-Version": header}, status=400)
    assert response.headers["Vary"] == "OpenStack-API-Version"
    assert "OpenStack-API-Version" in response.headers
    assert "2.1 to 2.10" in response.json["detail"]


@pytest.mark.parametrize("header", ["compute 2.0", "compute 2.11", "compute 3.0", "compute 1.99"])
def test_out_of_range_is_406(client: TestApp, header: str) -> None:
    response = client.get("/", headers={"OpenStack-API-Version": header}, status=406)
    assert response.headers["Vary"] == "OpenStack-API-Version"
    assert "not supported" in response.json["detail"]


def test_versions_compare_numerically() -> None:
    assert parse_version("2.10") > parse_version("2.9")
    assert str(APIVersion(2, 53)) == "2.53"
    assert requested_version("identity 3.1, compute latest", "compute") == "latest"


def test_custom_header_and_default() -> None:
    app = VersionsMiddleware(
        version_app,
        service="volume",
        min_version="3.0",
        max_version="3.70",
        default_version="3.27",
        header="X-Volume-Version",
        environ_key="wsgikit.api_version",
    )
    client = TestApp(app)
    assert client.get("/").text == "3.27"
    response = client.get("/", headers={"X-Volume-Version": "volume 3.50"})
    assert response.text == "3.50" and response.headers["X-Volume-Version"] == "volume 3.50"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"service": ""}, "service"),
        ({"service": "compute", "min_version": "x"}, "min_version"),
        ({"service": "compute", "min_version": "2.5", "max_version": "2.1"}, "max_version"),
        (
            {"service": "compute", "min_version": "2.1", "max_version": "2.5", "default_version": "2.9"},
            "default_version",
        ),
        ({"service": "compute", "header": "Bad Header"}, "header"),
    ],
)
def test_options_validated(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        VersionsMiddleware(version_app, **options)


# -- the legacy header (nova's X-OpenStack-Nova-API-Version, what novaclient sends below 2.27) ---------------

LEGACY = "X-OpenStack-Nova-API-Version"


@pytest.fixture
def legacy_client() -> TestApp:
    app = VersionsMiddleware(
        version_app, service="compute", min_version="2.1", max_version="2.10", legacy_header=LEGACY
    )
    return TestApp(app)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, "2.1"),
        ({LEGACY: "2.5"}, "2.5"),
        ({LEGACY: " latest "}, "2.10"),
        ({"OpenStack-API-Version": "compute 2.7"}, "2.7"),
        ({"OpenStack-API-Version": "compute 2.7", LEGACY: "2.3"}, "2.7"),  # the standard header wins
        ({"OpenStack-API-Version": "volume 3.1", LEGACY: "2.3"}, "2.3"),  # it names another service
    ],
    ids=["none", "legacy", "legacy-latest", "standard", "both", "standard-other-service"],
)
def test_legacy_header_is_honoured_and_both_are_echoed(
    legacy_client: TestApp, headers: dict[str, str], expected: str
) -> None:
    response = legacy_client.get("/", headers=headers)
    assert response.text == expected
    assert response.headers["OpenStack-API-Version"] == f"compute {expected}"
    assert response.headers[LEGACY] == expected
    assert response.headers["Vary"] == f"Accept, OpenStack-API-Version, {LEGACY}"


@pytest.mark.parametrize(("value", "status"), [("9.9", 406), ("2.0", 406), ("2", 400), ("compute 2.5", 400)])
def test_legacy_header_unsupported_or_malformed(legacy_client: TestApp, value: str, status: int) -> None:
    response = legacy_client.get("/", headers={LEGACY: value}, status=status)
    assert response.headers["Vary"] == f"OpenStack-API-Version, {LEGACY}"
    assert response.headers[LEGACY] == "2.1"
    assert "2.1 to 2.10" in response.json["detail"]
    if status == 400:
        assert LEGACY in response.json["detail"]


def test_without_legacy_header_configured_it_is_ignored(client: TestApp) -> None:
    response = client.get("/", headers={LEGACY: "9.9"})
    assert response.text == "2.1"
    assert LEGACY not in response.headers


@pytest.mark.parametrize("bad", ["X Nova", "OpenStack-API-Version", "openstack-api-version", ""])
def test_bad_legacy_header_option(bad: str) -> None:
    with pytest.raises(ValueError, match="legacy_header"):
        VersionsMiddleware(version_app, service="compute", legacy_header=bad)


def test_legacy_header_from_ini() -> None:
    from wsgikit.deploy.components.versions import filter_factory

    make = filter_factory({}, service="compute", min_version="2.1", max_version="2.10", legacy_header=LEGACY)
    response = TestApp(make(version_app)).get("/", headers={LEGACY: "2.4"})
    assert response.text == "2.4"
