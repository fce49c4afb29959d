from __future__ import annotations

import json
from typing import Any

import pytest

from wsgikit.middleware.urlmap import URLMap, parse_mount_key
from wsgikit.testing import TestApp
from wsgikit.types import StartResponse, WSGIEnvironment, WSGIIterable


def named(name: str) -> Any:
    def app(environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
        body = json.dumps(
            {
                "app": name,
                "script_name": environ["SCRIPT_NAME"],
                "path_info": environ["PATH_INFO"],
                "version": str(environ.get("wsgikit.api_version")),
                "content_type": environ.get("wsgikit.content_type"),
            }
        ).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    return app


NOVA = {
    "/": named("versions"),
    "/v2": named("legacy_doc"),
    "/v2.1": named("v21_doc"),
    "/v2/+": named("legacy_api"),
    "/v2.1/+": named("api"),
}


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("/", (None, None, "", False)),
        ("/v2.1/", (None, None, "/v2.1", False)),
        ("/v2.1/+", (None, None, "/v2.1", True)),
        ("domain API.example.com /x", ("api.example.com", None, "/x", False)),
        ("domain a.example port 8080 /", ("a.example", "8080", "", False)),
        ("port 8080 /admin", (None, "8080", "/admin", False)),
        ("http://a.example:81/p", ("a.example", "81", "/p", False)),
    ],
    ids=["root", "trailing-slash", "wildcard", "domain", "domain-port", "port", "url"],
)
def test_parse_mount_key(key: str, expected: tuple[Any, ...]) -> None:
    assert parse_mount_key(key) == expected


@pytest.mark.parametrize("key", ["x", "domain", "/a /b", "/a/+/b", "port http /", "domain a domain b /"])
def test_parse_mount_key_rejects(key: str) -> None:
    with pytest.raises(ValueError):
        parse_mount_key(key)


@pytest.mark.parametrize(
    ("path", "app", "script_name", "path_info"),
    [
        ("/", "versions", "", "/"),
        ("/other", "versions", "", "/other"),
        ("/v2.1", "v21_doc", "/v2.1", ""),
        ("/v2.1/", "v21_doc", "/v2.1", "/"),
        ("/v2.1/servers", "api", "/v2.1", "/servers"),
        ("/v2.1/servers/1/action", "api", "/v2.1", "/servers/1/action"),
        ("/v2/servers", "legacy_api", "/v2", "/servers"),
        ("/v2", "legacy_doc", "/v2", ""),
        ("/v2.10/x", "versions", "", "/v2.10/x"),
    ],
)
def test_longest_prefix_and_nova_wildcard(path: str, app: str, script_name: str, path_info: str) -> None:
    answer = TestApp(URLMap(NOVA)).get(path).json
    assert (answer["app"], answer["script_name"], answer["path_info"]) == (app, script_name, path_info)


def test_script_name_is_appended_to_an_existing_mount() -> None:
    client = TestApp(URLMap({"/api": named("api")}), extra_environ={"SCRIPT_NAME": "/outer"})
    assert client.get("/outer/api/x").json["script_name"] == "/outer/api"


def test_domain_and_port_keys() -> None:
    app = URLMap(
        {
            "domain admin.example /": named("admin"),
            "port 8443 /": named("tls"),
            "/": named("public"),
        }
    )
    client = TestApp(app)
    assert client.get("/", headers={"Host": "admin.example"}).json["app"] == "admin"
    assert client.get("/", headers={"Host": "ADMIN.example:80"}).json["app"] == "admin"
    assert client.get("/", headers={"Host": "www.example:8443"}).json["app"] == "tls"
    assert client.get("/", headers={"Host": "www.example"}).json["app"] == "public"


def test_not_found_leaks_nothing() -> None:
    client = TestApp(URLMap({"/secret-mount": named("x")}))
    response = client.get("/-->%0D<script>alert('xss')</script>", headers={"Accept": "text/html"}, status=404)
    assert b"<script" not in response.body
    assert b"secret-mount" not in response.body
    assert "charset" in response.headers["Content-Type"]
    assert b"secret-mount" not in client.get("/nope", status=404).body


def test_not_found_app() -> None:
    app = URLMap({"/a": named("a")}, not_found_app=named("fallback"))
    assert TestApp(app).get("/b").json["app"] == "fallback"


def test_duplicate_mounts_rejected() -> None:
    with pytest.raises(ValueError, match="twice"):
        URLMap([("/a", named("a")), ("/a/", named("b"))])


# -- nova-style version negotiation --------------------------------------------------------------------


@pytest.fixture
def negotiating() -> TestApp:
    return TestApp(
        URLMap(NOVA, negotiate_version=True, content_types=["application/json", "application/xml"])
    )


def test_version_from_path_prefix(negotiating: TestApp) -> None:
    answer = negotiating.get("/v2.1/servers").json
    assert (answer["app"], answer["version"], answer["content_type"]) == ("api", "2.1", "application/json")


def test_version_from_accept_parameter(negotiating: TestApp) -> None:
    answer = negotiating.get("/servers", headers={"Accept": "application/json;version=2.1"}).json
    # nova's _set_script_name: the mount goes on SCRIPT_NAME, PATH_INFO is left as it came
    assert answer == {
        "app": "v21_doc",
        "script_name": "/v2.1",
        "path_info": "/servers",
        "version": "2.1",
        "content_type": "application/json",
    }


def test_version_from_content_type(negotiating: TestApp) -> None:
    answer = negotiating.post("/servers", b"{}", headers={"Content-Type": "application/json;version=2"}).json
    assert (answer["app"], answer["version"]) == ("legacy_doc", "2.0")


def test_path_prefix_beats_headers(negotiating: TestApp) -> None:
    answer = negotiating.get("/v2/servers", headers={"Accept": "application/json;version=2.1"}).json
    assert answer["app"] == "legacy_api"


def test_suffix_picks_the_media_type(negotiating: TestApp) -> None:
    assert negotiating.get("/v2.1/servers.xml").json["content_type"] == "application/xml"
    accept = {"Accept": "application/xml;q=0.9, application/json;q=0.1"}
    assert negotiating.get("/v2.1/servers.json", headers=accept).json["content_type"] == "application/json"
    assert negotiating.get("/v2.1/servers", headers=accept).json["content_type"] == "application/xml"


def test_unknown_version_falls_back_to_the_path(negotiating: TestApp) -> None:
    answer = negotiating.get("/", headers={"Accept": "application/json;version=9.9"}).json
    assert (answer["app"], answer["version"]) == ("versions", "None")
