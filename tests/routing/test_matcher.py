"""The compiled matcher against ``routes.Mapper.routematch()``: same route, same variables, same defaults.

The only differences allowed are the documented ones: a path with a control character never matches, and a
miss reports the methods under which the path exists.
"""

from __future__ import annotations

import random
import re
import string
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import routes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wsgikit.routing import Mapper
from wsgikit.routing.matcher import CompiledMatcher, has_control_chars

METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS")

# Values for route variables: ids, words that are also literals, encodings WSGI servers hand over
# (percent-decoded, then latin-1), dots that look like formats, separators Routes treats specially.
VALUE_POOL = [
    "1",
    "42",
    "0",
    "detail",
    "action",
    "servers",
    "os-start",
    "a b",
    "caf\xc3\xa9",  # UTF-8 "café" as a WSGI (latin-1) string
    "\xe9",
    "x.json",
    "x.xml",
    "x.txt",
    ".json",
    "a.b.c",
    "a,b",
    "a;b",
    "~user",
    "-",
    "%2F",
    "a+b",
    "9b7e3c1a5d2f4e6a8c0b1d3f5a7c9e2b",
    "deadbeef-0000",
    "ABC",
    "a\\b",
    "json",
]


def routes_answer(mapper: routes.Mapper, path: str, method: str) -> tuple[dict[str, Any], Any] | None:
    result = routes.Mapper.routematch(mapper, path, {"REQUEST_METHOD": method, "PATH_INFO": path})
    if not result:
        return None
    return result[0], result[1]


def assert_same(mapper: routes.Mapper, matcher: CompiledMatcher, path: str, method: str) -> None:
    ours = matcher.routematch(path, method)
    if has_control_chars(path):
        assert ours is None, (method, path)
        assert matcher.resolve(path, method).allowed == frozenset(), (method, path)
        return
    theirs = routes_answer(mapper, path, method)
    if theirs is None:
        assert ours is None, (method, path, ours)
        return
    assert ours is not None, (method, path, theirs)
    assert ours[0] == theirs[0], (method, path)
    assert ours[1] is theirs[1], (method, path, ours[1].routepath, theirs[1].routepath)


def fill_route(route: Any, rng: random.Random) -> str | None:
    """A path that the route's own regex accepts, with variables drawn from the pool."""
    parts: list[str] = []
    for part in route.routelist:
        if isinstance(part, str):
            parts.append(part)
            continue
        name, kind = part["name"], part["type"]
        default = {":": "[^/]+?", ".": "[^/.]+?", "*": ".+?"}[kind]
        pattern = route.reqs.get(name) or default
        if kind == "*" or ("." in pattern and "/" not in pattern and kind != "."):
            pool = [*VALUE_POOL, "a/b", "deep/er/path", "x/y.json"]
        else:
            pool = VALUE_POOL
        candidates = [value for value in pool if re.fullmatch(pattern, value)]
        if kind == ".":
            if rng.random() < 0.4 or not candidates:
                continue
            parts.append("." + rng.choice(candidates))
            continue
        if not candidates:
            return None
        parts.append(rng.choice(candidates))
    return "".join(parts)


def near_misses(path: str, rng: random.Random) -> Iterator[str]:
    yield path + "/"
    yield path + "\n"
    yield path + "%0a"
    yield "/" + path
    yield path.upper()
    yield path.rstrip("/") + "/extra"
    if "/" in path.strip("/"):
        yield path.rsplit("/", 1)[0]
        segs = path.split("/")
        index = rng.randrange(len(segs))
        segs[index] = rng.choice(VALUE_POOL)
        yield "/".join(segs)
        yield path.replace("/", "//", 1)
    yield path + ".json"
    yield path + ".JSON"
    yield path + "\x00"


def differential(mapper: routes.Mapper, seed: int, per_route: int = 2, miss_rate: float = 1.0) -> int:
    """Every route, filled ``per_route`` times, under every method, plus near misses; returns the count."""
    matcher = CompiledMatcher(mapper)
    rng = random.Random(seed)
    checked = 0
    for route in mapper.matchlist:
        for _ in range(per_route):
            path = fill_route(route, rng)
            if path is None:
                continue
            for method in METHODS:
                assert_same(mapper, matcher, path, method)
                checked += 1
            for miss in near_misses(path, rng):
                if rng.random() < miss_rate:
                    assert_same(mapper, matcher, miss, rng.choice(METHODS))
                    checked += 1
    return checked


