"""Every ``egg:wsgikit#...`` entry point declared in pyproject.toml resolves, and has an option table."""

from __future__ import annotations

import importlib.metadata

import pytest

from wsgikit.deploy.check import options_table_for

GROUPS = ("paste.filter_factory", "paste.app_factory", "paste.composite_factory", "paste.server_runner")
ENTRY_POINTS = [
    entry for entry in importlib.metadata.distribution("wsgikit").entry_points if entry.group in GROUPS
]


def test_design_names_are_all_declared() -> None:
    declared = {(entry.group, entry.name) for entry in ENTRY_POINTS}
    filters = [
        "errors",
        "gzip",
        "basic_auth",
        "token_auth",
        "noauth",
        "request_id",
        "access_log",
        "sizelimit",
    ]
    filters += ["cors", "proxy_fix", "allowed_hosts", "healthcheck", "lint"]
    expected = {("paste.filter_factory", name) for name in filters}
    expected |= {("paste.app_factory", name) for name in ["router", "static", "healthcheck", "proxy"]}
    expected |= {("paste.composite_factory", name) for name in ["urlmap", "cascade", "select"]}
    expected |= {("paste.server_runner", name) for name in ["wsgiref", "waitress", "main", "gunicorn"]}
    # Paste's spellings, so `egg:Paste#x` migrates by changing the distribution name only
    expected |= {("paste.filter_factory", name) for name in ["translogger", "error_catcher", "auth_basic"]}
    assert expected <= declared


@pytest.mark.parametrize("entry", ENTRY_POINTS, ids=lambda entry: f"{entry.group.split('.')[1]}:{entry.name}")
def test_entry_point_loads_and_declares_its_options(entry: importlib.metadata.EntryPoint) -> None:
    factory = entry.load()
    assert callable(factory)
    table = options_table_for(factory)
    assert table is not None, f"{entry.value} declares no OptionTable"
    assert factory.options is table  # declared on the factory itself (@declares), not guessed from names


@pytest.mark.parametrize(
    ("alias", "name"),
    [("error_catcher", "errors"), ("translogger", "access_log"), ("auth_basic", "basic_auth")],
)
def test_paste_aliases_point_at_the_same_factory(alias: str, name: str) -> None:
    values = {entry.name: entry.value for entry in ENTRY_POINTS if entry.group == "paste.filter_factory"}
    assert values[alias] == values[name]
