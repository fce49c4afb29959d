"""StaticApp: traversal and hostile paths, conditional requests, ranges, content types, HEAD."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from paste.deploy import loadapp

from wsgikit.deploy.components import static as static_component
from wsgikit.deploy.options import ConfigError
from wsgikit.middleware.static import StaticApp, content_type_for, safe_path_segments
from wsgikit.testing import TestApp

CONTENT = bytes(range(256)) * 40  # 10 240 bytes, not text


@pytest.fixture
def site(tmp_path: Path) -> Path:
    (tmp_path / "secured.txt").write_text("secret outside the root")
    root = tmp_path / "root"
    root.mkdir()
    (root / "index.html").write_text("<h1>home</h1>")
    (root / "style.css").write_text("body{}")
    (root / "app.js").write_text("let a = 1;")
    (root / "data.json").write_text("{}")
    (root / "blob.bin").write_bytes(CONTENT)
    (root / "archive.tar.gz").write_bytes(b"\x1f\x8b not really")
    (root / "noext").write_bytes(b"?")
    (root / ".htpasswd").write_text("alice:$6$x$y")
    (root / "sub").mkdir()
    (root / "sub" / "index.html").write_text("<h1>sub</h1>")
    (root / "empty").mkdir()
    (root / "dir with spaces").mkdir()
    (root / "dir with spaces" / "x.txt").write_text("spaced")
    (root / "%2e%2e").mkdir()  # a directory literally named like an encoded dot-dot
    os.symlink(tmp_path / "secured.txt", root / "escape.txt")
    os.symlink(root / "style.css", root / "inside-link.css")
    return root


@pytest.fixture
def client(site: Path) -> TestApp:
    return TestApp(StaticApp(str(site), cache_max_age=60))


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/style.css", "text/css"),
        ("/app.js", "text/javascript"),
        ("/data.json", "application/json"),
        ("/blob.bin", "application/octet-stream"),
        ("/archive.tar.gz", "application/gzip"),
        ("/noext", "application/octet-stream"),
        ("/index.html", "text/html"),
        ("/dir%20with%20spaces/x.txt", "text/plain"),
        ("/inside-link.css", "text/css"),
    ],
)
def test_serves_files_with_types(client: TestApp, site: Path, path: str, content_type: str) -> None:
    response = client.get(path)
    assert response.content_type == content_type
    assert "Content-Encoding" not in response.headers
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "public, max-age=60"
    assert response.headers["Accept-Ranges"] == "bytes"
    assert int(response.headers["Content-Length"]) == len(response.body)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        pytest.param("/../secured.txt", 404, id="dotdot"),
        pytest.param("/%2e%2e/secured.txt", 404, id="encoded-dotdot"),
        pytest.param("/%2e%2e%3fsecured.txt", 404, id="encoded-dotdot-question"),
        pytest.param("/dir%20with%20spaces/%2e%2e/%2e%2e/secured.txt", 404, id="deep-dotdot"),
        pytest.param("/..%2fsecured.txt", 404, id="encoded-slash"),
        pytest.param("/..%5csecured.txt", 404, id="backslash"),
        pytest.param("//etc/passwd", 404, id="double-slash-absolute"),
        pytest.param("/C:/x", 404, id="drive"),
        pytest.param("/%5c%5cserver%5cshare", 404, id="unc"),
        pytest.param("/CON", 404, id="device"),
        pytest.param("/CON.txt", 404, id="device-ext"),
        pytest.param("/sub/con", 404, id="device-deep"),
        pytest.param("/x%00.txt", 400, id="nul"),
        pytest.param("/escape.txt", 404, id="symlink-outside"),
        pytest.param("/.htpasswd", 404, id="hidden"),
        pytest.param("/missing.txt", 404, id="missing"),
        pytest.param("/style.css/x", 404, id="file-as-dir"),
        pytest.param("/%252e%252e/secured.txt", 404, id="double-encoded"),
        pytest.param("/empty/", 404, id="dir-without-index"),
        pytest.param("/./style.css", 404, id="dot-segment"),
        pytest.param("/a%0d%0ab", 404, id="crlf"),
    ],
)
def test_hostile_paths(client: TestApp, path: str, status: int) -> None:
    response = client.get(path, status=status, expect_errors=True)
    assert b"secret" not in response.body
    assert str(Path.cwd()) not in response.text and "/tmp" not in response.text


def test_directory_index_and_redirect(client: TestApp) -> None:
    assert client.get("/").text == "<h1>home</h1>"
    assert client.get("/sub/").text == "<h1>sub</h1>"
    redirect = client.get("/sub", status=301)
    assert redirect.headers["Location"] == "http://localhost/sub/"
    redirect = client.get("/sub?x=1", status=301)
    assert redirect.headers["Location"] == "http://localhost/sub/?x=1"


def test_mounted_root_redirect(site: Path) -> None:
    client = TestApp(StaticApp(str(site)), extra_environ={"SCRIPT_NAME": "/static"})
    assert client.get("", status=301).headers["Location"] == "http://localhost/static/"


def test_no_index(site: Path) -> None:
    TestApp(StaticApp(str(site), index=None)).get("/", status=404)


def test_conditional_requests(client: TestApp) -> None:
    first = client.get("/blob.bin")
    etag = first.headers["ETag"]
    assert etag.startswith('"') and first.headers["Last-Modified"]
    assert client.get("/blob.bin").headers["ETag"] == etag  # stable (WebOb's FileApp has no ETag)
    not_modified = client.get("/blob.bin", headers={"If-None-Match": etag}, status=304)
    assert not_modified.body == b""
    client.get("/blob.bin", headers={"If-None-Match": '"other"'}, status=200)
    since = client.get("/blob.bin", headers={"If-Modified-Since": first.headers["Last-Modified"]}, status=304)
    assert since.body == b""


def test_etag_changes_with_content(client: TestApp, site: Path) -> None:
    etag = client.get("/style.css").headers["ETag"]
    (site / "style.css").write_text("body{color:red}")
    os.utime(site / "style.css", ns=(10**18, 10**18))
    assert client.get("/style.css").headers["ETag"] != etag


@pytest.mark.parametrize(
    ("range_header", "status", "expected"),
    [
        ("bytes=0-99", 206, CONTENT[0:100]),
        ("bytes=100-", 206, CONTENT[100:]),
        ("bytes=-10", 206, CONTENT[-10:]),
        ("bytes=10000-20000", 206, CONTENT[10000:]),
        ("bytes=20000-", 416, None),
        ("bytes=abc", 200, CONTENT),
    ],
)
def test_ranges(client: TestApp, range_header: str, status: int, expected: bytes | None) -> None:
    response = client.get("/blob.bin", headers={"Range": range_header}, status=status)
    if expected is not None:
        assert response.body == expected
        assert int(response.headers["Content-Length"]) == len(expected)
    if status == 206:
        assert response.headers["Content-Range"].startswith("bytes ")


def test_resumed_download_stitches(client: TestApp) -> None:
    parts = [
        client.get("/blob.bin", headers={"Range": f"bytes={i}-{i + 999}"}).body for i in range(0, 10240, 1000)
    ]
    assert b"".join(parts) == CONTENT


def test_head(client: TestApp) -> None:
    response = client.head("/blob.bin")
    assert response.body == b""
    assert response.headers["Content-Length"] == str(len(CONTENT))
    assert client.head("/blob.bin", headers={"Range": "bytes=0-9"}, status=206).body == b""


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_other_methods(client: TestApp, method: str) -> None:
    response = client.request("/style.css", method=method, status=405)
    assert response.headers["Allow"] == "GET, HEAD"


def test_hidden_allowed(site: Path) -> None:
    (site / ".well-known").mkdir()
    (site / ".well-known" / "security.txt").write_text("contact")
    assert TestApp(StaticApp(str(site), allow_hidden=True)).get("/.well-known/security.txt").text == "contact"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"index": "../x"}, "index"), ({"cache_max_age": -1}, "cache_max_age")],
)
def test_bad_options(site: Path, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        StaticApp(str(site), **kwargs)
    with pytest.raises(ValueError, match="directory"):
        StaticApp(str(site / "missing"))


def test_helpers() -> None:
    assert safe_path_segments("/a//b/") == ["a", "b"]
    assert content_type_for("x.unknownext", "text/plain") == "text/plain"


def test_paste_ini(site: Path) -> None:
    ini = site.parent / "paste.ini"
    ini.write_text(
        "[app:main]\nuse = egg:wsgikit#static\ndirectory = root\ncache_max_age = 1h\nindex = none\n"
    )
    client = TestApp(loadapp(f"config:{ini}"))
    assert client.get("/style.css").headers["Cache-Control"] == "public, max-age=3600"
    client.get("/", status=404)
    with pytest.raises(ConfigError, match="directory"):
        static_component.app_factory({"here": str(site)}, directory="nope")
    with pytest.raises(ConfigError):
        static_component.app_factory({}, directory=str(site), cache="1")