# -- the nova table ------------------------------------------------------------------------------------


def test_nova_table_has_routes_size(nova_mapper: Mapper) -> None:
    assert len(nova_mapper.matchlist) == 419
    assert nova_mapper.matcher.fallback_reasons == {}


def test_nova_recorded_samples(nova_mapper: Mapper, nova_samples: list[dict[str, Any]]) -> None:
    """The 435 requests recorded against Routes 2.5.1 (every route, plus near misses and quirks)."""
    assert len(nova_samples) == 435
    matcher = nova_mapper.matcher
    for sample in nova_samples:
        ours = matcher.routematch(sample["path"], sample["method"])
        expected = sample["expected"]
        if expected is None:
            assert ours is None, sample
            continue
        assert ours is not None, sample
        assert ours[0] == expected, sample
        assert ours[1] is nova_mapper.matchlist[sample["route_index"]], sample
        assert_same(nova_mapper, matcher, sample["path"], sample["method"])


def test_nova_generated_requests(nova_mapper: Mapper) -> None:
    checked = differential(nova_mapper, seed=2026, per_route=2)
    assert checked > 7000


def test_nova_allowed_methods_are_the_methods_routes_would_match(nova_mapper: Mapper) -> None:
    """On a miss, ``allowed`` is exactly the set of methods under which Routes finds a route."""
    matcher = nova_mapper.matcher
    rng = random.Random(7)
    for route in nova_mapper.matchlist[::3]:
        path = fill_route(route, rng)
        if path is None:
            continue
        for method in ("PATCH", "OPTIONS", "HEAD"):
            found = matcher.resolve(path, method)
            if found.vars is not None:
                continue
            expected = {m for m in METHODS if routes_answer(nova_mapper, path, m)}
            assert found.allowed == expected, (method, path)


# -- synthetic tables ------------------------------------------------------------------------------------


def synthetic_mapper(size: int, seed: int) -> Mapper:
    """CRUD resources (5 routes each) with a mix of nova-isms: project prefixes, formats, nested members,
    requirements and an occasional wildcard."""
    rng = random.Random(seed)
    mapper = Mapper()
    k = 0
    while len(mapper.matchlist) < size:
        base = f"/res{k}"
        if k % 7 == 3:
            base = "/{project_id:[0-9a-f-]+}" + base
        fmt = "{.format}" if k % 5 == 1 else ""
        ident = "{id:\\d+}" if k % 11 == 4 else "{id}"
        for method, path, act in (
            ("GET", base + fmt, "index"),
            ("POST", base + fmt, "create"),
            ("GET", f"{base}/{ident}{fmt}", "show"),
            ("PUT", f"{base}/{ident}{fmt}", "update"),
            ("DELETE", f"{base}/{ident}", "delete"),
        ):
            mapper.connect(path, controller=f"c{k}", action=act, conditions={"method": [method]})
        if k % 13 == 6:
            mapper.connect(f"{base}/{{id}}/files/*path", controller=f"c{k}", action="files")
        if k % 9 == 2:
            mapper.connect(
                f"{base}/detail", controller=f"c{k}", action="detail", conditions={"method": ["GET"]}
            )
        if rng.random() < 0.1:
            mapper.connect(f"{base}/{{id}}/tags/{{tag}}", controller=f"c{k}", action="tag")
        k += 1
    return mapper


@pytest.mark.parametrize(("size", "per_route", "miss_rate"), [(10, 6, 1.0), (100, 2, 1.0), (1000, 1, 0.15)])
def test_synthetic_tables(size: int, per_route: int, miss_rate: float) -> None:
    mapper = synthetic_mapper(size, seed=size)
    assert len(mapper.matchlist) >= size
    checked = differential(mapper, seed=size, per_route=per_route, miss_rate=miss_rate)
    assert checked > size * 5


# -- property-based --------------------------------------------------------------------------------------

SEGMENTS = st.sampled_from(
    ["", "servers", "detail", "action", "res1", "res3", "files", "tags", "x", "42", "a.json", "a.b", "-", "é"]
)
ODD = st.text(alphabet=string.ascii_letters + string.digits + "-._~%;,+ \xe9\n\x00", max_size=6)


@st.composite
def paths(draw: st.DrawFn) -> str:
    segs = draw(st.lists(st.one_of(SEGMENTS, ODD), min_size=0, max_size=6))
    lead = draw(st.sampled_from(["/", "/", "/", ""]))
    return lead + "/".join(segs)


