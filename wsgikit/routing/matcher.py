"""Compiled route matcher
======================

:class:`CompiledMatcher` turns the routes of a :class:`routes.Mapper` into a segment trie: the path is split
on ``/``, literal segments are found by dict lookup, and variable segments are tested with one compiled
pattern per position, shared by every route that uses the same pattern there. The cost of a match depends on
the depth of the path, not on the number of routes.

It returns what ``routes.Mapper.routematch()`` returns — the same winning route (Routes tries routes grouped
by their literal prefix, longest prefix first, then in the order they were connected), the same variables and
the same defaults — with three deliberate differences:

* a miss reports the methods under which the path *does* exist (:attr:`Resolution.allowed`), so that the
  router can answer 405 with ``Allow`` where Routes says "no match";
* a path holding a control character (``\\x00`` to ``\\x1f``, ``\\x7f``) never matches, where Routes' ``$``
  lets ``/admin\\n`` match ``/admin``;
* the ``_method`` override is none of the matcher's business (the router offers it for form POSTs only).

The matcher is pure: it knows the path and the method. Routes features it cannot compile — conditions with a
``function``, ``sub_domain`` conditions, minimised routes, requirements with anchors or look-arounds — are
matched by Routes' own ``Route.match`` for those routes only, at their place in the order, and these are
the only routes that ever see the ``environ`` passed to :meth:`CompiledMatcher.resolve`.

.. code-block:: python

    from wsgikit.routing import Mapper
    from wsgikit.routing.matcher import CompiledMatcher

    mapper = Mapper()
    mapper.connect("/servers/{id}", controller="servers", action="show", conditions={"method": ["GET"]})
    matcher = CompiledMatcher(mapper)
    matcher.resolve("/servers/42", "GET").vars     # {'controller': 'servers', 'action': 'show', 'id': '42'}
    matcher.resolve("/servers/42", "PUT").allowed  # frozenset({'GET'})
"""

from __future__ import annotations

import importlib
import itertools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import routes
import routes.route

__all__ = ["CompiledMatcher", "Resolution", "has_control_chars"]

_parser: Any = importlib.import_module("re._parser")
_constants: Any = importlib.import_module("re._constants")

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

# Requirement patterns that are known to look only inside their own segment even though they hold a
# look-behind: Routes' resource() member id.
_SAFE_ASSERTING = frozenset({"[^\\/]+(?<!\\\\)"})

# Patterns that, applied to one slash-free segment, mean "not empty": tested without a regex.
_EMPTY: frozenset[str] = frozenset()
_MISS_TUPLE: tuple[None, None, frozenset[str]] = (None, None, _EMPTY)

_SPAN = 1 << 32
_MAX_PREFIX = 1 << 20

_NONEMPTY = frozenset({"[^/]+?", "[^/]+", "[^\\/]+?", "[^\\/]+"})


def has_control_chars(path: str) -> bool:
    """True when ``path`` holds an ASCII control character (such paths never match)."""
    if path.isascii() and path.isprintable():
        return False
    return _CONTROL.search(path) is not None


# -- pattern analysis ------------------------------------------------------------------------------------


class _Uncompilable(Exception):
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


def _analyse(pattern: str) -> bool:
    """True when ``pattern`` may match a ``/``; raises :class:`_Uncompilable` when it asserts or anchors
    (per-segment matching could then disagree with Routes' whole-path regex)."""
    if pattern in _SAFE_ASSERTING:
        return False
    try:
        parsed = _parser.parse(pattern)
    except re.error as error:
        raise _Uncompilable(f"bad pattern {pattern!r}: {error}") from None
    if parsed.state.groupdict:
        raise _Uncompilable("pattern defines or references groups")
    may_slash, asserting = _scan(parsed)
    if asserting:
        raise _Uncompilable(f"pattern {pattern!r} uses anchors or look-arounds")
    return may_slash


# -- route compilation -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Var:
    name: str
    pattern: str  # Routes' own pattern for the variable (requirement or default)
    dotted: bool  # a ``{.format}`` part: optional, introduced by a dot


def _route_parts(route: routes.route.Route, clist: list[str]) -> list[str | _Var]:
    """The route as literal strings and variables, with the patterns Routes' ``buildfullreg`` uses."""
    parts: list[str | _Var] = []
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
        parts.append(_Var(name, pattern, kind == "."))
    return parts


