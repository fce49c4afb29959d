"""The access log's direct file output: one O_APPEND write per line, rotation followed, failures reported."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from wsgikit.deploy.components.access_log import filter_factory
from wsgikit.deploy.options import ConfigError
from wsgikit.middleware import _logfile
from wsgikit.middleware.access_log import AccessLogMiddleware, LogFile
from wsgikit.testing import TestApp


def app_with(chunks: list[bytes], status: str = "200 OK") -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response(status, [("Content-Type", "text/plain")])
        return list(chunks)

    return app


def test_lines_are_appended_to_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "access.log"
    path.write_text("kept\n")
    log = LogFile(str(path))
    log.write("one", time.time())
    log.write("two", time.time())
    assert path.read_text() == "kept\none\ntwo\n"
    log.close()


def test_a_missing_file_is_created(tmp_path: Path) -> None:
    path = tmp_path / "new.log"
    LogFile(str(path)).write("line", time.time())
    assert path.read_text() == "line\n"


def test_an_unopenable_path_raises_at_once(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        LogFile(str(tmp_path / "missing-directory" / "access.log"))


def test_a_moved_file_is_reopened_within_a_second(tmp_path: Path) -> None:
    path = tmp_path / "access.log"
    log = LogFile(str(path))
    second = 1_800_000_000.0
    log.write("before", second)
    path.rename(tmp_path / "access.log.1")  # what logrotate does
    log.write("same second", second + 0.5)  # not checked again within the second: goes to the moved file
    log.write("after", second + 1.0)
    assert (tmp_path / "access.log.1").read_text() == "before\nsame second\n"
    assert path.read_text() == "after\n"


def test_a_deleted_file_is_recreated(tmp_path: Path) -> None:
    path = tmp_path / "access.log"
    log = LogFile(str(path))
    log.write("before", 10.0)
    path.unlink()
    log.write("after", 11.0)
    assert path.read_text() == "after\n"


def test_reopen_on_demand(tmp_path: Path) -> None:
    path = tmp_path / "access.log"
    log = LogFile(str(path))
    log.write("before", 10.0)
    path.rename(tmp_path / "old.log")
    log.reopen()
    log.write("after", 10.0)
    assert (path.read_text(), (tmp_path / "old.log").read_text()) == ("after\n", "before\n")


@pytest.mark.parametrize(("name", "stream"), [("-", "out"), ("stdout", "out"), ("stderr", "err")])
def test_standard_streams(name: str, stream: str, capfd: pytest.CaptureFixture[str]) -> None:
    log = LogFile(name)
    log.write("to the stream", 5.0)
    log.reopen()  # nothing to reopen: still the same stream
    log.close()  # and never closed
    log.write("still open", 6.0)
    captured = capfd.readouterr()
    assert getattr(captured, stream) == "to the stream\nstill open\n"


def test_a_failed_write_is_reported_with_its_line(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    log = LogFile(str(tmp_path / "access.log"))
    log.close()
    log.write('GET /lost "line"', time.time())
    err = capfd.readouterr().err
    assert "cannot write to" in err and str(tmp_path / "access.log") in err
    assert 'the line was: GET /lost "line"' in err


def test_short_writes_are_completed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A pipe or terminal may accept part of a write (a signal, a full buffer); the rest follows."""
    path = tmp_path / "access.log"
    log = LogFile(str(path))
    real_write = os.write
    calls: list[int] = []

    def partial(fd: int, data: bytes) -> int:
        calls.append(len(data))
        return real_write(fd, data[:7])

    monkeypatch.setattr(_logfile.os, "write", partial)
    log.write("a line of thirty-one characters", 1.0)
    monkeypatch.undo()
    assert path.read_text() == "a line of thirty-one characters\n"
    assert calls == [32, 25, 18, 11, 4]


def test_non_ascii_text_cannot_break_the_file(tmp_path: Path) -> None:
    path = tmp_path / "access.log"
    LogFile(str(path)).write("caf\u00e9 \ud800", 1.0)  # a lone surrogate cannot be encoded as UTF-8
    assert path.read_bytes() == "café \\ud800\n".encode()


