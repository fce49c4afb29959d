"""The access log's file output on a real pre-fork server: two gunicorn workers append to one file while
client threads hammer them, and the real ``logrotate`` rotates it half-way (``create`` mode, with
``compress`` and ``delaycompress``: no ``copytruncate``, no signal to the server).

Every request must appear exactly once, every line must be whole JSON, and the requests made after the
rotation must land in the new file.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

INI = """\
[pipeline:main]
pipeline = access_log hello

[filter:access_log]
use = egg:wsgikit#access_log
format = json
file = access.log

[app:hello]
use = egg:wsgikit-hello
"""

THREADS, PER_THREAD = 6, 25
AGENT = "load-test/1.0 " + "x" * 3000  # long lines: a torn write would show


def get(port: int, path: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers={"User-Agent": AGENT})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def hammer(port: int, phase: str) -> list[str]:
    """``THREADS x PER_THREAD`` concurrent requests; the paths that were answered 200."""
    answered: list[str] = []
    lock = threading.Lock()

    def run(thread: int) -> None:
        for i in range(PER_THREAD):
            path = f"/hello/{phase}-{thread}-{i}"
            if get(port, path) == 200:
                with lock:
                    answered.append(path)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return answered


def logged_paths(path: Path, *, writing: bool = False) -> list[str]:
    """The paths of the lines in the log. ``writing``: a worker may be writing a batch while we read (a read
    can see part of a write), so the text after the last newline is not a line yet and is left out."""
    text = path.read_bytes().decode("utf-8", "replace" if writing else "strict")
    if writing:
        text = text[: text.rfind("\n") + 1]
    paths = []
    for line in text.splitlines():
        document = json.loads(line)  # a torn or interleaved line fails here
        assert document["user_agent"] == AGENT and document["status"] == 200
        paths.append(document["path"])
    return paths


LOGROTATE_CONF = """\
{log} {{
    rotate 3
    create
    compress
    delaycompress
    missingok
}}
"""


def logrotate(binary: str, tmp_path: Path) -> None:
    conf = tmp_path / "logrotate.conf"
    conf.write_text(LOGROTATE_CONF.format(log=tmp_path / "access.log"), encoding="utf-8")
    conf.chmod(0o644)
    done = subprocess.run(
        [binary, "--force", "--state", str(tmp_path / "logrotate.state"), str(conf)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_two_workers_share_one_rotated_file(tmp_path, start_server, port_factory, logrotate_bin):
    config = tmp_path / "api.ini"
    config.write_text(INI, encoding="utf-8")
    port = port_factory()
    argv = [sys.executable, "-m", "wsgikit", "serve", str(config), "--server", "gunicorn"]
    process = start_server(
        "access-log-file", [*argv, "--workers", "2", "--port", str(port)], port=port, cwd=tmp_path
    )
    deadline = time.monotonic() + 30
    while process.log().count("Booting worker") < 2:
        assert time.monotonic() < deadline, process.log()
        time.sleep(0.1)

    before = hammer(port, "before")
    logrotate(logrotate_bin, tmp_path)  # access.log -> access.log.1, a new empty access.log
    time.sleep(1.1)  # each worker looks at the path again once a second
    after = hammer(port, "after")
    assert process.stop() == 0, process.log()

    assert len(before) == len(after) == THREADS * PER_THREAD
    rotated, current = logged_paths(tmp_path / "access.log.1"), logged_paths(tmp_path / "access.log")
    assert sorted(rotated) == sorted(before)
    assert sorted(current) == sorted(after)
    assert "Traceback" not in process.log()


BUFFERED_INI = INI.replace("file = access.log\n", "file = access.log\nbuffer = 64KiB\nflush = {flush}\n")


@pytest.mark.parametrize("server", ["gunicorn", "uwsgi"])
@pytest.mark.parametrize("flush", ["60s", "200ms"])
def test_two_workers_buffering_lose_no_line_when_stopped(
    request, tmp_path, start_server, port_factory, flush, server
):
    """``buffer``: each worker writes whole batches of lines; with ``flush = 60s`` nothing but a full
    buffer or the worker's exit (gunicorn and uWSGI stop their workers with a signal, and the workers run
    their exit handlers) writes them, with ``200ms`` the timer thread does, before the server is stopped.
    The stop is prompt: at exit the timer threads are told to stop but not joined (in a uWSGI worker
    stopping on a signal the thread never runs again, and a join hung until the master's mercy ran out)."""
    config = tmp_path / "api.ini"
    config.write_text(BUFFERED_INI.format(flush=flush), encoding="utf-8")
    port = port_factory()
    if server == "gunicorn":
        argv = [sys.executable, "-m", "wsgikit", "serve", str(config), "--server", "gunicorn"]
        argv += ["--workers", "2", "--port", str(port)]
        booted = "Booting worker"
    else:
        uwsgi = request.getfixturevalue("uwsgi_bin")
        argv = [uwsgi, "--paste", f"config:{config}", "--master", "--processes", "2", "--die-on-term"]
        argv += ["--need-app", "--strict", "--http-socket", f"127.0.0.1:{port}", "--virtualenv", sys.prefix]
        booted = "spawned uWSGI worker"
    process = start_server(f"access-log-buffered-{server}", argv, port=port, cwd=tmp_path)
    deadline = time.monotonic() + 30
    while process.log().count(booted) < 2:
        assert time.monotonic() < deadline, process.log()
        time.sleep(0.1)

    answered = hammer(port, "buffered")
    assert len(answered) == THREADS * PER_THREAD
    if flush == "200ms":
        deadline = time.monotonic() + 10
        while len(logged_paths(tmp_path / "access.log", writing=True)) < len(answered):
            assert time.monotonic() < deadline, "the timer did not write the last lines"
            time.sleep(0.05)
    else:  # 150 lines of 3 KB: some batches went out when the buffers filled, the rest wait
        assert 0 < len(logged_paths(tmp_path / "access.log", writing=True)) < len(answered)
    stopping = time.monotonic()
    if server == "gunicorn":  # every process at once, as systemd stops a service (KillMode=control-group)
        os.killpg(process.process.pid, signal.SIGTERM)
    # uWSGI is stopped through its master, the way its docs say to: signalled directly as well, a worker
    # may still be writing its buffer when the master's SIGINT ends it (KillMode=mixed in systemd)
    assert process.stop() == 0, process.log()
    assert time.monotonic() - stopping < 10, process.log()
    assert sorted(logged_paths(tmp_path / "access.log")) == sorted(answered)
    assert "Traceback" not in process.log() and "NO MERCY" not in process.log()
