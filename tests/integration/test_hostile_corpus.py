"""The hostile-request corpus, replayed over raw sockets against paste-configs/production.ini.

Each case of ``hostile_corpus.json`` (raw bytes: request line, framing, chunked bodies, CL/TE conflicts,
header names and values, paths and percent-encodings, Host, credentials, JSON, compression, Range,
Forwarded) is sent to gunicorn (2 workers, ``wsgikit serve``), waitress (``wsgikit serve``) and uWSGI
(``--http-socket``, 2 processes). Every server must:

* answer no 5xx, except a ``501`` of the server's own (no ``X-Request-ID``: the pipeline never saw the
  request) for a transfer coding it does not implement;
* answer what the case expects, when it says (``expect``);
* put no traceback in a response body, and log no traceback and no ERROR line;
* keep its workers (no restart, no timeout kill).

The answers are the table of docs/guide/hostile_corpus_table.inc; ``test_the_docs_table_is_current``
fails when it differs from what the servers answered. Rewrite it with
``WSGIKIT_UPDATE_CORPUS_TABLE=1 pytest tests/integration/test_hostile_corpus.py``.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_INI = ROOT / "paste-configs" / "production.ini"
CORPUS_FILE = Path(__file__).with_name("hostile_corpus.json")
TABLE_FILE = ROOT / "docs" / "guide" / "hostile_corpus_table.inc"
AUTH_LINE = "X-Auth-Token: jsonapi-demo-token\r\n"
SERVERS = ["gunicorn", "waitress", "uwsgi"]
SERVER_TITLES = {"gunicorn": "gunicorn", "waitress": "waitress", "uwsgi": "uWSGI"}
CASE_TIMEOUT = 10.0  # a case that is not answered (or closed) in this time fails

pytestmark = pytest.mark.integration

CORPUS: list[dict[str, Any]] = json.loads(CORPUS_FILE.read_text(encoding="utf-8"))["cases"]
_MACRO = re.compile(r"@@repeat (\d+) (.+?)@@", re.DOTALL)


def expand(case: dict[str, Any]) -> bytes:
    """The bytes of a case: macros expanded, ``@@len@@`` the length of what follows the blank line."""
    text = _MACRO.sub(lambda match: match.group(2) * int(match.group(1)), case["request"])
    text = text.replace("@@auth@@", AUTH_LINE)
    raw = text.encode("latin-1")
    if b"@@len@@" in raw:
        body = raw.split(b"\r\n\r\n", 1)[1]
        raw = raw.replace(b"@@len@@", str(len(body)).encode())
    return raw


@dataclass
class Answer:
    """What a server did with one case: a status (``"400"``), or ``"closed"`` without answering."""

    status: str
    own: bool  # the pipeline answered (X-Request-ID), rather than the server itself
    body: bytes = b""

    def label(self) -> str:
        if self.status == "closed" or self.own:
            return self.status
        return f"{self.status} (server)"


def replay(port: int, case: dict[str, Any]) -> Answer:
    """Send one case on a new connection and read the first answer."""
    raw = expand(case)
    method = raw.split(b" ", 1)[0].decode("latin-1")
    with socket.create_connection(("127.0.0.1", port), timeout=CASE_TIMEOUT) as sock:
        try:
            sock.sendall(raw)
            if not case.get("complete", True):
                sock.shutdown(socket.SHUT_WR)  # a client that gave up half-way
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered (or closed) before the whole request went out: read what it said
        response = _Response(sock, method=method)
        try:
            return _read(response)
        finally:
            response.close()


class _Response(http.client.HTTPResponse):
    """http.client's response parser, reading an answer in any HTTP/x.y version as HTTP/1.1 (uWSGI echoes
    the request's ``HTTP/2.0``)."""

    def _read_status(self) -> tuple[str, int, str]:
        _version, status, reason = super()._read_status()  # type: ignore[misc]
        return "HTTP/1.1", status, reason


def _read(response: http.client.HTTPResponse) -> Answer:
    try:
        response.begin()
    except (http.client.RemoteDisconnected, ConnectionResetError, http.client.BadStatusLine):
        return Answer("closed", own=False)
    try:
        body = response.read()
    except (http.client.IncompleteRead, ConnectionResetError) as error:
        body = getattr(error, "partial", b"")
    return Answer(str(response.status), own=response.getheader("X-Request-ID") is not None, body=body)


@pytest.fixture(scope="module")
def answers() -> dict[str, dict[str, Answer]]:
    """Every server's answers, filled by the replay tests for the docs table test."""
    return {}


@pytest.fixture(scope="module", params=SERVERS)
def served(request, start_server, port_factory, tmp_path_factory):
    """``(server name, port, ServerProcess)`` for production.ini on one of :data:`SERVERS`."""
    name = request.param
    port = port_factory()
    if name in ("gunicorn", "waitress"):
        argv = [sys.executable, "-m", "wsgikit", "serve", str(PRODUCTION_INI), "--server", name]
        argv += ["--port", str(port)]
        return name, port, start_server(f"corpus-{name}", argv, port=port)
    uwsgi = request.getfixturevalue("uwsgi_bin")
    argv = [uwsgi, "--paste", f"config:{PRODUCTION_INI}", "--master", "--processes", "2", "--die-on-term"]
    argv += ["--need-app", "--strict", "--paste-logger", "--http-socket", f"127.0.0.1:{port}"]
    argv += ["--virtualenv", sys.prefix]
    cwd = tmp_path_factory.mktemp("corpus-uwsgi")
    return name, port, start_server(f"corpus-{name}", argv, port=port, cwd=cwd)


