"""``wsgikit serve`` for real: each ``--server`` serves paste-configs/example.ini and stops cleanly.

Answers are compared with the same config loaded in this process.
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from wsgikit.deploy import loadapp

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_INI = ROOT / "paste-configs" / "example.ini"

HELLO_INI = "[app:main]\nuse = egg:wsgikit-hello\n"

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def _example_data_in_tmp(tmp_path, monkeypatch):
    # example.ini's compute service keeps an SQLite file next to the ini unless told otherwise
    monkeypatch.setenv("WSGIKIT_COMPUTE_DB", str(tmp_path / "compute.sqlite3"))


def assert_same_as_in_process(client, local_client, config: Path, path: str) -> None:
    served = client.get(path, expect_errors=True)
    local = local_client(loadapp(f"config:{config}")).get(path, expect_errors=True)
    assert served.status_int < 500
    assert (served.status, served.content_type, served.body) == (local.status, local.content_type, local.body)


def serve_argv(config: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "wsgikit", "serve", str(config), *args]


@pytest.mark.parametrize("server", ["wsgiref", "waitress", "gunicorn"])
@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_serve_example_and_stop(server, stop_signal, start_server, port_factory, http_client, local_client):
    port = port_factory()
    process = start_server(
        f"serve-{server}", serve_argv(EXAMPLE_INI, "--server", server, "--port", str(port)), port=port
    )
    assert_same_as_in_process(http_client(port), local_client, EXAMPLE_INI, "/")

    assert process.stop(stop_signal) == 0, process.log()
    log = process.log()
    assert f"with {server}" in log
    assert f"http://127.0.0.1:{port}" in log
    assert "Traceback" not in log


def test_gunicorn_runs_the_requested_workers(tmp_path, start_server, port_factory, http_client, local_client):
    config = tmp_path / "hello.ini"
    config.write_text(HELLO_INI, encoding="utf-8")
    port = port_factory()
    process = start_server(
        "serve-gunicorn-2",
        serve_argv(config, "--server", "gunicorn", "--port", str(port), "--workers", "2"),
        port=port,
    )
    wait_for(lambda: process.log().count("Booting worker") == 2, "both workers to boot")
    assert_same_as_in_process(http_client(port), local_client, config, "/hello/x")
    assert process.stop() == 0, process.log()
    assert process.log().count("Booting worker") == 2


def test_bad_config_exits_1_naming_the_problem(tmp_path):
    broken = tmp_path / "broken.ini"
    broken.write_text(HELLO_INI + "\n[server:main]\nuse = egg:wsgikit#waitress\nprot = 1\n", encoding="utf-8")
    result = subprocess.run(serve_argv(broken), capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 1
    assert f"{broken}:6 [server:main] prot: " in result.stderr  # the line, as `wsgikit check` gives it
    assert "did you mean 'port'" in result.stderr
    assert "Traceback" not in result.stderr


def wait_for(predicate, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)


def test_reload_restarts_when_the_ini_changes(
    tmp_path, start_server, port_factory, http_client, local_client
):
    port = port_factory()
    config = tmp_path / "reload.ini"
    config.write_text(HELLO_INI, encoding="utf-8")
    process = start_server("serve-reload", serve_argv(config, "--reload", "--port", str(port)), port=port)
    client = http_client(port)
    assert_same_as_in_process(client, local_client, config, "/hello/before")

    edits: list[float] = []

    def edit_until_restarted() -> bool:
        # hupper notes a file's mtime when it first polls it (once a second): an edit made before that
        # poll is not a change to it, so edit again, every few seconds, until the restart shows.
        if process.log().count("with waitress on") >= 2:
            return True
        if not edits or time.monotonic() - edits[-1] > 3:
            edits.append(time.monotonic())
            config.write_text(HELLO_INI + "\n# edited\n" * len(edits), encoding="utf-8")
        return False

    wait_for(edit_until_restarted, "the restarted server")
    wait_for(lambda: _answers(client), "the restarted server to answer")
    assert_same_as_in_process(client, local_client, config, "/hello/after")

    assert process.stop() == 0, process.log()
    log = process.log()
    assert "reload.ini changed; reloading" in log  # hupper's line
    assert "Traceback" not in log


def _answers(client) -> bool:
    try:
        return client.get("/", expect_errors=True).status_int == 200
    except OSError:
        return False


# -- module:callable, like waitress-serve and gunicorn -----------------------------------------------------


def readme_service() -> tuple[str, list[str]]:
    """The README's 15-line example and the command the README gives for serving it."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## A service in 15 lines", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    command = re.search(r"`(wsgikit serve [^`]+)`", section)
    assert code and command, "the README's example section no longer has its code block and serve command"
    return code.group(1), command.group(1).split()


def test_readme_service_is_served_as_the_readme_says(tmp_path, start_server, port_factory, http_client):
    code, command = readme_service()
    assert command == ["wsgikit", "serve", "service:app"]
    (tmp_path / "service.py").write_text(code, encoding="utf-8")
    port = port_factory()
    wsgikit = shutil.which("wsgikit", path=str(Path(sys.executable).parent))
    assert wsgikit is not None
    # the README's command as written, from the directory holding service.py; only the port is added
    process = start_server("readme", [wsgikit, *command[1:], "--port", str(port)], port=port, cwd=tmp_path)
    client = http_client(port)

    found = client.get("/servers/1")
    assert (found.status_int, found.content_type) == (200, "application/json")
    assert found.json == {"server": {"id": "1", "name": "web-1"}}
    missing = client.get("/servers/2", status=404)
    assert missing.content_type == "application/problem+json"
    assert missing.json["detail"] == "no server 2"
    refused = client.delete("/servers/1", status=405)
    assert refused.headers["Allow"] == "GET, HEAD, OPTIONS"

    assert process.stop() == 0, process.log()
    assert f"serving service:app with waitress on http://127.0.0.1:{port}" in process.log()


def test_serve_calls_a_factory_with_literal_arguments(tmp_path, start_server, port_factory, http_client):
    (tmp_path / "factory.py").write_text(
        "def make(greeting='hello'):\n"
        "    def app(environ, start_response):\n"
        "        start_response('200 OK', [('Content-Type', 'text/plain')])\n"
        "        return [greeting.encode()]\n"
        "    return app\n",
        encoding="utf-8",
    )
    port = port_factory()
    argv = [sys.executable, "-m", "wsgikit", "serve", "factory:make(greeting='hi')", "--server", "wsgiref"]
    process = start_server("factory", [*argv, "--port", str(port)], port=port, cwd=tmp_path)
    assert http_client(port).get("/").body == b"hi"
    assert process.stop() == 0, process.log()
