from __future__ import annotations

import os

import pytest

from wsgikit.deploy import ConfigError, loadapp
from wsgikit.testing import TestApp

CONFIGS = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "data", "configs"
)


def test_flask_and_wsgikit_router_side_by_side() -> None:
    client = TestApp(f"config:{CONFIGS}/side_by_side.ini")
    flask_answer = client.get("/flask/hello/ada").json
    assert flask_answer == {
        "app": "flask",
        "name": "ada",
        "script_name": "/flask",
        "path_info": "/hello/ada",
        "url": "/flask/hello/ada",
    }
    router_answer = client.get("/api/items/7").json
    assert router_answer["app"] == "router"
    assert router_answer["id"] == "7"
    assert router_answer["script_name"] + router_answer["path_info"] == "/api/items/7"
    assert router_answer["script_name"].startswith("/api")
    assert router_answer["url"] == "http://localhost/api"
    assert client.get("/elsewhere").json["app"] == "root"
    client.get("/api/nothing", status=404)
    client.post("/api/items/7", status=405)


def test_mount_options(tmp_path: pytest.TempPathFactory) -> None:
    ini = tmp_path / "u.ini"  # type: ignore[operator]
    ini.write_text(
        "[composite:main]\n"
        "use = egg:wsgikit#urlmap\n"
        "negotiate_version = true\n"
        "not_found_app = fallback\n"
        "/v2.1/+ = api\n"
        "domain admin.example /v2.1/+ = admin\n"
        "[app:api]\npaste.app_factory = kitapps:echo_factory\nname = api\n"
        "[app:admin]\npaste.app_factory = kitapps:echo_factory\nname = admin\n"
        "[app:fallback]\npaste.app_factory = kitapps:echo_factory\nname = fallback\nstatus = 404 Not Found\n"
    )
    client = TestApp(f"config:{ini}")
    answer = client.get("/v2.1/servers").json
    assert (answer["app"], answer["api_version"], answer["content_type"]) == (
        "api",
        "2.1",
        "application/json",
    )
    assert client.get("/v2.1/servers", headers={"Host": "admin.example"}).json["app"] == "admin"
    assert client.get("/nothing", status=404).json["app"] == "fallback"


@pytest.mark.parametrize(
    ("body", "line", "key", "fragment"),
    [
        ("/ = nowhere\n", 3, "/", "no section for app 'nowhere'"),
        ("/a /b = x\n", 3, "/a /b", "more than one path"),
        ("negotiate_version = perhaps\n/ = x\n", 3, "negotiate_version", "boolean"),
        ("/ = x\nmount = y\n", 4, "mount", "unknown option"),
        ("", 1, None, "mounts nothing"),
    ],
    ids=["missing-app", "bad-key", "bad-bool", "unknown-key", "empty"],
)
def test_errors(
    tmp_path: pytest.TempPathFactory, body: str, line: int, key: str | None, fragment: str
) -> None:
    ini = tmp_path / "u.ini"  # type: ignore[operator]
    ini.write_text(
        "[composite:main]\nuse = egg:wsgikit#urlmap\n" + body + "[app:x]\nuse = egg:wsgikit#healthcheck\n"
    )
    with pytest.raises(ConfigError) as caught:
        loadapp(f"config:{ini}")
    assert (caught.value.line, caught.value.section, caught.value.key) == (line, "composite:main", key)
    assert fragment in caught.value.message
