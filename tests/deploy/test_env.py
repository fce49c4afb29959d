from __future__ import annotations

import configparser

import pytest

from wsgikit.deploy.env import EnvInterpolation, expand_env
from wsgikit.deploy.options import ConfigError

ENV = {"HOST": "db.example", "PASSWORD": "100%(x)s", "EMPTY": ""}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("plain", "plain"),
        ("${ENV:HOST}", "db.example"),
        ("postgres://${ENV:HOST}:5432/x", "postgres://db.example:5432/x"),
        ("${ENV:MISSING:-fallback}", "fallback"),
        ("${ENV:MISSING:-}", ""),
        ("${ENV:EMPTY:-fallback}", "fallback"),
        ("${ENV:EMPTY}", ""),
        ("${ENV:HOST}${ENV:HOST}", "db.exampledb.example"),
        ("$HOST ${HOST} ${ENV}", "$HOST ${HOST} ${ENV}"),
    ],
)
def test_expand_env(value: str, expected: str) -> None:
    assert expand_env(value, ENV) == expected


def test_unset_without_default() -> None:
    with pytest.raises(ConfigError, match="MISSING is not set"):
        expand_env("${ENV:MISSING}", ENV)
    assert expand_env("${ENV:MISSING}", ENV, strict=False) == "${ENV:MISSING}"


@pytest.mark.parametrize("value", ["${ENV:}", "${ENV:HOST", "x ${ENV:1ST}", "${ENV:HOST}-${ENV:NO SPACE}"])
def test_a_malformed_reference_is_named_as_such(value: str) -> None:
    with pytest.raises(ConfigError, match="malformed environment reference '\\$\\{ENV:"):
        expand_env(value, ENV)
    assert expand_env(value, ENV, strict=False).endswith(value[-3:])  # left as written when lenient


def test_escape_percent_for_interpolation() -> None:
    assert expand_env("${ENV:PASSWORD}", ENV, escape_percent=True) == "100%%(x)s"


def parser(text: str, environ: dict[str, str]) -> configparser.ConfigParser:
    result = configparser.ConfigParser(interpolation=EnvInterpolation("t.ini", lambda s, k: 7, environ))
    result.read_string(text)
    return result


def test_interpolation_keeps_environment_text_literal() -> None:
    config = parser(
        "[DEFAULT]\nhere = /srv\n[s]\npw = ${ENV:PASSWORD}\npath = ${ENV:NOPE:-%(here)s/data}\n", ENV
    )
    assert config.get("s", "pw") == "100%(x)s"
    assert config.get("s", "path") == "/srv/data"


def test_referenced_env_value() -> None:
    config = parser(
        "[DEFAULT]\nstrategy = ${ENV:STRATEGY:-token}\n[s]\nkey = %(strategy)s\nother = ${ENV:UNSET}\n", {}
    )
    assert (
        config.get("s", "key") == "token"
    )  # `other` is not referenced, so its unset variable does not matter
    with pytest.raises(ConfigError) as caught:
        parser("[DEFAULT]\nstrategy = ${ENV:UNSET}\n[s]\nkey = %(strategy)s\n", {}).get("s", "key")
    assert (caught.value.file, caught.value.line, caught.value.section, caught.value.key) == (
        "t.ini",
        7,
        "s",
        "key",
    )


@pytest.mark.parametrize(
    ("value", "fragment"),
    [("100%", "bad '%'"), ("%(nope)s", "%(nope)s refers to a key"), ("%(self)s", "too deeply nested")],
)
def test_interpolation_errors_name_the_key(value: str, fragment: str) -> None:
    config = parser(f"[s]\nself = %(self)s\nv = {value}\n", {})
    with pytest.raises(ConfigError) as caught:
        config.get("s", "v")
    assert (caught.value.section, caught.value.key) == ("s", "v")
    assert fragment in caught.value.message
