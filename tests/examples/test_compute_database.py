"""The compute example's database filter: where the file goes, and how the store reaches the app."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from wsgikit_compute.database import ENVIRON_KEY, DatabaseMiddleware, filter_factory, store_of
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


def test_the_request_connection_is_closed_with_the_response(tmp_path: Path) -> None:
    used: list[sqlite3.Connection] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        used.append(store_of(environ).connection)
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
        used.append(store_of(environ).connection)
        raise RuntimeError("boom")

    wrapped = filter_factory({"here": str(tmp_path)})(app)
    with pytest.raises(RuntimeError, match="boom"):
        TestApp(wrapped).get("/")
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        used[0].execute("SELECT 1")
