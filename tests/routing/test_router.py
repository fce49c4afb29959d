"""The Router as a WSGI application, through wsgikit.testing.TestApp."""

from __future__ import annotations

from typing import Any

import pytest
import routes
from cycles import cyclic_garbage

from wsgikit import Request, wsgify
from wsgikit.routing import Mapper, Router, url_for
from wsgikit.testing import TestApp
from wsgikit.types import StartResponse, WSGIEnvironment, WSGIIterable


@wsgify
def show(req: Request, id: str) -> dict[str, Any]:
    return {"id": id, "method": req.method, "self": url_for(req.environ, "item", id=id)}


@wsgify
def update(req: Request, id: str) -> dict[str, Any]:
    return {"updated": id}


@wsgify
def echo_args(req: Request) -> dict[str, Any]:
    args, kwargs = req.environ["wsgiorg.routing_args"]
    route = req.environ["wsgikit.route"]
    return {"args": list(args), "action": kwargs.get("action"), "route": route.routepath}


def mount(environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
    body = f"{environ['SCRIPT_NAME']}|{environ['PATH_INFO']}".encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


def make_mapper() -> Mapper:
    mapper = Mapper()
    mapper.connect("item", "/items/{id}", controller=show, conditions={"method": ["GET"]})
    mapper.connect("/items/{id}", controller=update, conditions={"method": ["PUT"]})
    mapper.connect("/args", controller=echo_args, action="list")
    mapper.connect("/mounted/*path_info", controller=mount)
    mapper.connect("/any/{id}", controller=show)
    mapper.redirect("/old/{id}", "/items/{id}", _redirect_code="301 Moved Permanently")
    mapper.redirect("/legacy/{url:.*}", "/{url}")
    mapper.redirect("", "/")
    return mapper


@pytest.fixture
def app() -> TestApp:
    return TestApp(Router(make_mapper()))


def test_dispatch_sets_routing_args_and_route(app: TestApp) -> None:
    assert app.get("/args").json == {"args": [], "action": "list", "route": "/args"}


def test_route_variables_reach_wsgify_handlers(app: TestApp) -> None:
    assert app.get("/items/7").json["id"] == "7"
    assert app.put("/items/7").json == {"updated": "7"}


def test_unknown_path_is_404_problem_json(app: TestApp) -> None:
    response = app.get("/nothing", status=404)
    assert response.content_type == "application/problem+json"
    assert response.json["status"] == 404


@pytest.mark.parametrize("method", ["POST", "DELETE", "PATCH"])
def test_wrong_method_is_405_with_allow(app: TestApp, method: str) -> None:
    response = app.request("/items/7", method=method, status=405)
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS, PUT"
    assert response.json["status"] == 405
    assert response.json["detail"].endswith("(allowed: GET, HEAD, OPTIONS, PUT).")
    assert "malformed" not in response.text


def test_head_is_served_by_get_without_body() -> None:
    mapper = Mapper()
    mapper.connect("/things/{id}", controller=update, conditions={"method": ["GET"]})
    app = TestApp(Router(mapper))
    get = app.get("/things/7")
    head = app.head("/things/7")
    assert head.status_int == 200
    assert head.body == b""
    assert head.headers["Content-Length"] == get.headers["Content-Length"]
    assert head.content_type == "application/json"


def test_head_on_unknown_path_is_404_without_body(app: TestApp) -> None:
    assert app.head("/nothing", status=404).body == b""


def test_head_without_get_route_is_405(app: TestApp) -> None:
    mapper = Mapper()
    mapper.connect("/only-post", controller=update, conditions={"method": ["POST"]})
    response = TestApp(Router(mapper)).head("/only-post", status=405)
    assert response.headers["Allow"] == "OPTIONS, POST"


def test_head_closes_the_get_body() -> None:
    closed: list[bool] = []

    class Body:
        def __iter__(self) -> Any:
            yield b"abc"

        def close(self) -> None:
            closed.append(True)

    def get_app(environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "3")])
        return Body()

    mapper = Mapper()
    mapper.connect("/thing", controller=get_app, conditions={"method": ["GET"]})
    assert TestApp(Router(mapper)).head("/thing").body == b""
    assert closed == [True]


def test_options_answered_with_allow(app: TestApp) -> None:
    response = app.options("/items/7", status=204)
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS, PUT"
    assert response.body == b""


def test_options_route_wins_over_automatic_answer() -> None:
    @wsgify
    def options(req: Request) -> str:
        return "custom"

    mapper = Mapper()
    mapper.connect("/x", controller=update, conditions={"method": ["GET"]})
    mapper.connect("/x", controller=options, conditions={"method": ["OPTIONS"]})
    assert TestApp(Router(mapper)).options("/x").text == "custom"


def test_automatic_head_and_options_can_be_turned_off() -> None:
    mapper = Mapper()
    mapper.connect("/x", controller=update, conditions={"method": ["GET"]})
    app = TestApp(Router(mapper, auto_head=False, auto_options=False))
    assert app.head("/x", status=405).headers["Allow"] == "GET"
    assert app.options("/x", status=405).headers["Allow"] == "GET"


