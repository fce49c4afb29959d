"""The generated lookup function: control characters, shared checks and Routes' order in the corners
that the code generator writes differently from the trie walk."""

from __future__ import annotations

from typing import Any

import pytest
import routes
from hypothesis import given, settings
from hypothesis import strategies as st

from wsgikit.routing import Mapper

METHODS = ("GET", "POST", "PUT", "DELETE")


def routes_match(mapper: routes.Mapper, path: str, method: str) -> Any:
    return routes.Mapper.routematch(mapper, path, {"REQUEST_METHOD": method, "PATH_INFO": path})


def test_literal_holding_a_control_character_never_matches() -> None:
    mapper = Mapper()
    mapper.connect("/a\x01b", controller="odd", action="go")
    mapper.connect("/ok", controller="ok", action="go")
    assert routes_match(mapper, "/a\x01b", "GET")  # Routes would
    found = mapper.matcher.resolve("/a\x01b", "GET")
    assert (found.vars, found.allowed) == (None, frozenset())
    assert mapper.matcher.resolve("/ok", "GET").vars == {"controller": "ok", "action": "go"}


@pytest.mark.parametrize(
    ("template", "value"),
    [
        ("/files/{name}", "a\nb"),
        ("/files/{name}", "tail\n"),
        ("/files/{name:[a-z\x00]+}", "ab\x00"),
        ("/files/{name}.{ext}", "a\x7f.txt"),
        ("/files/{name:.+?}", "x\x1f"),
    ],
)
def test_captured_segment_with_a_control_character_never_matches(template: str, value: str) -> None:
    mapper = Mapper()
    mapper.connect(template, controller="files", action="show", conditions={"method": ["GET"]})
    for method in ("GET", "DELETE"):  # neither a match nor a 405
        found = mapper.matcher.resolve("/files/" + value, method)
        assert (found.vars, found.allowed) == (None, frozenset())


def test_non_ascii_unprintable_characters_are_not_control_characters() -> None:
    mapper = Mapper()
    mapper.connect("/files/{name}", controller="files", action="show")
    for value in ("a\xa0b", "\x85", "caf\xc3\xa9"):  # NBSP, NEL: not printable, yet no ASCII control
        path = "/files/" + value
        assert mapper.matcher.routematch(path, "GET") == routes_match(mapper, path, "GET")


def test_several_patterns_at_one_segment_share_the_check() -> None:
    mapper = Mapper()
    mapper.connect("/{id}/x", controller="a", action="go", conditions={"method": ["GET"]})
    mapper.connect("/{name}.{ext}/y", controller="b", action="go", conditions={"method": ["GET"]})
    mapper.connect("/{num:\\d+}/z", controller="c", action="go", conditions={"method": ["GET"]})
    matcher = mapper.matcher
    for path in ("/1/x", "/1.2/y", "/12/z", "/1.2/x", "/a/z"):
        for method in ("GET", "PUT"):
            ours = matcher.routematch(path, method)
            theirs = routes_match(mapper, path, method)
            assert (ours and (ours[0], ours[1])) == (theirs and (theirs[0], theirs[1])), path
    for path in ("/1\n/x", "/1\n.2/y", "/\x0012/z"):
        found = matcher.resolve(path, "PUT")
        assert (found.vars, found.allowed) == (None, frozenset())
    assert matcher.resolve("/1.2/y", "PUT").allowed == {"GET"}


def test_a_later_branch_that_routes_prefers_still_wins() -> None:
    """A literal branch finds a route, but a pattern branch tried after it holds an earlier one."""
    mapper = Mapper()
    mapper.connect("/{a}/{b}/q", controller="first", action="go", conditions={"method": ["GET"]})
    mapper.connect("/{a}/p/{c}", controller="second", action="go")
    mapper.connect("/{a}/p/r", controller="third", action="go", conditions={"method": ["PUT"]})
    matcher = mapper.matcher
    for path in ("/z/p/q", "/z/p/r", "/z/w/q", "/z/p/s"):
        for method in METHODS:
            ours = matcher.routematch(path, method)
            theirs = routes_match(mapper, path, method)
            assert (ours and (ours[0], ours[1])) == (theirs and (theirs[0], theirs[1])), (method, path)


