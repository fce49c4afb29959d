"""Route tables
============

Pure functions behind ``wsgikit routes CONFIG``: :func:`route_rows` lists a mapper's routes as
``(name, methods, path, controller, action)`` rows, in matching order, and :func:`format_route_table` prints
them as aligned columns (the layout of ``print(routes.Mapper)``).

.. code-block:: python

    from wsgikit.routing.table import format_route_table, route_rows

    print(format_route_table(route_rows(mapper)))
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

import routes
import routes.util

from wsgikit.routing.mapper import REDIRECT_TARGET_ATTR

__all__ = ["RouteRow", "describe_controller", "format_route_table", "route_rows"]

HEADER = ("Route name", "Methods", "Path", "Controller", "Action")


class RouteRow(NamedTuple):
    name: str
    methods: str
    path: str
    controller: str
    action: str


def describe_controller(controller: Any) -> str:
    """A readable name for a route's controller: the string itself, or ``module.Qualname`` of the object."""
    if controller is None:
        return ""
    if isinstance(controller, str):
        return controller
    target = getattr(controller, "func", None) or controller  # a wsgify wraps a function
    if not hasattr(target, "__qualname__"):
        target = type(target)
    module = getattr(target, "__module__", "") or ""
    qualname = getattr(target, "__qualname__", repr(target))
    return f"{module}.{qualname}" if module else str(qualname)


def _methods(route: Any) -> str:
    conditions = route.conditions or {}
    method = conditions.get("method")
    if not method:
        return "*"
    if isinstance(method, str):
        return method
    return ", ".join(str(m) for m in method)


def route_rows(mapper: routes.Mapper, listed: Iterable[Any] | None = None) -> list[RouteRow]:
    """One row per matchable route, in the mapper's order; redirect routes show ``-> target``.

    :param listed: the routes to list (a :attr:`Router.routes <wsgikit.routing.Router.routes>`); the
        mapper's whole ``matchlist`` by default.
    """
    rows: list[RouteRow] = []
    for route in mapper.matchlist if listed is None else listed:
        if route.static:
            continue
        defaults = route.defaults
        controller = describe_controller(defaults.get("controller"))
        action = defaults.get("action") or ""
        if route.redirect:
            controller = f"-> {_redirect_target(mapper, route)}"
            action = str(getattr(route, "redirect_status", ""))
        rows.append(
            RouteRow(route.name or "", _methods(route), route.routepath or "", controller, str(action))
        )
    return rows


def _redirect_target(mapper: routes.Mapper, route: Any) -> str:
    """Where a redirect route sends: recorded by wsgikit's ``Mapper.redirect()``; for a plain Routes mapper,
    generated from the route Routes names ``_redirect_<id of the matching route>`` when it needs no
    variables."""
    target = getattr(route, REDIRECT_TARGET_ATTR, None)
    if isinstance(target, str):
        return target
    environ = {"SCRIPT_NAME": "", "HTTP_HOST": "localhost", "wsgi.url_scheme": "http"}
    try:
        return str(routes.util.URLGenerator(mapper, environ)(f"_redirect_{id(route)}"))
    except routes.util.GenerationException:
        return "(redirect)"


def format_route_table(rows: Iterable[RouteRow | tuple[str, str, str, str, str]]) -> str:
    """Aligned columns with a header line; the last column is not padded."""
    table = [HEADER, *[tuple(str(cell) for cell in row) for row in rows]]
    widths = [max(len(row[col]) for row in table) for col in range(len(HEADER))]
    lines = []
    for row in table:
        cells = [row[col].ljust(widths[col]) for col in range(len(HEADER) - 1)]
        cells.append(row[-1])
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)
