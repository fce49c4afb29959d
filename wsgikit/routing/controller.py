"""Controllers
===========

nova-style controllers without nova. A :class:`Controller` is a WSGI application that the
:class:`~wsgikit.routing.Router` dispatches to; the route's ``action`` names the method to call:

* public methods are actions (``index``, ``show``, ``create``, ``update``, ``delete``, or any other);
* route variables arrive as keyword arguments — only those the method declares (all of them with
  ``**kwargs``), so ``controller``, ``action`` and an absent ``format`` stay out of the way;
* a ``dict``/``list``/dataclass result becomes JSON, ``None`` an empty response, a Response is sent as is;
  raised :mod:`wsgikit.exc` exceptions become their negotiated error bodies;
* :func:`response` sets the default success status (``@response(202)``);
* :func:`action` registers a handler for ``POST .../action`` bodies: the first key of the JSON object picks
  the method, which receives the whole decoded body as ``body``; an unknown key or a malformed body is 400.

.. code-block:: python

    from wsgikit.routing import Controller, Mapper, Router, action, response

    class Servers(Controller):
        def show(self, req, id):
            return {"server": {"id": id}}

        @action("os-start")
        @response(202)
        def start(self, req, id, body):
            return None

    servers = Servers()
    mapper = Mapper()
    mapper.connect("/servers/{id}", controller=servers, action="show", conditions={"method": ["GET"]})
    mapper.connect("/servers/{id}/action", controller=servers, action="action",
                   conditions={"method": ["POST"]})
    app = Router(mapper)
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, TypeVar

from wsgikit import exc
from wsgikit.dec import Request, wsgify
from wsgikit.routing.urls import ROUTING_ARGS_KEY, url_for
from wsgikit.types import StartResponse, WSGIEnvironment, WSGIIterable

__all__ = ["ACTION_ATTR", "RESPONSE_ATTR", "Controller", "RoutedRequest", "action", "response"]

F = TypeVar("F", bound=Callable[..., Any])

ACTION_ATTR = "wsgikit_action"
RESPONSE_ATTR = "wsgikit_status"
BODY_ACTION = "action"  # the route action that dispatches by the body's first key (nova's POST .../action)


class RoutedRequest(Request):
    """:class:`wsgikit.Request` with :meth:`url_for`."""

    def url_for(self, *args: Any, **kwargs: Any) -> str:
        """Generate a URL through the router's generator (honours ``SCRIPT_NAME``, percent-encodes)."""
        return url_for(self.environ, *args, **kwargs)


def response(code: int) -> Callable[[F], F]:
    """Set the status an action answers with when it succeeds (``@response(202)``, ``@response(204)``)."""
    if code not in exc.status_map or not 200 <= code < 300:
        raise ValueError(f"response: {code} is not a 2xx status code")

    def decorate(func: F) -> F:
        setattr(func, RESPONSE_ATTR, code)
        return func

    return decorate


def action(name: str) -> Callable[[F], F]:
    """Handle ``POST .../action`` requests whose JSON body's first key is ``name``.

    ``@action("os-start")`` on ``start`` sends ``{"os-start": null}`` to ``start(req, ..., body=...)``.
    """
    if not name:
        raise ValueError("action: the name must not be empty")

    def decorate(func: F) -> F:
        setattr(func, ACTION_ATTR, name)
        return func

    return decorate


class _Handler:
    """A controller method with what is needed to call it: its accepted keyword names and status."""

    __slots__ = ("accepted", "name", "status")

    def __init__(self, name: str, func: Callable[..., Any]) -> None:
        self.name = name
        self.status: int | None = getattr(func, RESPONSE_ATTR, None)
        self.accepted: frozenset[str] | None = _keyword_names(func)


def _keyword_names(func: Callable[..., Any]) -> frozenset[str] | None:
    """Keyword-capable parameters after ``self`` and ``req``; ``None`` when the method takes ``**kwargs``."""
    names: list[str] = []
    for index, param in enumerate(inspect.signature(func).parameters.values()):
        if param.kind is param.VAR_KEYWORD:
            return None
        if index < 2 or param.kind in (param.POSITIONAL_ONLY, param.VAR_POSITIONAL):
            continue
        names.append(param.name)
    return frozenset(names)


class Controller:
    """Base class: subclass it and write public methods; an instance is a WSGI application.

    Class attributes set up when the subclass is created:

    :cvar actions: public method name → handler (every public method not inherited from :class:`Controller`).
    :cvar body_actions: ``@action`` name → handler, for ``POST .../action``.
    """

    actions: ClassVar[dict[str, _Handler]] = {}
    body_actions: ClassVar[dict[str, _Handler]] = {}
    RequestClass: ClassVar[type[Request]] = RoutedRequest

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        actions: dict[str, _Handler] = {}
        body_actions: dict[str, _Handler] = {}
        reserved = set(dir(Controller))
        for name in dir(cls):
            if name.startswith("_") or name in reserved:
                continue
            func = getattr(cls, name)
            if not inspect.isfunction(func):
                continue
            handler = _Handler(name, func)
            actions[name] = handler
            body_name = getattr(func, ACTION_ATTR, None)
            if body_name is not None:
                if body_name in body_actions:
                    raise ValueError(
                        f"{cls.__name__}: @action({body_name!r}) is on both "
                        f"{body_actions[body_name].name} and {name}"
                    )
                body_actions[body_name] = handler
        cls.actions = actions
        cls.body_actions = body_actions

    def has_action(self, name: str) -> bool:
        """True when the router can dispatch the route action ``name`` to this controller."""
        return name in self.actions or (name == BODY_ACTION and bool(self.body_actions))

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
        app = wsgify(self._dispatch, RequestClass=self.RequestClass)
        result: WSGIIterable = app(environ, start_response)
        return result

    def _dispatch(self, req: Request) -> Any:
        routing_args = req.environ.get(ROUTING_ARGS_KEY)
        variables: Mapping[str, Any] = routing_args[1] if routing_args else {}
        name = variables.get("action")
        handler = self.actions.get(name) if isinstance(name, str) else None
        extra: dict[str, Any] = {}
        if handler is None and name == BODY_ACTION and self.body_actions:
            handler, body = self._body_action(req)
            extra["body"] = body
        if handler is None:
            raise exc.HTTPNotFound(f"{type(self).__name__} has no action {name!r}")
        accepted = handler.accepted
        kwargs = {
            key: value
            for key, value in variables.items()
            if key not in ("controller", "action") and (accepted is None or key in accepted)
        }
        kwargs.update(extra)
        if handler.status is not None:
            req.response.status_code = handler.status
        result = getattr(self, handler.name)(req, **kwargs)
        if result is None and req.response.status_code in (204, 304):
            del req.response.content_type  # no content, so no Content-Type (RFC 9110, wsgiref.validate)
        return result

    def _body_action(self, req: Request) -> tuple[_Handler, Any]:
        body = req.json
        if not isinstance(body, dict) or not body:
            raise exc.HTTPBadRequest("The action body must be a JSON object with one key naming the action.")
        key = next(iter(body))
        handler = self.body_actions.get(key)
        if handler is None:
            known = ", ".join(sorted(self.body_actions))
            raise exc.HTTPBadRequest(f"Unknown action {key!r}; this resource accepts: {known}.")
        return handler, body