@given(path=paths(), method=st.sampled_from(METHODS))
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_property_nova(nova_mapper: Mapper, path: str, method: str) -> None:
    assert_same(nova_mapper, nova_mapper.matcher, path, method)


_SMALL = synthetic_mapper(40, seed=3)
_SMALL_MATCHER = CompiledMatcher(_SMALL)


@given(path=paths(), method=st.sampled_from(METHODS))
@settings(max_examples=400, deadline=None)
def test_property_synthetic(path: str, method: str) -> None:
    assert_same(_SMALL, _SMALL_MATCHER, path, method)


PIECES = st.sampled_from(
    [
        "/a",
        "/b",
        "/detail",
        "/{id}",
        "/{name}",
        "/{id:\\d+}",
        "/{slug:[a-z]+}",
        "/{hex:[0-9a-f-]+}",
        "/{word:\\w+}",
        "{.format}",
        "/{x}.{y}",
        "/v{version}",
        "/*rest",
        "/{tail:.*}",
        "/",
    ]
)


@st.composite
def tables(draw: st.DrawFn) -> list[tuple[str, list[str] | None]]:
    count = draw(st.integers(min_value=1, max_value=12))
    table = []
    for _ in range(count):
        pieces = draw(st.lists(PIECES, min_size=0, max_size=4))
        # number the variables by position so a route never repeats a name, while routes still share them
        pieces = [re.sub(r"\{(\.?)(\w+)", rf"{{\g<1>\g<2>{i}", piece) for i, piece in enumerate(pieces)]
        pieces = [re.sub(r"\*(\w+)", rf"*\g<1>{i}", piece) for i, piece in enumerate(pieces)]
        methods = draw(st.one_of(st.none(), st.lists(st.sampled_from(METHODS[:5]), min_size=1, max_size=2)))
        table.append(("".join(pieces), methods))
    return table


TABLE_PATHS = st.lists(
    st.sampled_from(
        ["a", "b", "detail", "42", "x.json", "v2", "abc", "", "a.b", "q/r", "a\n", "4\x002", "\x7f"]
    ),
    max_size=5,
).map(lambda segs: "/" + "/".join(segs))


@given(table=tables(), requests=st.lists(st.tuples(TABLE_PATHS, st.sampled_from(METHODS)), max_size=8))
@settings(max_examples=250, deadline=None)
def test_property_random_tables(
    table: list[tuple[str, list[str] | None]], requests: list[tuple[str, str]]
) -> None:
    """Random route tables (overlapping literals and variables, formats, wildcards, method conditions)."""
    mapper = Mapper()
    for index, (path, methods) in enumerate(table):
        kwargs: dict[str, Any] = {"controller": f"c{index}", "action": "go"}
        if methods:
            kwargs["conditions"] = {"method": methods}
        try:
            mapper.connect(path, **kwargs)
            routes.Mapper.create_regs(mapper)
        except (re.error, AssertionError, KeyError):
            return  # a table Routes itself cannot compile (e.g. a variable used twice)
    matcher = CompiledMatcher(mapper)
    for path, method in requests:
        assert_same(mapper, matcher, path, method)
    for route in mapper.matchlist:
        filled = fill_route(route, random.Random(len(table)))
        if filled is not None:
            for method in METHODS[:5]:
                assert_same(mapper, matcher, filled, method)


# -- the documented differences and Routes features -----------------------------------------------------


def test_control_characters_never_match() -> None:
    mapper = Mapper()
    mapper.connect("/admin", controller="admin", action="index")
    mapper.connect("/files/{name}", controller="files", action="show")
    matcher = mapper.matcher
    assert routes_answer(mapper, "/admin\n", "GET") is not None  # Routes' `$` quirk
    assert matcher.routematch("/admin\n", "GET") is None
    assert matcher.routematch("/files/a\x00b", "GET") is None
    assert matcher.routematch("/files/a\x7f", "GET") is None
    assert matcher.routematch("/files/caf\xc3\xa9", "GET") is not None  # latin-1 text is fine


def test_miss_reports_allowed_methods() -> None:
    mapper = Mapper()
    mapper.connect("/items/{id}", controller="items", action="show", conditions={"method": ["GET"]})
    mapper.connect("/items/{id}", controller="items", action="delete", conditions={"method": ["DELETE"]})
    found = mapper.matcher.resolve("/items/1", "PUT")
    assert found.vars is None
    assert found.allowed == {"GET", "DELETE"}
    assert mapper.matcher.resolve("/nothing", "PUT").allowed == frozenset()


