"""Every code block of docs/guide/tutorial.rst runs, so the tutorial cannot rot.

Python blocks run in order in one namespace (later steps build on earlier ones); the shell commands run
(``serve`` is parsed, and served for real by the gunicorn test); the uWSGI block is served for real by
uWSGI on 127.0.0.1; the nginx block is checked by ``nginx -t``.
"""

from __future__ import annotations

import contextlib
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
from itertools import takewhile
from pathlib import Path

import pytest
from ports import free_port

from wsgikit.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "guide" / "tutorial.rst"
BLOCK = re.compile(r"^\.\. code-block:: (\w+)\n\n((?:(?:   .*)?\n)+)", re.MULTILINE)


def blocks(language: str) -> list[str]:
    text = PAGE.read_text(encoding="utf-8")
    return [textwrap.dedent(m.group(2)) for m in BLOCK.finditer(text) if m.group(1) == language]


def test_every_block_is_covered() -> None:
    text = PAGE.read_text(encoding="utf-8")
    languages = {m.group(1) for m in BLOCK.finditer(text)}
    assert languages == {"python", "console", "ini", "nginx"}, "a new block language needs a runner here"
    assert len(blocks("python")) >= 5
    assert "Everything on this page runs from the root of a clone" in text  # as the tests below run it


def test_python_blocks_run_in_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # the page uses repository-relative paths, as a reader in a clone would
    monkeypatch.setenv("WSGIKIT_COMPUTE_DB", str(tmp_path / "unused.sqlite3"))  # restored after the test
    monkeypatch.delenv("WSGIKIT_COMPUTE_AUTH", raising=False)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    module = types.ModuleType("tutorial")
    sys.modules[module.__name__] = module
    try:
        for index, code in enumerate(blocks("python")):
            exec(compile(code, f"tutorial.rst[python {index}]", "exec"), module.__dict__)
    finally:
        del sys.modules[module.__name__]


def expected_output(command_line: str) -> list[str]:
    """The lines the page shows under ``command_line``, up to the next command."""
    for block in blocks("console"):
        lines = block.splitlines()
        if command_line in lines:
            after = lines[lines.index(command_line) + 1 :]
            output = takewhile(lambda line: not line.startswith("$ "), after)
            return [line.rstrip() for line in output if line]
    raise AssertionError(command_line)


def test_console_commands_run(tmp_path: Path) -> None:
    """``check``/``show``/``routes`` run for real; ``serve`` is parsed here and run by the gunicorn test."""
    lines = [line for block in blocks("console") for line in block.splitlines() if line.startswith("$ ")]
    assert lines
    shown = {line: expected_output(line) for line in lines}
    env = {**os.environ, "WSGIKIT_COMPUTE_DB": str(tmp_path / "compute.sqlite3")}
    env.pop("WSGIKIT_COMPUTE_AUTH", None)
    for line in lines:
        words = shlex.split(line[2:], comments=True)
        assert words[0] == "wsgikit", line
        args = build_parser().parse_args(words[1:])
        configs = args.config if isinstance(args.config, list) else [args.config]  # check takes several
        assert all((ROOT / config.partition("#")[0]).is_file() for config in configs), line
        if args.command == "serve":
            continue
        result = subprocess.run(
            [sys.executable, "-m", "wsgikit", *words[1:]],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, (line, result.stdout, result.stderr)
        assert result.stdout.strip(), line
        printed = [out.rstrip() for out in result.stdout.splitlines()]
        assert shown[line] == printed[: len(shown[line])], "the page shows other output than is printed"


@pytest.mark.integration
def test_uwsgi_block_serves_the_service_and_logs_requests(tmp_path: Path, tool: Callable[..., str]) -> None:
    """The block as saved next to nova-style.ini: uWSGI serves the API, and ``paste-logger`` applies the
    ini's logging sections, so the access log filter's request lines reach uWSGI's log."""
    (block,) = blocks("ini")
    port = free_port()
    # the block, saved next to nova-style.ini as the page says, listening on a free loopback port
    config = tmp_path / "compute-uwsgi.ini"
    text = block.replace("%dnova-style.ini", f"{ROOT / 'paste-configs'}/nova-style.ini")
    text = text.replace("socket = 127.0.0.1:3031", f"http-socket = 127.0.0.1:{port}")
    config.write_text(text)
    env = {**os.environ, "WSGIKIT_COMPUTE_DB": str(tmp_path / "compute.sqlite3")}
    env.pop("WSGIKIT_COMPUTE_AUTH", None)
    uwsgi = tool("uwsgi", "pip install uwsgi", path=str(Path(sys.executable).parent))
    log = tmp_path / "uwsgi.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [uwsgi, "--ini", str(config)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: teardown reaches the workers too
        )
    try:
        deadline = time.monotonic() + 30
        body = b""
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    body = response.read()
                break
            except OSError:
                time.sleep(0.2)
        assert b'"v2.1"' in body, log.read_text(errors="replace")
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/v2.1/flavors", headers={"X-Auth-Token": "demo-token"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
        deadline = time.monotonic() + 10  # the worker writes the line after the response
        while '"GET /v2.1/flavors HTTP/1.1" 200' not in log.read_text(errors="replace"):
            assert time.monotonic() < deadline, log.read_text(errors="replace")
            time.sleep(0.1)
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:  # pragma: no cover - only if uWSGI hangs
            proc.kill()
            proc.wait(5)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)  # a worker the master left behind must not outlive the test
    printed = log.read_text(errors="replace")
    assert "[wsgikit.access]" in printed  # through the ini's formatter, not a default one
    assert "Traceback" not in printed
    assert "KeyError" not in printed


def test_nginx_block_is_valid(tmp_path: Path, tool: Callable[..., str]) -> None:
    (block,) = blocks("nginx")
    nginx = tool("nginx", "apt-get install nginx")
    conf = tmp_path / "nginx.conf"
    (tmp_path / "uwsgi_params").write_text("uwsgi_param REQUEST_METHOD $request_method;\n")
    conf.write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log stderr;\nevents {{}}\n"
        f"http {{\n access_log off;\n client_body_temp_path {tmp_path};\n proxy_temp_path {tmp_path};\n"
        f" fastcgi_temp_path {tmp_path};\n uwsgi_temp_path {tmp_path};\n scgi_temp_path {tmp_path};\n"
        f"{block}}}\n"
    )
    result = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(conf)], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