def test_route_without_method_condition_takes_every_method(app: TestApp) -> None:
    for method in ("GET", "POST", "DELETE", "OPTIONS"):
        assert app.request("/any/3", method=method).json["method"] == method


def test_redirect_routes(app: TestApp) -> None:
    response = app.get("/old/5", status=301)
    assert response.headers["Location"] == "/items/5"
    assert app.get("", status=302).headers["Location"] == "/"


def test_redirect_cannot_be_turned_into_an_open_redirect(app: TestApp) -> None:
    location = app.get("/legacy//evil.example", status=302).headers["Location"]
    assert not location.startswith("//")
    assert location.endswith("evil.example")


def test_wildcard_path_info_shifts_script_name(app: TestApp) -> None:
    assert app.get("/mounted/a/b").text == "/mounted|/a/b"
    prefixed = TestApp(Router(make_mapper()), extra_environ={"SCRIPT_NAME": "/api"})
    assert prefixed.get("/mounted/a/b").text == "/api/mounted|/a/b"


def test_url_generation_under_a_prefix_percent_encodes() -> None:
    app = TestApp(Router(make_mapper()), extra_environ={"SCRIPT_NAME": "/v2.1"})
    assert app.get("/items/a%20b%3F").json["self"] == "/v2.1/items/a%20b%3F"
    assert app.get("/items/x%23y").json["self"] == "/v2.1/items/x%23y"


def test_router_url_for_outside_a_request() -> None:
    router = Router(make_mapper())
    assert router.url_for("item", id="café") == "/items/caf%C3%A9"
    assert router.url_for("item", id="1/2") == "/items/1/2"  # Routes keeps "/" (wildcards need it)
    assert router.url_for("item", id="9", script_name="/v2") == "/v2/items/9"
    assert router.url_for("item", id="9", qualified=True) == "http://localhost/items/9"


def test_url_for_needs_a_routed_request() -> None:
    with pytest.raises(LookupError):
        url_for({}, "item", id="1")


def test_query_string_method_override_is_ignored(app: TestApp) -> None:
    assert app.get("/items/7?_method=PUT").json["id"] == "7"
    app.post("/items/7?_method=PUT", status=405)


def test_form_method_override_when_enabled() -> None:
    app = TestApp(Router(make_mapper(), method_override=True))
    assert app.post("/items/7", {"_method": "PUT"}).json == {"updated": "7"}
    app.post("/items/7", {"_method": "GET"}, status=405)  # only PUT, PATCH and DELETE
    off = TestApp(Router(make_mapper()))
    off.post("/items/7", {"_method": "PUT"}, status=405)


def test_control_characters_are_404(app: TestApp) -> None:
    app.get("/items/7%0a", status=404)
    app.get("/args%00", status=404)


def test_routes_added_after_the_router_was_built() -> None:
    mapper = make_mapper()
    app = TestApp(Router(mapper))
    app.get("/late", status=404)
    mapper.connect("/late", controller=update, id="x")
    assert app.get("/late").json == {"updated": "x"}


def test_string_controllers_resolve_through_the_controllers_mapping() -> None:
    mapper = Mapper()
    mapper.connect("/m/{id}", controller="shower", action="show")
    app = TestApp(Router(mapper, controllers={"shower": show}))
    assert app.get("/m/1").json["id"] == "1"


@pytest.mark.parametrize(
    ("connect", "message"),
    [
        ({"controller": "missing"}, r"not in Router\(controllers=\.\.\.\)"),
        ({}, "has no controller"),
    ],
    ids=["unknown-name", "no-controller"],
)
def test_undispatchable_routes_fail_at_start_up(connect: dict[str, Any], message: str) -> None:
    mapper = Mapper()
    mapper.connect("/x", **connect)
    with pytest.raises(ValueError, match=message):
        Router(mapper)


def test_router_rejects_non_mappers() -> None:
    with pytest.raises(ValueError, match="mapper"):
        Router({"not": "a mapper"})  # type: ignore[arg-type]


def test_plain_routes_mapper_works_too() -> None:
    mapper = routes.Mapper()
    mapper.connect("/p/{id}", controller=show, conditions={"method": ["GET"]})
    mapper.connect("item", "/items/{id}", controller=show)
    app = TestApp(Router(mapper))
    assert app.get("/p/1").json["id"] == "1"
    app.delete("/p/1", status=405)


def test_nova_table_through_the_router(nova_table: dict[str, Any], make_nova_mapper: Any) -> None:
    """Every nova path answers 2xx for its methods and 405 with the right Allow for the others."""
    seen: list[tuple[str, str]] = []

    @wsgify
    def handler(req: Request) -> dict[str, Any]:
        match = req.environ["wsgiorg.routing_args"][1]
        seen.append((match["action"], req.method))
        return {"ok": True}

    mapper = make_nova_mapper()
    for route in mapper.matchlist:
        if not route.redirect:
            route.defaults["controller"] = handler
    app = TestApp(Router(mapper))
    for entry in nova_table["route_list"]:
        if "redirect" in entry:
            continue
        path = entry["path"].replace("{", "").replace("}", "") or "/"
        methods = set(entry["methods"])
        for method in ("GET", "POST", "PUT", "DELETE", "PATCH"):
            response = app.request(path, method=method, expect_errors=True)
            if method in methods:
                assert response.status_int == 200, (method, path)
            elif response.status_int == 405:
                allow = set(response.headers["Allow"].split(", "))
                assert methods <= allow, (method, path)
    assert len(seen) >= 209