def test_a_reopen_keeps_the_descriptor_number(tmp_path: Path) -> None:
    """A thread that read the descriptor before a rotation still writes to a whole, open file."""
    path = tmp_path / "access.log"
    log = LogFile(str(path))
    fd = log.fd
    path.rename(tmp_path / "old.log")
    log.reopen()
    assert log.fd == fd and not os.get_inheritable(fd)
    os.write(fd, b"through the old number\n")
    assert path.read_text() == "through the old number\n"


def test_threads_never_mix_lines(tmp_path: Path) -> None:
    path = tmp_path / "access.log"
    log = LogFile(str(path))

    def write(n: int) -> None:
        for i in range(200):
            log.write(f"{n}-{i:03d} " + str(n) * 3000, time.time())

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines = path.read_text().splitlines()
    assert len(lines) == 1600
    for line in lines:
        label, payload = line.split(" ")
        assert payload == label[0] * 3000


WRITER = """
import sys, time
from wsgikit.middleware.access_log import LogFile
log = LogFile(sys.argv[1])
for i in range(300):
    log.write(f"{sys.argv[2]}-{i:03d} " + sys.argv[2] * 5000, time.time())
"""


def test_processes_appending_to_one_file_never_mix_lines(tmp_path: Path) -> None:
    """Workers of a pre-fork server each append to the same file; every line stays whole."""
    path = tmp_path / "access.log"
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), letter]) for letter in "abcd"]
    for writer in writers:
        assert writer.wait(timeout=60) == 0
    lines = path.read_text().splitlines()
    assert len(lines) == 1200
    for line in lines:
        label, payload = line.split(" ")
        assert payload == label[0] * 5000
    assert {line[:1] for line in lines} == set("abcd")


# -- the middleware with a file ------------------------------------------------------------------------------


def test_middleware_writes_combined_lines_to_the_file(tmp_path: Path) -> None:
    path = tmp_path / "access.log"
    app = TestApp(AccessLogMiddleware(app_with([b"hello", b" world"]), file=str(path)))
    app.get("/servers/1?limit=2", extra_environ={"REMOTE_ADDR": "192.0.2.7", "REMOTE_USER": "alice"})
    app.get("/missing", status=200)
    first, second = path.read_text().splitlines()
    assert first.startswith("192.0.2.7 - alice [")
    assert '] "GET /servers/1?limit=2 HTTP/1.0" 200 11 "-" "-" ' in first
    assert '"GET /missing HTTP/1.0" 200 11' in second


def test_middleware_json_lines_to_the_file(tmp_path: Path) -> None:
    path = tmp_path / "access.log"
    TestApp(AccessLogMiddleware(app_with([b"x"], "201 Created"), format="json", file=str(path))).post("/a")
    document = json.loads(path.read_text())
    assert (document["method"], document["path"], document["status"], document["bytes"]) == (
        "POST",
        "/a",
        201,
        1,
    )


def test_file_output_ignores_logging_configuration(tmp_path: Path) -> None:
    """With a file, the lines do not depend on (or go to) the logging tree, even when it is silenced."""
    path = tmp_path / "access.log"
    logging.getLogger("wsgikit.access").setLevel(logging.CRITICAL)
    try:
        TestApp(AccessLogMiddleware(app_with([b"x"]), file=str(path))).get("/")
    finally:
        logging.getLogger("wsgikit.access").setLevel(logging.NOTSET)
    assert len(path.read_text().splitlines()) == 1


def test_one_log_file_shared_by_two_middleware(tmp_path: Path) -> None:
    log = LogFile(str(tmp_path / "access.log"))
    TestApp(AccessLogMiddleware(app_with([b"a"]), file=log)).get("/a")
    TestApp(AccessLogMiddleware(app_with([b"b"]), file=log)).get("/b")
    assert [line.split('"')[1] for line in (tmp_path / "access.log").read_text().splitlines()] == [
        "GET /a HTTP/1.0",
        "GET /b HTTP/1.0",
    ]


