"""URL generation and the routing keys of the environ
=================================================

What a :class:`~wsgikit.routing.Router` puts in the environ of a routed request — the match
(``wsgiorg.routing_args``), the route, and a URL generator — and :func:`url_for`, which controllers and
handlers use to build URLs from it. Kept apart from the router so that controllers can use it without
importing the router (which imports the controllers).
"""

from __future__ import annotations

from typing import Any

import routes
import routes.util

from wsgikit.types import WSGIEnvironment

__all__ = ["ROUTE_KEY", "ROUTING_ARGS_KEY", "URL_GENERATOR_KEY", "URLFor", "url_for"]

ROUTING_ARGS_KEY = "wsgiorg.routing_args"
ROUTE_KEY = "wsgikit.route"
URL_GENERATOR_KEY = "wsgikit.url_generator"


class URLFor:
    """The URL generator placed in ``environ["wsgikit.url_generator"]``: Routes' ``URLGenerator``, built on
    first use (most requests never generate a URL).

    ``url_for("server", id="a b")`` → ``"/v2.1/servers/a%20b"`` under ``SCRIPT_NAME="/v2.1"``;
    ``qualified=True`` gives an absolute URL. Every other attribute (``current()``, ...) is Routes'.

    The router gives it a copy of the environ as routing left it (``SCRIPT_NAME``, host, scheme, the
    match), not the environ itself, which holds the generator: that would be a reference cycle, and
    every routed request would wait for the cyclic garbage collector to be freed. Routes' own
    ``RoutesMiddleware`` makes that cycle.
    """

    __slots__ = ("_generator", "environ", "mapper")

    def __init__(self, mapper: routes.Mapper, environ: WSGIEnvironment) -> None:
        self.mapper = mapper
        self.environ = environ
        self._generator: routes.util.URLGenerator | None = None

    @property
    def generator(self) -> routes.util.URLGenerator:
        if self._generator is None:
            self._generator = routes.util.URLGenerator(self.mapper, self.environ)
        return self._generator

    def __call__(self, *args: Any, **kwargs: Any) -> str:
        url: str = self.generator(*args, **kwargs)
        return url

    def __getattr__(self, name: str) -> Any:
        return getattr(self.generator, name)


def url_for(environ: WSGIEnvironment, *args: Any, **kwargs: Any) -> str:
    """Generate a URL for the current request (``SCRIPT_NAME`` and host taken from ``environ``).

    :raises LookupError: when the request did not pass through a :class:`Router`.
    """
    generator = environ.get(URL_GENERATOR_KEY)
    if generator is None:
        raise LookupError("no URL generator in the environ: the request was not routed by a wsgikit Router")
    url: str = generator(*args, **kwargs)
    return url
