"""``wsgikit cgi``: one request from CGI variables and stdin, the response on stdout (a real process)."""

from __future__ import annotations

import os
import subprocess
import sys
from email.parser import BytesParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

ECHO_PY = """\
def app(environ, start_response):
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    reply = b"%s %s?%s %s\\n" % (
        environ["REQUEST_METHOD"].encode(),
        environ["PATH_INFO"].encode(),
        environ["QUERY_STRING"].encode(),
        body,
    )
    start_response("201 Created", [("Content-Type", "text/plain"), ("X-Script", environ["SCRIPT_NAME"])])
    return [reply]
"""


def cgi_env(tmp_path: Path, **variables: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("HTTP_", "REQUEST_"))}
    env.update(
        GATEWAY_INTERFACE="CGI/1.1",
        SERVER_PROTOCOL="HTTP/1.1",
        SERVER_NAME="localhost",
        SERVER_PORT="80",
        SCRIPT_NAME="/cgi-bin/app",
        PYTHONPATH=str(tmp_path),
    )
    env.update(variables)
    return env


def run_cgi(tmp_path: Path, target: str, body: bytes, **variables: str) -> tuple[int, bytes, str]:
    result = subprocess.run(
        [sys.executable, "-m", "wsgikit", "cgi", target],
        cwd=tmp_path,
        env=cgi_env(tmp_path, **variables),
        input=body,
        capture_output=True,
        timeout=60,
        check=False,
    )
    return result.returncode, result.stdout, result.stderr.decode()


def parse(output: bytes) -> tuple[str, dict[str, str], bytes]:
    head, _, body = output.partition(b"\r\n\r\n")
    message = BytesParser().parsebytes(head + b"\r\n\r\n")
    return str(message["Status"]), dict(message.items()), body


def test_cgi_answers_one_request_from_a_module(tmp_path: Path) -> None:
    (tmp_path / "echo.py").write_text(ECHO_PY, encoding="utf-8")
    status, out, err = run_cgi(
        tmp_path,
        "echo:app",
        b"name=web-1&extra=ignored",
        REQUEST_METHOD="POST",
        PATH_INFO="/servers",
        QUERY_STRING="x=1",
        CONTENT_LENGTH="10",
        CONTENT_TYPE="application/x-www-form-urlencoded",
    )
    assert status == 0, err
    cgi_status, headers, body = parse(out)
    assert cgi_status == "201 Created"
    assert headers["Content-Type"] == "text/plain"
    assert headers["X-Script"] == "/cgi-bin/app"
    assert body == b"POST /servers?x=1 name=web-1\n"  # exactly CONTENT_LENGTH bytes of stdin


def test_cgi_serves_a_paste_ini_pipeline(tmp_path: Path) -> None:
    config = tmp_path / "site.ini"
    config.write_text(
        "[pipeline:main]\npipeline = request_id hello\n\n"
        "[filter:request_id]\nuse = egg:wsgikit#request_id\n\n"
        "[app:hello]\nuse = egg:wsgikit-hello\n",
        encoding="utf-8",
    )
    status, out, err = run_cgi(tmp_path, str(config), b"", REQUEST_METHOD="GET", PATH_INFO="/hello/cgi")
    assert status == 0, err
    cgi_status, headers, body = parse(out)
    assert cgi_status == "200 OK"
    assert headers.get("X-Request-ID")
    assert b"cgi" in body


def test_cgi_with_a_broken_config_answers_500_and_logs_the_location(tmp_path: Path) -> None:
    config = tmp_path / "broken.ini"
    config.write_text(
        "[pipeline:main]\npipeline = gz hello\n\n[filter:gz]\nuse = egg:wsgikit#gzip\nlevle = 1\n\n"
        "[app:hello]\nuse = egg:wsgikit-hello\n",
        encoding="utf-8",
    )
    status, out, err = run_cgi(tmp_path, str(config), b"", REQUEST_METHOD="GET", PATH_INFO="/")
    assert status == 1
    cgi_status, _, body = parse(out)
    assert cgi_status.startswith("500 ")
    assert b"Traceback" not in body and b"levle" not in body  # nothing about the config leaks to the client
    assert err.startswith(f"wsgikit cgi: error: {config}:6 [filter:gz] levle: unknown option for gzip")
    assert "Traceback" not in err


def test_cgi_in_process_reads_the_environment_and_stdin(tmp_path: Path, monkeypatch) -> None:
    """The same verb called as a function, with the CGI variables in os.environ and stdin/stdout replaced."""
    import io

    from wsgikit.cli import main

    (tmp_path / "echo_inproc.py").write_text(ECHO_PY, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    for key, value in cgi_env(
        tmp_path, REQUEST_METHOD="PUT", PATH_INFO="/x", QUERY_STRING="", CONTENT_LENGTH="2"
    ).items():
        monkeypatch.setenv(key, value)
    stdin = io.TextIOWrapper(io.BytesIO(b"ab-and-more"))
    stdout = io.TextIOWrapper(io.BytesIO())
    monkeypatch.setattr("sys.stdin", stdin)
    monkeypatch.setattr("sys.stdout", stdout)
    assert main(["cgi", "echo_inproc:app"]) == 0
    stdout.flush()
    cgi_status, _, body = parse(stdout.buffer.getvalue())  # type: ignore[attr-defined]
    assert (cgi_status, body) == ("201 Created", b"PUT /x? ab\n")


def test_cgi_in_process_with_a_module_that_cannot_be_imported(tmp_path: Path, monkeypatch, capsys) -> None:
    import io

    from wsgikit.cli import main

    for key, value in cgi_env(tmp_path, REQUEST_METHOD="GET", PATH_INFO="/").items():
        monkeypatch.setenv(key, value)
    stdout = io.TextIOWrapper(io.BytesIO())
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO()))
    monkeypatch.setattr("sys.stdout", stdout)
    assert main(["cgi", "no_such_module_here:app"]) == 1
    stdout.flush()
    assert parse(stdout.buffer.getvalue())[0].startswith("500 ")  # type: ignore[attr-defined]
    assert "cannot import module 'no_such_module_here'" in capsys.readouterr().err