# -- dispatch to wsgify controllers ----------------------------------------------------------------------


class Traced(wsgify):
    """A wsgify whose call_func is overridden: the router must still go through it."""

    def call_func(self, req: Any, *args: Any, **kwargs: Any) -> Any:
        return {"traced": True, "result": super().call_func(req, *args, **kwargs)}


class Wrapped(wsgify):
    """A wsgify whose __call__ is overridden: the router must call it, not skip to the WSGI handling."""

    def __call__(self, req: Any, *args: Any, **kw: Any) -> Any:
        if isinstance(req, dict):
            req["test.wrapped"] = True
        return super().__call__(req, *args, **kw)


def test_wsgify_controllers_keep_their_overrides() -> None:
    def everything(req: Request, **params: str) -> dict[str, Any]:
        return {"params": params, "wrapped": req.environ.get("test.wrapped", False)}

    mapper = Mapper()
    mapper.connect("/plain/{id}", controller=wsgify(everything))
    mapper.connect("/traced/{id}", controller=Traced(everything))
    mapper.connect("/wrapped/{id}", controller=Wrapped(everything))
    mapper.connect("/args/{id}", controller=wsgify(everything, kwargs={"extra": "x"}))
    app = TestApp(Router(mapper))
    assert app.get("/plain/1").json == {"params": {"id": "1"}, "wrapped": False}
    assert app.get("/traced/2").json == {"traced": True, "result": {"params": {"id": "2"}, "wrapped": False}}
    assert app.get("/wrapped/3").json == {"params": {"id": "3"}, "wrapped": True}
    assert app.get("/args/4").json == {"params": {"extra": "x", "id": "4"}, "wrapped": False}


@pytest.mark.parametrize("path", ["/items/7", "/mounted/a/b", "/old/7", "/args", "/nowhere"])
def test_routed_requests_leave_no_reference_cycles(path: str) -> None:
    """The URL generator in the environ generates from a copy of it: a generator holding the environ
    that holds it would leave every routed request (environ, input, match) for the cyclic collector."""
    import io

    router = Router(make_mapper())

    def one_request() -> None:
        environ = {
            "REQUEST_METHOD": "GET",
            "SCRIPT_NAME": "/v2",
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "localhost",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "localhost",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(b""),
            "wsgi.errors": io.StringIO(),
        }
        body = router(environ, lambda status, headers, exc_info=None: None)
        b"".join(body)
        getattr(body, "close", lambda: None)()

    garbage = cyclic_garbage(one_request)
    assert garbage == []


@pytest.mark.parametrize("path", ["/where", "/under/x/y"])
def test_url_generation_sees_the_environ_as_routing_left_it(path: str) -> None:
    """The generator's copy holds what Routes' own generator reads from the live environ: SCRIPT_NAME
    (shifted by a path_info route, as RoutesMiddleware shifts it), the host, the match."""
    mapper = make_mapper()
    pairs: list[tuple[str, str]] = []

    def where(environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
        generator = environ["routes.url"]
        assert generator is environ["wsgikit.url_generator"]
        live = routes.util.URLGenerator(mapper, environ)
        pairs.append((url_for(environ, "item", id="5", qualified=True), live("item", id="5", qualified=True)))
        pairs.append((generator.current(), live.current()))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b""]

    mapper.connect("where", "/where", controller=where)
    mapper.connect("under", "/under/*path_info", controller=where)
    app = TestApp(Router(mapper), extra_environ={"SCRIPT_NAME": "/v2", "HTTP_HOST": "api.example:8774"})
    app.get(path)
    assert [ours for ours, _ in pairs] == [theirs for _, theirs in pairs]
    if path == "/where":
        assert pairs[0][0] == "http://api.example:8774/v2/items/5" and pairs[1][0] == "/v2/where"


@pytest.mark.parametrize("delegate", ["always_scan", "sub_domains"])
def test_a_wrong_method_is_405_when_routes_itself_matches(delegate: str) -> None:
    """A mapper Routes must match itself (always_scan, sub_domains) answers a wrong method as the
    compiled matcher does: 405 with the methods of the routes that match the path for another method."""
    mapper = make_mapper()
    setattr(mapper, delegate, True)
    app = TestApp(Router(mapper))
    assert app.get("/items/7").json["id"] == "7"
    response = app.delete("/items/7", status=405)
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS, PUT"
    assert app.options("/items/7").headers["Allow"] == "GET, HEAD, OPTIONS, PUT"
    app.delete("/nowhere/7", status=404)
