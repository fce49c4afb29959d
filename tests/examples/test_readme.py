"""README.md's promises: the 15-line example runs and behaves as described; the two commands come first."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
import types
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ports import free_port

from wsgikit.testing import TestApp

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"


def test_fifteen_line_example_runs_as_described() -> None:
    text = README.read_text(encoding="utf-8")
    (code,) = re.findall(r"```python\n(.*?)```", text, re.DOTALL)
    assert len(code.strip().splitlines()) <= 15
    module = types.ModuleType("readme_example")
    sys.modules[module.__name__] = module
    try:
        exec(compile(code, "README.md", "exec"), module.__dict__)
    finally:
        del sys.modules[module.__name__]
    client = TestApp(module.app)
    assert client.get("/servers/1").json == {"server": {"id": "1", "name": "web-1"}}
    assert client.get("/servers/2", status=404).content_type == "application/problem+json"
    assert client.delete("/servers/1", status=405).headers["Allow"] == "GET, HEAD, OPTIONS"


def test_two_commands_come_before_anything_else() -> None:
    text = README.read_text(encoding="utf-8")
    first_block = re.search(r"```console\n(.*?)```", text, re.DOTALL)
    assert first_block is not None
    commands = [line.split("#")[0].strip() for line in first_block.group(1).splitlines()]
    assert commands == ["make run", "make test"]
    assert text.index("make run") < text.index("```python")


QUICKSTART = ROOT / "docs" / "quickstart.rst"


def quickstart_curls() -> list[list[str]]:
    """The curl lines of docs/quickstart.rst (what ``make run`` prints), as argument lists."""
    text = QUICKSTART.read_text(encoding="utf-8").replace("\\\n", " ")
    return [shlex.split(line.strip()[2:]) for line in text.splitlines() if line.strip().startswith("$ curl")]


def quickstart_curl(argv: list[str], host: str, port: int) -> tuple[int, Any]:
    """``curl -s [-H ...] [-d BODY] URL`` (the quickstart's options) to ``host:port``, over a socket."""
    headers: dict[str, str] = {}
    body: bytes | None = None
    words = iter(argv[1:])
    url = ""
    for word in words:
        if word == "-H":
            name, _, value = next(words).partition(":")
            headers[name] = value.strip()
        elif word == "-d":
            body = next(words).encode()
        elif word != "-s":
            url = word
    assert url.startswith("http://127.0.0.1:8080/"), url
    connection = http.client.HTTPConnection(host, port, timeout=30)
    try:
        path = url.removeprefix("http://127.0.0.1:8080")
        connection.request("POST" if body is not None else "GET", path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def stop_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group this test started (make and the server it runs), then SIGKILL."""
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(wait)
            return


@pytest.mark.integration
def test_make_run_serves_on_the_given_host_and_port(tmp_path: Path, tool: Callable[..., str]) -> None:
    """``make run HOST=… PORT=…`` serves there, the curl lines it prints use that address, and the
    quickstart's three curl commands get the answers the page describes: versions, a 202, the 2.19 list.

    127.0.0.2 (any 127.x address is loopback on Linux) shows that HOST is honoured: nothing answers on
    127.0.0.1 at that port. The venv is this test's own (``VENV=`` its prefix); ``-o`` tells make not to
    re-install into it, so only the ``run`` recipe is under test.
    """
    make = tool("make", "apt-get install make")
    host, port = "127.0.0.2", free_port("127.0.0.2")
    venv = sys.prefix
    env = {**os.environ, "WSGIKIT_COMPUTE_DB": str(tmp_path / "compute.sqlite3")}
    env.pop("WSGIKIT_COMPUTE_AUTH", None)
    log = tmp_path / "make-run.log"
    argv = [make, "--no-print-directory", "-o", f"{venv}/.installed", "run", f"VENV={venv}"]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*argv, f"HOST={host}", f"PORT={port}"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so that the server make started is stopped too
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log.read_text(errors="replace")
            try:
                with urllib.request.urlopen(f"http://{host}:{port}/", timeout=10) as answer:
                    document = json.load(answer)
                break
            except OSError:
                assert time.monotonic() < deadline, log.read_text(errors="replace")
                time.sleep(0.2)
        assert document["versions"][0]["id"] == "v2.1"
        answers = [quickstart_curl(argv, host, port) for argv in quickstart_curls()]
        assert [status for status, _ in answers] == [200, 202, 200]
        (listed,) = answers[2][1]["servers"]
        assert listed["name"] == "web-1"
        assert listed["locked"] is False and listed["description"] is None  # the fields of 2.9 and 2.19
        with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=5):
            pass
    finally:
        stop_group(process)
    printed = log.read_text(errors="replace")
    assert f"Serving paste-configs/example.ini on http://{host}:{port}" in printed
    assert f"curl -s http://{host}:{port}/" in printed
    assert "8080" not in printed.split("wsgikit serve")[0]  # every printed address is the one asked for


def test_the_data_lives_where_the_readme_says_and_resets_as_it_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``paste-configs/compute.sqlite3`` by default, ``WSGIKIT_COMPUTE_DB`` moves it, ``rm -f …*`` resets it.

    Run on a copy of ``paste-configs`` so that the checkout's own database is left alone.
    """
    text = README.read_text(encoding="utf-8")
    assert "The data lives in `paste-configs/compute.sqlite3`" in text
    assert "`WSGIKIT_COMPUTE_DB=/path/to/file.sqlite3 make run`" in text
    assert "`rm -f paste-configs/compute.sqlite3*`" in text
    configs = tmp_path / "paste-configs"
    shutil.copytree(ROOT / "paste-configs", configs, ignore=shutil.ignore_patterns("*.sqlite3*"))
    monkeypatch.delenv("WSGIKIT_COMPUTE_AUTH", raising=False)
    token = {"X-Auth-Token": "demo-token"}
    body = {"server": {"name": "web-1", "flavorRef": "1"}}

    def servers() -> list[str]:
        client = TestApp(f"config:{configs / 'example.ini'}")
        return [server["name"] for server in client.get("/v2.1/servers", headers=token).json["servers"]]

    monkeypatch.delenv("WSGIKIT_COMPUTE_DB", raising=False)
    TestApp(f"config:{configs / 'example.ini'}").post_json("/v2.1/servers", body, headers=token, status=202)
    assert (configs / "compute.sqlite3").is_file()
    assert servers() == ["web-1"]  # kept across a restart

    elsewhere = tmp_path / "elsewhere.sqlite3"
    monkeypatch.setenv("WSGIKIT_COMPUTE_DB", str(elsewhere))
    assert servers() == []
    assert elsewhere.is_file()

    monkeypatch.delenv("WSGIKIT_COMPUTE_DB")
    for path in configs.glob("compute.sqlite3*"):  # rm -f paste-configs/compute.sqlite3*
        path.unlink()
    assert servers() == []


def test_the_apt_packages_listed_are_the_ones_ci_installs() -> None:
    """The README's list of apt packages is ``.ci/run``'s ``need`` lines: one added there is named here."""
    text = README.read_text(encoding="utf-8")
    listed = re.search(r"apt packages: ((?:`[\w.+-]+`,?\s*)+)", text)
    assert listed is not None
    needed = re.findall(
        r"^\s*need \S+ (\S+)", (ROOT / ".ci" / "run").read_text(encoding="utf-8"), re.MULTILINE
    )
    assert re.findall(r"`([\w.+-]+)`", listed.group(1)) == needed


def test_the_pythons_ci_runs_are_the_ones_the_classifiers_claim() -> None:
    text = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    (pythons,) = re.findall(r"^pythons=\(([^)]*)\)", text, re.MULTILINE)
    with (ROOT / "pyproject.toml").open("rb") as f:
        project = tomllib.load(f)["project"]
    classifier = re.compile(r"Programming Language :: Python :: (3\.\d+)")
    claimed = [match.group(1) for c in project["classifiers"] if (match := classifier.fullmatch(c))]
    assert pythons.split() == claimed
    assert project["requires-python"] == f">={claimed[0]}"
    readme = README.read_text(encoding="utf-8")
    assert f"Python {', '.join(claimed[:-1])} or {claimed[-1]} as `python3`" in readme
