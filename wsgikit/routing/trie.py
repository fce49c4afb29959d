"""The route trie behind the compiled matcher (internal)
======================================================

A Routes mapper becomes one trie per path length: :class:`Node` holds its literal children in a dict and
its variable children as :class:`Pattern` tests shared by every route with the same pattern at that
position; :class:`Terminal` holds the routes ending there, best first per method; :class:`Tail` holds a
route whose last variable may span segments. Each route is an :class:`Entry` that turns captured values
into Routes' match dict. Routes' order (longer literal prefix first, then connection order) is one integer
priority per route: lower wins.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import routes
import routes.route

from wsgikit.routing.patterns import Uncompilable, may_match_control, whole_group

__all__ = [
    "CONTROL",
    "EMPTY",
    "MAX_PREFIX",
    "MISS_TUPLE",
    "NONEMPTY",
    "SPAN",
    "Entry",
    "Node",
    "Pattern",
    "Tail",
    "Terminal",
    "Var",
    "check_names",
    "has_control_chars",
    "method_condition",
    "render",
    "route_parts",
    "split_segments",
]

CONTROL = re.compile(r"[\x00-\x1f\x7f]")

EMPTY: frozenset[str] = frozenset()
MISS_TUPLE: tuple[None, None, frozenset[str]] = (None, None, EMPTY)

SPAN = 1 << 32
MAX_PREFIX = 1 << 20

# Patterns that, applied to one slash-free segment, mean "not empty": tested without a regex.
NONEMPTY = frozenset({"[^/]+?", "[^/]+", "[^\\/]+?", "[^\\/]+"})


def has_control_chars(path: str) -> bool:
    """True when ``path`` holds an ASCII control character (such paths never match)."""
    if path.isascii() and path.isprintable():
        return False
    return CONTROL.search(path) is not None


@dataclass(frozen=True)
class Var:
    name: str
    pattern: str  # Routes' own pattern for the variable (requirement or default)
    dotted: bool  # a ``{.format}`` part: optional, introduced by a dot


def route_parts(route: routes.route.Route, clist: list[str]) -> list[str | Var]:
    """The route as literal strings and variables, with the patterns Routes' ``buildfullreg`` uses."""
    parts: list[str | Var] = []
    for part in route.routelist:
        if isinstance(part, str):
            if part:
                parts.append(part)
            continue
        name = part["name"]
        kind = part["type"]
        if name == "controller":
            pattern = "|".join(map(re.escape, clist))
        elif kind == ":":
            pattern = route.reqs.get(name) or "[^/]+?"
        elif kind == ".":
            pattern = route.reqs.get(name) or "[^/.]+?"
        else:
            pattern = route.reqs.get(name) or ".+?"
        parts.append(Var(name, pattern, kind == "."))
    return parts


def render(items: list[str | Var], names: list[str]) -> str:
    """A regex for ``items``; each variable becomes group ``_<n>`` and its name is appended to ``names``."""
    out: list[str] = []
    for item in items:
        if isinstance(item, str):
            out.append(re.escape(item))
            continue
        slot = f"(?P<_{len(names)}>{item.pattern})"
        names.append(item.name)
        out.append(rf"(?:\.{slot})??" if item.dotted else slot)
    return "".join(out)


def split_segments(parts: list[str | Var]) -> list[list[str | Var]]:
    segments: list[list[str | Var]] = []
    current: list[str | Var] = []
    for part in parts:
        if isinstance(part, Var):
            current.append(part)
            continue
        pieces = part.split("/")
        if pieces[0]:
            current.append(pieces[0])
        for piece in pieces[1:]:
            segments.append(current)
            current = [piece] if piece else []
    segments.append(current)
    return segments


def extractor(compiled: re.Pattern[str], width: int) -> Callable[[re.Match[str]], tuple[str | None, ...]]:
    """How to read the slot values of a match: ``groups()`` unless a requirement holds groups of its own."""
    if compiled.groups == width:
        return re.Match.groups
    index = tuple(compiled.groupindex[f"_{n}"] for n in range(width))
    return lambda found: tuple(found.group(i) for i in index)


def check_names(names: list[str]) -> None:
    if len(set(names)) != len(names):
        raise Uncompilable("a variable appears twice")


class Pattern:
    """A variable segment test shared by every route that uses the same pattern at the same position."""

    __slots__ = ("child", "control", "extract", "fullmatch", "nonempty", "source", "whole", "width")

    def __init__(self, source: str, width: int) -> None:
        self.source = source
        self.width = width
        self.nonempty = any(source == f"(?P<_0>{p})" for p in NONEMPTY)
        compiled = re.compile(source)
        self.fullmatch = compiled.fullmatch
        self.extract = extractor(compiled, width)
        self.whole = width == 1 and whole_group(source)  # the value is the segment itself
        self.control = self.nonempty or may_match_control(source)  # may accept a control character
        self.child = Node()


