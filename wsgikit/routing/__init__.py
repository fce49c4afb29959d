"""Routing
=======

A Routes-compatible :class:`Mapper`, compiled into a fast matcher, the :class:`Router` WSGI application that
dispatches with it (404, 405 + ``Allow``, HEAD, OPTIONS, redirects, ``*path_info`` mounts) and nova-style
:class:`Controller` classes with :func:`action` and :func:`response`.

.. code-block:: python

    from wsgikit.routing import Controller, Mapper, Router

    class Servers(Controller):
        def show(self, req, id):
            return {"server": {"id": id}}

    mapper = Mapper()
    mapper.connect("server", "/servers/{id}", controller=Servers(), action="show",
                   conditions={"method": ["GET"]})
    app = Router(mapper)
"""

from __future__ import annotations

from wsgikit.routing.controller import Controller, RoutedRequest, action, response
from wsgikit.routing.mapper import Mapper
from wsgikit.routing.matcher import CompiledMatcher, Resolution
from wsgikit.routing.router import Router, URLFor, url_for

__all__ = [
    "CompiledMatcher",
    "Controller",
    "Mapper",
    "Resolution",
    "RoutedRequest",
    "Router",
    "URLFor",
    "action",
    "response",
    "url_for",
]