@pytest.mark.parametrize("other", [{"logger_name": "x"}, {"level": "INFO"}])
def test_file_or_logger_not_both(tmp_path: Path, other: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="file or to a logger"):
        AccessLogMiddleware(app_with([]), file=str(tmp_path / "a.log"), **other)


# -- paste.ini -----------------------------------------------------------------------------------------------


def test_factory_resolves_a_relative_file_against_the_ini(tmp_path: Path) -> None:
    make = filter_factory({"here": str(tmp_path), "__file__": str(tmp_path / "api.ini")}, file="access.log")
    TestApp(make(app_with([b"x"]))).get("/here")
    assert '"GET /here HTTP/1.0"' in (tmp_path / "access.log").read_text()


def test_factory_standard_stream_is_not_a_path(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    make = filter_factory({"here": str(tmp_path)}, file="-", format="json")
    TestApp(make(app_with([b"x"]))).get("/out")
    assert json.loads(capfd.readouterr().out)["path"] == "/out"
    assert not (tmp_path / "-").exists()


@pytest.mark.parametrize("key", ["logger_name", "level", "logging_level"])
def test_factory_file_with_logger_options_names_the_key(tmp_path: Path, key: str) -> None:
    with pytest.raises(ConfigError) as raised:
        filter_factory({"__file__": "/etc/api.ini"}, file=str(tmp_path / "a.log"), **{key: "INFO"})
    assert raised.value.key == key and raised.value.file == "/etc/api.ini"
    assert "give file or" in str(raised.value)


def test_factory_unopenable_file_fails_at_start_up(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        filter_factory({"__file__": "/etc/api.ini", "here": str(tmp_path)}, file="no-such-dir/access.log")
    assert raised.value.key == "file"
    assert "cannot open" in str(raised.value) and "No such file or directory" in str(raised.value)
    assert not os.path.exists(tmp_path / "no-such-dir")


# -- buffer= and flush= (nginx's trade) -----------------------------------------------------------------


class Writes:
    """Counts the write(2) calls a LogFile makes (and what each wrote)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[bytes] = []
        real = os.write

        def write(fd: int, data: bytes) -> int:
            self.calls.append(bytes(data))
            return real(fd, data)

        monkeypatch.setattr(_logfile.os, "write", write)


def test_buffered_lines_are_written_together_when_the_buffer_fills(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "access.log"
    log = LogFile(str(path), buffer=100, flush=60)
    writes = Writes(monkeypatch)
    try:
        for n in range(3):
            log.write(f"line {n} " + "x" * 22, time.time())  # 30 bytes and a newline
        assert path.read_text() == "" and writes.calls == []
        log.write("line 3 " + "x" * 22, time.time())  # would not fit: the three go out in one write
        assert len(writes.calls) == 1 and writes.calls[0].count(b"\n") == 3
        assert path.read_text().splitlines() == [f"line {n} " + "x" * 22 for n in range(3)]
    finally:
        log.close()
    assert path.read_text().splitlines()[-1] == "line 3 " + "x" * 22
    assert len(writes.calls) == 2


def test_a_line_as_big_as_the_buffer_goes_out_at_once(tmp_path: Path) -> None:
    path = tmp_path / "access.log"
    log = LogFile(str(path), buffer=10, flush=60)
    try:
        log.write("a line longer than ten bytes", time.time())
        assert path.read_text() == "a line longer than ten bytes\n"
    finally:
        log.close()


def test_a_buffered_line_waits_at_most_flush_seconds(tmp_path: Path) -> None:
    """The timer thread writes a line that no later line pushes out."""
    path = tmp_path / "access.log"
    log = LogFile(str(path), buffer=1 << 20, flush=0.2)
    try:
        started = time.monotonic()
        log.write("alone", time.time())
        assert path.read_text() == ""
        deadline = started + 10
        while path.read_text() == "" and time.monotonic() < deadline:
            time.sleep(0.01)
        waited = time.monotonic() - started
        assert path.read_text() == "alone\n"
        assert 0.15 <= waited < 5, waited
    finally:
        log.close()


def test_the_next_line_writes_a_stale_buffer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the timer (uWSGI runs no app threads unless enable-threads), the next line written after
    ``flush`` seconds takes the waiting ones out with it."""
    path = tmp_path / "access.log"
    clock = [1000.0]
    monkeypatch.setattr(
        _logfile, "time", type("Clock", (), {"monotonic": lambda: clock[0], "time": time.time})
    )
    log = LogFile(str(path), buffer=1 << 20, flush=30)  # the timer thread waits 30 real seconds
    try:
        log.write("first", time.time())
        clock[0] += 10
        log.write("second", time.time())
        assert path.read_text() == ""
        clock[0] += 25  # "first" is 35 s old
        log.write("third", time.time())
        assert path.read_text() == "first\nsecond\n"
    finally:
        log.close()
    assert path.read_text() == "first\nsecond\nthird\n"


def test_close_writes_the_buffer_and_stops_the_timer(tmp_path: Path) -> None:
    path = tmp_path / "access.log"
    log = LogFile(str(path), buffer=1 << 20, flush=60)
    log.write("held", time.time())
    timer = log._timer
    assert timer is not None and timer.is_alive()
    log.close()
    assert path.read_text() == "held\n"
    assert not timer.is_alive()
    log.write("after close", time.time())  # reported, not held where nothing would write it
    assert path.read_text() == "held\n"


def test_reopen_writes_the_buffer_to_the_file_it_was_meant_for(tmp_path: Path) -> None:
    path = tmp_path / "access.log"
    log = LogFile(str(path), buffer=1 << 20, flush=60)
    try:
        log.write("old", time.time())
        path.rename(tmp_path / "access.log.1")
        log.reopen()
        log.write("new", time.time())
    finally:
        log.close()
    assert (tmp_path / "access.log.1").read_text() == "old\n"
    assert path.read_text() == "new\n"


BUFFERED_WRITER = """
import os, sys, time
from wsgikit.middleware.access_log import LogFile
log = LogFile(sys.argv[1], buffer=1 << 20, flush=60)
log.write("parent before fork", time.time())
pid = os.fork()
if pid == 0:
    log.write("child", time.time())
    sys.exit(0)  # a normal exit: atexit writes the child's buffer
os.waitpid(pid, 0)
log.write("parent after fork", time.time())
if sys.argv[2] == "killed":
    os._exit(0)  # what SIGKILL does to a buffer: it is lost
"""


@pytest.mark.parametrize("end", ["exit", "killed"])
def test_buffers_at_exit_and_across_fork(tmp_path: Path, end: str) -> None:
    """A forked child starts with an empty buffer (its parent's lines are written once, by the parent);
    each process's buffer is written at exit; a process ended without its exit handlers loses its own."""
    path = tmp_path / "access.log"
    writer = subprocess.run(
        [sys.executable, "-W", "ignore::DeprecationWarning", "-c", BUFFERED_WRITER, str(path), end],
        timeout=60,
        capture_output=True,
    )
    assert writer.returncode == 0, writer.stderr
    lines = path.read_text().splitlines()
    if end == "exit":
        assert sorted(lines) == ["child", "parent after fork", "parent before fork"]
    else:
        assert lines == ["child"]


def test_middleware_buffers_lines_with_a_path(tmp_path: Path) -> None:
    path = tmp_path / "access.log"
    middleware = AccessLogMiddleware(app_with([b"x"]), file=str(path), buffer=4096, flush=60)
    assert middleware.file is not None and middleware.file.buffer == 4096
    app = TestApp(middleware)
    for n in range(5):
        app.get(f"/{n}")
    assert path.read_text() == ""
    middleware.file.close()
    assert [line.split('"')[1] for line in path.read_text().splitlines()] == [
        f"GET /{n} HTTP/1.0" for n in range(5)
    ]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"buffer": 4096},
        {"flush": 5.0},
        {"buffer": 4096, "file": "shared"},
    ],
)
def test_buffer_needs_a_path(tmp_path: Path, kwargs: dict[str, Any]) -> None:
    if kwargs.get("file") == "shared":
        kwargs["file"] = shared = LogFile(str(tmp_path / "a.log"))
    with pytest.raises(ValueError, match="buffered only on their way to a file"):
        AccessLogMiddleware(app_with([]), **kwargs)
    if kwargs.get("file") is not None:
        shared.close()