def test_string_method_condition_is_a_substring_test_like_routes() -> None:
    mapper = Mapper()
    mapper.connect("/x", controller="x", action="go", conditions={"method": "GET"})
    for method in ("GET", "ET", "G", "POST"):
        assert_same(mapper, mapper.matcher, "/x", method)
    assert mapper.matcher.resolve("/x", "POST").allowed == {"GET"}


def test_function_condition_falls_back_to_routes_for_that_route_only() -> None:
    seen: list[str] = []

    def only_json(environ: dict[str, Any], match: dict[str, Any]) -> bool:
        seen.append(environ["PATH_INFO"])
        return environ.get("HTTP_ACCEPT") == "application/json"

    mapper = Mapper()
    mapper.connect("/things/{id}", controller="json", action="show", conditions={"function": only_json})
    mapper.connect("/things/{id}", controller="html", action="show")
    mapper.connect("/other", controller="other", action="index")
    matcher = mapper.matcher
    assert list(matcher.fallback_reasons) == [0]
    json_env = {"HTTP_ACCEPT": "application/json", "PATH_INFO": "/things/1"}
    found = matcher.resolve("/things/1", "GET", json_env)
    assert found.vars is not None and found.vars["controller"] == "json"
    found = matcher.resolve("/things/1", "GET", {"PATH_INFO": "/things/1"})
    assert found.vars is not None and found.vars["controller"] == "html"
    assert matcher.resolve("/other", "GET").vars == {"controller": "other", "action": "index"}
    assert seen == ["/things/1", "/things/1"]


def test_sub_domain_mapper_is_delegated_to_routes() -> None:
    mapper = Mapper()
    mapper.sub_domains = True
    mapper.connect("/", controller="sub", action="index", conditions={"sub_domain": True})
    mapper.connect("/", controller="main", action="index")
    env = {"HTTP_HOST": "shop.example.com", "PATH_INFO": "/"}
    found = mapper.matcher.resolve("/", "GET", env)
    assert found.vars == {"controller": "sub", "action": "index", "sub_domain": "shop"}
    found = mapper.matcher.resolve("/", "GET", {"HTTP_HOST": "example.com", "PATH_INFO": "/"})
    assert found.vars is not None and found.vars["controller"] == "main"


@pytest.mark.parametrize(
    "requirement",
    ["^\\d+$", "(?=a)\\w+", "(?P<inner>x)y", "\\d+\\b"],
    ids=["anchors", "lookahead", "named-group", "word-boundary"],
)
def test_asserting_requirements_fall_back(requirement: str) -> None:
    mapper = Mapper()
    mapper.connect("/n/{value}", controller="n", action="show", requirements={"value": requirement})
    mapper.connect("/n/{value}", controller="any", action="show")
    assert list(mapper.matcher.fallback_reasons) == [0]
    for value in ("12", "ab", "xy", "a1"):
        assert_same(mapper, mapper.matcher, f"/n/{value}", "GET")


def test_requirement_with_capturing_group_keeps_values_aligned() -> None:
    mapper = Mapper()
    mapper.connect("/r/{kind:(json|xml)}/{id}", controller="r", action="show")
    mapper.connect("/w/{path:(a|b)/.*}", controller="w", action="show")
    for path in ("/r/json/1", "/r/yaml/1", "/w/a/x/y", "/w/c/x"):
        assert_same(mapper, mapper.matcher, path, "GET")
    assert mapper.matcher.resolve("/r/xml/7", "GET").vars == {
        "controller": "r",
        "action": "show",
        "kind": "xml",
        "id": "7",
    }


def test_prefix_controller_scan_and_defaults() -> None:
    mapper = Mapper(controller_scan=["admin/users", "blog", "blog_archive"])
    mapper.prefix = "/app"
    mapper.connect("/{controller}/{action}/{id}", id=None)
    mapper.connect("/pages/{page}", controller="pages", action="show", page="1")
    mapper.connect("/dates/{year}-{month}", controller="dates", action="show", month="01")
    for path in (
        "/app/blog/show/3",
        "/app/admin/users/edit/1",
        "/app/pages/",
        "/app/dates/2020-1",
        "/pages/2",
        "/app",
    ):
        for method in ("GET", "POST"):
            assert_same(mapper, mapper.matcher, path, method)