def _render(items: list[str | _Var], names: list[str]) -> str:
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


def _segments(parts: list[str | _Var]) -> list[list[str | _Var]]:
    segments: list[list[str | _Var]] = []
    current: list[str | _Var] = []
    for part in parts:
        if isinstance(part, _Var):
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


def _extractor(compiled: re.Pattern[str], width: int) -> Callable[[re.Match[str]], tuple[str | None, ...]]:
    """How to read the slot values of a match: ``groups()`` unless a requirement holds groups of its own."""
    if compiled.groups == width:
        return re.Match.groups
    index = tuple(compiled.groupindex[f"_{n}"] for n in range(width))
    return lambda found: tuple(found.group(i) for i in index)


def _check_names(names: list[str]) -> None:
    if len(set(names)) != len(names):
        raise _Uncompilable("a variable appears twice")


class _Pattern:
    """A variable segment test shared by every route that uses the same pattern at the same position."""

    __slots__ = ("child", "extract", "fullmatch", "nonempty", "source", "width")

    def __init__(self, source: str, width: int) -> None:
        self.source = source
        self.width = width
        self.nonempty = any(source == f"(?P<_0>{p})" for p in _NONEMPTY)
        compiled = re.compile(source)
        self.fullmatch = compiled.fullmatch
        self.extract = _extractor(compiled, width)
        self.child = _Node()


class _Tail:
    """A route whose remaining path may span several segments (``*path``, ``{path:.*}``)."""

    __slots__ = ("entry", "extract", "fullmatch")

    def __init__(self, source: str, width: int, entry: _Entry) -> None:
        compiled = re.compile(source)
        self.fullmatch = compiled.fullmatch
        self.extract = _extractor(compiled, width)
        self.entry = entry


class _Entry:
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
        self.methods, self.allow = _method_condition(route)
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


def _method_condition(route: routes.route.Route) -> tuple[frozenset[str] | None, frozenset[str]]:
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


class _Terminal:
    """The routes that end at a trie node, best first per method."""

    __slots__ = ("allow", "any_entry", "by_method", "entries")

    def __init__(self) -> None:
        self.entries: list[_Entry] = []
        self.by_method: dict[str, _Entry] = {}
        self.any_entry: _Entry | None = None
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


class _Node:
    __slots__ = ("best", "lit", "pats", "tails", "terminal")

    def __init__(self) -> None:
        self.best = _SPAN * _MAX_PREFIX * 2  # lowest priority of any route at or below this node
        self.lit: dict[str, _Node] = {}
        self.pats: list[_Pattern] = []
        self.tails: list[_Tail] = []
        self.terminal: _Terminal | None = None

    def pattern_child(self, source: str, width: int) -> _Node:
        for pattern in self.pats:
            if pattern.source == source:
                return pattern.child
        pattern = _Pattern(source, width)
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


def _consider(
    terminal: _Terminal | None,
    values: tuple[str | None, ...],
    method: str,
    best: Best | None,
    allow: list[str],
) -> Best | None:
    if terminal is None:
        return best
    entry = terminal.by_method.get(method)
    other = terminal.any_entry
    if other is not None and (entry is None or other.priority < entry.priority):
        entry = other
    if entry is None:
        allow.extend(terminal.allow)
        return best
    if best is None or entry.priority < best[0].priority:
        return entry, values
    return best


def _walk(
    node: _Node,
    segs: list[str],
    i: int,
    n: int,
    values: tuple[str | None, ...],
    method: str,
    best: Best | None,
    allow: list[str],
) -> Best | None:
    """Depth-first search of the trie below ``node`` for segment ``i`` on; returns the best route found
    (lowest Routes priority) that accepts ``method``, collecting the methods of the others in ``allow``."""
    while True:
        seg = segs[i]
        i += 1
        child = node.lit.get(seg)
        pats = node.pats
        if not pats:  # a run of literal segments: no branching, no recursion
            if child is None:
                return best
            if i == n:
                return _consider(child.terminal, values, method, best, allow)
            node = child
            continue
        if child is not None:
            if i == n:
                best = _consider(child.terminal, values, method, best, allow)
            else:
                best = _walk(child, segs, i, n, values, method, best, allow)
        for pattern in pats:
            if best is not None and best[0].priority < pattern.child.best:
                break  # nothing below can beat what was found (pats are sorted by that bound)
            if pattern.nonempty:
                if not seg:
                    continue
                captured: tuple[str | None, ...] = (*values, seg)
            else:
                found = pattern.fullmatch(seg)
                if found is None:
                    continue
                captured = values + pattern.extract(found)
            if i == n:
                best = _consider(pattern.child.terminal, captured, method, best, allow)
            else:
                best = _walk(pattern.child, segs, i, n, captured, method, best, allow)
        return best


