"""Route matching and routed requests: Routes vs Werkzeug vs Falcon vs wsgikit.

1. **Matching on the nova table** (``tests/data/nova_routes.json``, built as nova's ProjectMapper builds it:
   419 Routes routes): first / middle / last route, 404 and 405, in ``routes.Mapper``,
   ``werkzeug.routing.Map``, ``falcon.routing.CompiledRouter`` and wsgikit's compiled matcher.
2. **Growth**: CRUD tables of 10 / 100 / 1000 routes, first / last / 404.
3. **A full routed request in-process**: wsgikit ``Router`` + ``wsgify`` vs ``RoutesMiddleware`` +
   ``webob.dec.wsgify`` (nova's stack) vs ``falcon.App``, on the nova table, last route.

Every router gets the same paths; Falcon, which cannot hold different variable names at one level, gets the
names made consistent per level, and no ``[0-9a-f-]+`` requirement on ``project_id`` (it has no regex
fields). Interleaved rounds in one run, medians, ratios.

Run: ``python benchmarks/bench_routing.py [--json PATH] [--quick]``.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import falcon
import falcon.routing
import routes
import routes.middleware
import webob
import webob.dec
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule

sys.path.insert(0, str(Path(__file__).parent))

import _harness

import wsgikit
from wsgikit.routing import Mapper, Router
from wsgikit.routing.matcher import CompiledMatcher

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "nova_routes.json"
PROJECT = "{project_id:[0-9a-f-]+}"
UUID = "4598a572-a7a4-5ade-801c-1a76512a135c"
QUICK = "--quick" in sys.argv
ROUNDS = 5 if QUICK else 15
TARGET = 0.01 if QUICK else 0.02

Table = list[tuple[str, dict[str, tuple[str, str]]]]  # (path, {method: (controller, action)})


# -- tables ----------------------------------------------------------------------


def nova_table() -> tuple[Table, str]:
    data = json.loads(DATA.read_text())
    table: Table = []
    redirect = ""
    for entry in data["route_list"]:
        if "redirect" in entry:
            redirect = entry["path"]
            continue
        methods = {m: (t["controller"], t["action"]) for m, t in entry["methods"].items()}
        table.append((entry["path"], methods))
    return table, redirect


def crud_table(size: int) -> Table:
    table: Table = []
    k = 0
    while sum(len(methods) for _, methods in table) < size:
        table.append((f"/res{k}", {"GET": (f"c{k}", "index"), "POST": (f"c{k}", "create")}))
        table.append(
            (
                f"/res{k}/{{id}}",
                {m: (f"c{k}", a) for m, a in (("GET", "show"), ("PUT", "update"), ("DELETE", "delete"))},
            )
        )
        k += 1
    return table


def fill(path: str) -> str:
    """A concrete request path for a route path."""
    return re.sub(r"\{[^}]*\}", UUID, path)


# -- the four routers ----------------------------------------------------------------------


def _format_requirement(kwargs: dict[str, Any]) -> dict[str, Any]:
    """nova's APIMapper: a ``json|xml`` format requirement on every connect."""
    kwargs.setdefault("requirements", {})
    if not kwargs["requirements"].get("format"):
        kwargs["requirements"]["format"] = "json|xml"
    return kwargs


class NovaRoutesMapper(routes.Mapper):  # type: ignore[misc]
    def connect(self, *args: Any, **kwargs: Any) -> None:
        super().connect(*args, **_format_requirement(kwargs))


class NovaMapper(Mapper):
    def connect(self, *args: Any, **kwargs: Any) -> None:
        super().connect(*args, **_format_requirement(kwargs))


def fill_mapper(
    mapper: routes.Mapper, table: Table, project: bool, controllers: dict[str, Any] | None = None
) -> Any:
    for path, methods in table:
        for method, (controller, action) in methods.items():
            target = controllers[controller] if controllers else controller
            paths = ("/" + PROJECT + path, path) if project else (path,)
            for routepath in paths:
                mapper.connect(routepath, controller=target, action=action, conditions={"method": [method]})
    return mapper


def routes_matcher(table: Table, project: bool) -> Callable[[str, str], object]:
    mapper = fill_mapper(NovaRoutesMapper() if project else routes.Mapper(), table, project)
    mapper.create_regs()

    def match(path: str, method: str) -> object:
        return mapper.routematch(path, {"REQUEST_METHOD": method, "PATH_INFO": path})

    return match


def wsgikit_matcher(table: Table, project: bool) -> Callable[[str, str], object]:
    matcher = CompiledMatcher(fill_mapper(NovaMapper() if project else Mapper(), table, project))
    return matcher.lookup  # what the Router calls; resolve() wraps the same tuple in a NamedTuple


def werkzeug_rule(path: str) -> str:
    return re.sub(r"\{(\w+)(:[^}]*)?\}", r"<\1>", path) or "/"


