"""Property-based fuzzing of the configuration converters, ``${ENV:...}`` expansion and route patterns.

A value written in an INI file either converts to the documented type or raises the documented
``ValueError`` (``ConfigError`` for environment references) — never ``OverflowError``, ``TypeError`` or
``re.error``, which ``wsgikit check`` and the loader would report as a crash instead of naming the key.
Valid values round-trip.
"""

from __future__ import annotations

import contextlib
import re
from typing import Any

import pytest
import routes
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from wsgikit import options
from wsgikit.deploy.env import ENV_RE, expand_env
from wsgikit.deploy.options import ConfigError
from wsgikit.routing import Mapper, Router
from wsgikit.routing.matcher import CompiledMatcher
from wsgikit.routing.patterns import Uncompilable, analyse, may_match_control
from wsgikit.testing import TestApp

FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

text = st.text(max_size=40)


def grammar(*pieces: str) -> st.SearchStrategy[str]:
    return st.one_of(text, st.lists(st.one_of(st.sampled_from(pieces), text), max_size=8).map("".join))


def converts_or_value_error(convert: Any, value: str) -> Any:
    try:
        return convert(value)
    except ValueError:
        return None


# -- size / duration / bool / int / list -----------------------------------------------------------------


@FAST
@given(grammar("1", "10", ".5", "9" * 400, "KB", "MiB", "gb", "k", " ", "-", "e5", "inf", "nan", "B", "0"))
def test_size(value: str) -> None:
    size = converts_or_value_error(options.to_size, value)
    assert size is None or (isinstance(size, int) and size >= 0)


@FAST
@given(st.integers(min_value=0, max_value=10**9), st.sampled_from(sorted(options._SIZE_UNITS)))
def test_size_round_trip(number: int, unit: str) -> None:
    assert options.to_size(f"{number}{unit}") == number * options._SIZE_UNITS[unit.lower()]
    assert options.to_size(f" {number} {unit.upper()} ") == number * options._SIZE_UNITS[unit.lower()]


@FAST
@given(grammar("1", "30", ".5", "9" * 400, "s", "ms", "m", "h", "d", " ", "-", "e9", "inf", "nan"))
def test_duration(value: str) -> None:
    duration = converts_or_value_error(options.to_duration, value)
    assert duration is None or (isinstance(duration, float) and 0 <= duration < float("inf"))


@FAST
@given(grammar("true", "False", "yes", "NO", "on", "off", "1", "0", " ", "tru", "\t"))
def test_bool(value: str) -> None:
    result = converts_or_value_error(options.to_bool, value)
    assert result is None or result is (value.strip().lower() in ("true", "yes", "on", "1"))


@FAST
@given(
    grammar("1", "-5", "9" * 5000, " ", "0x10", "1_000", "+3", "٣"), st.integers(-5, 5), st.integers(5, 50)
)
def test_int(value: str, minimum: int, maximum: int) -> None:
    number = converts_or_value_error(options.to_int(minimum, maximum), value)
    assert number is None or (isinstance(number, int) and minimum <= number <= maximum)


@FAST
@given(grammar("a", ",", " ", "\n", "\t", ",,", "b c"))
def test_list(value: str) -> None:
    items = options.to_list(value)
    assert all(item and not re.search(r"[\s,]", item) for item in items)
    assert options.to_list(", ".join(items)) == items


@pytest.mark.filterwarnings("ignore::FutureWarning")  # re's "possible nested set": a warning, not an error
@FAST
@given(grammar("(", ")", "[", "a", "*", "+", "?", "\\", "{2}", "(?P<x>", "|"))
def test_regex(value: str) -> None:
    pattern = converts_or_value_error(options.to_regex, value)
    assert pattern is None or isinstance(pattern, re.Pattern)


# -- ${ENV:...} ---------------------------------------------------------------------------------------------

NAMES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True)


@FAST
@given(
    grammar("${ENV:", "}", ":-", "HOME", "X", "${", "$", "%", "%(here)s", "ENV:"),
    st.dictionaries(NAMES, text, max_size=4),
)
def test_env_expansion(value: str, environ: dict[str, str]) -> None:
    try:
        expanded = expand_env(value, environ)
    except ConfigError as error:
        assert "is not set" in str(error) or "malformed environment reference" in str(error)
        return
    if not ENV_RE.search(value):
        assert expanded == value
    assert expand_env(value, environ, strict=False) == expanded


@FAST
@given(
    NAMES,
    st.one_of(st.none(), st.text(max_size=10).filter(lambda d: "}" not in d)),
    st.dictionaries(NAMES, text),
)
def test_env_reference_round_trip(name: str, default: str | None, environ: dict[str, str]) -> None:
    reference = f"${{ENV:{name}}}" if default is None else f"${{ENV:{name}:-{default}}}"
    found = environ.get(name)
    if found is None or (found == "" and default is not None):
        if default is None:
            with pytest.raises(ConfigError):
                expand_env(reference, environ)
            return
        expected = default
    else:
        expected = found
    assert expand_env(f"<{reference}>", environ) == f"<{expected}>"
    assert (
        expand_env(reference, environ, escape_percent=True) == expected.replace("%", "%%")
        or default == expected
    )


def echo(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


# -- route patterns -----------------------------------------------------------------------------------------

REQUIREMENTS = [
    "\\d+",
    "[^/]+",
    "[a-z]{2,}",
    "(a|b)",
    ".*",
    "(?<=x)y",
    "[/]",
    "\\w+(?:\\.\\w+)*",
    "[\\x00-\\x1f]+",
]


@pytest.mark.filterwarnings("ignore::FutureWarning")
@FAST
@given(grammar(*REQUIREMENTS, "(", ")", "^", "$", "\\b", "[", "]", "?", "*"))
def test_requirement_analysis(pattern: str) -> None:
    try:
        re.compile(pattern)
    except re.error:
        assume(False)
    with contextlib.suppress(Uncompilable):  # documented: such a route is matched by Routes itself
        assert isinstance(analyse(pattern), bool)
    assert isinstance(may_match_control(pattern), bool)


segment = st.sampled_from(
    ["servers", "{id}", "{name:[a-z]+}", "{num:\\d+}", "detail", "{x}.{fmt}", "{a}-{b}", "v2.1", "a~b", "-"]
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.lists(segment, min_size=0, max_size=4).map(lambda parts: "/" + "/".join(parts)),
        min_size=1,
        max_size=5,
    ),
    st.lists(st.text(max_size=20), max_size=5),
)
def test_route_templates_compile_and_match_like_routes(templates: list[str], probes: list[str]) -> None:
    for template in templates:
        names = re.findall(r"\{(\w+)", template)
        assume(len(names) == len(set(names)))  # Routes itself cannot compile /{id}/{id}
    mapper = Mapper()
    for number, template in enumerate(templates):
        mapper.connect(f"r{number}", template, controller=echo, action="index")
    matcher = CompiledMatcher(mapper)
    for template in templates:
        probes.append(template.replace("{", "").replace("}", "").replace(":", ""))
    for probe in probes:
        path = "/" + probe.lstrip("/")
        ours = matcher.routematch(path, "GET")
        theirs = routes.Mapper.routematch(mapper, path, {"REQUEST_METHOD": "GET", "PATH_INFO": path})
        if any(ord(char) < 0x20 or ord(char) == 0x7F for char in path):
            assert ours is None
            continue
        assert (ours[0] if ours else None) == (theirs[0] if theirs else None), (templates, path)
    router = Router(mapper)
    response = TestApp(router).get("/\x7f", expect_errors=True)
    assert response.status_int == 404
