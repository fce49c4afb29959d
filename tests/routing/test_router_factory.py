"""``egg:wsgikit#router`` and the route-table helpers behind ``wsgikit routes``."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from paste.deploy import loadapp

from wsgikit.deploy.components.router import OPTIONS, app_factory
from wsgikit.deploy.options import ConfigError
from wsgikit.routing import Mapper, Router
from wsgikit.routing.table import format_route_table, route_rows
from wsgikit.testing import TestApp

MODULE = """
from wsgikit import wsgify
from wsgikit.routing import Mapper

@wsgify
def show(req, id):
    return {"id": id}

def make_mapper():
    mapper = Mapper()
    mapper.connect("server", "/servers/{id}", controller=show, conditions={"method": ["GET", "PUT"]})
    mapper.redirect("/old", "/servers/1")
    return mapper

MAPPER = make_mapper()
NOT_A_MAPPER = 42

def returns_junk():
    return "junk"
"""


@pytest.fixture
def routed_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    (tmp_path / "routed_module_for_tests.py").write_text(MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    return "routed_module_for_tests"


@pytest.mark.parametrize("attribute", ["make_mapper", "MAPPER"])
def test_paste_ini_stanza(tmp_path: Path, routed_module: str, attribute: str) -> None:
    config = tmp_path / "paste.ini"
    config.write_text(
        textwrap.dedent(
            f"""
            [app:main]
            use = egg:wsgikit#router
            mapper = {routed_module}:{attribute}
            """
        )
    )
    router = loadapp(f"config:{config}")
    assert isinstance(router, Router)
    app = TestApp(router)
    assert app.get("/servers/4").json == {"id": "4"}
    assert app.delete("/servers/4", status=405).headers["Allow"] == "GET, HEAD, OPTIONS, PUT"


def test_factory_options(routed_module: str) -> None:
    router = app_factory({}, mapper=f"{routed_module}:make_mapper", method_override="true", auto_options="no")
    assert router.method_override and not router.auto_options and router.auto_head
    names = [option.name for option in OPTIONS.options]
    assert names == ["mapper", "method_override", "auto_head", "auto_options"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("routed_module_for_tests:NOT_A_MAPPER", "neither a Mapper"),
        ("routed_module_for_tests:returns_junk", "not a Mapper"),
        ("routed_module_for_tests:nothing", "no attribute"),
        ("no_such_module_xyz:make", "cannot import"),
        ("justaname", "expected"),
    ],
)
def test_bad_mapper_option_fails_at_load_time(routed_module: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        app_factory({}, mapper=value)


def test_unknown_key_is_rejected(routed_module: str) -> None:
    with pytest.raises(ConfigError, match="method_override"):
        app_factory({}, mapper=f"{routed_module}:make_mapper", method_overide="true")


def test_missing_mapper_is_rejected() -> None:
    with pytest.raises(ConfigError, match="mapper"):
        app_factory({})


def test_route_rows_and_table(routed_module: str) -> None:
    import importlib

    module = importlib.import_module(routed_module)
    rows = route_rows(module.make_mapper())
    assert [row.path for row in rows] == ["/servers/{id}", "/old"]
    assert rows[0].name == "server"
    assert rows[0].methods == "GET, PUT"
    assert rows[0].controller == f"{routed_module}.show"
    assert rows[1].controller == "-> /servers/1"
    assert rows[1].action == "302 Found"
    text = format_route_table(rows)
    lines = text.splitlines()
    assert lines[0].split() == ["Route", "name", "Methods", "Path", "Controller", "Action"]
    assert lines[1].startswith("server ")
    assert all(not line.endswith(" ") for line in lines)


def test_route_rows_on_the_nova_table(nova_mapper: Mapper) -> None:
    rows = route_rows(nova_mapper)
    assert len(rows) == len(nova_mapper.matchlist) == 419
    assert {row.methods for row in rows} >= {"GET", "POST", "PUT", "DELETE", "*"}
    assert all(row.controller for row in rows)


def test_route_rows_show_redirect_targets_of_wsgikit_and_plain_routes_mappers() -> None:
    import routes as plain

    ours = Mapper()
    ours.redirect("/legacy/{url:.*}", "/archives/{url}", _redirect_code="301 Moved Permanently")
    assert [(row.controller, row.action) for row in route_rows(ours)] == [
        ("-> /archives/{url}", "301 Moved Permanently")
    ]
    theirs = plain.Mapper()
    theirs.redirect("/old", "/servers/1")
    theirs.redirect("/legacy/{url:.*}", "/archives/{url}")  # needs a variable: Routes cannot say where
    assert [row.controller for row in route_rows(theirs)] == ["-> /servers/1", "-> (redirect)"]
