"""Requirement analysis for the compiled matcher: pure functions on pattern strings."""

from __future__ import annotations

import re

import pytest

from wsgikit.routing.patterns import Uncompilable, analyse, may_match_control, whole_group

CONTROL = [chr(code) for code in [*range(0x20), 0x7F]]


@pytest.mark.parametrize(
    ("pattern", "slash"),
    [("[^/]+?", False), ("\\d+", False), ("json|xml", False), (".+?", True), ("[a-z/]+", True), (".*", True)],
)
def test_analyse_reports_patterns_that_may_span_segments(pattern: str, slash: bool) -> None:
    assert analyse(pattern) is slash


@pytest.mark.parametrize("pattern", ["^abc", "a$", "(?=a)a", "(?P<x>a)", "(a)\\1", "[unclosed"])
def test_analyse_rejects_anchors_lookarounds_groups_and_bad_patterns(pattern: str) -> None:
    with pytest.raises(Uncompilable):
        analyse(pattern)


@pytest.mark.parametrize(
    ("source", "control"),
    [
        ("(?P<_0>[0-9a-f-]+)", False),
        ("(?P<_0>json|xml)", False),
        ("(?P<_0>\\d+)", False),
        ("(?P<_0>\\w+)\\.json", False),
        ("(?P<_0>[ -~]+)", False),
        ("(?P<_0>[^/]+?)", True),
        ("(?P<_0>.+?)", True),
        ("(?P<_0>\\s)", True),
        ("(?P<_0>[^\\d])", True),
        ("(?P<_0>[\\x00-\\x1f])", True),
        ("(?P<_0>a\\x7f)", True),
        ("(?i)(?P<_0>[a-z]+)", True),  # flags: not analysed, assumed to match
    ],
)
def test_may_match_control(source: str, control: bool) -> None:
    assert may_match_control(source) is control
    # the analysis is conservative: a False answer is always right
    if not control:
        compiled = re.compile(source)
        assert not any(compiled.fullmatch(f"a{c}") or compiled.fullmatch(c) for c in CONTROL)


@pytest.mark.parametrize(
    ("source", "whole"),
    [
        ("(?P<_0>[^/]+?)", True),
        ("(?P<_0>json|xml)", True),
        ("(?P<_0>(a)(b))", True),
        ("(?P<_0>a)\\.json", False),
        ("v(?P<_0>\\d+)", False),
        ("(?:\\.(?P<_0>[^/.]+?))??", False),
        ("(?P<_0>a)(?P<_1>b)", False),
    ],
)
def test_whole_group(source: str, whole: bool) -> None:
    assert whole_group(source) is whole
