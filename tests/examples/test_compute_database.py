"""The compute example's database filter: where the file goes, and how the store reaches the app."""

from __future__ import annotations

import sqlite3
import time
import weakref
from pathlib import Path
from typing import Any

import pytest
from wsgikit_compute.database import ENVIRON_KEY, DatabaseMiddleware, check_database, filter_factory, store_of
from wsgikit_compute.storage import Store

from wsgikit.deploy.options import ConfigError
from wsgikit.testing import TestApp


def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [store_of(environ).path.encode()]


def test_default_path_is_next_to_the_ini(tmp_path: Path) -> None:
    wrapped = filter_factory({"here": str(tmp_path), "__file__": str(tmp_path / "x.ini")})(app)
    assert isinstance(wrapped, DatabaseMiddleware)
    assert wrapped.store.path == str(tmp_path / "compute.sqlite3")
    assert TestApp(wrapped).get("/").text == str(tmp_path / "compute.sqlite3")


def test_relative_path_is_relative_to_the_ini(tmp_path: Path) -> None:
    wrapped = filter_factory({"here": str(tmp_path)}, path="var/c.db")(app)
    assert wrapped.store.path == str(tmp_path / "var" / "c.db")
    assert (tmp_path / "var" / "c.db").exists()  # schema created on first start


def test_unknown_option_fails_at_load(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="did you mean 'path'"):
        filter_factory({"here": str(tmp_path)}, paht="x.db")


def test_missing_filter_is_a_clear_error() -> None:
    with pytest.raises(RuntimeError, match="egg:wsgikit-compute#database"):
        store_of({})
    assert isinstance(store_of({ENVIRON_KEY: Store.__new__(Store)}), Store)


# -- PostgreSQL URLs, start-up failures, the health check and 503s ------------------------------------------


def test_a_url_is_not_joined_to_the_ini_directory(postgres_url: str, tmp_path: Path) -> None:
    wrapped = filter_factory({"here": str(tmp_path)}, path=postgres_url, pool_size="2")(app)
    try:
        assert wrapped.store.path == postgres_url
        assert TestApp(wrapped).get("/").text == postgres_url
        assert list(tmp_path.iterdir()) == []  # no "postgresql:" directory next to the ini
    finally:
        wrapped.store.close()


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (
            "mysql://u:pw@db/compute",
            r"\[?.*path: unsupported URL scheme 'mysql' in mysql://u:\*\*\*@db/compute",
        ),
        (
            "postgresql://u@127.0.0.1:1/compute",
            r"path: cannot connect to postgresql://u@127\.0\.0\.1:1/compute",
        ),
    ],
    ids=["mysql", "unreachable"],
)
def test_unusable_location_fails_at_load(path: str, message: str, tmp_path: Path) -> None:
    pytest.importorskip("psycopg")
    with pytest.raises(ConfigError, match=message) as info:
        filter_factory({"here": str(tmp_path), "__file__": str(tmp_path / "x.ini")}, path=path)
    assert info.value.file == str(tmp_path / "x.ini")
    assert list(tmp_path.iterdir()) == []


def test_wsgikit_check_reports_an_unsupported_scheme(tmp_path: Path) -> None:
    from wsgikit.deploy import check_config

    ini = tmp_path / "x.ini"
    ini.write_text(
        "[app:main]\nuse = egg:wsgikit#healthcheck\n\n"
        "[filter:database]\nuse = egg:wsgikit-compute#database\npath = mysql://u@db/c\n"
    )
    problems = [str(problem) for problem in check_config(str(ini))]
    assert any("[filter:database] path: unsupported URL scheme 'mysql'" in p for p in problems), problems