@pytest.mark.parametrize(
    ("key", "value"), [("buffer", "lots"), ("buffer", "-1"), ("flush", "0"), ("flush", "soon")]
)
def test_bad_buffer_options_name_the_key(tmp_path: Path, key: str, value: str) -> None:
    with pytest.raises(ConfigError) as raised:
        options = {"buffer": "64KiB", key: value}
        filter_factory({"__file__": "/etc/api.ini"}, file=str(tmp_path / "a.log"), **options)
    assert raised.value.key == key and raised.value.file == "/etc/api.ini"


def test_factory_buffers_the_file(tmp_path: Path) -> None:
    make = filter_factory({"here": str(tmp_path)}, file="access.log", buffer="64KiB", flush="250ms")
    middleware = make(app_with([b"x"]))
    assert (middleware.file.buffer, middleware.file.flush) == (65536, 0.25)
    TestApp(middleware).get("/later")
    assert (tmp_path / "access.log").read_text() == ""
    middleware.file.close()
    assert '"GET /later HTTP/1.0"' in (tmp_path / "access.log").read_text()


@pytest.mark.parametrize(
    ("options", "key", "needed"),
    [({"buffer": "64KiB"}, "buffer", "file"), ({"flush": "2s", "file": "a.log"}, "flush", "buffer")],
)
def test_factory_buffer_options_need_what_they_pace(
    tmp_path: Path, options: dict[str, str], key: str, needed: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        filter_factory({"__file__": "/etc/api.ini", "here": str(tmp_path)}, **options)
    assert raised.value.key == key and f"give {needed} too" in str(raised.value)


@pytest.mark.parametrize(
    ("lines", "key", "message"),
    [
        (["buffer = 64KiB"], "buffer", "lines are buffered only on their way to a file; give file too"),
        (["file = access.log", "flush = 2s"], "flush", "flush paces a buffer; give buffer too"),
        (["file = access.log", "buffer = 64KiB", "flush = 0"], "flush", "above 0"),
    ],
)
def test_wsgikit_check_names_file_line_section_and_key_of_buffer_options(
    tmp_path: Path, lines: list[str], key: str, message: str
) -> None:
    from wsgikit.deploy import check_config

    body = "\n".join(lines)
    ini = tmp_path / "api.ini"
    ini.write_text(
        f"[pipeline:main]\npipeline = log hello\n\n[filter:log]\nuse = egg:wsgikit#access_log\n{body}\n\n"
        "[app:hello]\nuse = egg:wsgikit-hello\n"
    )
    (problem,) = check_config(str(ini))
    assert (problem.file, problem.section, problem.key) == (str(ini), "filter:log", key)
    assert problem.line == 6 + next(i for i, line in enumerate(lines) if line.startswith(key))
    assert message in problem.message


def test_a_line_that_arrives_while_the_file_closes_is_written_not_held(tmp_path: Path) -> None:
    """write() saw the buffer open, close() ran before it took the lock: the line goes out at once rather
    than into a buffer that nothing would write any more."""
    path = tmp_path / "access.log"
    log = LogFile(str(path), buffer=1 << 20, flush=60)
    log.write("held", time.time())
    log._stop_buffering()  # what close() does first, before the descriptor is closed
    log._hold(b"late\n", time.time())  # what a write() already past its check does next
    assert path.read_text() == "held\nlate\n"
    log.close()
