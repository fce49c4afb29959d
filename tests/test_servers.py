"""wsgikit.servers and the ``egg:wsgikit#<server>`` runners: options, ``[server:main]``, logging, wsgiref."""

from __future__ import annotations

import argparse
import http.client
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from wsgiref.validate import validator

import pytest

from wsgikit import servers
from wsgikit.deploy.components import servers as components
from wsgikit.deploy.options import ConfigError


def write_ini(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "paste.ini"
    path.write_text("[app:main]\nuse = egg:wsgikit-hello\n\n" + text, encoding="utf-8")
    return path


# -- option tables ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "conf", "expected"),
    [
        (components.WSGIREF_OPTIONS, {"port": "9000", "threads": "2"}, {"port": 9000, "threads": 2}),
        (components.WAITRESS_OPTIONS, {"host": " ::1 ", "connection_limit": "50"}, {"host": "::1"}),
        (components.GUNICORN_OPTIONS, {"workers": "3", "timeout": "30"}, {"workers": 3}),
    ],
    ids=["wsgiref", "waitress-extra", "gunicorn-extra"],
)
def test_tables_convert_common_options_and_pass_server_options_through(table, conf, expected):
    options = table.convert(conf)
    assert {key: options[key] for key in expected} == expected
    for key in set(conf) - set(expected) - components.COMMON_OPTION_NAMES:
        assert options[key] == conf[key]  # the server's own option, as given


@pytest.mark.parametrize(
    ("table", "key"),
    [
        (components.WSGIREF_OPTIONS, "connection_limit"),
        (components.WAITRESS_OPTIONS, "no_such_adjustment"),
        (components.GUNICORN_OPTIONS, "no_such_setting"),
    ],
    ids=["wsgiref", "waitress", "gunicorn"],
)
def test_tables_reject_keys_the_server_does_not_know(table, key, request):
    if table is components.GUNICORN_OPTIONS:
        request.getfixturevalue("gunicorn")  # the keys gunicorn knows come from gunicorn
    with pytest.raises(ConfigError) as error:
        table.convert({key: "1"}, {"__file__": "x.ini"}, section="server:main")
    assert (error.value.key, error.value.section, error.value.file) == (key, "server:main", "x.ini")


def test_typo_gets_a_did_you_mean(gunicorn):
    with pytest.raises(ConfigError, match="did you mean 'workers'"):
        components.GUNICORN_OPTIONS.convert({"wokers": "2"})


@pytest.mark.parametrize("value", ["0", "-1", "two"])
def test_bad_worker_counts_fail_at_load(value):
    with pytest.raises(ConfigError) as error:
        components.GUNICORN_OPTIONS.convert({"workers": value})
    assert error.value.key == "workers"


@pytest.mark.parametrize("runner", [components.wsgiref_server_runner, components.waitress_server_runner])
def test_single_process_runners_refuse_workers(runner):
    with pytest.raises(ConfigError, match="one process") as error:
        runner(lambda environ, start_response: [], {"__file__": "x.ini"}, workers="2")
    assert error.value.key == "workers"


def test_runner_names_cover_wsgikit_and_the_servers_own_entry_points(gunicorn):
    import waitress
    from gunicorn.app import pasterapp

    assert components.runner_name(components.gunicorn_server_runner) == "gunicorn"
    assert components.runner_name(waitress.serve_paste) == "waitress"
    assert components.runner_name(pasterapp.serve) == "gunicorn"
    assert components.runner_name(print) is None


def test_the_module_table_is_the_default_servers():
    assert components.OPTIONS is components.RUNNER_OPTIONS["waitress"]
    assert set(components.RUNNER_OPTIONS) == set(servers.SERVERS)


# -- [server:main] and the command line ---------------------------------------------------------------------


def test_no_server_section_means_waitress_with_cli_overrides(tmp_path):
    path = write_ini(tmp_path, "")
    assert servers.resolve_server(str(path)) == ("waitress", {})
    assert servers.resolve_server(str(path), port=9000, host="::1") == (
        "waitress",
        {"port": 9000, "host": "::1"},
    )


def test_server_section_is_honoured_and_typed(tmp_path):
    path = write_ini(
        tmp_path, "[server:main]\nuse = egg:wsgikit#gunicorn\nport = 9001\nworkers = 2\ntimeout = 5\n"
    )
    name, options = servers.resolve_server(str(path))
    assert name == "gunicorn"
    assert options == {"port": 9001, "workers": 2, "timeout": "5"}