# -- code generation -----------------------------------------------------------------------------------------

_NO_PRIORITY = _SPAN * _MAX_PREFIX * 4

Found = tuple[dict[str, Any] | None, routes.route.Route | None, frozenset[str]]
Lookup = Callable[[str, str, "Mapping[str, Any] | None"], Found]


class _Generator:
    """Turn the tries (one per path length) into one Python function, the way Falcon compiles its
    router: the depth-first search of :func:`_walk` unrolled into nested ``if`` statements, literal
    segments compared against constants (a dict lookup and a binary search on its result when a node has
    many), variable segments tested with their compiled pattern, and Routes' priority order kept by
    tracking the best priority found so far (``bp``) and skipping subtrees that cannot beat it.

    The generated function returns ``(match_dict or None, route or None, allowed_methods)``; the per-node
    code is written by :meth:`node`, which recurses through the trie.
    """

    _LINEAR = 4  # up to this many literal children: a chain of == comparisons

    def __init__(self, n: int) -> None:
        self.n = n
        self.lines: list[str] = []
        self.namespace: dict[str, Any] = {"_EMPTY": _EMPTY, "_MISS_TUPLE": _MISS_TUPLE}
        self._names = itertools.count()

    def const(self, value: Any) -> str:
        name = f"_k{next(self._names)}"
        self.namespace[name] = value
        return name

    def emit(self, depth: int, line: str) -> None:
        self.lines.append("    " * depth + line)

    def build_lookup(self, roots: dict[int, _Node]) -> Lookup:
        """The whole matcher as one function ``lookup(path, method, environ=None)``: the control character
        check, the split, a branch per path length and the trie of that length, inline."""
        self.namespace["_control"] = _CONTROL.search
        self.lines = [
            "def lookup(path, method, environ=None):",
            "    if not path.isprintable() and _control(path):",
            "        return _MISS_TUPLE",
            "    segs = path.split('/')",
            "    n = len(segs)",
            "    best = None",
            "    bv = ()",
            "    allow = ()",
            f"    bp = {_NO_PRIORITY}",
        ]
        for position, (count, root) in enumerate(sorted(roots.items())):
            self.n = count
            self.emit(1, f"{'if' if position == 0 else 'elif'} n == {count}:")
            self.node(root, 0, 2, [], _NO_PRIORITY)
        self.emit(1, "else:" if roots else "if True:")
        self.emit(2, "return _MISS_TUPLE")
        self.finish(1)
        return self.compile("lookup", "all path lengths")  # type: ignore[no-any-return]

    def finish(self, depth: int) -> None:
        self.emit(depth, "if best is not None:")
        self.emit(depth + 1, "return best.build(*bv), best.route, _EMPTY")
        self.emit(depth, "return (None, None, frozenset(allow)) if allow else _MISS_TUPLE")

    def compile(self, name: str, what: str) -> Any:
        code = compile("\n".join(self.lines), f"<wsgikit.routing matcher, {what}>", "exec")
        exec(code, self.namespace)
        return self.namespace[name]

    def node(self, node: _Node, i: int, depth: int, values: list[str], pending: int) -> None:
        """Code for ``node`` at segment ``i``. ``pending`` is the best priority any branch still to come
        after this node (in the enclosing nodes) could offer: a match that beats it can return at once."""
        seg = f"s{i}"
        self.emit(depth, f"{seg} = segs[{i}]")
        bounds = [pattern.child.best for pattern in node.pats]
        literals = list(node.lit.items())
        after_literals = min([pending, *bounds])
        if len(literals) <= self._LINEAR:
            for key, child in literals:
                self.emit(depth, f"if {seg} == {key!r}:")
                self.child(child, i, depth + 1, values, after_literals)
        else:
            index = f"k{i}"
            positions = self.const({key: n for n, (key, _) in enumerate(literals)})
            self.emit(depth, f"{index} = {positions}.get({seg})")
            self.emit(depth, f"if {index} is not None:")
            self.bisect(literals, 0, len(literals), index, i, depth + 1, values, after_literals)
        for number, pattern in enumerate(node.pats):
            after = min([pending, *bounds[number + 1 :]])
            self.emit(depth, f"if bp > {pattern.child.best}:")
            if pattern.nonempty:
                self.emit(depth + 1, f"if {seg}:")
                self.child(pattern.child, i, depth + 2, [*values, seg], after)
                continue
            found = f"m{i}"
            self.emit(depth + 1, f"{found} = {self.const(pattern.fullmatch)}({seg})")
            self.emit(depth + 1, f"if {found} is not None:")
            names = [f"g{i}_{j}" for j in range(pattern.width)]
            target = ", ".join(names) + ("," if len(names) == 1 else "")
            self.emit(depth + 2, f"{target} = {self.const(pattern.extract)}({found})")
            self.child(pattern.child, i, depth + 2, [*values, *names], after)

    def bisect(
        self,
        literals: list[tuple[str, _Node]],
        low: int,
        high: int,
        index: str,
        i: int,
        depth: int,
        values: list[str],
        pending: int,
    ) -> None:
        if high - low <= self._LINEAR:
            for n in range(low, high):
                self.emit(depth, f"{'if' if n == low else 'elif'} {index} == {n}:")
                self.child(literals[n][1], i, depth + 1, values, pending)
            return
        middle = (low + high) // 2
        self.emit(depth, f"if {index} < {middle}:")
        self.bisect(literals, low, middle, index, i, depth + 1, values, pending)
        self.emit(depth, "else:")
        self.bisect(literals, middle, high, index, i, depth + 1, values, pending)

    def child(self, child: _Node, i: int, depth: int, values: list[str], pending: int) -> None:
        if i + 1 < self.n:
            self.node(child, i + 1, depth, values, pending)
            return
        terminal = child.terminal
        if terminal is None:
            self.emit(depth, "pass")
            return
        choice: dict[str, _Entry] = {}
        for method, entry in terminal.by_method.items():
            other = terminal.any_entry
            choice[method] = other if other is not None and other.priority < entry.priority else entry
        candidates = [*choice.values(), *([terminal.any_entry] if terminal.any_entry else [])]
        table = self.const(choice)
        fallback = self.const(terminal.any_entry)
        arguments = ", ".join(values)
        captured = f"({arguments}{',' if len(values) == 1 else ''})"
        self.emit(depth, f"e = {table}.get(method, {fallback})")
        self.emit(depth, "if e is None:")
        self.emit(depth + 1, f"allow += {self.const(tuple(sorted(terminal.allow)))}")
        self.emit(depth, "elif e.priority < bp:")
        if max(entry.priority for entry in candidates) < pending:
            # nothing still to be tried can beat this route: answer now
            self.emit(depth + 1, f"return e.build({arguments}), e.route, _EMPTY")
            return
        self.emit(depth + 1, "best = e")
        self.emit(depth + 1, "bp = e.priority")
        self.emit(depth + 1, f"bv = {captured}")


