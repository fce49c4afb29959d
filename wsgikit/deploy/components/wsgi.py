"""``egg:wsgikit#wsgi``: any WSGI application in a pipeline, without writing a factory
=====================================================================================

Django, Flask, Pyramid, Falcon, Bottle — every framework hands out a WSGI callable; name it:

.. code-block:: ini

    [app:site]
    use = egg:wsgikit#wsgi
    app = mysite.wsgi:application

The callable is imported when the configuration is loaded (an import error or a name that is not
callable fails at start-up and in ``wsgikit check``, naming the file, line, section and key) and used as
it is: nothing is wrapped around it.
"""

from __future__ import annotations

from wsgikit.deploy.factory import app_factory_for
from wsgikit.deploy.options import REQUIRED, Option, OptionTable, to_callable
from wsgikit.types import WSGIApplication

__all__ = ["OPTIONS", "app_factory"]

OPTIONS = OptionTable(
    "wsgi",
    Option("app", to_callable, REQUIRED, "package.module:callable, the WSGI application itself"),
)


def named_app(*, app: WSGIApplication) -> WSGIApplication:
    """The application is the callable the section names: nothing is built around it. (The one component
    with no class of its own, so its table is declared here.)"""
    return app


app_factory = app_factory_for(named_app, OPTIONS)
