"""Mapper
======

:class:`Mapper` is a :class:`routes.Mapper`: ``connect()``, ``resource()``, ``submapper()``,
``collection()``, ``redirect()``, requirements, ``conditions=dict(method=[...])``, ``{name:regex}``,
``{.format}``, ``*path_info`` and named routes all work as in Routes, so existing route code moves over
unchanged. Three things differ:

* ``resource()`` also routes ``PATCH`` on a member to ``update`` (Routes only routes ``PUT``);
* given a :class:`~wsgikit.routing.Controller` instance, ``resource()`` does not create the routes of
  actions the controller does not define (nova's controllers define no ``new`` or ``edit``), where an
  explicit ``connect()`` to a missing action fails when the :class:`~wsgikit.routing.Router` is built. The
  routes it does create are marked (:func:`is_generated`), so that a router resolving a *named* controller
  skips those whose action that controller lacks;
* :attr:`Mapper.matcher` is the compiled matcher (:mod:`wsgikit.routing.matcher`), built on first use and
  rebuilt whenever routes were added since.

.. code-block:: python

    from wsgikit.routing import Mapper

    mapper = Mapper()
    mapper.resource("server", "servers")
    mapper.matcher.resolve("/servers/1", "PATCH").vars["action"]   # 'update'
"""

from __future__ import annotations

from typing import Any

import routes

from wsgikit.routing.matcher import CompiledMatcher

__all__ = ["GENERATED_ATTR", "REDIRECT_TARGET_ATTR", "Mapper", "compiled", "is_generated"]

GENERATED_ATTR = "wsgikit_generated"
REDIRECT_TARGET_ATTR = "wsgikit_redirect_target"


class Mapper(routes.Mapper):  # type: ignore[misc]
    """A :class:`routes.Mapper` that compiles itself for fast matching.

    Takes the same arguments as :class:`routes.Mapper`, except that ``register`` defaults to ``False``:
    wsgikit never reads Routes' thread-local ``request_config``.
    """

    def __init__(self, *args: Any, register: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, register=register, **kwargs)
        self._wsgikit_matcher: CompiledMatcher | None = None
        self._wsgikit_patch = False

    def connect(self, *args: Any, **kwargs: Any) -> None:
        if self._wsgikit_patch and _lacks_action(kwargs):
            return  # resource() routing to an action its controller does not define: never created
        twin = self._wsgikit_patch and _is_put_update(kwargs)
        if twin:
            patch_kwargs = dict(kwargs)
        super().connect(*args, **kwargs)
        self._wsgikit_matcher = None
        if twin:
            conditions = dict(patch_kwargs["conditions"])
            conditions["method"] = ["PATCH"]
            patch_kwargs["conditions"] = conditions
            # the PUT route is unnamed in Routes' resource(); the PATCH twin is too
            path_args = args[1:] if len(args) > 1 else args
            super().connect(*path_args, **patch_kwargs)

    def resource(self, member_name: str, collection_name: str, **kwargs: Any) -> None:
        """Routes' ``resource()``, plus ``PATCH`` on a member routed to ``update``."""
        self._wsgikit_patch = True
        before = len(self.matchlist)
        try:
            super().resource(member_name, collection_name, **kwargs)
        finally:
            self._wsgikit_patch = False
        for route in self.matchlist[before:]:
            setattr(route, GENERATED_ATTR, True)

    def redirect(self, match_path: str, destination_path: str, *args: Any, **kwargs: Any) -> None:
        """Routes' ``redirect()``; the destination is also kept on the matching route
        (:data:`REDIRECT_TARGET_ATTR`), for ``wsgikit routes`` to print."""
        super().redirect(match_path, destination_path, *args, **kwargs)
        setattr(self.matchlist[-1], REDIRECT_TARGET_ATTR, destination_path)
        self._wsgikit_matcher = None

    def extend(self, routes: Any, path_prefix: str = "") -> None:
        super().extend(routes, path_prefix)
        self._wsgikit_matcher = None

    @property
    def matcher(self) -> CompiledMatcher:
        """The compiled matcher for the current routes."""
        return compiled(self)


def is_generated(route: Any) -> bool:
    """True for a route that ``resource()`` made rather than an explicit ``connect()``."""
    return bool(getattr(route, GENERATED_ATTR, False))


def _lacks_action(kwargs: dict[str, Any]) -> bool:
    """True when ``kwargs`` route to a controller object that says it has no such action (a
    :class:`~wsgikit.routing.Controller`; looked up by its ``has_action`` method, so this module need not
    import the controller module)."""
    has_action = getattr(kwargs.get("controller"), "has_action", None)
    action = kwargs.get("action")
    return callable(has_action) and isinstance(action, str) and not has_action(action)


def _is_put_update(kwargs: dict[str, Any]) -> bool:
    conditions = kwargs.get("conditions") or {}
    return kwargs.get("action") == "update" and conditions.get("method") == ["PUT"]


def compiled(mapper: routes.Mapper) -> CompiledMatcher:
    """The compiled matcher of any :class:`routes.Mapper`, cached on wsgikit mappers and rebuilt when the
    number of routes changed (plain Routes mappers are checked the same way)."""
    matcher: CompiledMatcher | None = getattr(mapper, "_wsgikit_matcher", None)
    if matcher is None or matcher.size != len(mapper.matchlist):
        matcher = CompiledMatcher(mapper)
        mapper._wsgikit_matcher = matcher
    return matcher