# -- the matcher -----------------------------------------------------------------------------------------


class Resolution(NamedTuple):
    """The outcome of :meth:`CompiledMatcher.resolve`.

    :ivar vars: Routes' match dict, or ``None`` on a miss.
    :ivar route: the matched :class:`routes.route.Route`, or ``None``.
    :ivar allowed: on a miss, the methods under which the path exists (empty: 404).
    """

    vars: dict[str, Any] | None
    route: routes.route.Route | None
    allowed: frozenset[str] = frozenset()


_MISS = Resolution(None, None)
_new = tuple.__new__  # a NamedTuple's own __new__ is a Python function: too slow for the hot path

Best = tuple[_Entry, tuple[str | None, ...]]


class CompiledMatcher:
    """A Routes mapper compiled for matching.

    :param mapper: the :class:`routes.Mapper` (or wsgikit :class:`~wsgikit.routing.Mapper`) to compile.
        The matcher is a snapshot: :attr:`size` records how many routes it was built from, and the router
        rebuilds it when routes are added later.
    """

    def __init__(self, mapper: routes.Mapper) -> None:
        self.mapper = mapper
        matchlist: list[routes.route.Route] = list(mapper.matchlist)
        self.size = len(matchlist)
        self.fallback_reasons: dict[int, str] = {}
        self._by_count: dict[int, _Node] = {}
        self._tails = _Node()
        self._has_tails = False
        self._fallbacks: list[tuple[int, str, routes.route.Route]] = []
        self._delegate = bool(mapper.always_scan or mapper.sub_domains)
        self._regprefix = re.compile(mapper.prefix + "(.*)") if mapper.prefix else None
        if not mapper._created_regs or self._delegate:
            mapper.create_regs()
        self._simple = False
        self.lookup: Lookup = self._lookup_general
        """``lookup(path, method, environ=None)``: :meth:`resolve` as a plain ``(vars, route, allowed)``
        tuple — the router's hot path. For mappers the trie fully describes, one generated function."""
        if self._delegate:
            return
        clist = self._controller_list(mapper)
        for index, route in enumerate(matchlist):
            if route.static:
                continue
            prefix = "".join(itertools.takewhile(lambda p: isinstance(p, str), route.routelist))
            if route.minimization and not prefix.startswith("/"):
                prefix = "/" + prefix
            prefix = prefix.rstrip("/")
            # Routes' order: longer literal prefix first, then connection order — as one integer
            priority = (_MAX_PREFIX - len(prefix)) * _SPAN + index
            try:
                self._add(route, priority, index, clist)
            except _Uncompilable as reason:
                self.fallback_reasons[index] = str(reason)
                self._fallbacks.append((priority, prefix, route))
        self._fallbacks.sort(key=lambda item: item[0])
        for node in self._by_count.values():
            node.finish()
        self._tails.finish()
        self._simple = not (self._regprefix or self._has_tails or self._fallbacks)
        if self._simple:
            self.lookup = _Generator(0).build_lookup(self._by_count)

    @staticmethod
    def _controller_list(mapper: routes.Mapper) -> list[str]:
        if mapper.directory:
            return list(mapper.controller_scan(mapper.directory))
        if callable(mapper.controller_scan):
            return list(mapper.controller_scan())
        if not mapper.controller_scan:
            return []
        return list(mapper.controller_scan)

    def _add(self, route: routes.route.Route, priority: int, index: int, clist: list[str]) -> None:
        if route.minimization:
            raise _Uncompilable("minimised route")
        conditions = route.conditions or {}
        if "function" in conditions:
            raise _Uncompilable("conditions has a function")
        if "sub_domain" in conditions:
            raise _Uncompilable("conditions has sub_domain")
        parts = _route_parts(route, clist)
        segments = _segments(parts)
        entry = _Entry(route, priority, index)
        names: list[str] = []
        node: _Node | None = None
        tail_at = -1
        for position, segment in enumerate(segments):
            for item in segment:
                if isinstance(item, _Var) and _analyse(item.pattern):
                    tail_at = position
                    break
            if tail_at >= 0:
                break
        if tail_at < 0:
            node = self._by_count.setdefault(len(segments), _Node())
            for segment in segments:
                node = self._descend(node, segment, names)
            _check_names(names)
            if node.terminal is None:
                node.terminal = _Terminal()
            entry.finish(names)
            node.terminal.entries.append(entry)
        else:
            node = self._tails
            for segment in segments[:tail_at]:
                node = self._descend(node, segment, names)
            rest: list[str | _Var] = []
            for position, segment in enumerate(segments[tail_at:]):
                if position:
                    rest.append("/")
                rest.extend(segment)
            local: list[str] = []
            source = _render(rest, local)
            names.extend(local)
            _check_names(names)
            try:
                tail = _Tail(source, len(local), entry)
            except re.error as error:
                raise _Uncompilable(str(error)) from None
            entry.finish(names)
            node.tails.append(tail)
            self._has_tails = True

    @staticmethod
    def _descend(node: _Node, segment: list[str | _Var], names: list[str]) -> _Node:
        if all(isinstance(item, str) for item in segment):
            key = "".join(item for item in segment if isinstance(item, str))
            return node.lit.setdefault(key, _Node())
        local: list[str] = []
        source = _render(segment, local)
        try:
            child = node.pattern_child(source, len(local))
        except re.error as error:
            raise _Uncompilable(str(error)) from None
        names.extend(local)
        return child

    # -- matching ----------------------------------------------------------------------------------------

    def resolve(self, path: str, method: str, environ: Mapping[str, Any] | None = None) -> Resolution:
        """Match ``path`` for ``method``.

        ``environ`` is consulted only by routes matched through Routes' fallback (function and sub-domain
        conditions); the compiled routes never look at it.
        """
        return _new(Resolution, self.lookup(path, method, environ))

    def _lookup_general(self, path: str, method: str, environ: Mapping[str, Any] | None = None) -> Found:
        if not path.isprintable() and _CONTROL.search(path):
            return _MISS_TUPLE
        return self._resolve_general(path, method, environ)

    def _resolve_general(self, path: str, method: str, environ: Mapping[str, Any] | None) -> Found:
        """:meth:`resolve` for mappers with a prefix, wildcard routes or routes Routes must match."""
        if self._regprefix is not None:
            found = self._regprefix.match(path)
            if found is None:
                return _MISS_TUPLE
            path = found.group(1) or "/"
        if self._delegate:
            return self._routes_match(path, method, environ)
        segs = path.split("/")
        count = len(segs)
        best: Best | None = None
        allow: list[str] = []
        root = self._by_count.get(count)
        if root is not None:
            best = _walk(root, segs, 0, count, (), method, best, allow)
        if self._has_tails:
            best = self._walk_tails(self._tails, segs, 0, count, (), method, best, allow)
        if self._fallbacks:
            fallback = self._try_fallbacks(path, method, environ, best)
            if fallback is not None:
                return fallback
        if best is None:
            return (None, None, frozenset(allow)) if allow else _MISS_TUPLE
        entry, values = best
        return entry.build(*values), entry.route, _EMPTY

    def routematch(
        self, path: str, method: str, environ: Mapping[str, Any] | None = None
    ) -> tuple[dict[str, Any], routes.route.Route] | None:
        """Routes' ``routematch()`` shape: ``(match_dict, route)`` or ``None``."""
        found = self.resolve(path, method, environ)
        if found.vars is None or found.route is None:
            return None
        return found.vars, found.route

    def _walk_tails(
        self,
        node: _Node,
        segs: list[str],
        i: int,
        n: int,
        values: tuple[str | None, ...],
        method: str,
        best: Best | None,
        allow: list[str],
    ) -> Best | None:
        if node.tails:
            rest = "/".join(segs[i:])
            for tail in node.tails:
                entry = tail.entry
                if best is not None and best[0].priority < entry.priority:
                    break
                found = tail.fullmatch(rest)
                if found is None:
                    continue
                if entry.methods is None or method in entry.methods:
                    best = entry, values + tail.extract(found)
                    break
                allow.extend(entry.allow)
        if i + 1 >= n:
            return best
        seg = segs[i]
        child = node.lit.get(seg)
        if child is not None:
            best = self._walk_tails(child, segs, i + 1, n, values, method, best, allow)
        for pattern in node.pats:
            if pattern.nonempty:
                if not seg:
                    continue
                captured: tuple[str | None, ...] = (*values, seg)
            else:
                found_seg = pattern.fullmatch(seg)
                if found_seg is None:
                    continue
                captured = values + pattern.extract(found_seg)
            best = self._walk_tails(pattern.child, segs, i + 1, n, captured, method, best, allow)
        return best

    def _try_fallbacks(
        self, path: str, method: str, environ: Mapping[str, Any] | None, best: Best | None
    ) -> Found | None:
        mapper = self.mapper
        env = dict(environ or {})
        env["REQUEST_METHOD"] = method
        env.setdefault("PATH_INFO", path)
        for priority, prefix, route in self._fallbacks:
            if best is not None and best[0].priority < priority:
                return None
            if not path.startswith(prefix):
                continue
            found = route.match(path, env, mapper.sub_domains, mapper.sub_domains_ignore, mapper.domain_match)
            if isinstance(found, dict) or found:
                return found, route, _EMPTY
        return None

    def _routes_match(self, path: str, method: str, environ: Mapping[str, Any] | None) -> Found:
        env = dict(environ or {})
        env["REQUEST_METHOD"] = method
        env.setdefault("PATH_INFO", path)
        found = routes.Mapper.routematch(self.mapper, path, env)
        if not found:
            return _MISS_TUPLE
        return found[0], found[1], _EMPTY
