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

from typing import Any

from wsgikit.deploy.factory import declares
from wsgikit.deploy.options import REQUIRED, Option, OptionTable, to_callable
from wsgikit.types import WSGIApplication

__all__ = ["OPTIONS", "app_factory"]

OPTIONS = OptionTable(
    "wsgi",
    Option("app", to_callable, REQUIRED, "package.module:callable, the WSGI application itself"),
)


@declares(OPTIONS)
def app_factory(global_conf: dict[str, Any], **local_conf: str) -> WSGIApplication:
    """``[app:x] use = egg:wsgikit#wsgi``."""
    app: WSGIApplication = OPTIONS.convert(local_conf, global_conf)["app"]
    return app
