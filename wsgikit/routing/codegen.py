"""Code generation for the compiled matcher (internal)
===================================================

:class:`Generator` turns the route tries (one per path length, see ``wsgikit.routing.trie``) into one
Python function, the way Falcon compiles its router: the depth-first search of the trie unrolled into
nested ``if`` statements. For a mapper of two routes it writes::

    def lookup(path, method, environ=None):
        segs = path.split('/')
        n = len(segs)
        allow = ()
        if n == 3:
            s0, s1, s2 = segs
            if s0 == '':
                if s1 == 'servers':
                    if s2 and (s2.isprintable() or not _control(s2)):
                        if method == 'GET':
                            d = _k0.copy()        # {'id': None, 'controller': 'servers', 'action': 'show'}
                            d['id'] = s2
                            return d, _k1, EMPTY  # the match dict, the route, no allowed methods
                        elif method == 'PUT':
                            d = _k2.copy()
                            d['id'] = s2
                            return d, _k3, EMPTY
                        else:
                            allow += _k4          # ('GET', 'PUT'): for the 405
        else:
            return MISS_TUPLE
        return (None, None, frozenset(allow)) if allow else MISS_TUPLE

* the path lengths are tested in order of how many routes they hold, most first;
* literal segments are compared with constants; a node with many literal children looks the segment up
  in a dict that gives the child's constants as a tuple, and children whose code is alike share one copy
  (picked by a search on a shape number when there are several: shapes shared by more literals are
  numbered first and reached with fewer comparisons, and the last candidate of a range needs no test);
* variable segments are tested with their compiled pattern (``[^/]+`` — a non-empty segment — needs none)
  and, unless the pattern cannot match one, for control characters (such paths never match); literal
  segments need no such test;
* the match dict is a copy of the route's defaults with the captured values set (a dict display when the
  route has no defaults), written out per method, so a match costs no function call;
* Routes' order is kept with the best priority found so far (``bp``): when a route matches and no branch
  still to come can beat it, the function returns at once; otherwise the match is remembered and later
  branches that cannot beat it are skipped. Where no match can have been remembered yet — known while
  writing the code — these checks are left out.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from typing import Any

import routes.route

from wsgikit.routing.trie import (
    CONTROL,
    EMPTY,
    MAX_PREFIX,
    MISS_TUPLE,
    SPAN,
    Entry,
    Node,
    Terminal,
    has_control_chars,
)

__all__ = ["Found", "Generator", "Lookup"]

Found = tuple[dict[str, Any] | None, routes.route.Route | None, frozenset[str]]
Lookup = Callable[[str, str, "Mapping[str, Any] | None"], Found]

_NO_PRIORITY = SPAN * MAX_PREFIX * 4
_LITERAL_TYPES = (str, int, bool, type(None))


Plan = dict[tuple[int, int], int]
"""For the ranges ``[low, high)`` of shape numbers split by ``index < middle``: ``middle``; a range
absent from the plan is a chain of ``==`` tests."""

_PLAN_LIMIT = 64  # above this many shapes, a balanced search (planning is cubic in the count)


def _search_plan(weights: list[int], linear: int) -> Plan:
    """The search over shapes ``0..len(weights)-1`` with the fewest expected comparisons when each
    shape is as likely as its weight: per range, a chain of at most ``linear`` ``==`` tests (its last
    shape needs no test) or a split in two, whichever costs less (a split costs one comparison for
    every shape in the range)."""
    count = len(weights)
    plan: Plan = {}
    if count > _PLAN_LIMIT:

        def balanced(low: int, high: int) -> None:
            if high - low > linear:
                middle = (low + high) // 2
                plan[low, high] = middle
                balanced(low, middle)
                balanced(middle, high)

        balanced(0, count)
        return plan
    prefix = [0, *itertools.accumulate(weights)]
    cost: dict[tuple[int, int], int] = {}
    for size in range(1, count + 1):
        for low in range(count - size + 1):
            high = low + size
            best = None
            if size <= linear:
                tests = [min(j + 1, size - 1) for j in range(size)]
                best = sum(w * t for w, t in zip(weights[low:high], tests, strict=True))
            split = None
            for middle in range(low + 1, high):
                total = prefix[high] - prefix[low] + cost[low, middle] + cost[middle, high]
                if best is None or total < best:
                    best, split = total, middle
            assert best is not None
            cost[low, high] = best
            if split is not None:
                plan[low, high] = split
    return plan


def _route_count(node: Node) -> int:
    """How many routes end at ``node`` or below it."""
    count = len(node.terminal.entries) if node.terminal is not None else 0
    count += sum(_route_count(child) for child in node.lit.values())
    return count + sum(_route_count(pattern.child) for pattern in node.pats)


class Generator:
    """Write the lookup function for tries keyed by path length; see the module docstring for its shape.

    ``stored`` tracks, while writing, whether a ``best = ...`` statement may have run before the line
    being written (within the branch of one path length). Lines are written in execution order, and
    mutually exclusive branches (literal children, methods) each start from the state before them.
    """

    _LINEAR = 4  # up to this many literal children: a chain of == comparisons

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.namespace: dict[str, Any] = {
            "EMPTY": EMPTY,
            "MISS_TUPLE": MISS_TUPLE,
            "_control": CONTROL.search,
        }
        self._names = itertools.count()
        self.n = 0
        self.stored = False
        self.any_store = False
        self._params: list[Any] | None = None
        self._param_var = ""

    def const(self, value: Any) -> str:
        """A name for ``value`` in the generated code: a global, or, while the code for one child of a
        wide literal node is written, an item of that child's parameter tuple (see :meth:`wide`)."""
        if self._params is not None:
            self._params.append(value)
            return f"{self._param_var}[{len(self._params)}]"
        name = f"_k{next(self._names)}"
        self.namespace[name] = value
        return name

    def literal(self, value: Any) -> str:
        """``value`` as source: a literal for plain strings, numbers and None, else a named constant."""
        if type(value) in _LITERAL_TYPES:
            return repr(value)
        return self.const(value)

    def emit(self, depth: int, line: str) -> None:
        self.lines.append("    " * depth + line)

    def build_lookup(self, roots: Mapping[int, Node]) -> Lookup:
        """The whole matcher as one function ``lookup(path, method, environ=None)`` returning
        ``(match_dict or None, route or None, allowed_methods)``."""
        # the path lengths with more routes are tested first (the fewest expected comparisons)
        ordered = sorted(roots.items(), key=lambda item: (-_route_count(item[1]), item[0]))
        for position, (count, root) in enumerate(ordered):
            self.n = count
            self.stored = False
            self.emit(1, f"{'if' if position == 0 else 'elif'} n == {count}:")
            self.emit(2, ", ".join(f"s{i}" for i in range(count)) + ("," if count == 1 else "") + " = segs")
            self.node(root, 0, 2, [], _NO_PRIORITY)
        if roots:
            self.emit(1, "else:")
            self.emit(2, "return MISS_TUPLE")
        body = self.lines
        self.lines = [
            "def lookup(path, method, environ=None):",
            "    segs = path.split('/')",
            "    n = len(segs)",
            "    allow = ()",
        ]
        if self.any_store:
            self.lines += ["    best = None", f"    bp = {_NO_PRIORITY}"]
        self.lines += body
        if self.any_store:
            self.emit(1, "if best is not None:")
            self.emit(2, "return best")
        self.emit(1, "return (None, None, frozenset(allow)) if allow else MISS_TUPLE")
        code = compile("\n".join(self.lines), "<wsgikit.routing matcher>", "exec")
        exec(code, self.namespace)
        lookup: Lookup = self.namespace["lookup"]
        return lookup

    def node(self, node: Node, i: int, depth: int, values: list[str], pending: int) -> None:
        """Code for ``node`` at segment ``i``. ``pending`` is the best priority any branch still to come
        after this node (in the enclosing nodes) could offer: a match that beats it can return at once."""
        seg = f"s{i}"
        bounds = [pattern.child.best for pattern in node.pats]
        # a literal holding a control character can never match (such paths never do): no branch
        literals = [(key, child) for key, child in node.lit.items() if not has_control_chars(key)]
        after_literals = min([pending, *bounds])
        before = self.stored
        stored = before
        if len(literals) <= self._LINEAR:
            for number, (key, child) in enumerate(literals):
                self.emit(depth, f"{'if' if number == 0 else 'elif'} {seg} == {key!r}:")
                self.stored = before
                self.child(child, i, depth + 1, values, after_literals)
                stored = stored or self.stored
        elif literals:
            stored = self.wide(literals, i, depth, values, after_literals) or stored
        self.stored = stored
        # A segment a variable captures must hold no control character: tested once per node when
        # several patterns need it, inline otherwise, and not at all for patterns that cannot match one.
        printable = f"({seg}.isprintable() or not _control({seg}))"
        if sum(pattern.control for pattern in node.pats) > 1:
            self.emit(depth, f"p{i} = {printable}")
            printable = f"p{i}"
        for number, pattern in enumerate(node.pats):
            after = min([pending, *bounds[number + 1 :]])
            inner = depth
            if self.stored:
                self.emit(inner, f"if bp > {pattern.child.best}:")
                inner += 1
            check = f" and {printable}" if pattern.control else ""
            if pattern.nonempty:
                self.emit(inner, f"if {seg}{check}:")
                self.child(pattern.child, i, inner + 1, [*values, seg], after)
                continue
            matcher = self.const(pattern.fullmatch)
            if pattern.whole:
                self.emit(inner, f"if {matcher}({seg}) is not None{check}:")
                self.child(pattern.child, i, inner + 1, [*values, seg], after)
                continue
            found = f"m{i}"
            self.emit(inner, f"{found} = {matcher}({seg})")
            self.emit(inner, f"if {found} is not None{check}:")
            names = [f"g{i}_{j}" for j in range(pattern.width)]
            target = ", ".join(names) + ("," if len(names) == 1 else "")
            self.emit(inner + 1, f"{target} = {self.const(pattern.extract)}({found})")
            self.child(pattern.child, i, inner + 1, [*values, *names], after)

    def wide(
        self, literals: list[tuple[str, Node]], i: int, depth: int, values: list[str], pending: int
    ) -> bool:
        """Many literal children: a dict maps each literal to the parameters of its child's code.

        The code for each child is written with its constants taken from a tuple ``c<i>``; children whose
        code is then the same text share one copy (the tables of a CRUD API are mostly alike), and the
        distinct copies are chosen by the shape number in ``c<i>[0]``. Returns whether a child may store.
        """
        before = self.stored
        stored = before
        var = f"c{i}"
        shapes: dict[str, int] = {}
        codes: list[list[str]] = []
        table: dict[str, tuple[Any, ...]] = {}
        outer = (self.lines, self._params, self._param_var)
        for key, child in literals:
            self.lines, self._params, self._param_var = [], [], var
            self.stored = before
            self.child(child, i, 0, values, pending)
            stored = stored or self.stored
            shape = shapes.setdefault("\n".join(self.lines), len(shapes))
            if shape == len(codes):
                codes.append(self.lines)
            table[key] = (shape, *self._params)
        self.lines, self._params, self._param_var = outer
        # Number the shapes by how many literals share them (most first), so that the search below
        # reaches the common shapes with the fewest comparisons.
        weights = [0] * len(codes)
        for params in table.values():
            weights[params[0]] += 1
        order = sorted(range(len(codes)), key=lambda shape: -weights[shape])
        renumber = {shape: number for number, shape in enumerate(order)}
        table = {key: (renumber[params[0]], *params[1:]) for key, params in table.items()}
        codes = [codes[shape] for shape in order]
        weights = [weights[shape] for shape in order]
        self.emit(depth, f"{var} = {self.const(table)}.get(s{i})")
        self.emit(depth, f"if {var} is not None:")
        if len(codes) == 1:
            self.paste(codes[0], depth + 1)
        else:
            self.emit(depth + 1, f"h{i} = {var}[0]")
            self.choose(codes, _search_plan(weights, self._LINEAR), 0, len(codes), f"h{i}", depth + 1)
        return stored

    def paste(self, code: list[str], depth: int) -> None:
        self.lines.extend("    " * depth + line for line in code)

    def choose(self, codes: list[list[str]], plan: Plan, low: int, high: int, index: str, depth: int) -> None:
        """Code for shape ``index``, known to lie in ``low <= index < high``, among ``codes[low:high]``:
        a chain of ``==`` tests (the last shape needs none) or a split ``index < middle``, as ``plan``
        says."""
        if high - low == 1:
            self.paste(codes[low], depth)
            return
        middle = plan.get((low, high))
        if middle is None:
            for n in range(low, high):
                keyword = "if" if n == low else "elif" if n < high - 1 else "else"
                self.emit(depth, f"{keyword} {index} == {n}:" if keyword != "else" else "else:")
                self.paste(codes[n], depth + 1)
            return
        self.emit(depth, f"if {index} < {middle}:")
        self.choose(codes, plan, low, middle, index, depth + 1)
        self.emit(depth, "else:")
        self.choose(codes, plan, middle, high, index, depth + 1)

    def child(self, child: Node, i: int, depth: int, values: list[str], pending: int) -> None:
        written = len(self.lines)
        if i + 1 < self.n:
            self.node(child, i + 1, depth, values, pending)
        elif child.terminal is not None:
            self.terminal(child.terminal, depth, values, pending)
        if len(self.lines) == written:
            self.emit(depth, "pass")

    def terminal(self, terminal: Terminal, depth: int, values: list[str], pending: int) -> None:
        """Pick the route for ``method`` among those ending here (one branch per route), or collect the
        methods they answer for 405."""
        other = terminal.any_entry
        groups: dict[int, tuple[Entry, list[str]]] = {}
        for method, entry in terminal.by_method.items():
            if other is not None and other.priority < entry.priority:
                continue  # the any-method route wins for this method too: the else branch
            groups.setdefault(id(entry), (entry, []))[1].append(method)
        branches = sorted(groups.values(), key=lambda group: group[0].priority)
        before = self.stored
        stored = before
        for number, (entry, methods) in enumerate(branches):
            if len(methods) == 1:
                test = f"method == {methods[0]!r}"
            else:
                test = f"method in {self.const(frozenset(methods))}"
            self.emit(depth, f"{'if' if number == 0 else 'elif'} {test}:")
            self.stored = before
            self.accept(entry, depth + 1, values, pending)
            stored = stored or self.stored
        if branches:
            self.emit(depth, "else:")
            depth += 1
        self.stored = before
        if other is not None:
            self.accept(other, depth, values, pending)
        else:
            self.emit(depth, f"allow += {self.const(tuple(sorted(terminal.allow)))}")
        self.stored = stored or self.stored

    def accept(self, entry: Entry, depth: int, values: list[str], pending: int) -> None:
        """A match of ``entry``: returned at once when nothing still to be tried can beat it."""
        if self.stored:
            self.emit(depth, f"if bp > {entry.priority}:")
            depth += 1
        if entry.base:
            # Copying a prepared dict and setting the captured values beats a dict display once the
            # route has defaults (Routes always adds controller and action).
            template = dict.fromkeys(entry.names) | entry.base
            self.emit(depth, f"d = {self.const(template)}.copy()")
            for name, value in zip(entry.names, values, strict=True):
                if name in entry.fill:
                    value = f"{value} or {self.literal(entry.fill[name])}"
                self.emit(depth, f"d[{name!r}] = {value}")
            match = "d"
        else:
            items = [
                f"{name!r}: {value} or {self.literal(entry.fill[name])}"
                if name in entry.fill
                else f"{name!r}: {value}"
                for name, value in zip(entry.names, values, strict=True)
            ]
            match = "{" + ", ".join(items) + "}"
        result = f"{match}, {self.const(entry.route)}, EMPTY"
        if entry.priority < pending:
            self.emit(depth, f"return {result}")
            return
        self.emit(depth, f"best = {result}")
        self.emit(depth, f"bp = {entry.priority}")
        self.stored = self.any_store = True
