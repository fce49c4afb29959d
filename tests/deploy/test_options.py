from __future__ import annotations

import os
import re
from typing import Any

import pytest

from wsgikit.deploy.options import (
    REQUIRED,
    ConfigError,
    Option,
    OptionTable,
    to_bool,
    to_callable,
    to_choice,
    to_duration,
    to_int,
    to_list,
    to_log_level,
    to_networks,
    to_path,
    to_regex,
    to_size,
)

TABLE = OptionTable(
    "demo",
    Option("level", to_int(1, 9), 6, "compression level"),
    Option("minimum_size", to_size, 500),
    Option("flush", to_bool, False),
    Option("path", str, REQUIRED),
)


def test_convert_raises_the_first_problem_with_location() -> None:
    with pytest.raises(ConfigError) as caught:
        TABLE.convert({"levle": "3", "path": "x"}, {"__file__": "/etc/x.ini"})
    error = caught.value
    assert (error.file, error.section, error.key) == ("/etc/x.ini", None, "levle")
    assert "did you mean 'level'?" in error.message
    assert str(error) == "/etc/x.ini levle: unknown option for demo; did you mean 'level'?"


def test_check_collects_every_problem() -> None:
    errors = TABLE.check({"levle": "3", "minimum_size": "big", "flush": "perhaps"})
    assert [error.key for error in errors] == ["levle", "minimum_size", "flush", "path"]


def test_env_values_are_expanded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMO_LEVEL", "9")
    assert TABLE.convert({"level": "${ENV:DEMO_LEVEL}", "path": "${ENV:DEMO_UNSET:-p}"}) == {
        "level": 9,
        "path": "p",
    }
    monkeypatch.delenv("DEMO_LEVEL")
    with pytest.raises(ConfigError) as caught:
        TABLE.convert({"level": "${ENV:DEMO_LEVEL}", "path": "p"})
    assert caught.value.key == "level"


def test_located_fills_only_unknown_fields() -> None:
    error = ConfigError("bad", key="k").located(file="f.ini", line=3, section="s", key="other")
    assert str(error) == "f.ini:3 [s] k: bad"


@pytest.mark.parametrize(
    ("converter", "value", "expected"),
    [
        (to_bool, "Yes", True),
        (to_bool, "off", False),
        (to_int(1, 9), " 7 ", 7),
        (to_size, "1048576", 1048576),
        (to_size, "10MB", 10_000_000),
        (to_size, "10MiB", 10 * 1024 * 1024),
        (to_size, "1.5KiB", 1536),
        (to_duration, "30", 30.0),
        (to_duration, "250ms", 0.25),
        (to_duration, "5m", 300.0),
        (to_list, "a, b  c,,d", ["a", "b", "c", "d"]),
        (to_log_level, "info", 20),
        (to_log_level, "15", 15),
        (to_choice("json", "combined"), " json ", "json"),
    ],
)
def test_converters(converter: Any, value: str, expected: Any) -> None:
    assert converter(value) == expected


@pytest.mark.parametrize(
    ("converter", "value", "fragment"),
    [
        (to_bool, "flase", "boolean"),
        (to_int(1, 9), "10", "at most 9"),
        (to_int(1, 9), "0", "at least 1"),
        (to_int(), "x", "integer"),
        (to_size, "10XB", "size"),
        (to_duration, "soon", "duration"),
        (to_regex, "(", "regular expression"),
        (to_callable, "nocolon", "package.module:callable"),
        (to_callable, "no_such_module_zz:f", "cannot import"),
        (to_callable, "os:no_such_attr", "no attribute"),
        (to_callable, "os:sep", "not callable"),
        (to_choice("a", "b"), "c", "one of a, b"),
        (to_log_level, "LOUD", "logging level"),
        (to_networks, "10.0.0.0/8 nope", "IP network"),
    ],
)
def test_converter_errors(converter: Any, value: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=re.escape(fragment)):
        converter(value)


def test_callable_and_networks_and_path() -> None:
    assert to_callable("os.path:join") is os.path.join
    assert [str(n) for n in to_networks("127.0.0.1 10.0.0.0/8")] == ["127.0.0.1/32", "10.0.0.0/8"]
    assert to_path("~/x") == os.path.expanduser("~/x")
    assert to_regex("^a$").match("a")


def test_accept_extra_and_defaults() -> None:
    table = OptionTable("x", Option("a", to_bool, True), accept_extra=lambda key: key.startswith("/"))
    assert table.convert({"/p": "app", "a": "no"}) == {"/p": "app", "a": False}
    assert table.defaults() == {"a": True}
    with pytest.raises(ValueError, match="duplicate"):
        OptionTable("y", Option("a", to_bool), Option("a", to_bool))


def test_exclusive_options() -> None:
    table = OptionTable(
        "sink",
        Option("file", str),
        Option("logger", str),
        Option("level", str),
        exclusive=[("file", "logger", "lines go one way"), ("file", "level", "")],
    )
    assert table.convert({"file": "a"}) == {"file": "a"}
    assert table.convert({"logger": "x", "level": "INFO"}) == {"logger": "x", "level": "INFO"}
    with pytest.raises(ConfigError) as caught:
        table.convert({"logger": "x", "file": "a"}, {"__file__": "/etc/x.ini"}, section="filter:log")
    assert (caught.value.key, caught.value.section) == ("logger", "filter:log")
    assert caught.value.message == "lines go one way; give file or logger, not both"
    errors = table.check({"file": "a", "logger": "x", "level": "INFO"})
    assert [(error.key, error.message) for error in errors] == [
        ("logger", "lines go one way; give file or logger, not both"),
        ("level", "give file or level, not both"),
    ]
    with pytest.raises(ValueError, match="undeclared option"):
        OptionTable("bad", Option("file", str), exclusive=[("file", "nope", "")])
