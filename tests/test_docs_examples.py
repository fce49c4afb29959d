"""The Python examples of every docs page run, so the docs cannot rot.

Every ``.. code-block:: python`` block of every page is executed on its own (the tutorial, whose blocks build
on each other, has its own test in tests/examples/test_tutorial.py).

Deployment snippets are started too:

* deploy/servers.rst: the waitress and gunicorn ``[server:main]`` blocks under ``wsgikit serve``, and the
  ``uwsgi --paste … --paste-logger`` line under real uWSGI — each on a free port, one GET;
* middleware/access_log.rst: the logging example, served, its access line checked;
* middleware/*.rst: every ``egg:wsgikit#…`` filter or app section, loaded as written and answering a request;
* deploy/*.rst: every ``nginx -p … -c $PWD/paste-configs/X.conf -g …`` line passes ``nginx -t``.

The ``paste-configs/`` files the pages include are served by tests/integration (the server matrix behind
nginx, FastCGI, CGI, the cluster) and tests/examples.
"""

from __future__ import annotations

import configparser
import contextlib
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import textwrap
import time
import types
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from ports import free_port

from wsgikit.testing import TestApp
from wsgikit.types import StartResponse, WSGIEnvironment, WSGIIterable

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = sorted(
    str(path.relative_to(DOCS))
    for path in DOCS.rglob("*.rst")
    if "_build" not in path.parts
    and path.name != "tutorial.rst"
    and ".. code-block:: python" in path.read_text()
)
BLOCK = re.compile(r"^\.\. code-block:: python\n\n((?:(?:   .*)?\n)+)", re.MULTILINE)


def python_blocks(page: str) -> list[str]:
    text = (DOCS / page).read_text(encoding="utf-8")
    return [textwrap.dedent(match.group(1)) for match in BLOCK.finditer(text)]


# Blocks that show deployment code against the reader's own files or that serve forever; what they do is
# tested elsewhere (tests/deploy, tests/test_servers.py, tests/middleware/test_static.py).
NOT_EXECUTED = {
    ("deploy/paste-ini.rst", 0): "loads the reader's paste.ini",
    ("deploy/servers.rst", 0): "serves until SIGTERM",
    ("middleware/static.rst", 0): "serves the reader's /srv directory",
}


def placeholder_app(environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
    """What middleware examples wrap: ``api``, ``app`` and ``admin_app`` stand for the reader's app."""
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"the application"]


@pytest.mark.parametrize("page", PAGES)
def test_page_has_examples(page: str) -> None:
    assert python_blocks(page), f"{page} has no python examples"


@pytest.mark.parametrize(
    ("page", "index"),
    [
        (page, index)
        for page in PAGES
        for index in range(len(python_blocks(page)))
        if (page, index) not in NOT_EXECUTED
    ],
)
def test_example_runs(page: str, index: int) -> None:
    code = python_blocks(page)[index]
    module = types.ModuleType(f"docs_example_{index}")
    module.__dict__.update(api=placeholder_app, app=placeholder_app, admin_app=placeholder_app)
    sys.modules[module.__name__] = module  # dataclasses look their module up
    try:
        exec(compile(code, f"{page}[{index}]", "exec"), module.__dict__)
    finally:
        del sys.modules[module.__name__]


def test_not_executed_blocks_still_exist() -> None:
    for page, index in NOT_EXECUTED:
        assert index < len(python_blocks(page)), f"{page}[{index}] is gone: drop it from NOT_EXECUTED"


# -- deployment snippets: started for real ------------------------------------------------------------------

ANY_BLOCK = re.compile(r"^\.\. code-block:: (\w+)\n\n((?:(?:   .*)?\n)+)", re.MULTILINE)


def blocks(page: str, language: str) -> list[str]:
    text = (DOCS / page).read_text(encoding="utf-8")
    return [textwrap.dedent(m.group(2)) for m in ANY_BLOCK.finditer(text) if m.group(1) == language]


