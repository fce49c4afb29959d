"""Test helpers
============

:class:`TestApp` is WebTest's ``TestApp`` with the application wrapped in :func:`wsgiref.validate.validator`,
so that every request a test makes is also a PEP 3333 conformance check of the whole stack.

.. code-block:: python

    from wsgikit import wsgify
    from wsgikit.testing import TestApp

    @wsgify
    def hello(req):
        return {"hello": "world"}

    assert TestApp(hello).get("/").json == {"hello": "world"}

A string is loaded as a PasteDeploy URI (``"config:paste.ini#main"``) through :func:`wsgikit.deploy.loadapp`.
"""

from __future__ import annotations

from typing import Any
from wsgiref.validate import validator

import webtest

from wsgikit.types import WSGIApplication

__all__ = ["TestApp"]


class TestApp(webtest.TestApp):  # type: ignore[misc]
    """A ``webtest.TestApp`` that validates every request and response with ``wsgiref.validate``.

    :param app: a WSGI application, or a PasteDeploy URI such as ``"config:paste.ini#api"``.
    :param relative_to: directory that relative ``config:`` URIs are resolved against.
    :param name: the app name inside the config file, when not given in the URI.
    """

    __test__ = False  # not a pytest test class, despite the name

    def __init__(
        self,
        app: WSGIApplication | str,
        extra_environ: dict[str, Any] | None = None,
        relative_to: str | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        if isinstance(app, str):
            from wsgikit.deploy import loadapp

            app = loadapp(app, name=name, relative_to=relative_to or ".")
        self.wrapped_app = app
        super().__init__(validator(app), extra_environ=extra_environ, relative_to=relative_to, **kwargs)
