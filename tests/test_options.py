from __future__ import annotations

import os
import re
from typing import Any

import pytest

from wsgikit.options import (
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


def test_a_value_that_does_not_expand_is_located_at_its_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DEMO_LEVEL", raising=False)
    conf = {"level": "${ENV:DEMO_LEVEL}", "path": "p"}
    (problem,) = TABLE.check(conf, {"__file__": "f.ini"}, section="filter:demo", lines={"level": 3})
    assert str(problem).startswith("f.ini:3 [filter:demo] level: ")
    assert "DEMO_LEVEL" in problem.message


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


# -- one declaration for Python and INI ---------------------------------------------------------------------


def test_deploy_options_re_exports_every_name() -> None:
    import wsgikit.deploy.options
    import wsgikit.options

    for name in wsgikit.options.__all__:
        assert getattr(wsgikit.deploy.options, name) is getattr(wsgikit.options, name)


def test_a_converter_parses_ini_text_and_checks_python_values() -> None:
    level = to_int(1, 9)
    assert level("6") == 6 == level(6) == level.check(6)
    with pytest.raises(ValueError, match="expected an integer, got '6'"):
        level.check("6")  # from Python a string is not parsed
    for value in (True, "true"):
        with pytest.raises(ValueError):
            level(value)
    with pytest.raises(ValueError, match="must be at most 9, got 10"):
        level("10")
    assert to_list.check(("a", "b")) == ["a", "b"]
    with pytest.raises(ValueError, match="single string"):
        to_list.check("a b")


def test_checked_adds_a_rule_to_both_sides_and_keeps_the_name() -> None:
    def no_x(items: list[str]) -> None:
        if "x" in items:
            raise ValueError("x is not allowed")

    converter = to_list.checked(no_x)
    assert converter.__name__ == "to_list"
    assert converter("a, b") == ["a", "b"]
    for value in ("a x", ["a", "x"]):
        with pytest.raises(ValueError, match="x is not allowed"):
            converter(value)


def test_validate_checks_python_keyword_arguments_naming_the_option() -> None:
    assert TABLE.validate(level=3, flush=True, path=object()) == {"level": 3, "flush": True, "path": ANY}
    with pytest.raises(ConfigError, match=r"^level: must be at least 1, got 0$") as caught:
        TABLE.validate(level=0)
    assert isinstance(caught.value, ValueError) and caught.value.key == "level"
    with pytest.raises(ValueError, match=r"^flush: expected a boolean, got 1$"):
        TABLE.validate(flush=1)
    with pytest.raises(ValueError, match=r"^minimum_size:"):
        TABLE.validate(minimum_size=None)  # None is "not set" only where the default is None
    assert OptionTable("t", Option("limit", to_size, None)).validate(limit=None) == {"limit": None}
    assert TABLE.default("level") == 6


class _Any:
    def __eq__(self, other: object) -> bool:
        return True


ANY: Any = _Any()


def _classes_with_tables() -> list[Any]:
    from wsgikit.middleware import (
        access_log,
        auth,
        cors,
        errors,
        gzip,
        healthcheck,
        hosts,
        lint,
        proxy,
        proxy_fix,
        request_id,
        sizelimit,
        static,
        versions,
    )
    from wsgikit.routing import Router

    return [
        access_log.AccessLogMiddleware,
        auth.AuthMiddleware,
        auth.BasicAuthMiddleware,
        auth.TokenAuthMiddleware,
        auth.NoAuthBackend,
        cors.CorsMiddleware,
        errors.ErrorCatcherMiddleware,
        gzip.GzipMiddleware,
        healthcheck.HealthcheckApp,
        healthcheck.HealthcheckMiddleware,
        hosts.AllowedHostsMiddleware,
        lint.LintMiddleware,
        proxy.ProxyApp,
        proxy_fix.ProxyFixMiddleware,
        request_id.RequestIdMiddleware,
        sizelimit.SizeLimitMiddleware,
        static.StaticApp,
        versions.VersionsMiddleware,
        Router,
    ]


# None in the signature means "the table's default" there: a file takes neither a logger nor a level
_NONE_MEANS_DEFAULT = {("AccessLogMiddleware", "logger_name"), ("AccessLogMiddleware", "level")}


@pytest.mark.parametrize("cls", _classes_with_tables(), ids=lambda cls: cls.__name__)
def test_every_class_takes_its_defaults_from_its_table(cls: Any) -> None:
    import inspect

    from wsgikit.middleware.auth import NOAUTH_OPTIONS

    table = NOAUTH_OPTIONS if cls.__name__ == "NoAuthBackend" else cls.OPTIONS
    parameters = inspect.signature(cls).parameters
    for kwarg, option in table.by_kwarg.items():
        if kwarg not in parameters:
            continue  # an INI-only key (setup_console_handler), or one the class's backend takes
        expected = None if (cls.__name__, kwarg) in _NONE_MEANS_DEFAULT else option.default
        default = parameters[kwarg].default
        assert default is inspect.Parameter.empty if option.required else default == expected, kwarg
