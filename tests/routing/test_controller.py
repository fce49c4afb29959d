"""Controllers: actions, route variables as keyword arguments, JSON results, @response and @action."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from wsgikit import Request, Response, exc
from wsgikit.routing import Controller, Mapper, Router, action, response
from wsgikit.routing.table import route_rows
from wsgikit.testing import TestApp


@dataclasses.dataclass
class Flavor:
    id: str
    ram: int


class Servers(Controller):
    def index(self, req: Request, project_id: str | None = None) -> Any:
        return {"servers": [], "project": project_id}

    def detail(self, req: Request) -> list[str]:
        return ["a", "b"]

    def show(self, req: Request, id: str) -> Any:
        if id == "missing":
            raise exc.HTTPNotFound(f"no server {id}")
        return {"server": {"id": id, "self": req.url_for("server", id=id)}}

    @response(202)
    def create(self, req: Request) -> Any:
        return {"created": req.json["name"]}

    def update(self, req: Request, **variables: Any) -> Any:
        return {"variables": variables}

    @response(204)
    def delete(self, req: Request, id: str) -> None:
        return None

    def flavor(self, req: Request, id: str) -> Flavor:
        return Flavor(id=id, ram=512)

    def text(self, req: Request) -> Response:
        return Response("plain", content_type="text/plain")

    @action("os-start")
    @response(202)
    def start(self, req: Request, id: str, body: Any) -> None:
        req.response.headers["X-Started"] = id

    @action("reboot")
    def reboot(self, req: Request, id: str, body: Any) -> Any:
        return {"rebooted": id, "type": body["reboot"]["type"]}

    def _private(self, req: Request) -> str:
        return "never"


def make_app(script_name: str = "") -> TestApp:
    servers = Servers()
    mapper = Mapper()
    table = [
        ("/servers", "index", "GET"),
        ("/{project_id}/servers", "index", "GET"),
        ("/servers/detail", "detail", "GET"),
        ("/servers", "create", "POST"),
        ("/servers/{id}", "show", "GET"),
        ("/servers/{id}", "update", "PUT"),
        ("/servers/{id}", "delete", "DELETE"),
        ("/servers/{id}/flavor", "flavor", "GET"),
        ("/text", "text", "GET"),
        ("/servers/{id}/action", "action", "POST"),
    ]
    for path, name, method in table:
        route_name = "server" if (name, method) == ("show", "GET") else None
        args = (route_name, path) if route_name else (path,)
        mapper.connect(*args, controller=servers, action=name, conditions={"method": [method]})
    return TestApp(Router(mapper), extra_environ={"SCRIPT_NAME": script_name})


@pytest.fixture
def app() -> TestApp:
    return make_app()


def test_public_methods_are_actions() -> None:
    public = {"index", "detail", "show", "create", "update", "delete", "flavor", "text", "start", "reboot"}
    assert set(Servers.actions) == public
    assert set(Servers.body_actions) == {"os-start", "reboot"}


def test_route_variables_arrive_as_keyword_arguments(app: TestApp) -> None:
    assert app.get("/servers").json == {"servers": [], "project": None}
    assert app.get("/abc/servers").json == {"servers": [], "project": "abc"}
    assert app.put("/servers/9").json == {"variables": {"id": "9"}}  # **kwargs: all but controller/action


def test_results_become_json(app: TestApp) -> None:
    assert app.get("/servers/detail").json == ["a", "b"]
    assert app.get("/servers/3/flavor").json == {"id": "3", "ram": 512}
    response = app.get("/text")
    assert (response.content_type, response.text) == ("text/plain", "plain")


def test_response_decorator_sets_status(app: TestApp) -> None:
    created = app.post_json("/servers", {"name": "vm"}, status=202)
    assert created.json == {"created": "vm"}
    deleted = app.delete("/servers/1", status=204)
    assert deleted.body == b""


def test_http_exceptions_become_problem_documents(app: TestApp) -> None:
    assert app.get("/servers/missing", status=404).json["detail"] == "no server missing"


def test_malformed_json_body_is_400(app: TestApp) -> None:
    app.post("/servers", "{not json", content_type="application/json", status=400)


def test_url_for_on_the_request_honours_script_name() -> None:
    assert make_app("/v2.1").get("/servers/x%20y").json["server"]["self"] == "/v2.1/servers/x%20y"


def test_body_action_dispatch(app: TestApp) -> None:
    started = app.post_json("/servers/5/action", {"os-start": None}, status=202)
    assert started.headers["X-Started"] == "5"
    rebooted = app.post_json("/servers/5/action", {"reboot": {"type": "HARD"}})
    assert rebooted.json == {"rebooted": "5", "type": "HARD"}


@pytest.mark.parametrize(
    "body",
    ['{"os-bogus": null}', "{}", "[]", '"os-start"', "not json", ""],
    ids=["unknown", "empty-object", "list", "string", "malformed", "empty"],
)
def test_bad_action_bodies_are_400(app: TestApp, body: str) -> None:
    response = app.post("/servers/5/action", body, content_type="application/json", status=400)
    assert response.json["status"] == 400


def test_unknown_action_key_lists_the_known_ones(app: TestApp) -> None:
    detail = app.post_json("/servers/5/action", {"os-bogus": None}, status=400).json["detail"]
    assert "os-start" in detail and "reboot" in detail


def test_route_to_missing_action_fails_at_start_up() -> None:
    mapper = Mapper()
    mapper.connect("/x", controller=Servers(), action="_private")
    with pytest.raises(ValueError, match="no action '_private'"):
        Router(mapper)


def test_response_decorator_rejects_non_2xx() -> None:
    with pytest.raises(ValueError, match="2xx"):
        response(404)


def test_duplicate_body_action_names_are_rejected() -> None:
    with pytest.raises(ValueError, match="os-stop"):

        class Twice(Controller):
            @action("os-stop")
            def stop(self, req: Request, body: Any) -> None: ...

            @action("os-stop")
            def halt(self, req: Request, body: Any) -> None: ...


def test_controller_routes_show_in_the_route_table(app: TestApp) -> None:
    from wsgikit.routing.table import route_rows

    router = app.app.application if hasattr(app.app, "application") else None
    assert router is None or isinstance(router, Router)
    mapper = Mapper()
    mapper.connect("/s", controller=Servers(), action="index")
    (row,) = route_rows(mapper)
    assert row.controller.endswith("Servers")
    assert row.action == "index"


class Flavors(Controller):
    """What nova's controllers look like: no ``new``, ``edit``, ``create``, ``update`` or ``delete``."""

    def index(self, req: Request) -> Any:
        return {"flavors": []}

    def show(self, req: Request, id: str) -> Any:
        if not id.isdigit():
            raise exc.HTTPNotFound(f"flavor {id} could not be found")
        return {"flavor": {"id": id}}


