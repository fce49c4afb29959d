"""``wsgikit serve``: ``[server:main]`` and the flags, logging sections, the --reload command line."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from wsgikit.cli import serve
from wsgikit.deploy.options import ConfigError
from wsgikit.deploy.spec import parse_config_spec


def write_ini(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "paste.ini"
    path.write_text("[app:main]\nuse = egg:wsgikit-hello\n\n" + text, encoding="utf-8")
    return path


# -- [server:main] and the command line ---------------------------------------------------------------------


def test_no_server_section_means_waitress_with_cli_overrides(tmp_path):
    path = write_ini(tmp_path, "")
    assert serve.resolve_server(str(path)) == ("waitress", {})
    assert serve.resolve_server(str(path), port=9000, host="::1") == (
        "waitress",
        {"port": 9000, "host": "::1"},
    )


def test_server_section_is_honoured_and_typed(tmp_path):
    path = write_ini(
        tmp_path, "[server:main]\nuse = egg:wsgikit#gunicorn\nport = 9001\nworkers = 2\ntimeout = 5\n"
    )
    name, options = serve.resolve_server(str(path))
    assert name == "gunicorn"
    assert options == {"port": 9001, "workers": 2, "timeout": "5"}


def test_cli_flags_override_the_section(tmp_path):
    path = write_ini(tmp_path, "[server:main]\nuse = egg:wsgikit#gunicorn\nport = 9001\nworkers = 2\n")
    assert serve.resolve_server(str(path), port=9002, workers=4) == (
        "gunicorn",
        {"port": 9002, "workers": 4},
    )


def test_another_server_keeps_only_the_common_options(tmp_path):
    path = write_ini(tmp_path, "[server:main]\nuse = egg:wsgikit#gunicorn\nport = 9001\ntimeout = 5\n")
    assert serve.resolve_server(str(path), server="wsgiref") == ("wsgiref", {"port": 9001})


def test_waitress_own_entry_point_is_understood(tmp_path):
    path = write_ini(tmp_path, "[server:main]\nuse = egg:waitress#main\nport = 9003\nthreads = 2\n")
    assert serve.resolve_server(str(path)) == ("waitress", {"port": 9003, "threads": 2})


def test_bad_server_option_names_file_section_and_key(tmp_path):
    path = write_ini(tmp_path, "[server:main]\nuse = egg:wsgikit#waitress\nprot = 8080\n")
    with pytest.raises(ConfigError) as error:
        serve.resolve_server(str(path))
    assert str(error.value).startswith(f"{path}:6 [server:main] prot: ")
    assert "did you mean 'port'" in str(error.value)


def test_a_foreign_server_is_refused_clearly(tmp_path):
    path = write_ini(tmp_path, "[server:main]\npaste.server_factory = wsgiref.simple_server:make_server\n")
    with pytest.raises(ConfigError, match="wsgikit serve runs") as error:
        serve.resolve_server(str(path))
    assert error.value.key == "use"


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("a.ini", ("a.ini", "main", False)),
        ("config:a.ini#api", ("a.ini", "api", True)),
        ("dir/a.ini#", ("dir/a.ini", "main", False)),
    ],
)
def test_parse_config_spec(spec, expected, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    parsed = parse_config_spec(spec)
    assert (parsed.path, parsed.name, parsed.explicit_name) == (str(tmp_path / expected[0]), *expected[1:])
    assert parsed.uri == f"config:{tmp_path / expected[0]}#{expected[1]}"


def test_serve_command_reports_a_missing_file(tmp_path, capsys):
    args = argparse.Namespace(
        config=str(tmp_path / "nope.ini"), server=None, host=None, port=None, workers=None, reload=False
    )
    assert serve.run(args) == 1
    assert "no such config file" in capsys.readouterr().err


def test_reload_child_gets_the_same_arguments():
    args = argparse.Namespace(
        config="x.ini#api", server="wsgiref", host=None, port=9000, workers=None, reload=True
    )
    assert serve.reload_argv(args) == [
        "serve",
        "x.ini#api",
        "--reload",
        "--server",
        "wsgiref",
        "--port",
        "9000",
    ]


# -- logging sections ---------------------------------------------------------------------------------------


@pytest.fixture
def saved_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in root.handlers:
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)
    logging.getLogger("wsgikit.servers.test").setLevel(logging.NOTSET)


LOGGING_SECTIONS = """
[loggers]
keys = root, probe

[handlers]
keys = null

[formatters]
keys =

[logger_root]
level = WARNING
handlers = null

[logger_probe]
level = DEBUG
handlers =
qualname = wsgikit.servers.test