def test_matcher_is_rebuilt_when_routes_are_added() -> None:
    mapper = Mapper()
    mapper.connect("/a", controller="a", action="index")
    first = mapper.matcher
    assert first.routematch("/b", "GET") is None
    mapper.connect("/b", controller="b", action="index")
    assert mapper.matcher is not first
    assert mapper.matcher.routematch("/b", "GET") is not None
    assert mapper.matcher is mapper.matcher  # cached while nothing changes


def test_resource_routes_match_like_routes_and_patch_updates() -> None:
    mapper = Mapper()
    mapper.resource("server", "servers", member={"reboot": "POST"}, collection={"detail": "GET"})
    mapper.resource(
        "image", "images", parent_resource={"member_name": "server", "collection_name": "servers"}
    )
    plain = routes.Mapper()
    plain.resource("server", "servers", member={"reboot": "POST"}, collection={"detail": "GET"})
    rng = random.Random(11)
    for route in mapper.matchlist:
        path = fill_route(route, rng)
        if path is None:
            continue
        for method in METHODS:
            if method == "PATCH":
                continue
            assert_same(mapper, mapper.matcher, path, method)
    assert mapper.matcher.resolve("/servers/7", "PATCH").vars == {
        "controller": "servers",
        "action": "update",
        "id": "7",
    }
    assert mapper.matcher.resolve("/servers/7.json", "PATCH").vars == {
        "controller": "servers",
        "action": "update",
        "id": "7",
        "format": "json",
    }
    assert routes_answer(plain, "/servers/7", "PATCH") is None  # what Routes forgets


def test_uuid_ids(nova_mapper: Mapper) -> None:
    matcher = nova_mapper.matcher
    server, port = str(uuid.uuid4()), str(uuid.uuid4())
    found = matcher.resolve(f"/servers/{server}/os-interface/{port}", "GET")
    assert found.vars is not None
    assert (found.vars["server_id"], found.vars["id"]) == (server, port)
    assert_same(nova_mapper, matcher, f"/servers/{server}/os-interface/{port}", "GET")


# -- the mapper's own regexes are Routes': used as they are, never rebuilt --------------------------------


def test_controller_list_given_to_create_regs_is_honoured() -> None:
    """``{controller}`` matches what the application told Routes, not the mapper's controller_scan."""
    mapper = routes.Mapper(controller_scan=None)
    mapper.connect("/{controller}/{action}/{id}")
    mapper.connect("/static/{name}", controller="static", action="show")
    mapper.create_regs(["blog", "admin/users"])
    matcher = CompiledMatcher(mapper)
    assert matcher.fallback_reasons == {0: "{controller} matches the controller list given to create_regs()"}
    for path in ("/blog/view/3", "/admin/users/edit/7", "/wiki/view/3", "/static/logo.png"):
        for method in ("GET", "POST"):
            assert_same(mapper, matcher, path, method)
    assert matcher.routematch("/blog/view/3", "GET")[0] == {"controller": "blog", "action": "view", "id": "3"}
    assert matcher.routematch("/wiki/view/3", "GET") is None  # not in the list given to create_regs()


def test_a_mapper_without_regexes_gets_routes_defaults_and_compiles_controllers() -> None:
    mapper = routes.Mapper(controller_scan=["blog"])
    mapper.connect("/{controller}/{action}")
    matcher = CompiledMatcher(mapper)
    assert matcher.fallback_reasons == {}  # made here with Routes' own default list: compiled
    assert matcher.routematch("/blog/index", "GET")[0] == {"controller": "blog", "action": "index"}
    assert_same(mapper, matcher, "/other/index", "GET")


def test_building_the_matcher_keeps_a_sub_domains_mappers_regexes() -> None:
    mapper = routes.Mapper(controller_scan=None)
    mapper.sub_domains = True
    mapper.connect("/{controller}/{action}")
    mapper.create_regs(["shop"])
    regexes = [route.regexp for route in mapper.matchlist]
    env = {"HTTP_HOST": "eu.example.com", "PATH_INFO": "/shop/list", "REQUEST_METHOD": "GET"}
    before = mapper.match("/shop/list", environ=env)
    CompiledMatcher(mapper)
    assert [route.regexp for route in mapper.matchlist] == regexes
    assert mapper.match("/shop/list", environ=env) == before
    assert before is not None and before["controller"] == "shop"
