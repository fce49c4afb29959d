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

import itertools
import re
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

import routes
import routes.route

from wsgikit.routing.codegen import Found, Generator, Lookup
from wsgikit.routing.patterns import Uncompilable, analyse
from wsgikit.routing.trie import (
    CONTROL,
    EMPTY,
    MAX_PREFIX,
    MISS_TUPLE,
    SPAN,
    Entry,
    Node,
    Tail,
    Terminal,
    Var,
    check_names,
    has_control_chars,
    render,
    route_parts,
    split_segments,
)

__all__ = ["CompiledMatcher", "Resolution", "has_control_chars"]


def _consider(
    terminal: Terminal | None,
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
    node: Node,
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

Best = tuple[Entry, tuple[str | None, ...]]


class CompiledMatcher:
    """A Routes mapper compiled for matching.

    :param mapper: the :class:`routes.Mapper` (or wsgikit :class:`~wsgikit.routing.Mapper`) to compile.
        The matcher is a snapshot: :attr:`size` records how many routes it was built from, and the router
        rebuilds it when routes are added later.
    :param skip: routes of the mapper that this matcher never matches (the router's routes to actions its
        controllers lack); the mapper itself is left as it is.
    """

    def __init__(self, mapper: routes.Mapper, *, skip: Iterable[routes.route.Route] = ()) -> None:
        self.mapper = mapper
        matchlist: list[routes.route.Route] = list(mapper.matchlist)
        self.size = len(matchlist)
        self._skip = frozenset(id(route) for route in skip)
        self.fallback_reasons: dict[int, str] = {}
        self._by_count: dict[int, Node] = {}
        self._tails = Node()
        self._has_tails = False
        self._fallbacks: list[tuple[int, str, routes.route.Route]] = []
        self._delegate = bool(mapper.always_scan or mapper.sub_domains)
        self._regprefix = re.compile(mapper.prefix + "(.*)") if mapper.prefix else None
        # Routes keeps no public record of the controller list its regexes were made with. When they exist
        # already (the application called create_regs(), perhaps with a list of its own), they are left
        # alone — a sub_domains mapper's Mapper.match() relies on them — and a {controller} route is
        # matched by Routes' regex instead of being compiled against a list that may not be the one used.
        regs_ready = bool(matchlist) and all(hasattr(route, "regmatch") for route in matchlist)
        if not regs_ready:
            mapper.create_regs()
        self._simple = False
        self.lookup: Lookup = self._lookup_general
        """``lookup(path, method, environ=None)``: :meth:`resolve` as a plain ``(vars, route, allowed)``
        tuple — the router's hot path. For mappers the trie fully describes, one generated function."""
        if self._delegate:
            return
        clist = None if regs_ready else self._controller_list(mapper)
        for index, route in enumerate(matchlist):
            if route.static or id(route) in self._skip:
                continue
            prefix = "".join(itertools.takewhile(lambda p: isinstance(p, str), route.routelist))
            if route.minimization and not prefix.startswith("/"):
                prefix = "/" + prefix
            prefix = prefix.rstrip("/")
            # Routes' order: longer literal prefix first, then connection order — as one integer
            priority = (MAX_PREFIX - len(prefix)) * SPAN + index
            try:
                self._add(route, priority, index, clist)
            except Uncompilable as reason:
                self.fallback_reasons[index] = str(reason)
                self._fallbacks.append((priority, prefix, route))
        self._fallbacks.sort(key=lambda item: item[0])
        for node in self._by_count.values():
            node.finish()
        self._tails.finish()
        self._simple = not (self._regprefix or self._has_tails or self._fallbacks)
        if self._simple:
            self.lookup = Generator().build_lookup(self._by_count)

    @staticmethod
    def _controller_list(mapper: routes.Mapper) -> list[str]:
        if mapper.directory:
            return list(mapper.controller_scan(mapper.directory))
        if callable(mapper.controller_scan):
            return list(mapper.controller_scan())
        if not mapper.controller_scan:
            return []
        return list(mapper.controller_scan)

    def _add(self, route: routes.route.Route, priority: int, index: int, clist: list[str] | None) -> None:
        if route.minimization:
            raise Uncompilable("minimised route")
        if clist is None and any(
            isinstance(part, dict) and part["name"] == "controller" for part in route.routelist
        ):
            raise Uncompilable("{controller} matches the controller list given to create_regs()")
        conditions = route.conditions or {}
        if "function" in conditions:
            raise Uncompilable("conditions has a function")
        if "sub_domain" in conditions:
            raise Uncompilable("conditions has sub_domain")
        parts = route_parts(route, clist or [])
        segments = split_segments(parts)
        entry = Entry(route, priority, index)
        names: list[str] = []
        node: Node | None = None
        tail_at = -1
        for position, segment in enumerate(segments):
            for item in segment:
                if isinstance(item, Var) and analyse(item.pattern):
                    tail_at = position
                    break
            if tail_at >= 0:
                break
        if tail_at < 0:
            node = self._by_count.setdefault(len(segments), Node())
            for segment in segments:
                node = self._descend(node, segment, names)
            check_names(names)
            if node.terminal is None:
                node.terminal = Terminal()
            entry.finish(names)
            node.terminal.entries.append(entry)
        else:
            node = self._tails
            for segment in segments[:tail_at]:
                node = self._descend(node, segment, names)
            rest: list[str | Var] = []
            for position, segment in enumerate(segments[tail_at:]):
                if position:
                    rest.append("/")
                rest.extend(segment)
            local: list[str] = []
            source = render(rest, local)
            names.extend(local)
            check_names(names)
            try:
                tail = Tail(source, len(local), entry)
            except re.error as error:
                raise Uncompilable(str(error)) from None
            entry.finish(names)
            node.tails.append(tail)
            self._has_tails = True

    @staticmethod
    def _descend(node: Node, segment: list[str | Var], names: list[str]) -> Node:
        if all(isinstance(item, str) for item in segment):
            key = "".join(item for item in segment if isinstance(item, str))
            return node.lit.setdefault(key, Node())
        local: list[str] = []
        source = render(segment, local)
        try:
            child = node.pattern_child(source, len(local))
        except re.error as error:
            raise Uncompilable(str(error)) from None
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
        if not path.isprintable() and CONTROL.search(path):
            return MISS_TUPLE
        return self._resolve_general(path, method, environ)

    def _resolve_general(self, path: str, method: str, environ: Mapping[str, Any] | None) -> Found:
        """:meth:`resolve` for mappers with a prefix, wildcard routes or routes Routes must match."""
        if self._regprefix is not None:
            found = self._regprefix.match(path)
            if found is None:
                return MISS_TUPLE
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
            return (None, None, frozenset(allow)) if allow else MISS_TUPLE
        entry, values = best
        return entry.build(*values), entry.route, EMPTY

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
        node: Node,
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
                return found, route, EMPTY
        return None

    def _routes_match(self, path: str, method: str, environ: Mapping[str, Any] | None) -> Found:
        env = dict(environ or {})
        env["REQUEST_METHOD"] = method
        env.setdefault("PATH_INFO", path)
        if self._skip:  # Routes' own scan, in its order, over the routes not skipped
            mapper = self.mapper
            for route in mapper.matchlist:
                if route.static or id(route) in self._skip:
                    continue
                match = route.match(
                    path, env, mapper.sub_domains, mapper.sub_domains_ignore, mapper.domain_match
                )
                if isinstance(match, dict) or match:
                    return match, route, EMPTY
            return self._allowed_elsewhere(path, env)
        found = routes.Mapper.routematch(self.mapper, path, env)
        if not found:
            return self._allowed_elsewhere(path, env)
        return found[0], found[1], EMPTY

    def _allowed_elsewhere(self, path: str, env: dict[str, Any]) -> Found:
        """After Routes' scan found nothing: the methods of the routes that match ``path`` for another
        method, so that a wrong method is a 405 with ``Allow`` here too, as in compiled matching. Routes
        with a function condition are not asked (their function would run for a method not requested)."""
        mapper = self.mapper
        allowed: set[str] = set()
        for route in mapper.matchlist:
            conditions = route.conditions or {}
            methods = conditions.get("method")
            if route.static or not methods or "function" in conditions or id(route) in self._skip:
                continue
            if allowed.issuperset(methods):
                continue
            probe = {**env, "REQUEST_METHOD": methods[0]}
            match = route.match(
                path, probe, mapper.sub_domains, mapper.sub_domains_ignore, mapper.domain_match
            )
            if isinstance(match, dict) or match:
                allowed.update(methods)
        return (None, None, frozenset(allowed)) if allowed else MISS_TUPLE