def test_any_method_route_and_method_routes_at_one_path() -> None:
    mapper = Mapper()
    mapper.connect("/x", controller="get", action="go", conditions={"method": ["GET"]})
    mapper.connect("/x", controller="any", action="go")
    mapper.connect("/x", controller="put", action="go", conditions={"method": ["PUT", "PATCH"]})
    for method in ("GET", "PUT", "PATCH", "DELETE", "get"):
        ours = mapper.matcher.routematch("/x", method)
        theirs = routes_match(mapper, "/x", method)
        assert ours is not None and theirs is not None
        assert (ours[0], ours[1]) == (theirs[0], theirs[1]), method


def test_match_dicts_are_fresh_per_request() -> None:
    mapper = Mapper()
    mapper.connect("/items/{id}", controller="items", action="show")
    first = mapper.matcher.resolve("/items/1", "GET").vars
    assert first is not None
    first["id"] = "changed"
    first["extra"] = True
    assert mapper.matcher.resolve("/items/2", "GET").vars == {
        "id": "2",
        "controller": "items",
        "action": "show",
    }


def wide_mapper() -> Mapper:
    """Many literal siblings at two levels (dispatched by dict, children sharing code where alike), a
    variable sibling connected first that Routes' order makes lose or win, and an any-method route."""
    mapper = Mapper()
    mapper.connect("/{kind}/{id}/{verb}", controller="generic", action="verb", conditions={"method": ["GET"]})
    mapper.connect("/{kind}/{id}/meta", controller="generic", action="meta")  # loses GET to the one above
    for n in range(12):
        name = f"res{n}"
        mapper.connect(f"/{name}", controller=name, action="index", conditions={"method": ["GET"]})
        mapper.connect(f"/{name}/{{id}}", controller=name, action="show", conditions={"method": ["GET"]})
        if n % 3 == 0:
            mapper.connect(
                f"/{name}/{{id}}", controller=name, action="delete", conditions={"method": ["DELETE"]}
            )
        if n % 4 == 1:
            mapper.connect(f"/{name}/detail", controller=name, action="detail")
        if n == 5:
            for sub in range(8):
                mapper.connect(f"/{name}/{{id}}/sub{sub}", controller=name, action=f"sub{sub}")
    mapper.connect("/{kind}", controller="generic", action="index", conditions={"method": ["POST"]})
    return mapper


WIDE_PATHS = [
    f"/{head}{tail}"
    for head in ("res0", "res1", "res3", "res5", "res11", "res12", "other")
    for tail in ("", "/7", "/detail", "/7/meta", "/7/sub3", "/7/sub9", "/7/x\n")
]


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE", "PUT"])
def test_wide_literal_nodes_match_like_routes(method: str) -> None:
    mapper = wide_mapper()
    matcher = mapper.matcher
    for path in WIDE_PATHS:
        ours = matcher.routematch(path, method)
        if "\n" in path:
            assert ours is None
            continue
        theirs = routes_match(mapper, path, method)
        assert (ours and (ours[0], ours[1])) == (theirs and (theirs[0], theirs[1])), (method, path)
    assert matcher.resolve("/res0/7", "PUT").allowed == {"GET", "DELETE"}
    assert matcher.resolve("/res1/7", "PUT").allowed == {"GET"}


WIDE_LITERALS = [f"r{n}" for n in range(9)]
TAILS = ["", "/{id}", "/detail", "/{id}/go", "/{id:\\d+}", "/{id}/{sub}", "{.format}", "/x/{id}"]


