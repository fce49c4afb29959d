from __future__ import annotations

import pytest

from wsgikit.deploy.options import REQUIRED, ConfigError, Option, OptionTable, to_bool, to_int, to_size

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
