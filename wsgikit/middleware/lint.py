"""Lint
====

Check every request and response that passes through against PEP 3333 with the standard library's
:func:`wsgiref.validate.validator`: the environ the server built, the status and headers the application
sends, the types of body chunks, ``wsgi.input`` reads with one argument, ``close()`` being called. A
violation raises ``AssertionError`` (the server turns it into a 500) and questionable use warns with
``wsgiref.validate.WSGIWarning``.

For development and test pipelines; it costs a Python call per chunk and makes violations fatal, so keep
it out of production ones.

.. code-block:: ini

    [pipeline:dev]
    pipeline = lint errors request_id api

    [filter:lint]
    use = egg:wsgikit#lint
"""

from __future__ import annotations

from wsgiref.validate import validator

from wsgikit.options import OptionTable
from wsgikit.types import StartResponse, WSGIApplication, WSGIEnvironment, WSGIIterable

__all__ = ["LintMiddleware"]


class LintMiddleware:
    """Validate the WSGI traffic between the server (or outer middleware) and ``app``.

    :param app: the WSGI application to check.
    """

    OPTIONS = OptionTable("lint")  # no options: any key in its section is a mistake

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app
        self._validated = validator(app)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
        return self._validated(environ, start_response)