def werkzeug_matcher(table: Table, project: bool) -> Callable[[str, str], object]:
    rules = []
    for path, methods in table:
        for method, (controller, action) in methods.items():
            paths = ("/" + PROJECT + path, path) if project else (path,)
            for routepath in paths:
                rules.append(Rule(werkzeug_rule(routepath), endpoint=(controller, action), methods=[method]))
    adapter = Map(rules).bind("localhost")

    def match(path: str, method: str) -> object:
        try:
            return adapter.match(path, method)
        except (NotFound, MethodNotAllowed) as error:
            return error

    return match


def falcon_path(path: str) -> str:
    """Variables renamed per level (Falcon rejects different names at one level), no regex requirements."""
    segments = path.split("/")
    return "/".join(re.sub(r"\{[^}]*\}", f"{{v{i}}}", seg) for i, seg in enumerate(segments))


class FalconResource:
    def __init__(self, methods: dict[str, tuple[str, str]]) -> None:
        for method in methods:
            setattr(self, "on_" + method.lower(), self.respond)

    def respond(self, req: falcon.Request, resp: falcon.Response, **params: str) -> None:
        resp.media = {"ok": True, "params": params}


def falcon_routes(table: Table, project: bool) -> list[tuple[str, FalconResource]]:
    added = []
    for path, methods in table:
        if path in ("", "/"):
            continue
        resource = FalconResource(methods)
        for routepath in ("/{project_id}" + path, path) if project else (path,):
            added.append((falcon_path(routepath), resource))
    return added


def falcon_matcher(table: Table, project: bool) -> Callable[[str, str], object]:
    router = falcon.routing.CompiledRouter()
    for path, resource in falcon_routes(table, project):
        router.add_route(path, resource)
    router.find("/")  # compile now, not in the first timed call

    def match(path: str, method: str) -> object:
        found = router.find(path)
        if found is None:
            return None
        return found[0], found[1].get(method), found[2]

    return match


ROUTERS = {
    "Routes": routes_matcher,
    "werkzeug": werkzeug_matcher,
    "falcon": falcon_matcher,
    "wsgikit": wsgikit_matcher,
}


def check_agreement(
    matchers: dict[str, Callable[[str, str], object]], cases: dict[str, tuple[str, str]]
) -> None:
    """Sanity: every router finds (or misses) the same thing before it is timed."""
    for case, (method, path) in cases.items():
        hits = {}
        for name, match in matchers.items():
            result = match(path, method)
            if name == "Routes":
                hit = bool(result)
            elif name == "werkzeug":
                hit = not isinstance(result, Exception)
            elif name == "falcon":
                # unsupported methods map to Falcon's 405 responder: ask the resource itself
                hit = result is not None and hasattr(result[0], "on_" + method.lower())  # type: ignore[index]
            else:
                hit = result[0] is not None  # type: ignore[index]
            hits[name] = hit
        if len(set(hits.values())) != 1:
            raise SystemExit(f"routers disagree on {case} {method} {path}: {hits}")


# -- 1. nova matching ----------------------------------------------------------------------


