"""Requirement analysis for the compiled matcher (internal)
=========================================================

Whether a route variable's regular expression can be matched one path segment at a time, exactly as
Routes' whole-path regex would: it must not match a ``/`` (else the variable may span segments) and must
not anchor or look around (else its meaning depends on its neighbours). Pure functions on pattern strings.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable
from typing import Any

__all__ = ["Uncompilable", "analyse", "may_match_control", "whole_group"]

_parser: Any = importlib.import_module("re._parser")

# Requirement patterns that are known to look only inside their own segment even though they hold a
# look-behind: Routes' resource() member id.
_SAFE_ASSERTING = frozenset({"[^\\/]+(?<!\\\\)"})


class Uncompilable(Exception):
    """A route the trie cannot represent exactly; it is matched by Routes instead."""


def _charset_has_slash(items: list[tuple[Any, Any]]) -> bool:
    slash = ord("/")
    negate = False
    hit = False
    for op, av in items:
        name = str(op)
        if name == "NEGATE":
            negate = True
        elif name == "LITERAL":
            hit = hit or av == slash
        elif name == "RANGE":
            hit = hit or av[0] <= slash <= av[1]
        elif name == "CATEGORY":
            hit = hit or "NOT" in str(av)  # '/' is no digit, word or space character
        else:
            return True  # case-folding variants and friends: be conservative
    return hit != negate


def _scan(parsed: Iterable[tuple[Any, Any]]) -> tuple[bool, bool]:
    """``(may_match_slash, has_assertion)`` for a parsed pattern; unknown constructs count as both."""
    slash = ord("/")
    may_slash = False
    asserting = False
    for op, av in parsed:
        name = str(op)
        if name == "LITERAL":
            may_slash = may_slash or av == slash
        elif name == "NOT_LITERAL":
            may_slash = may_slash or av != slash
        elif name == "ANY":
            may_slash = True
        elif name == "IN":
            may_slash = may_slash or _charset_has_slash(av)
        elif name == "BRANCH":
            for branch in av[1]:
                s, a = _scan(branch)
                may_slash, asserting = may_slash or s, asserting or a
        elif name == "SUBPATTERN":
            s, a = _scan(av[3])
            may_slash, asserting = may_slash or s, asserting or a
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            s, a = _scan(av[2])
            may_slash, asserting = may_slash or s, asserting or a
        elif name == "ATOMIC_GROUP":
            s, a = _scan(av)
            may_slash, asserting = may_slash or s, asserting or a
        else:  # AT (anchors), ASSERT, ASSERT_NOT, GROUPREF, GROUPREF_EXISTS, ...
            return True, True
    return may_slash, asserting


def analyse(pattern: str) -> bool:
    """True when ``pattern`` may match a ``/``; raises :class:`Uncompilable` when it asserts or anchors
    (per-segment matching could then disagree with Routes' whole-path regex)."""
    if pattern in _SAFE_ASSERTING:
        return False
    try:
        parsed = _parser.parse(pattern)
    except re.error as error:
        raise Uncompilable(f"bad pattern {pattern!r}: {error}") from None
    if parsed.state.groupdict:
        raise Uncompilable("pattern defines or references groups")
    may_slash, asserting = _scan(parsed)
    if asserting:
        raise Uncompilable(f"pattern {pattern!r} uses anchors or look-arounds")
    return may_slash


def whole_group(source: str) -> bool:
    """True when ``source`` is one capturing group and nothing else: after a full match its value is the
    whole segment, so the generated matcher reads the segment instead of the group."""
    data = _parser.parse(source).data
    return len(data) == 1 and str(data[0][0]) == "SUBPATTERN" and data[0][1][0] == 1


_CONTROL_CODES = frozenset([*range(0x20), 0x7F])
# character classes that hold no control character (\d, \w)
_CONTROL_FREE = frozenset({"CATEGORY_DIGIT", "CATEGORY_WORD", "CATEGORY_UNI_DIGIT", "CATEGORY_UNI_WORD"})


def _charset_hits_control(items: list[tuple[Any, Any]]) -> bool:
    negate = False
    listed: set[int] = set()
    for op, av in items:
        name = str(op)
        if name == "NEGATE":
            negate = True
        elif name == "LITERAL":
            listed.add(av)
        elif name == "RANGE":
            listed.update(code for code in _CONTROL_CODES if av[0] <= code <= av[1])
        elif name == "CATEGORY" and str(av) in _CONTROL_FREE:
            continue
        else:
            return True  # categories, case-folding variants: be conservative
    return any((code in listed) != negate for code in _CONTROL_CODES)


def _hits_control(parsed: Iterable[tuple[Any, Any]]) -> bool:
    for op, av in parsed:
        name = str(op)
        if name == "LITERAL":
            hit = av in _CONTROL_CODES
        elif name == "IN":
            hit = _charset_hits_control(av)
        elif name == "BRANCH":
            hit = any(_hits_control(branch) for branch in av[1])
        elif name == "SUBPATTERN":
            hit = _hits_control(av[3])
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            hit = _hits_control(av[2])
        elif name == "ATOMIC_GROUP":
            hit = _hits_control(av)
        else:  # ANY, NOT_LITERAL, CATEGORY, anchors, ...: be conservative
            hit = True
        if hit:
            return True
    return False


def may_match_control(source: str) -> bool:
    """True unless ``source`` provably matches no string holding an ASCII control character (then the
    generated matcher need not check the segment for them)."""
    parsed = _parser.parse(source)
    if parsed.state.flags & ~(re.UNICODE | re.ASCII):
        return True
    return _hits_control(parsed)
