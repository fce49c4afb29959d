"""wsgikit.servers and the ``egg:wsgikit#<server>`` runners: their options, the runners, wsgiref for real."""

from __future__ import annotations

import http.client
import threading
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


def test_waitress_keys_are_still_checked_when_waitress_drops_its_private_table(monkeypatch):
    from waitress.adjustments import Adjustments

    from wsgikit.deploy.adapters import waitress_setting_names

    from_table = waitress_setting_names()
    monkeypatch.delattr(Adjustments, "_params")
    from_attributes = waitress_setting_names()
    assert from_table <= from_attributes
    assert from_attributes - from_table <= {"socket_options"}
    with pytest.raises(ConfigError, match="did you mean 'threads'"):
        components.WAITRESS_OPTIONS.convert({"threadz": "4"}, {"__file__": "x.ini"}, section="server:main")
    options = components.WAITRESS_OPTIONS.convert({"threads": "4", "channel_timeout": "30"})
    assert options["channel_timeout"] == "30"