def nova_cases(table: Table) -> dict[str, tuple[str, str]]:
    routed = [(path, methods) for path, methods in table if path not in ("", "/")]
    first_path, first_methods = routed[0]
    middle_path, middle_methods = routed[len(routed) // 2]
    last_path, last_methods = routed[-1]
    wrong = next(m for m in ("DELETE", "PUT", "POST", "GET") if m not in last_methods)
    return {
        "first": (next(iter(first_methods)), fill(first_path)),
        "middle": (next(iter(middle_methods)), fill(middle_path)),
        "last": (next(iter(last_methods)), fill(last_path)),
        "404": ("GET", "/os-unknown-resource/" + UUID),
        "405": (wrong, fill(last_path)),
    }


def bench_nova() -> dict[str, Any]:
    table, _ = nova_table()
    matchers = {name: build(table, True) for name, build in ROUTERS.items()}
    cases = nova_cases(table)
    check_agreement(matchers, cases)
    results: dict[str, Any] = {}
    for case, (method, path) in cases.items():
        medians = _harness.run(
            {name: (lambda m=match, p=path, me=method: m(p, me)) for name, match in matchers.items()},
            rounds=ROUNDS,
            target=TARGET,
        )
        print(_harness.table(f"\nnova table, {case}: {method} {path}", medians, baseline="falcon"))
        results[case] = {
            "request": f"{method} {path}",
            "medians_us": {k: v * 1e6 for k, v in medians.items()},
        }
    return results


# -- 2. growth ----------------------------------------------------------------------


def bench_growth() -> dict[str, Any]:
    results: dict[str, Any] = {}
    for size in (10, 100, 1000):
        table = crud_table(size)
        matchers = {name: build(table, False) for name, build in ROUTERS.items()}
        last_path, last_methods = table[-1]
        cases = {
            "first": ("GET", fill(table[0][0])),
            "last": (list(last_methods)[-1], fill(last_path)),
            "404": ("GET", "/nothing/" + UUID),
        }
        check_agreement(matchers, cases)
        for case, (method, path) in cases.items():
            medians = _harness.run(
                {name: (lambda m=match, p=path, me=method: m(p, me)) for name, match in matchers.items()},
                rounds=ROUNDS,
                target=TARGET,
            )
            results.setdefault(case, {})[str(size)] = {k: v * 1e6 for k, v in medians.items()}
    print("\ngrowth (µs per match; CRUD tables, 5 routes per resource)")
    header = f"{'router':<10} {'case':<6} " + " ".join(f"{size:>9}" for size in (10, 100, 1000)) + "  1000/10"
    print(header)
    print("-" * len(header))
    for name in ROUTERS:
        for case, by_size in results.items():
            row = [by_size[str(size)][name] for size in (10, 100, 1000)]
            print(
                f"{name:<10} {case:<6} " + " ".join(f"{v:>9.2f}" for v in row) + f"  {row[2] / row[0]:>6.2f}x"
            )
    return results


# -- 3. full routed request ----------------------------------------------------------------------


def call(app: Any, method: str, path: str) -> bytes:
    return _harness.call(app, method, path, script_name="/v2.1")


def wsgikit_app(table: Table) -> Any:
    @wsgikit.wsgify
    def handler(req: wsgikit.Request, **params: str) -> dict[str, Any]:
        return {"ok": True, "params": params}

    controllers = {controller: handler for _, methods in table for controller, _ in methods.values()}
    return Router(fill_mapper(NovaMapper(), table, True, controllers))


def routes_app(table: Table) -> Any:
    """nova's stack: RoutesMiddleware → a wsgify dispatcher → the controller (a webob wsgify app)."""

    @webob.dec.wsgify
    def handler(req: webob.Request) -> webob.Response:
        params = dict(req.environ["wsgiorg.routing_args"][1])
        for key in ("controller", "action", "format"):
            params.pop(key, None)
        return webob.Response(json_body={"ok": True, "params": params})

    @webob.dec.wsgify
    def dispatch(req: webob.Request) -> Any:
        match = req.environ["wsgiorg.routing_args"][1]
        if not match:
            return webob.exc.HTTPNotFound()
        return match["controller"]

    controllers = {controller: handler for _, methods in table for controller, _ in methods.values()}
    mapper = fill_mapper(NovaRoutesMapper(), table, True, controllers)
    return routes.middleware.RoutesMiddleware(dispatch, mapper)


def falcon_app(table: Table) -> Any:
    app = falcon.App()
    for path, resource in falcon_routes(table, True):
        app.add_route(path, resource)
    return app


def bench_full() -> dict[str, Any]:
    table, _ = nova_table()
    routed = [(path, methods) for path, methods in table if path not in ("", "/")]
    last_path, last_methods = routed[-1]
    method, path = next(iter(last_methods)), fill(last_path)
    apps = {
        "RoutesMiddleware+webob": routes_app(table),
        "falcon.App": falcon_app(table),
        "wsgikit Router+wsgify": wsgikit_app(table),
    }
    bodies = {name: json.loads(call(app, method, path)) for name, app in apps.items()}
    # Falcon's variables are renamed per level: compare the values
    if len({json.dumps(sorted(body["params"].values())) for body in bodies.values()}) != 1:
        raise SystemExit(f"apps disagree: {bodies}")
    medians = _harness.run(
        {name: (lambda a=app: call(a, method, path)) for name, app in apps.items()},
        rounds=ROUNDS,
        target=TARGET,
    )
    print(
        _harness.table(f"\nfull routed request, nova table: {method} {path}", medians, baseline="falcon.App")
    )
    return {"request": f"{method} {path}", "medians_us": {k: v * 1e6 for k, v in medians.items()}}


HANDLER_KINDS = ("str", "dict", "Response")


class FalconKindResource:
    """Falcon's counterpart of each wsgikit handler kind: ``resp.text``, ``resp.media``, and a text body with
    its own content type and status (what a wsgikit handler building a ``Response`` sets)."""

    def __init__(self, kind: str, methods: dict[str, tuple[str, str]]) -> None:
        respond = {"str": self.text, "dict": self.media, "Response": self.response}[kind]
        for method in methods:
            setattr(self, "on_" + method.lower(), respond)

    def text(self, req: falcon.Request, resp: falcon.Response, **params: str) -> None:
        resp.text = "hello, world"
        resp.content_type = "text/html; charset=UTF-8"

    def media(self, req: falcon.Request, resp: falcon.Response, **params: str) -> None:
        resp.media = {"ok": True, "params": params}

    def response(self, req: falcon.Request, resp: falcon.Response, **params: str) -> None:
        resp.status = 200
        resp.content_type = "text/plain; charset=UTF-8"
        resp.text = "hello, world"


def wsgikit_kind_app(table: Table, kind: str) -> Any:
    if kind == "str":

        def handler(req: wsgikit.Request, **params: str) -> Any:
            return "hello, world"

    elif kind == "dict":

        def handler(req: wsgikit.Request, **params: str) -> Any:
            return {"ok": True, "params": params}

    else:

        def handler(req: wsgikit.Request, **params: str) -> Any:
            return wsgikit.Response("hello, world", content_type="text/plain")

    app = wsgikit.wsgify(handler)
    controllers = {controller: app for _, methods in table for controller, _ in methods.values()}
    return Router(fill_mapper(NovaMapper(), table, True, controllers))


def bench_handler_kinds() -> dict[str, Any]:
    """A routed request on the nova table (last route) per handler kind: wsgikit against falcon.App."""
    table, _ = nova_table()
    routed = [(path, methods) for path, methods in table if path not in ("", "/")]
    last_path, last_methods = routed[-1]
    method, path = next(iter(last_methods)), fill(last_path)
    results: dict[str, Any] = {"request": f"{method} {path}"}
    for kind in HANDLER_KINDS:
        falcon_app_ = falcon.App()
        for table_path, methods in routed:
            resource = FalconKindResource(kind, methods)
            for routepath in ("/{project_id}" + table_path, table_path):
                falcon_app_.add_route(falcon_path(routepath), resource)
        apps = {"falcon.App": falcon_app_, "wsgikit Router+wsgify": wsgikit_kind_app(table, kind)}
        for name, app in apps.items():
            assert call(app, method, path), name
        medians = _harness.run(
            {name: (lambda a=app: call(a, method, path)) for name, app in apps.items()},
            rounds=ROUNDS,
            target=TARGET,
        )
        print(_harness.table(f"\nrouted request, handler returns {kind}", medians, baseline="falcon.App"))
        results[kind] = {
            "medians_us": {k: v * 1e6 for k, v in medians.items()},
            "wsgikit_vs_falcon": medians["wsgikit Router+wsgify"] / medians["falcon.App"],
        }
    return results


def summary(nova: dict[str, Any], growth: dict[str, Any], full: dict[str, Any]) -> dict[str, Any]:
    def ratio(case: str, a: str, b: str) -> float:
        medians = nova[case]["medians_us"]
        return float(medians[a] / medians[b])

    growth_ratio = max(by_size["1000"]["wsgikit"] / by_size["10"]["wsgikit"] for by_size in growth.values())
    full_m = full["medians_us"]
    result = {
        "wsgikit_vs_falcon": {case: ratio(case, "wsgikit", "falcon") for case in nova},
        "routes_vs_wsgikit": {case: ratio(case, "Routes", "wsgikit") for case in nova},
        "growth_1000_over_10": growth_ratio,
        "full_vs_falcon_app": full_m["wsgikit Router+wsgify"] / full_m["falcon.App"],
        "routes_middleware_vs_full": full_m["RoutesMiddleware+webob"] / full_m["wsgikit Router+wsgify"],
    }
    print("\nsummary (targets in brackets)")
    for case, value in result["wsgikit_vs_falcon"].items():
        routes_ratio = result["routes_vs_wsgikit"][case]
        print(f"  {case:<7} wsgikit/falcon {value:5.2f}x [<= 1.0x]   Routes/wsgikit {routes_ratio:6.1f}x")
    print(f"  growth 1000/10 routes (worst case): {growth_ratio:.2f}x [<= 1.5x]")
    print(f"  full request wsgikit/falcon.App: {result['full_vs_falcon_app']:.2f}x [<= 1.2x]")
    print(
        f"  full request RoutesMiddleware+webob/wsgikit: {result['routes_middleware_vs_full']:.1f}x [>= 10x]"
    )
    return result


def main() -> dict[str, Any]:
    nova = bench_nova()
    growth = bench_growth()
    full = bench_full()
    kinds = bench_handler_kinds()
    result = summary(nova, growth, full)
    result["handler_kinds_vs_falcon"] = {kind: kinds[kind]["wsgikit_vs_falcon"] for kind in HANDLER_KINDS}
    for kind, ratio in result["handler_kinds_vs_falcon"].items():
        target = "<= 1.2x" if kind == "Response" else "< 1.0x"
        print(f"  routed request returning {kind}, wsgikit/falcon.App: {ratio:.2f}x [{target}]")
    return {"nova": nova, "growth": growth, "full_request": full, "handler_kinds": kinds, "summary": result}


if __name__ == "__main__":
    _harness.write_json(_harness.json_arg(), main())