@given(
    table=st.lists(
        st.tuples(
            st.sampled_from(["", "/{head}"]),
            st.sampled_from(WIDE_LITERALS),
            st.sampled_from(TAILS),
            st.sampled_from([None, ("GET",), ("PUT",), ("GET", "DELETE")]),
        ),
        min_size=5,
        max_size=20,
    ),
    requests=st.lists(
        st.tuples(
            st.sampled_from(["", "/r0", "/zz"]),
            st.sampled_from([*WIDE_LITERALS, "nope"]),
            st.sampled_from(["", "/7", "/detail", "/7/go", "/7/x", "/x/7", ".json", "/7\n"]),
            st.sampled_from(METHODS),
        ),
        max_size=12,
    ),
)
@settings(max_examples=150, deadline=None)
def test_property_wide_literal_nodes(
    table: list[tuple[str, str, str, tuple[str, ...] | None]], requests: list[tuple[str, str, str, str]]
) -> None:
    """Tables where one segment has many literal children, in every mix of shapes, against Routes."""
    mapper = Mapper()
    for index, (head, literal, tail, methods) in enumerate(table):
        kwargs: dict[str, Any] = {"controller": f"c{index}", "action": "go"}
        if methods:
            kwargs["conditions"] = {"method": list(methods)}
        mapper.connect(f"{head}/{literal}{tail}", **kwargs)
    matcher = mapper.matcher
    for head, literal, tail, method in requests:
        path = f"{head}/{literal}{tail}"
        ours = matcher.routematch(path, method)
        if "\n" in path:
            assert ours is None
            continue
        theirs = routes_match(mapper, path, method)
        assert (ours and (ours[0], ours[1])) == (theirs and (theirs[0], theirs[1])), (method, path)


def plan_cost(weights: list[int], plan: dict[tuple[int, int], int], linear: int) -> int:
    """Walk the search ``plan`` for every shape, checking that it is well formed, and return the
    expected number of comparisons (weighted)."""
    total = 0
    for shape, weight in enumerate(weights):
        low, high, tests = 0, len(weights), 0
        while high - low > 1 and (low, high) in plan:
            middle = plan[low, high]
            assert low < middle < high
            tests += 1
            low, high = (low, middle) if shape < middle else (middle, high)
        assert high - low <= linear
        tests += min(shape - low + 1, high - low - 1)
        total += weight * tests
    return total


@given(st.lists(st.integers(min_value=1, max_value=40), min_size=1, max_size=80))
@settings(max_examples=200, deadline=None)
def test_shape_search_plan_is_well_formed_and_no_worse_than_balanced(weights: list[int]) -> None:
    from wsgikit.routing.codegen import _PLAN_LIMIT, _search_plan

    weights = sorted(weights, reverse=True)
    plan = _search_plan(weights, 4)
    cost = plan_cost(weights, plan, 4)
    if len(weights) <= _PLAN_LIMIT:
        balanced: dict[tuple[int, int], int] = {}
        stack = [(0, len(weights))]
        while stack:
            low, high = stack.pop()
            if high - low > 4:
                balanced[low, high] = middle = (low + high) // 2
                stack += [(low, middle), (middle, high)]
        assert cost <= plan_cost(weights, balanced, 4)


@pytest.mark.parametrize("count", [5, 30, 70])
def test_many_shapes_at_a_wide_node(count: int) -> None:
    """Every literal child with code of its own (its own grandchild literal), beside a common shape:
    the shape search (planned, or balanced past its limit) reaches each one."""
    mapper = Mapper()
    for n in range(count):
        mapper.connect(f"/r{n}/x{n}", controller=f"r{n}", action="x", conditions={"method": ["GET"]})
        mapper.connect(f"/s{n}/{{id}}", controller=f"s{n}", action="show", conditions={"method": ["GET"]})
    matcher = mapper.matcher
    for n in range(count):
        for path in (f"/r{n}/x{n}", f"/r{n}/x{n + 1}", f"/s{n}/7", f"/s{n}/"):
            for method in ("GET", "PUT"):
                ours = matcher.routematch(path, method)
                theirs = routes_match(mapper, path, method)
                assert (ours and (ours[0], ours[1])) == (theirs and (theirs[0], theirs[1])), (method, path)
        assert matcher.resolve(f"/r{n}/x{n}", "PUT").allowed == {"GET"}