[handler_null]
class = NullHandler
args = ()
"""


def test_logging_sections_are_applied_without_disabling_existing_loggers(tmp_path, saved_logging):
    existing = logging.getLogger("wsgikit.test_servers.existing")
    path = write_ini(tmp_path, LOGGING_SECTIONS)
    assert serve.configure_logging(str(path)) is True
    assert logging.getLogger("wsgikit.servers.test").level == logging.DEBUG
    assert logging.getLogger().level == logging.WARNING
    assert not existing.disabled


def test_without_logging_sections_nothing_is_read(tmp_path, saved_logging):
    path = write_ini(tmp_path, "")
    assert serve.configure_logging(str(path)) is False


# -- what serve refuses, in one line -------------------------------------------------------------------------


def serve_args(target: str) -> argparse.Namespace:
    return argparse.Namespace(config=target, server=None, host=None, port=None, workers=None, reload=False)


def test_a_python_file_is_not_an_ini_file(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "service.py").write_text("from wsgikit import wsgify\n\napp = None\n", encoding="utf-8")
    assert serve.run(serve_args("service.py")) == 1
    err = capsys.readouterr().err
    assert err == (
        f"wsgikit serve: error: {tmp_path / 'service.py'}:1 not an INI file: this line comes before any "
        "[section] header (to serve a WSGI application in it: wsgikit serve service:app)\n"
    )


@pytest.mark.parametrize(
    ("source", "target", "message"),
    [
        (None, "nosuchmodule:app", "cannot import module 'nosuchmodule'"),
        ("app = 1\n", "svc:app", "svc:app is int, not a WSGI application"),
        ("x = 1\n", "svc:app", "module 'svc' has no attribute 'app'"),
        ("def make():\n    return None\n", "svc:make()", "svc:make() returned NoneType"),
        ("def make(x):\n    return x\n", "svc:make(open('/etc/passwd'))", "must be Python literals"),
        ("raise RuntimeError('boom')\n", "svc:app", "svc:app: RuntimeError: boom"),
    ],
)
def test_a_module_target_that_cannot_be_served_is_one_line(
    tmp_path, monkeypatch, capsys, source, target, message
):
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    if source is not None:
        (tmp_path / "svc.py").write_text(source, encoding="utf-8")
    monkeypatch.delitem(__import__("sys").modules, "svc", raising=False)
    assert serve.run(serve_args(target)) == 1
    err = capsys.readouterr().err
    assert err.startswith("wsgikit serve: error: ") and message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_an_existing_file_is_a_config_even_when_it_looks_like_module_colon_name(tmp_path, monkeypatch):
    from wsgikit.cli.target import parse_target

    monkeypatch.chdir(tmp_path)
    assert parse_target("svc:app").obj == "svc:app"
    assert parse_target("pkg.mod:make(debug=True)").obj == "pkg.mod:make(debug=True)"
    (tmp_path / "svc:app").write_text("[app:main]\n", encoding="utf-8")
    assert parse_target("svc:app").config is not None
    assert parse_target("config:x.ini#api").config == parse_config_spec("x.ini#api")


# -- serve fails where check says, with the same file:line [section] key ---------------------------------

HELLO = "[app:hello]\nuse = egg:wsgikit-hello\n"
STARTUP_FAILURES = {
    "worker count": (
        "[app:main]\nuse = egg:wsgikit-hello\n\n[server:main]\nuse = egg:wsgikit#gunicorn\nworkers = two\n",
        ":6 [server:main] workers: expected an integer, got 'two'",
    ),
    "malformed env reference": (
        "[app:main]\nuse = egg:wsgikit-hello\n\n[server:main]\nuse = egg:wsgikit#waitress\n"
        "threads = ${ENV:THREADS\n",
        ":6 [server:main] threads: malformed environment reference '${ENV:THREADS'",
    ),
    "missing tokens file": (
        "[pipeline:main]\npipeline = auth hello\n\n[filter:auth]\nuse = egg:wsgikit#token_auth\n"
        "tokens_file = %(here)s/no-such-tokens\n\n" + HELLO,
        ":6 [filter:auth] tokens_file: no such file: {dir}/no-such-tokens",
    ),
    "missing static directory": (
        "[app:main]\nuse = egg:wsgikit#static\ndirectory = public\n",
        ":3 [app:main] directory: no such directory: {dir}/public",
    ),
    "access log in a missing directory": (
        "[pipeline:main]\npipeline = log hello\n\n[filter:log]\nuse = egg:wsgikit#access_log\n"
        "file = logs/access.log\n\n" + HELLO,
        ":6 [filter:log] file: cannot open {dir}/logs/access.log: No such file or directory "
        "({dir}/logs is missing)",
    ),
    "no main section": (HELLO, " no section for app 'main' in paste.ini"),
}


@pytest.mark.parametrize("case", sorted(STARTUP_FAILURES))
def test_check_finds_what_serve_fails_on_at_the_same_place(tmp_path, capsys, case):
    from wsgikit.deploy import check_config

    text, expected = STARTUP_FAILURES[case]
    path = tmp_path / "paste.ini"
    path.write_text(text, encoding="utf-8")
    expected = str(path) + expected.replace("{dir}", str(tmp_path))
    problems = [str(problem) for problem in check_config(str(path), name="main")]
    assert len(problems) == 1 and problems[0].startswith(expected), problems
    assert serve.run(serve_args(str(path))) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"wsgikit serve: error: {problems[0]}"), err