class Tail:
    """A route whose remaining path may span several segments (``*path``, ``{path:.*}``)."""

    __slots__ = ("entry", "extract", "fullmatch")

    def __init__(self, source: str, width: int, entry: Entry) -> None:
        compiled = re.compile(source)
        self.fullmatch = compiled.fullmatch
        self.extract = extractor(compiled, width)
        self.entry = entry


class Entry:
    """Everything needed to turn captured values into Routes' match dict for one route."""

    __slots__ = ("allow", "base", "build", "fill", "index", "methods", "names", "priority", "route")

    def __init__(self, route: routes.route.Route, priority: int, index: int) -> None:
        self.route = route
        self.priority = priority
        self.index = index
        self.names: tuple[str, ...] = ()
        self.base: dict[str, Any] = {}
        self.fill: dict[str, Any] = {}
        self.methods: frozenset[str] | None = None  # None: any method
        self.allow: frozenset[str] = frozenset()
        self.build: Callable[..., dict[str, Any]] = _unbuilt

    def finish(self, names: list[str]) -> None:
        route = self.route
        self.names = tuple(names)
        defaults: dict[str, Any] = route.defaults
        self.base = {key: value for key, value in defaults.items() if key not in self.names}
        self.fill = {key: defaults[key] for key in self.names if defaults.get(key)}
        self.methods, self.allow = method_condition(route)
        self.build = self._compile_builder()

    def _compile_builder(self) -> Callable[..., dict[str, Any]]:
        """A function returning the match dict as one dict display: several times faster than copying
        and updating, which matters because it runs on every matched request."""
        namespace: dict[str, Any] = {}
        items: list[str] = []
        for position, name in enumerate(self.names):
            if name in self.fill:
                namespace[f"_f{position}"] = self.fill[name]
                items.append(f"{name!r}: v{position} or _f{position}")
            else:
                items.append(f"{name!r}: v{position}")
        for position, (key, value) in enumerate(self.base.items()):
            namespace[f"_b{position}"] = value
            items.append(f"{key!r}: _b{position}")
        builder: Callable[..., dict[str, Any]] = eval(
            "lambda " + ", ".join(f"v{n}" for n in range(len(self.names))) + ": {" + ", ".join(items) + "}",
            namespace,
        )
        return builder


def _unbuilt(*values: str | None) -> dict[str, Any]:  # pragma: no cover - replaced in finish()
    raise RuntimeError("route entry used before it was finished")


def method_condition(route: routes.route.Route) -> tuple[frozenset[str] | None, frozenset[str]]:
    """The methods a route answers (``None`` for any) and the ones to announce in ``Allow``.

    Routes tests ``REQUEST_METHOD in conditions['method']``; for a string that is a substring test, so
    every substring is accepted, exactly as Routes does, while only the comma-separated names are announced.
    """
    conditions = route.conditions
    if not conditions or "method" not in conditions:
        return None, frozenset()
    cond = conditions["method"]
    if isinstance(cond, str):
        subs = {cond[i:j] for i in range(len(cond) + 1) for j in range(i, len(cond) + 1)}
        return frozenset(subs), frozenset(m.strip() for m in cond.split(",") if m.strip())
    names = frozenset(str(m) for m in cond)
    return names, names


class Terminal:
    """The routes that end at a trie node, best first per method."""

    __slots__ = ("allow", "any_entry", "by_method", "entries")

    def __init__(self) -> None:
        self.entries: list[Entry] = []
        self.by_method: dict[str, Entry] = {}
        self.any_entry: Entry | None = None
        self.allow: frozenset[str] = frozenset()

    def finish(self) -> None:
        self.entries.sort(key=lambda e: e.priority)
        allow: set[str] = set()
        for entry in self.entries:
            if entry.methods is None:
                if self.any_entry is None:
                    self.any_entry = entry
                continue
            allow |= entry.allow
            for method in entry.methods:
                self.by_method.setdefault(method, entry)
        self.allow = frozenset(allow)


class Node:
    __slots__ = ("best", "lit", "pats", "tails", "terminal")

    def __init__(self) -> None:
        self.best = SPAN * MAX_PREFIX * 2  # lowest priority of any route at or below this node
        self.lit: dict[str, Node] = {}
        self.pats: list[Pattern] = []
        self.tails: list[Tail] = []
        self.terminal: Terminal | None = None

    def pattern_child(self, source: str, width: int) -> Node:
        for pattern in self.pats:
            if pattern.source == source:
                return pattern.child
        pattern = Pattern(source, width)
        self.pats.append(pattern)
        return pattern.child

    def finish(self) -> int:
        """Sort what needs sorting and compute :attr:`best`; returns it."""
        bounds = [self.best]
        if self.terminal is not None:
            self.terminal.finish()
            bounds.extend(entry.priority for entry in self.terminal.entries)
        for child in self.lit.values():
            bounds.append(child.finish())
        for pattern in self.pats:
            bounds.append(pattern.child.finish())
        self.pats.sort(key=lambda pattern: pattern.child.best)
        self.tails.sort(key=lambda tail: tail.entry.priority)
        bounds.extend(tail.entry.priority for tail in self.tails)
        self.best = min(bounds)
        return self.best
