"""One pipeline, every server: paste-configs/production.ini served for real on 127.0.0.1.

The paths — wsgiref, waitress and gunicorn (2 workers) through ``wsgikit serve``; ``gunicorn --paste``
(gunicorn's own PasteDeploy loading finds the ``egg:wsgikit#...`` entry points); uWSGI ``--paste``
over ``--http-socket`` and over a uwsgi-protocol ``--socket``; nginx in front of uWSGI (``uwsgi_pass``, with
paste-configs/uwsgi.ini and nginx-uwsgi.conf) and in front of gunicorn (``proxy_pass``, nginx-proxy.conf)
— must each give the same answer as the pipeline called in-process, for every request below.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import random
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from wsgikit.deploy import loadapp

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = ROOT / "paste-configs"
PRODUCTION_INI = CONFIGS / "production.ini"
TOKEN = "jsonapi-demo-token"

pytestmark = pytest.mark.integration

PATHS = [
    "wsgiref",
    "waitress",
    "gunicorn",
    "gunicorn-paste",
    "uwsgi-http",
    "uwsgi-socket",
    "uwsgi-fastcgi",
    "nginx-uwsgi",
    "nginx-fastcgi",
    "nginx-proxy",
    "nginx-cgi",
]

ONE_MB = random.Random(1).randbytes(1024 * 1024)
STREAM_CHUNKS, STREAM_SIZE = 32, 1000


def alpha_id() -> str:
    from wsgikit_jsonapi import ItemStore

    return ItemStore.item_id("alpha")


# id → (method, path, extra headers, body, content type); every request carries the token unless it says so.
REQUESTS: dict[str, tuple[str, str, dict[str, str], bytes | None, str | None]] = {
    "list-items": ("GET", "/items", {}, None, None),
    "show-item": ("GET", f"/items/{alpha_id()}", {}, None, None),
    "create-item-gzip": (
        "POST",
        "/items",
        {"Accept-Encoding": "gzip"},
        json.dumps({"name": "delta", "tags": [f"tag-{n}" for n in range(60)]}).encode(),
        "application/json",
    ),
    "bad-json": ("POST", "/items", {}, b'{"name": ', "application/json"),
    "no-token": ("GET", "/items", {"X-Auth-Token": ""}, None, None),
    "wrong-token": ("GET", "/items", {"X-Auth-Token": "not-the-token"}, None, None),
    "not-found": ("GET", "/no/such/thing", {}, None, None),
    "method-not-allowed": ("DELETE", "/items", {}, None, None),
    "upload-1MB": ("POST", "/upload", {}, ONE_MB, "application/octet-stream"),
    "stream": ("GET", f"/stream?chunks={STREAM_CHUNKS}&size={STREAM_SIZE}", {}, None, None),
    "stream-gzip": (
        "GET",
        f"/stream?chunks={STREAM_CHUNKS}&size={STREAM_SIZE}",
        {"Accept-Encoding": "gzip"},
        None,
        None,
    ),
}


def ask(client: Any, request_id: str) -> dict[str, Any]:
    """Send one of :data:`REQUESTS`; the parts of the answer that must not depend on the server."""
    method, path, extra, body, content_type = REQUESTS[request_id]
    headers = {"X-Auth-Token": TOKEN, **extra}
    if not headers["X-Auth-Token"]:
        del headers["X-Auth-Token"]
    kwargs: dict[str, Any] = {"headers": headers, "expect_errors": True}
    if body is not None:
        kwargs.update(body=body, content_type=content_type)
    response = client.request(path, method=method, **kwargs)
    sent = client.recorder
    assert response.status == sent.status
    encoding = sent.header("Content-Encoding")
    assert (gzip.decompress(sent.body) if encoding == "gzip" else sent.body) == response.body
    media_type = (response.content_type or "").split(";")[0]
    if media_type in ("application/json", "application/problem+json"):
        document: Any = response.json
        if isinstance(document, dict):
            document.pop("request_id", None)  # one per request, checked below
    elif media_type == "application/x-ndjson":
        document = [json.loads(line) for line in response.body.splitlines()]
    else:
        document = response.body
    location = sent.header("Location")
    return {
        "status": response.status,
        "content_type": sent.header("Content-Type"),
        "content_encoding": encoding,
        "vary": sent.header("Vary"),
        "allow": sent.header("Allow"),
        "www_authenticate": sent.header("WWW-Authenticate"),
        "location": urlsplit(location).path if location else None,
        "request_id": bool(sent.header("X-Request-ID")),
        "body": document,
    }


# -- the reference: the same pipeline, in this process ------------------------------------------------------


@pytest.fixture(scope="module")
def reference(local_client):
    pipeline = loadapp(f"config:{PRODUCTION_INI}")

    def as_a_server_calls_it(environ: dict[str, Any], start_response: Any) -> Any:
        # WebTest marks its input seekable for WebOb; no real server does (and sizelimit's wrapped input
        # is not seekable), so the reference must not either.
        environ.pop("webob.is_body_seekable", None)
        return pipeline(environ, start_response)

    client = local_client(as_a_server_calls_it)
    answers: dict[str, dict[str, Any]] = {}

    def answer(request_id: str) -> dict[str, Any]:
        if request_id not in answers:
            answers[request_id] = ask(client, request_id)
        return answers[request_id]

    return answer


def test_reference_answers_are_what_the_api_promises(reference):
    assert reference("list-items")["status"] == "200 OK"
    assert [item["name"] for item in reference("list-items")["body"]["items"]] == ["alpha", "beta", "gamma"]
    assert reference("show-item")["body"]["item"]["id"] == alpha_id()
    created = reference("create-item-gzip")
    assert (created["status"], created["content_encoding"]) == ("201 Created", "gzip")
    assert created["location"] == "/items/" + created["body"]["item"]["id"]
    assert reference("bad-json")["status"] == "400 Bad Request"
    for denied in ("no-token", "wrong-token"):
        assert reference(denied)["status"] == "401 Unauthorized"
        assert reference(denied)["www_authenticate"].startswith("Bearer ")
    assert reference("not-found")["status"] == "404 Not Found"
    not_allowed = reference("method-not-allowed")
    assert not_allowed["status"] == "405 Method Not Allowed"
    assert {"GET", "POST"} <= {method.strip() for method in not_allowed["allow"].split(",")}
    assert reference("upload-1MB")["body"] == {
        "size": len(ONE_MB),
        "sha256": hashlib.sha256(ONE_MB).hexdigest(),
    }
    lines = reference("stream")["body"]
    assert [line["chunk"] for line in lines] == list(range(STREAM_CHUNKS))
    assert all(len(line["data"]) == STREAM_SIZE for line in lines)
    assert reference("stream-gzip")["content_encoding"] == "gzip"
    assert all(reference(request_id)["request_id"] for request_id in REQUESTS)


# -- the real servers ---------------------------------------------------------------------------------------


def serve_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "wsgikit", "serve", str(PRODUCTION_INI), *args]


def uwsgi_argv(uwsgi: str, *args: str) -> list[str]:
    # --virtualenv: the pip uwsgi binary embeds the base interpreter; point it at this environment.
    return [uwsgi, *args, "--virtualenv", sys.prefix]


def nginx_argv(nginx: str, prefix: Path, conf: Path) -> list[str]:
    directives = "daemon off;"
    if os.geteuid() == 0:  # as root, nginx would switch its workers to "nobody", who cannot use the prefix
        directives += " user root;"
    return [nginx, "-p", f"{prefix}/", "-c", str(conf), "-g", directives]


def served_as_cgi(request, start_server, port_factory, http_client, render_config, tmp_path_factory):
    nginx, fcgiwrap = request.getfixturevalue("nginx_bin"), request.getfixturevalue("fcgiwrap_bin")
    tmp = tmp_path_factory.mktemp("nginx-cgi")
    script = render_config(
        CONFIGS / "app.cgi",
        tmp / "app.cgi",
        {
            "/srv/venv/bin/wsgikit": str(Path(sys.executable).parent / "wsgikit"),
            "/srv/app/production.ini": str(PRODUCTION_INI),
        },
    )
    script.chmod(0o755)
    runner, port = port_factory(), port_factory()
    start_server(
        "fcgiwrap", [fcgiwrap, "-f", "-c", "2", "-s", f"tcp:127.0.0.1:{runner}"], port=runner, cwd=tmp
    )
    conf = render_config(
        CONFIGS / "nginx-cgi.conf",
        tmp / "nginx.conf",
        {
            "/srv/app/app.cgi": str(script),
            "127.0.0.1:3033": f"127.0.0.1:{runner}",
            "127.0.0.1:8085": f"127.0.0.1:{port}",
        },
    )
    start_server("nginx-cgi", nginx_argv(nginx, tmp, conf), port=port, cwd=tmp)
    return http_client(port)


@pytest.fixture(scope="module", params=PATHS)
def served(
    request,
    start_server,
    port_factory,
    http_client,
    uwsgi_client,
    fastcgi_client,
    render_config,
    tmp_path_factory,
):
    """A validated client for ``production.ini`` served on one of :data:`PATHS`."""
    path = request.param
    port = port_factory()
    if path in ("wsgiref", "waitress", "gunicorn"):
        start_server(path, serve_argv("--server", path, "--port", str(port)), port=port)
        return http_client(port)
    if path == "gunicorn-paste":  # gunicorn's own PasteDeploy loader, no wsgikit code on the way in
        argv = [sys.executable, "-m", "gunicorn", "--paste", str(PRODUCTION_INI), "--workers", "2"]
        start_server(path, [*argv, "--bind", f"127.0.0.1:{port}"], port=port)
        return http_client(port)
    uwsgi = request.getfixturevalue("uwsgi_bin")
    tmp = tmp_path_factory.mktemp(path)
    common = ["--paste", f"config:{PRODUCTION_INI}", "--master", "--processes", "2", "--die-on-term"]
    common += ["--need-app", "--strict", "--paste-logger"]
    if path == "uwsgi-http":
        start_server(
            path, uwsgi_argv(uwsgi, *common, "--http-socket", f"127.0.0.1:{port}"), port=port, cwd=tmp
        )
        return http_client(port)
    if path == "uwsgi-socket":
        start_server(path, uwsgi_argv(uwsgi, *common, "--socket", f"127.0.0.1:{port}"), port=port, cwd=tmp)
        return uwsgi_client(port)
    if path == "uwsgi-fastcgi":
        argv = uwsgi_argv(uwsgi, *common, "--fastcgi-socket", f"127.0.0.1:{port}")
        start_server(path, argv, port=port, cwd=tmp)
        return fastcgi_client(port)

    if path == "nginx-cgi":  # a process per request: fcgiwrap runs paste-configs/app.cgi (wsgikit cgi)
        return served_as_cgi(
            request, start_server, port_factory, http_client, render_config, tmp_path_factory
        )
    nginx = request.getfixturevalue("nginx_bin")
    upstream = port_factory()
    if path in ("nginx-uwsgi", "nginx-fastcgi"):
        ini = render_config(
            CONFIGS / "uwsgi.ini",
            tmp / "uwsgi.ini",
            {
                "config:%dproduction.ini": f"config:{PRODUCTION_INI}",
                "127.0.0.1:3031": f"127.0.0.1:{upstream}",
                "127.0.0.1:8081": f"127.0.0.1:{port_factory()}",
            },
        )
    if path == "nginx-uwsgi":
        start_server("uwsgi-ini", uwsgi_argv(uwsgi, "--ini", str(ini)), port=upstream, cwd=tmp)
        conf = render_config(
            CONFIGS / "nginx-uwsgi.conf",
            tmp / "nginx.conf",
            {"127.0.0.1:3031": f"127.0.0.1:{upstream}", "127.0.0.1:8082": f"127.0.0.1:{port}"},
        )
    elif path == "nginx-fastcgi":  # the command nginx-fastcgi.conf's comment gives
        fastcgi = port_factory()
        # post-buffering off, as the comment says: uWSGI's FastCGI reader fails large uploads under it
        argv = uwsgi_argv(
            uwsgi, "--ini", str(ini), "--fastcgi-socket", f"127.0.0.1:{fastcgi}", "--post-buffering", "0"
        )
        start_server("uwsgi-ini-fastcgi", argv, port=fastcgi, cwd=tmp)
        conf = render_config(
            CONFIGS / "nginx-fastcgi.conf",
            tmp / "nginx.conf",
            {"127.0.0.1:3032": f"127.0.0.1:{fastcgi}", "127.0.0.1:8084": f"127.0.0.1:{port}"},
        )
    else:
        start_server("gunicorn-upstream", serve_argv("--port", str(upstream)), port=upstream)
        conf = render_config(
            CONFIGS / "nginx-proxy.conf",
            tmp / "nginx.conf",
            {"127.0.0.1:8080": f"127.0.0.1:{upstream}", "127.0.0.1:8083": f"127.0.0.1:{port}"},
        )
    start_server(path, nginx_argv(nginx, tmp, conf), port=port, cwd=tmp)
    return http_client(port)


@pytest.mark.parametrize("request_id", list(REQUESTS))
def test_same_answer_on_every_server(served, reference, request_id):
    assert ask(served, request_id) == reference(request_id)


@pytest.mark.parametrize("request_id", ["stream", "stream-gzip"])
def test_the_stream_leaves_the_pipeline_chunk_by_chunk(request_id):
    from wsgiref.util import setup_testing_defaults
    from wsgiref.validate import validator

    method, target, extra, _, _ = REQUESTS[request_id]
    path, _, query = target.partition("?")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
    }
    environ.update(
        {"HTTP_X_AUTH_TOKEN": TOKEN, **{"HTTP_" + k.upper().replace("-", "_"): v for k, v in extra.items()}}
    )
    setup_testing_defaults(environ)
    statuses: list[str] = []
    result = validator(loadapp(f"config:{PRODUCTION_INI}"))(environ, lambda s, h, e=None: statuses.append(s))
    try:
        chunks = [chunk for chunk in result if chunk]
    finally:
        result.close()
    assert statuses == ["200 OK"]
    assert len(chunks) >= STREAM_CHUNKS // 2  # streamed, not gathered into one body