def test_check_database_follows_the_database(postgres_server: Any, postgres_url: str, tmp_path: Path) -> None:
    from wsgikit_compute import database

    from wsgikit.middleware.healthcheck import HealthcheckApp

    wrapped = filter_factory({"here": str(tmp_path)}, path=postgres_url, timeout="1s")(failing_app)
    health = TestApp(HealthcheckApp(checks=[check_database], detailed=True), extra_environ=LOOPBACK)
    client = TestApp(wrapped)
    name = postgres_url.rpartition("/")[2]
    try:
        assert health.get("/").status_int == 200
        with postgres_server.connect() as admin:
            admin.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS false")
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
            )
            # pg_terminate_backend only signals: until a backend has gone, the pool's check of its
            # connection can still succeed (a health check answered 200 here now and then)
            deadline = time.monotonic() + 30
            while admin.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (name,)
            ).fetchone()[0]:
                assert time.monotonic() < deadline, "the terminated backends did not exit within 30 s"
                time.sleep(0.05)
            try:
                answer = health.get("/", status=503).json
                assert answer["checks"][0]["name"] == "wsgikit_compute.database:check_database"
                assert answer["checks"][0]["ok"] is False
                res = client.get("/", status=503)  # a request needing the database: retry later
                assert res.headers["Retry-After"] == "1"
                assert "Traceback" not in res.text
            finally:
                admin.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")
        # the pool reconnects by itself, after its back-off delay
        deadline = time.monotonic() + 30
        while health.get("/", expect_errors=True).status_int != 200:
            assert time.monotonic() < deadline, "the pool did not reconnect within 30 s"
            time.sleep(0.2)
        assert client.get("/").text == "[]"
    finally:
        wrapped.store.close()
        database._stores.remove(wrapped.store)


LOOPBACK = {"REMOTE_ADDR": "127.0.0.1"}


def failing_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    servers = store_of(environ).list_servers("p")
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [str(servers).encode()]


def test_check_database_without_a_filter(monkeypatch: pytest.MonkeyPatch) -> None:
    from wsgikit_compute import database

    monkeypatch.setattr(database, "_stores", weakref.WeakSet())
    assert check_database() == (False, "no database filter was loaded in this process")


def test_a_discarded_applications_store_is_forgotten(tmp_path: Path) -> None:
    """The health check's registry does not keep stores alive: once nothing uses one, it is gone."""
    import gc

    from wsgikit_compute import database

    make = filter_factory({"here": str(tmp_path)}, path="forgotten.sqlite3")
    app = make(failing_app)
    store = app.store
    assert store in database._stores
    store.close()
    count = len(database._stores)
    del make, app, store
    gc.collect()
    assert len(database._stores) == count - 1


@pytest.mark.parametrize("config", ["nova-style.ini", "compute-cluster.ini"])
def test_a_mysql_url_in_the_environment_fails_loading_the_config(
    config: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bug this replaces: ``postgresql://...`` (or any URL) taken for a relative SQLite path."""
    from wsgikit.deploy import loadapp

    monkeypatch.setenv("WSGIKIT_COMPUTE_DB", "mysql://u@db/compute")
    configs = Path(__file__).resolve().parents[2] / "paste-configs"
    with pytest.raises(ConfigError, match=r"\[filter:database\] path: unsupported URL scheme 'mysql'"):
        loadapp(f"config:{configs / config}")
    assert not (configs / "mysql:").exists()


def test_the_request_connection_is_closed_with_the_response(tmp_path: Path) -> None:
    used: list[sqlite3.Connection] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        used.append(store_of(environ).db.connection)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [str(len(store_of(environ).list_flavors())).encode()]

    wrapped = filter_factory({"here": str(tmp_path)})(app)
    assert TestApp(wrapped).get("/").text == "4"
    assert TestApp(wrapped).get("/").text == "4"  # a new connection for the next request
    assert len(used) == 2
    assert used[0] is not used[1]
    for connection in used:
        with pytest.raises(sqlite3.ProgrammingError, match="closed"):
            connection.execute("SELECT 1")


def test_the_connection_is_closed_when_the_app_raises(tmp_path: Path) -> None:
    used: list[sqlite3.Connection] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        used.append(store_of(environ).db.connection)
        raise RuntimeError("boom")

    wrapped = filter_factory({"here": str(tmp_path)})(app)
    with pytest.raises(RuntimeError, match="boom"):
        TestApp(wrapped).get("/")
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        used[0].execute("SELECT 1")


def test_the_scale_out_page_shows_what_wsgikit_check_prints() -> None:
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    page = (root / "docs" / "deploy" / "scale-out.rst").read_text(encoding="utf-8").splitlines()
    command = "   $ WSGIKIT_COMPUTE_DB=mysql://u@db/compute wsgikit check paste-configs/compute-cluster.ini"
    shown = page[page.index(command) + 1].strip()
    env = {**os.environ, "WSGIKIT_COMPUTE_DB": "mysql://u@db/compute"}
    result = subprocess.run(
        [sys.executable, "-m", "wsgikit", "check", "paste-configs/compute-cluster.ini"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stdout.splitlines() == [shown]