def test_cli_flags_override_the_section(tmp_path):
    path = write_ini(tmp_path, "[server:main]\nuse = egg:wsgikit#gunicorn\nport = 9001\nworkers = 2\n")
    assert servers.resolve_server(str(path), port=9002, workers=4) == (
        "gunicorn",
        {"port": 9002, "workers": 4},
    )


def test_another_server_keeps_only_the_common_options(tmp_path):
    path = write_ini(tmp_path, "[server:main]\nuse = egg:wsgikit#gunicorn\nport = 9001\ntimeout = 5\n")
    assert servers.resolve_server(str(path), server="wsgiref") == ("wsgiref", {"port": 9001})


def test_waitress_own_entry_point_is_understood(tmp_path):
    path = write_ini(tmp_path, "[server:main]\nuse = egg:waitress#main\nport = 9003\nthreads = 2\n")
    assert servers.resolve_server(str(path)) == ("waitress", {"port": 9003, "threads": 2})


def test_bad_server_option_names_file_section_and_key(tmp_path):
    path = write_ini(tmp_path, "[server:main]\nuse = egg:wsgikit#waitress\nprot = 8080\n")
    with pytest.raises(ConfigError) as error:
        servers.resolve_server(str(path))
    assert str(error.value).startswith(f"{path} [server:main] prot: ")
    assert "did you mean 'port'" in str(error.value)


def test_a_foreign_server_is_refused_clearly(tmp_path):
    path = write_ini(tmp_path, "[server:main]\npaste.server_factory = wsgiref.simple_server:make_server\n")
    with pytest.raises(ConfigError, match="wsgikit serve runs") as error:
        servers.resolve_server(str(path))
    assert error.value.key == "use"


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("a.ini", ("a.ini", "main")),
        ("config:a.ini#api", ("a.ini", "api")),
        ("dir/a.ini#", ("dir/a.ini", "main")),
    ],
)
def test_split_config(spec, expected, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path, name = servers.split_config(spec)
    assert (path, name) == (str(tmp_path / expected[0]), expected[1])


def test_serve_command_reports_a_missing_file(tmp_path, capsys):
    args = argparse.Namespace(
        config=str(tmp_path / "nope.ini"), server=None, host=None, port=None, workers=None, reload=False
    )
    assert servers.serve_command(args) == 1
    assert "no such config file" in capsys.readouterr().err


def test_reload_child_gets_the_same_arguments():
    args = argparse.Namespace(
        config="x.ini#api", server="wsgiref", host=None, port=9000, workers=None, reload=True
    )
    assert servers._reload_args(args) == [
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
    assert servers.configure_logging(str(path)) is True
    assert logging.getLogger("wsgikit.servers.test").level == logging.DEBUG
    assert logging.getLogger().level == logging.WARNING
    assert not existing.disabled


def test_without_logging_sections_nothing_is_read(tmp_path, saved_logging):
    path = write_ini(tmp_path, "")
    assert servers.configure_logging(str(path)) is False


# -- runners (no server started) ----------------------------------------------------------------------------


def hello(environ, start_response):
    body = f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}".encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


@pytest.mark.parametrize("runner", [servers.run_wsgiref, servers.run_waitress])
def test_single_process_servers_refuse_workers(runner):
    with pytest.raises(ValueError, match=r"^workers: "):
        runner(hello, port=0, workers=2)


def test_gunicorn_refuses_unknown_settings_before_starting(gunicorn):
    with pytest.raises(ValueError, match="not a gunicorn setting"):
        servers.run_gunicorn(hello, port=0, no_such_setting=1)


def test_run_server_names_the_valid_servers():
    with pytest.raises(ValueError, match="wsgiref, waitress, gunicorn"):
        servers.run_server("twisted", hello)


# -- the threaded wsgiref server, for real ------------------------------------------------------------------


def test_wsgiref_server_serves_concurrent_requests_on_loopback():
    server = servers.make_wsgiref_server(validator(hello), port=0, threads=2)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        host, port = server.server_address[:2]
        assert host == "127.0.0.1"
        connections = [http.client.HTTPConnection(host, port, timeout=10) for _ in range(3)]
        for number, conn in enumerate(connections):
            conn.request("GET", f"/n{number}")
        bodies = [conn.getresponse().read() for conn in connections]
        for conn in connections:
            conn.close()
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
    assert bodies == [b"GET /n0", b"GET /n1", b"GET /n2"]


def test_wsgiref_threads_must_be_positive():
    with pytest.raises(ValueError, match="threads"):
        servers.make_wsgiref_server(hello, port=0, threads=0)