def test_resource_with_a_partial_controller_starts() -> None:
    mapper = Mapper()
    mapper.resource("flavor", "flavors", controller=Flavors())
    app = TestApp(Router(mapper))
    assert app.get("/flavors").json == {"flavors": []}
    assert app.get("/flavors/1.json").json == {"flavor": {"id": "1"}}
    # /flavors/new is show("new") now, not a route to a missing action: the controller's own 404
    assert app.get("/flavors/new", status=404).json["detail"] == "flavor new could not be found"
    assert app.get("/flavors/1/edit", status=404).json["title"] == "Not Found"


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("POST", "/flavors", "GET, HEAD, OPTIONS"),
        ("PUT", "/flavors/1", "GET, HEAD, OPTIONS"),
        ("PATCH", "/flavors/1", "GET, HEAD, OPTIONS"),
        ("DELETE", "/flavors/1.json", "GET, HEAD, OPTIONS"),
    ],
    ids=["create", "update-put", "update-patch", "delete-formatted"],
)
def test_resource_methods_without_an_action_are_405(method: str, path: str, allow: str) -> None:
    mapper = Mapper()
    mapper.resource("flavor", "flavors", controller=Flavors())
    response = TestApp(Router(mapper)).request(path, method=method, status=405)
    assert response.headers["Allow"] == allow


def test_resource_without_show_answers_404_for_members() -> None:
    class Listing(Controller):
        def index(self, req: Request) -> Any:
            return []

    mapper = Mapper()
    mapper.resource("thing", "things", controller=Listing())
    app = TestApp(Router(mapper))
    assert app.get("/things").json == []
    app.get("/things/new", status=404)
    app.get("/things/1", status=404)


def test_resource_given_the_controller_creates_only_its_actions_routes() -> None:
    mapper = Mapper()
    mapper.resource("flavor", "flavors", controller=Flavors())
    router = Router(mapper)
    actions = {route.defaults["action"] for route in mapper.matchlist}
    assert actions == {"index", "show"}
    assert router.skipped == ()
    assert router.url_for("flavor", id="7") == "/flavors/7"
    assert {route.name for route in mapper.matchlist} >= {"flavor", "flavors"}
    assert "new_flavor" not in {route.name for route in mapper.matchlist}


def test_resource_with_a_named_controller_skips_the_same_routes_and_leaves_the_mapper() -> None:
    mapper = Mapper()
    mapper.resource("flavor", "flavors", controller="flavors")
    made = list(mapper.matchlist)
    router = Router(mapper, controllers={"flavors": Flavors()})
    assert mapper.matchlist == made  # nothing removed from the application's mapper
    assert {route.defaults["action"] for route in router.skipped} == {
        "create",
        "new",
        "edit",
        "update",
        "delete",
    }
    assert {route.defaults["action"] for route in router.routes} == {"index", "show"}
    assert [row.action for row in route_rows(mapper, router.routes)] == [
        route.defaults["action"] for route in router.routes if not route.static
    ]
    app = TestApp(router)
    assert app.get("/flavors/3").json == {"flavor": {"id": "3"}}
    app.put("/flavors/3", status=405)
    app.patch("/flavors/3", status=405)
    assert app.get("/flavors/new", status=404).json["detail"] == "flavor new could not be found"
    # plain Routes matching of the same mapper is untouched by the router
    assert mapper.match("/flavors/new")["action"] == "new"


def test_named_controller_routes_are_skipped_by_a_delegating_matcher_too() -> None:
    mapper = Mapper(always_scan=True)  # matched by Routes' own scan, not the compiled trie
    mapper.resource("flavor", "flavors", controller="flavors")
    app = TestApp(Router(mapper, controllers={"flavors": Flavors()}))
    assert app.get("/flavors/3").json == {"flavor": {"id": "3"}}
    assert app.get("/flavors/new", status=404).json["detail"] == "flavor new could not be found"
    response = app.put("/flavors/3", status=405)  # as compiled: the methods of the routes not skipped
    assert "PUT" not in response.headers["Allow"] and "GET" in response.headers["Allow"]


def test_explicit_connect_to_a_missing_action_still_fails_after_a_resource() -> None:
    mapper = Mapper()
    mapper.resource("flavor", "flavors", controller=Flavors())
    mapper.connect("flavor_edit", "/flavors/{id}/edit", controller=Flavors(), action="edit")
    with pytest.raises(ValueError, match="route 'flavor_edit': Flavors has no action 'edit'"):
        Router(mapper)
