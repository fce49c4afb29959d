"""Router
======

:class:`Router` is the WSGI application that matches a request with the mapper's compiled matcher and
dispatches it to the route's ``controller``: a WSGI application, a :func:`wsgikit.wsgify` function or a
:class:`~wsgikit.routing.Controller`. It replaces ``routes.middleware.RoutesMiddleware`` + a dispatcher:

* ``environ["wsgiorg.routing_args"]`` is ``((), match_dict)``, ``environ["wsgikit.route"]`` the matched
  :class:`routes.route.Route`, ``environ["wsgikit.url_generator"]`` a URL generator (also under Routes'
  ``routes.route`` / ``routes.url`` keys, for code written against RoutesMiddleware);
* unknown paths get 404; a path that exists under other methods gets **405 with ``Allow``**;
* routes to actions the :class:`~wsgikit.routing.Controller` does not define are never matched when
  ``Mapper.resource()`` made them (``GET /servers/new`` is then a 404, a ``PUT`` on a controller without
  ``update`` a 405): given the controller object, ``resource()`` does not create them; given a controller
  *name*, the router skips them (the mapper is left as it is). An explicit ``connect()`` to a missing
  action fails at start-up, naming the route;
* ``HEAD`` is served by the ``GET`` route with the body dropped, ``OPTIONS`` is answered ``204`` with
  ``Allow`` unless a route handles it;
* redirect routes (``mapper.redirect()``) are answered with their status and ``Location``;
* a ``path_info`` variable (``*path_info`` routes) moves the matched prefix onto ``SCRIPT_NAME`` so a
  mounted application sees its own paths.

.. code-block:: python

    from wsgikit import wsgify
    from wsgikit.routing import Mapper, Router

    @wsgify
    def show(req, id):
        return {"id": id, "self": req.environ["wsgikit.url_generator"]("server", id=id)}

    mapper = Mapper()
    mapper.connect("server", "/servers/{id}", controller=show, conditions={"method": ["GET"]})
    app = Router(mapper)
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

import routes
import routes.util
import webob
from routes.route import Route

from wsgikit import exc
from wsgikit.dec import wsgify
from wsgikit.options import REQUIRED, Converter, Option, OptionTable, import_object, to_bool
from wsgikit.routing.controller import Controller
from wsgikit.routing.mapper import compiled, is_generated
from wsgikit.routing.matcher import CompiledMatcher
from wsgikit.routing.urls import ROUTE_KEY, ROUTING_ARGS_KEY, URL_GENERATOR_KEY, URLFor, url_for
from wsgikit.types import StartResponse, WSGIApplication, WSGIEnvironment, WSGIIterable
from wsgikit.wsgi import call_app, close_iterable

__all__ = ["ROUTE_KEY", "ROUTING_ARGS_KEY", "URL_GENERATOR_KEY", "Router", "URLFor", "url_for"]

log = logging.getLogger("wsgikit.routing")

_new_url_for = object.__new__

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_OVERRIDABLE = frozenset({"PUT", "PATCH", "DELETE"})


def _import_mapper(value: str) -> routes.Mapper:
    """``package.module:make_mapper`` (called with no arguments) or ``package.module:MAPPER`` → a Mapper."""
    spec = value.strip()
    target = import_object(spec)
    if isinstance(target, routes.Mapper):
        return target
    if not callable(target):
        raise ValueError(f"{spec!r} is neither a Mapper nor a callable returning one")
    mapper = target()
    if not isinstance(mapper, routes.Mapper):
        raise ValueError(f"{spec}() returned {type(mapper).__name__}, not a Mapper")
    return mapper


def _check_mapper(mapper: Any) -> routes.Mapper:
    if not isinstance(mapper, routes.Mapper):
        raise ValueError(f"expected a routes.Mapper, got {type(mapper).__name__}")
    return mapper


_MAPPER = Converter("module:callable", _import_mapper, _check_mapper)


class Router:
    """Match requests against a :class:`~wsgikit.routing.Mapper` and dispatch them.

    :param mapper: the route table (a wsgikit :class:`~wsgikit.routing.Mapper`, or any
        :class:`routes.Mapper`). Routes added later are picked up: the matcher is rebuilt when the number of
        routes changed.
    :param controllers: for routes whose ``controller`` is a *name* (Routes-style string), the WSGI
        application for each name.
    :param method_override: honour a ``_method`` field (``PUT``, ``PATCH``, ``DELETE``) in a form ``POST``
        body, for HTML forms. Off by default; a ``_method`` in the query string is never honoured.
    :param auto_head: serve ``HEAD`` with the ``GET`` route, dropping the body (default on).
    :param auto_options: answer ``OPTIONS`` with ``204`` and ``Allow`` when no route handles it (default on).
    """

    OPTIONS = OptionTable(
        "router",
        Option("mapper", _MAPPER, REQUIRED, "module:callable returning a Mapper, or a module-level Mapper"),
        Option("method_override", to_bool, False, "honour _method in form POST bodies (never in the query)"),
        Option("auto_head", to_bool, True, "serve HEAD with the GET route, body dropped"),
        Option("auto_options", to_bool, True, "answer OPTIONS with 204 and Allow when no route handles it"),
    )

    def __init__(
        self,
        mapper: routes.Mapper,
        *,
        controllers: Mapping[str, WSGIApplication] | None = None,
        method_override: bool = OPTIONS.default("method_override"),
        auto_head: bool = OPTIONS.default("auto_head"),
        auto_options: bool = OPTIONS.default("auto_options"),
    ) -> None:
        self.OPTIONS.validate(
            mapper=mapper, method_override=method_override, auto_head=auto_head, auto_options=auto_options
        )
        self.mapper = mapper
        self.controllers: dict[str, WSGIApplication] = dict(controllers or {})
        for name, app in self.controllers.items():
            if not callable(app):
                raise ValueError(f"controllers: {name!r} is not a WSGI application")
        self.method_override = method_override
        self.auto_head = auto_head
        self.auto_options = auto_options
        self.skipped: tuple[Any, ...] = ()
        """The routes ``resource()`` made for actions a named controller does not define: never matched."""
        self._matcher: CompiledMatcher = self._compile(check=True)
        self._routes: list[Any] = mapper.matchlist  # Routes appends to this list; its length tells change

    @property
    def routes(self) -> list[Any]:
        """The mapper's routes this router dispatches, in matching order (what ``wsgikit routes`` prints)."""
        skipped = {id(route) for route in self.skipped}
        return [route for route in self.mapper.matchlist if id(route) not in skipped]

    def _compile(self, *, check: bool = False) -> CompiledMatcher:
        """Build the matcher: the mapper's own cached one, or one of this router's that skips
        :attr:`skipped`. With ``check`` (at start-up), first fail for a route that could never be
        dispatched."""
        self.skipped = tuple(
            route for route in self.mapper.matchlist if is_generated(route) and not self._dispatchable(route)
        )
        for route in self.skipped:
            log.debug(
                "route %s skipped: controller %r has no action %r",
                route.name or route.routepath,
                route.defaults.get("controller"),
                route.defaults.get("action"),
            )
        if check:
            self._check_routes()
        if self.skipped:
            return CompiledMatcher(self.mapper, skip=self.skipped)
        return compiled(self.mapper)

    def _check_routes(self) -> None:
        """Fail at start-up for a route that could never be dispatched."""
        skipped = {id(route) for route in self.skipped}
        for route in self.mapper.matchlist:
            if route.static or route.redirect or id(route) in skipped:
                continue
            target = route.defaults.get("controller")
            where = f"route {route.name or route.routepath!r}"
            if target is None:
                if any(isinstance(part, dict) and part["name"] == "controller" for part in route.routelist):
                    continue  # a {controller} variable: resolved by name at request time
                raise ValueError(f"{where} has no controller")
            if isinstance(target, str):
                if target not in self.controllers:
                    raise ValueError(f"{where}: controller {target!r} is not in Router(controllers=...)")
                continue
            if isinstance(target, Controller):
                action_name = route.defaults.get("action")
                if isinstance(action_name, str) and not target.has_action(action_name):
                    raise ValueError(f"{where}: {type(target).__name__} has no action {action_name!r}")

    def _dispatchable(self, route: Any) -> bool:
        target = route.defaults.get("controller")
        if isinstance(target, str):
            target = self.controllers.get(target)
        action_name = route.defaults.get("action")
        if isinstance(target, Controller) and isinstance(action_name, str):
            return target.has_action(action_name)
        return True

    @property
    def matcher(self) -> CompiledMatcher:
        """The compiled matcher, rebuilt if routes were added since it was built."""
        matcher = self._matcher
        if matcher.size != len(self.mapper.matchlist):
            self._routes = self.mapper.matchlist
            matcher = self._matcher = self._compile()
        return matcher

    def url_for(self, *args: Any, script_name: str = "", host: str = "localhost", **kwargs: Any) -> str:
        """Generate a URL outside a request (``script_name`` is the mount prefix)."""
        environ = {"SCRIPT_NAME": script_name, "HTTP_HOST": host, "wsgi.url_scheme": "http"}
        url: str = routes.util.URLGenerator(self.mapper, environ)(*args, **kwargs)
        return url

    # -- WSGI --------------------------------------------------------------------------------------------

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
        matcher = self._matcher
        if matcher.size != len(self._routes):
            matcher = self.matcher
        method: str = environ["REQUEST_METHOD"]
        if method == "POST" and self.method_override:
            method = self._override(environ)
        path: str = environ.get("PATH_INFO", "")
        found = matcher.lookup(path, method, environ)
        match = found[0]
        head_via_get = False
        if match is None:
            allowed = found[2]
            if method == "HEAD" and self.auto_head and "GET" in allowed:
                found = matcher.lookup(path, "GET", environ)
                match = found[0]
                head_via_get = True
            if match is None:
                return self._miss(environ, start_response, method, allowed)
        route: Route = found[1]
        environ[ROUTING_ARGS_KEY] = ((), match)
        environ[ROUTE_KEY] = environ["routes.route"] = route
        if route.redirect:
            url = self._url_for(environ)
            return self._redirect(environ, start_response, route, match, url)
        if "path_info" in match:
            _shift_path_info(environ, match["path_info"])
        self._url_for(environ)
        app = match.get("controller")
        if not callable(app):
            app = self.controllers.get(app) if isinstance(app, str) else None
            if app is None:
                log.error("route %r has no dispatchable controller", route.routepath)
                return exc.HTTPNotFound()(environ, start_response)
        if head_via_get:
            return _drop_body(app, environ, start_response)
        if type(app) is wsgify and app.func is not None:
            # what wsgify.__call__ does for a WSGI call, without its argument packing
            return app._wsgi(environ, start_response)
        result: WSGIIterable = app(environ, start_response)
        return result

    def _url_for(self, environ: WSGIEnvironment) -> URLFor:
        """Put the request's URL generator in the environ (both keys) and return it.

        It generates from a copy of the environ as routing left it, not from the environ itself: the
        environ holds the generator, so a generator holding the environ would make a reference cycle,
        and the whole request (the server's objects in the environ included) would then wait for the
        cyclic garbage collector instead of being freed when the server lets go of it -- under gunicorn
        a collection every few requests, each going through everything the requests left behind.
        """
        url = _new_url_for(URLFor)  # URLFor(self.mapper, environ.copy()) without a Python __init__ call
        url.mapper = self.mapper
        url.environ = environ.copy()
        url._generator = None
        environ[URL_GENERATOR_KEY] = environ["routes.url"] = url
        return url

    def _override(self, environ: WSGIEnvironment) -> str:
        content_type = environ.get("CONTENT_TYPE", "").split(";", 1)[0].strip().lower()
        if content_type not in _FORM_TYPES:
            return "POST"
        request = webob.Request(environ)
        try:
            value = request.POST.get("_method")
        except (UnicodeDecodeError, ValueError):
            return "POST"
        if isinstance(value, str) and value.upper() in _OVERRIDABLE:
            environ["REQUEST_METHOD"] = value.upper()
            environ["wsgikit.routing.original_method"] = "POST"
            return value.upper()
        return "POST"

    def _miss(
        self, environ: WSGIEnvironment, start_response: StartResponse, method: str, allowed: frozenset[str]
    ) -> WSGIIterable:
        if not allowed:
            return exc.HTTPNotFound()(environ, start_response)
        methods = set(allowed)
        if self.auto_head and "GET" in methods:
            methods.add("HEAD")
        if self.auto_options:
            methods.add("OPTIONS")
        allow = ", ".join(sorted(methods))
        if method == "OPTIONS" and self.auto_options:
            start_response("204 No Content", [("Allow", allow)])
            return []
        detail = f"The method {method} is not allowed for this resource (allowed: {allow})."
        return exc.HTTPMethodNotAllowed(detail, headers=[("Allow", allow)])(environ, start_response)

    @staticmethod
    def _redirect(
        environ: WSGIEnvironment,
        start_response: StartResponse,
        route: Route,
        match: dict[str, Any],
        url: URLFor,
    ) -> WSGIIterable:
        location = exc.safe_location(url(f"_redirect_{id(route)}", **match))
        status: str = route.redirect_status
        headers = [
            ("Location", location),
            ("Content-Type", "text/plain; charset=UTF-8"),
            ("Content-Length", "0"),
        ]
        start_response(status, headers)
        return []


def _shift_path_info(environ: WSGIEnvironment, value: Any) -> None:
    """What RoutesMiddleware does for a ``path_info`` variable: the matched prefix joins ``SCRIPT_NAME``."""
    old_path: str = environ.get("PATH_INFO", "")
    new_path = value or ""
    environ["PATH_INFO"] = new_path if new_path.startswith("/") else "/" + new_path
    prefix = re.sub(r"^(.*?)/" + re.escape(new_path) + "$", r"\1", old_path)
    environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + prefix


def _drop_body(app: WSGIApplication, environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
    """Run the GET handler for a HEAD request and send its status and headers without the body."""
    capture, iterable, _chunks = call_app(app, environ)
    try:
        capture.forward(start_response)
    finally:
        close_iterable(iterable)
    return []
