"""The error catcher's 500 reaches the client whole under every server: uWSGI 2.0 dropped its body
(``SystemError`` in its ``start_response`` when given ``exc_info``), sending the status and a
``Content-Length`` with no bytes after them."""

from __future__ import annotations

import http.client
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

APP_DIR = Path(__file__).parent.parent / "data" / "errors_app"


def get(port: int, path: str) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def argv_for(server: str, port: int, request: pytest.FixtureRequest) -> list[str]:
    if server == "uwsgi":
        uwsgi = request.getfixturevalue("uwsgi_bin")
        return [
            uwsgi, "--http-socket", f"127.0.0.1:{port}", "--wsgi-file", str(APP_DIR / "raising.py"),
            "--master", "--processes", "1", "--die-on-term", "--virtualenv", sys.prefix,
        ]  # fmt: skip
    request.getfixturevalue("gunicorn")
    return [sys.executable, "-m", "gunicorn", "--chdir", str(APP_DIR), "-b", f"127.0.0.1:{port}", "raising"]


@pytest.mark.parametrize("server", ["uwsgi", "gunicorn"])
@pytest.mark.parametrize("path", ["/", "/late"])
def test_the_500_body_arrives(
    server: str,
    path: str,
    request: pytest.FixtureRequest,
    start_server: Callable[..., Any],
    port_factory: Any,
) -> None:
    port = port_factory()
    process = start_server(f"errors-{server}", argv_for(server, port, request), port=port)
    status, headers, body = get(port, path)
    assert status == 500
    assert headers["Content-Type"] == "application/problem+json"
    assert len(body) == int(headers["Content-Length"]) > 0
    assert b'"status": 500' in body
    assert "SystemError" not in process.log()
