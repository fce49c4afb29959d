"""docs/reference/cli.rst: every ``$`` command of the page runs, for real, and prints what the page shows.

The commands run in a scratch directory that holds what the page's commands name: copies of
``paste-configs/`` and the ``tests/data`` files, and the reader's own files, written here (``api.ini`` whose
access log cannot be opened, ``service.py`` — the README's service —, ``site.ini``). ``/srv/api/``
becomes that directory and port 9000 a free one; ``...`` in the shown output matches anything.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from ports import free_port

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "reference" / "cli.rst"
CONSOLE = re.compile(r"^\.\. code-block:: console\n\n((?:(?:   .*)?\n)+)", re.MULTILINE)

API_INI = """\
[pipeline:main]
pipeline = access_log api

[filter:access_log]
use = egg:wsgikit#access_log
file = /srv/api/logs/access.log

[app:api]
use = egg:wsgikit-hello
"""
SITE_INI = """\
[pipeline:main]
pipeline = request_id hello

[filter:request_id]
use = egg:wsgikit#request_id

[app:hello]
use = egg:wsgikit-hello
"""


def page_commands() -> list[tuple[str, list[str]]]:
    """``(command, shown output lines)`` for each ``$`` line of the page, continuations joined."""
    commands: list[tuple[str, list[str]]] = []
    for block in CONSOLE.finditer(PAGE.read_text(encoding="utf-8")):
        lines = textwrap.dedent(block.group(1)).strip("\n").splitlines()
        while lines:
            line = lines.pop(0)
            if line.startswith("$ "):
                parts = [line[2:]]
                while parts[-1].endswith("\\"):
                    parts.append(lines.pop(0))
                commands.append(("\n".join(parts), []))
            elif line.strip():
                commands[-1][1].append(line)
    return commands


def shown_pattern(shown: list[str]) -> re.Pattern[str]:
    pieces = [r"\s*".join(map(re.escape, piece.split())) for piece in " ".join(shown).split("...")]
    return re.compile(r"\s*" + r".*?".join(pieces) + r"\s*$", re.DOTALL)


@pytest.fixture
def reader(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """The scratch directory and the substitutions for the page's text."""
    shutil.copytree(
        ROOT / "paste-configs", tmp_path / "paste-configs", ignore=shutil.ignore_patterns("*.sqlite3*")
    )
    for part in ("broken/typo_option.ini", "openstack/nova-api-paste.ini"):
        (tmp_path / "tests" / "data" / part).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / "tests" / "data" / part, tmp_path / "tests" / "data" / part)
    replace = {"/srv/api/": f"{tmp_path}/srv/api/", "9000": str(free_port())}
    (tmp_path / "srv" / "api" / "logs" / "access.log").mkdir(parents=True)  # in the way of the log file
    (tmp_path / "api.ini").write_text(substitute(API_INI, replace), encoding="utf-8")
    (tmp_path / "site.ini").write_text(SITE_INI, encoding="utf-8")
    (readme_code,) = re.findall(
        r"```python\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.DOTALL
    )
    (tmp_path / "service.py").write_text(readme_code, encoding="utf-8")
    return tmp_path, replace


def substitute(text: str, replace: dict[str, str]) -> str:
    for old, new in replace.items():
        text = text.replace(old, new)
    return text


def test_the_page_shows_every_command() -> None:
    programs = [command.split("wsgikit ", 1)[1].split()[0] for command, _ in page_commands()]
    assert programs == ["check", "check", "check", "show", "serve", "cgi"]


@pytest.mark.integration
def test_every_command_prints_what_the_page_shows(reader: tuple[Path, dict[str, str]]) -> None:
    cwd, replace = reader
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.update(PYTHONPATH=str(cwd), PYTHONUNBUFFERED="1")
    env.pop("WSGIKIT_COMPUTE_AUTH", None)
    for command, shown in page_commands():
        text = substitute(command, replace)
        expected = shown_pattern([substitute(line, replace) for line in shown])
        if " serve " in text:  # a server: runs until stopped; what it prints on start-up is compared
            output = served_output(text, cwd, env, int(replace["9000"]))
        else:
            done = subprocess.run(
                ["bash", "-c", f"{text} 2>&1"], cwd=cwd, env=env, capture_output=True, timeout=120, text=True
            )
            output = done.stdout
            # check reports problems with status 1, as the page's exit-status table says
            assert done.returncode == (1 if "problem(s)" in " ".join(shown) else 0), (text, output)
        assert expected.match(output), (text, "\n".join(shown), output)


def served_output(command: str, cwd: Path, env: dict[str, str], port: int) -> str:
    log = cwd / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            ["bash", "-c", f"exec {command}"],
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log.read_text(errors="replace")
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", port), timeout=5) as sock,
            ):
                sock.sendall(b"GET /servers/1 HTTP/1.0\r\nHost: x\r\n\r\n")
                assert b'"web-1"' in sock.makefile("rb").read()
                break
            assert time.monotonic() < deadline, log.read_text(errors="replace")
            time.sleep(0.2)
    finally:
        for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(wait)
                break
    return log.read_text(errors="replace").splitlines()[0] + "\n"
