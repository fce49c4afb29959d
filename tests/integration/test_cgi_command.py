"""``wsgikit cgi`` run directly as a CGI host would run it: the request in CGI variables (RFC 3875) and on
standard input, the answer read back from standard output. Every request and answer still goes through
:class:`wsgikit.testing.TestApp` (``wsgiref.validate``): the transport below starts one process per
request. The same command behind nginx + fcgiwrap is the ``nginx-cgi`` path of
test_production_pipeline.py.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_INI = ROOT / "paste-configs" / "production.ini"
TOKEN = "jsonapi-demo-token"

pytestmark = pytest.mark.integration


class CGITransport:
    """Run ``argv`` once per request with the CGI environment; parse ``Status:`` and headers from stdout."""

    def __init__(self, argv: list[str], script_name: str = "/cgi-bin/app.cgi") -> None:
        self.argv = argv
        self.script_name = script_name
        self.stderr = b""

    def send(self, method: str, target: str, headers: list[tuple[str, str]], body: bytes) -> Any:
        path, _, query = target.partition("?")
        environ = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "GATEWAY_INTERFACE": "CGI/1.1",
            "SERVER_SOFTWARE": "test-cgi-host",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8080",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "REQUEST_METHOD": method,
            "SCRIPT_NAME": self.script_name,
            "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
            "QUERY_STRING": query,
        }
        for name, value in headers:
            key = name.upper().replace("-", "_")
            environ[key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else "HTTP_" + key] = value
        done = subprocess.run(
            self.argv, env=environ, input=body, capture_output=True, timeout=60, check=False
        )
        self.stderr = done.stderr
        head, _, payload = done.stdout.partition(b"\r\n\r\n")
        status, response_headers = "200 OK", []
        for line in head.decode("latin-1").split("\r\n"):
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = value.strip()
            elif name:
                response_headers.append((name, value.strip()))
        return status, response_headers, iter([payload] if payload else []), lambda: None


@pytest.fixture(scope="module")
def cgi(transport_client):
    transport = CGITransport([sys.executable, "-m", "wsgikit", "cgi", str(PRODUCTION_INI)])
    client = transport_client(transport)
    client.transport = transport
    return client


def test_get_post_and_errors_through_cgi(cgi) -> None:
    items = cgi.get("/items", headers={"X-Auth-Token": TOKEN}).json["items"]
    assert [item["name"] for item in items] == ["alpha", "beta", "gamma"]
    created = cgi.post_json("/items", {"name": "delta"}, headers={"X-Auth-Token": TOKEN}, status=201)
    # SCRIPT_NAME from the CGI host is where the script is mounted: links carry it
    assert urlsplit(created.headers["Location"]).path.startswith("/cgi-bin/app.cgi/items/")
    assert cgi.get("/items", status=401).headers["WWW-Authenticate"].startswith("Bearer ")
    cgi.get("/no/such/thing", headers={"X-Auth-Token": TOKEN}, status=404)


def test_the_body_comes_from_standard_input(cgi) -> None:
    body = os.urandom(300_000)
    answer = cgi.post(
        "/upload", params=body, content_type="application/octet-stream", headers={"X-Auth-Token": TOKEN}
    ).json
    assert answer == {"size": len(body), "sha256": hashlib.sha256(body).hexdigest()}


def test_a_broken_config_answers_500_and_says_why_on_stderr(transport_client, tmp_path) -> None:
    ini = tmp_path / "broken.ini"
    ini.write_text("[app:main]\nuse = egg:wsgikit#wsgi\napp = no_such_module:app\n")
    transport = CGITransport([sys.executable, "-m", "wsgikit", "cgi", str(ini)])
    response = transport_client(transport).get("/", status=500)
    assert b"Traceback" not in response.body
    assert f"{ini}:3 [app:main] app:".encode() in transport.stderr