def expectation(case: dict[str, Any], server: str) -> list[str]:
    """The statuses ``server`` may answer to ``case`` (empty: any, within the rules)."""
    expect = case.get("expect") or []
    if isinstance(expect, dict):
        return list(expect.get(server, expect.get("*", [])))
    return list(expect)


def restarts(name: str, log: str) -> list[str]:
    """Log lines that tell a worker died or was replaced."""
    if name == "gunicorn":
        booted = log.count("Booting worker with pid")
        extra = [f"{booted} workers booted for 2"] if booted > 2 else []
        return extra + [
            line for line in log.splitlines() if "WORKER TIMEOUT" in line or "was sent SIGKILL" in line
        ]
    if name == "uwsgi":
        return [line for line in log.splitlines() if "Respawned uWSGI worker" in line or "DAMN !" in line]
    return []


def test_the_corpus_is_large_and_covers_every_area() -> None:
    assert len(CORPUS) >= 100
    assert len({case["id"] for case in CORPUS}) == len(CORPUS)
    categories = {case["category"] for case in CORPUS}
    assert {
        "request line",
        "framing",
        "chunked",
        "CL/TE",
        "headers",
        "paths",
        "Host",
        "auth",
        "JSON",
    } <= categories
    assert {"compression", "Range", "Forwarded"} <= categories


def test_no_hostile_request_is_a_server_error(served, answers) -> None:
    name, port, server = served
    started = time.monotonic()
    got: dict[str, Answer] = {}
    problems: list[str] = []
    for case in CORPUS:
        try:
            answer = replay(port, case)
        except TimeoutError:
            problems.append(f"{case['id']}: no answer and no close within {CASE_TIMEOUT}s")
            continue
        got[case["id"]] = answer
        if answer.status.startswith("5") and not (answer.status == "501" and not answer.own):
            problems.append(f"{case['id']}: {answer.label()}")
        expected = expectation(case, name)
        if expected and answer.status not in expected:
            problems.append(f"{case['id']}: {answer.label()}, expected one of {expected}")
        if b"Traceback" in answer.body:
            problems.append(f"{case['id']}: a traceback in the body")
    elapsed = time.monotonic() - started
    time.sleep(0.2)  # let the last log lines reach the file
    log = server.log()
    assert server.process.poll() is None, f"{name} exited:\n{log[-3000:]}"
    problems += [f"log: {line}" for line in log.splitlines() if "Traceback" in line or " ERROR " in line]
    problems += [f"restart: {line}" for line in restarts(name, log)]
    answers[name] = got
    assert not problems, f"{name} ({elapsed:.1f}s):\n" + "\n".join(problems) + "\n\n" + log[-4000:]


# -- the docs table ----------------------------------------------------------------------------------------


def rst_text(text: str) -> str:
    """``what`` as reST: backticked parts become literals, the rest is escaped."""
    parts = text.split("`")
    out = []
    for index, part in enumerate(parts):
        if index % 2:
            out.append(f"``{part}``")
        else:
            out.append(re.sub(r"([\\*|_<>])", r"\\\1", part))
    return "".join(out)


def render_table(answers: dict[str, dict[str, Answer]]) -> str:
    lines = [
        ".. This file is generated by tests/integration/test_hostile_corpus.py from hostile_corpus.json and",
        "   the servers' answers; do not edit it (WSGIKIT_UPDATE_CORPUS_TABLE=1 rewrites it).",
        "",
        ".. list-table::",
        "   :header-rows: 1",
        "   :widths: 18 40 14 14 14",
        "",
        "   * - case",
        "     - request",
        *[f"     - {SERVER_TITLES[name]}" for name in SERVERS],
    ]
    category = None
    for case in CORPUS:
        if case["category"] != category:
            category = case["category"]
        lines.append(f"   * - ``{case['id']}``")
        lines.append(f"     - {rst_text(case['what'])}")
        for name in SERVERS:
            lines.append(f"     - {answers[name][case['id']].label()}")
    return "\n".join(lines) + "\n"


def test_the_docs_table_is_current(answers) -> None:
    missing = [name for name in SERVERS if name not in answers]
    if missing:
        pytest.skip(f"no answers from {', '.join(missing)} in this run")
    table = render_table(answers)
    if os.environ.get("WSGIKIT_UPDATE_CORPUS_TABLE") == "1":
        TABLE_FILE.write_text(table, encoding="utf-8")
    current = TABLE_FILE.read_text(encoding="utf-8") if TABLE_FILE.exists() else ""
    assert current == table, (
        f"{TABLE_FILE.relative_to(ROOT)} is not what the servers answered; rewrite it with "
        "WSGIKIT_UPDATE_CORPUS_TABLE=1 pytest tests/integration/test_hostile_corpus.py"
    )