def serve_and_get(
    argv: list[str], port: int, path: str, log: Path, headers: dict[str, str] | None = None
) -> tuple[int, bytes, str]:
    """Start ``argv`` in its own process group, GET ``path`` once it answers, stop the group.

    :returns: the answer's status and body, and what the process printed.
    """
    with log.open("wb") as out:
        process = subprocess.Popen(
            argv, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log.read_text(errors="replace")
            request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers or {})
            try:
                with urllib.request.urlopen(request, timeout=10) as answer:
                    status, body = answer.status, answer.read()
                break
            except OSError:
                assert time.monotonic() < deadline, log.read_text(errors="replace")
                time.sleep(0.2)
        time.sleep(0.5)  # the access line is written after the response
    finally:
        for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 5)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, sig)
            try:
                process.wait(wait)
                break
            except subprocess.TimeoutExpired:
                continue
    return status, body, log.read_text(errors="replace")


@pytest.mark.integration
@pytest.mark.parametrize("server", ["waitress", "gunicorn"])
def test_server_main_blocks_serve(server: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """deploy/servers.rst's ``[server:main]`` blocks, as written (port made free), serve a static app."""
    if server == "gunicorn":
        request.getfixturevalue("gunicorn")
    (block,) = [b for b in blocks("deploy/servers.rst", "ini") if f"use = egg:wsgikit#{server}" in b]
    port = free_port()
    assert "port = 8080\n" in block
    (tmp_path / "public").mkdir()
    (tmp_path / "public" / "index.html").write_text("served by the docs' block\n", encoding="utf-8")
    config = tmp_path / "paste.ini"
    config.write_text(
        block.replace("port = 8080\n", f"port = {port}\n")
        + "\n[app:main]\nuse = egg:wsgikit#static\ndirectory = %(here)s/public\n",
        encoding="utf-8",
    )
    argv = [sys.executable, "-m", "wsgikit", "serve", str(config)]
    status, body, log = serve_and_get(argv, port, "/", tmp_path / "serve.log")
    assert (status, body) == (200, b"served by the docs' block\n"), log
    if server == "gunicorn":
        assert log.count("Booting worker") == 4, log  # workers = 4 from the block


@pytest.mark.integration
def test_uwsgi_paste_command_serves_and_logs(tmp_path: Path, tool: Callable[..., str]) -> None:
    """deploy/servers.rst's ``uwsgi --paste … --paste-logger`` line, run as written (free port)."""
    (console,) = [b for b in blocks("deploy/servers.rst", "console") if "uwsgi --paste" in b]
    line = console.replace("\\\n", " ").split("$ uwsgi --paste", 1)[1].splitlines()[0]
    words = ["--paste", *shlex.split(line.replace("$PWD", str(ROOT)))]
    port = free_port()
    words[words.index("--http-socket") + 1] = f"127.0.0.1:{port}"
    uwsgi = tool("uwsgi", "pip install uwsgi", path=str(Path(sys.executable).parent))
    status, body, log = serve_and_get(
        [uwsgi, *words], port, "/items", tmp_path / "uwsgi.log", {"X-Auth-Token": "jsonapi-demo-token"}
    )
    assert status == 200, log
    assert json.loads(body) is not None
    # --paste-logger applied production.ini's logging sections: its formatter, the access filter's JSON line
    assert re.search(r"INFO \[wsgikit\.access\] \{.*\"path\":\"/items\".*\"status\":200", log), log
    assert "Traceback" not in log


@pytest.mark.integration
def test_access_log_logging_block_serves_and_logs(tmp_path: Path) -> None:
    """middleware/access_log.rst's example (filter and logging sections) under ``wsgikit serve``."""
    (block,) = [b for b in blocks("middleware/access_log.rst", "ini") if "[loggers]" in b]
    (tmp_path / "public").mkdir()
    (tmp_path / "public" / "index.html").write_text("hello\n", encoding="utf-8")
    config = tmp_path / "paste.ini"
    config.write_text(
        block + "\n[pipeline:main]\npipeline = access_log files\n\n"
        "[app:files]\nuse = egg:wsgikit#static\ndirectory = %(here)s/public\n",
        encoding="utf-8",
    )
    port = free_port()
    argv = [sys.executable, "-m", "wsgikit", "serve", str(config), "--port", str(port)]
    status, _, log = serve_and_get(argv, port, "/", tmp_path / "serve.log")
    assert status == 200, log
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    assert [(line["method"], line["path"], line["status"]) for line in lines] == [("GET", "/", 200)], log


def ini_sections(page: str) -> list[tuple[str, int, str]]:
    """``(page, block, section)`` for the ``[filter:…]``/``[app:…]`` of ``egg:wsgikit#…`` in ini blocks."""
    found = []
    for index, block in enumerate(blocks(page, "ini")):
        parser = configparser.ConfigParser(interpolation=None)
        parser.read_string(block)
        for section in parser.sections():
            if section.startswith(("filter:", "app:")) and parser[section].get("use", "").startswith(
                "egg:wsgikit#"
            ):
                found.append((page, index, section))
    return found


SECTIONS = [
    found
    for page in sorted(str(p.relative_to(DOCS)) for p in (DOCS / "middleware").glob("*.rst"))
    for found in ini_sections(page)
]

# What a snippet names on the reader's machine, made to exist in the test's directory (``%(here)s``).
READER_PATHS = {
    "/var/log/api/": "%(here)s/",
    "/etc/compute/healthcheck_disable": "%(here)s/healthcheck_disable",
    "checks = compute.health:database": "checks = os.path:isdir",  # the reader's own check function
}


@pytest.mark.parametrize(
    ("page", "index", "section"), SECTIONS, ids=[f"{p}[{i}][{s}]" for p, i, s in SECTIONS]
)
def test_middleware_snippet_loads_and_serves(page: str, index: int, section: str, tmp_path: Path) -> None:
    """Every middleware page's ini section, as written, loads by ``use = egg:wsgikit#…`` and serves.

    A filter is put in front of a static app; an app is served itself. Paths on the reader's machine are
    moved into the test's directory (:data:`READER_PATHS`), and files the options require are created.
    """
    block = blocks(page, "ini")[index]
    for old, new in READER_PATHS.items():
        block = block.replace(old, new)
    one = configparser.ConfigParser(interpolation=None)
    one.read_string(block)
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_dict({section: dict(one[section])})
    (tmp_path / "htpasswd").write_text("", encoding="utf-8")
    (tmp_path / "tokens").write_text("", encoding="utf-8")
    (tmp_path / "static").mkdir()
    (tmp_path / "public").mkdir()
    (tmp_path / "public" / "index.html").write_text("hello\n", encoding="utf-8")
    kind, _, name = section.partition(":")
    if kind == "filter":
        parser.read_dict(
            {
                "pipeline:main": {"pipeline": f"{name} files"},
                "app:files": {"use": "egg:wsgikit#static", "directory": "%(here)s/public"},
            }
        )
    else:
        parser.read_dict({"composite:main": {"use": "egg:wsgikit#urlmap", "/": name}})
    config = tmp_path / "paste.ini"
    with config.open("w", encoding="utf-8") as f:
        parser.write(f)
    client = TestApp(f"config:{config}")
    answer = client.get("/", expect_errors=True)
    # the proxy's backend (the reader's legacy service) is not running: a 502, which is its right answer
    expected = 502 if section == "app:legacy" else None
    assert answer.status_int == expected if expected else answer.status_int < 500, answer


NGINX_LINE = re.compile(r"nginx -p (\S+) -c (\S+) -g '([^']*)'")
NGINX_COMMANDS = sorted(
    (str(path.relative_to(DOCS)), match.groups())
    for path in (DOCS / "deploy").glob("*.rst")
    for block in blocks(str(path.relative_to(DOCS)), "console")
    for match in NGINX_LINE.finditer(block)
)


@pytest.mark.parametrize(("page", "command"), NGINX_COMMANDS, ids=[f"{p}:{c[1]}" for p, c in NGINX_COMMANDS])
def test_nginx_command_lines_are_valid(
    page: str, command: tuple[str, str, str], tmp_path: Path, tool: Callable[..., str]
) -> None:
    """Each page's ``nginx -p PREFIX -c $PWD/paste-configs/X.conf -g '…'`` passes ``nginx -t`` as written.

    Only the prefix moves into the test's directory; serving these files for real, on free ports, is the
    server matrix's job (tests/integration).
    """
    prefix, conf, directives = command
    assert conf.startswith("$PWD/paste-configs/"), conf
    assert (ROOT / conf.removeprefix("$PWD/")).is_file(), conf
    nginx = tool("nginx", "apt-get install nginx")
    argv = [nginx, "-t", "-p", f"{tmp_path}/", "-c", str(ROOT / conf.removeprefix("$PWD/")), "-g", directives]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, (page, prefix, done.stderr)
