"""The database filter
===================

Opens the service's :class:`~wsgikit_compute.storage.Store` once, at load time, and hands it to the
application in ``environ["wsgikit_compute.store"]``. The SQLite connection a request opens is closed when the
server closes that request's response (or when the application raises), so none outlives its request.
Configured from ``paste.ini``:

.. code-block:: ini

    [filter:database]
    use = egg:wsgikit-compute#database
    # default: compute.sqlite3 next to this ini file
    path = %(here)s/compute.sqlite3
"""

from __future__ import annotations

import os
from typing import Any

from wsgikit.deploy.options import Option, OptionTable, to_path
from wsgikit.types import StartResponse, WSGIApplication, WSGIEnvironment, WSGIIterable
from wsgikit.wsgi import ClosingIterator
from wsgikit_compute.storage import Store

__all__ = ["ENVIRON_KEY", "OPTIONS", "DatabaseMiddleware", "filter_factory", "store_of"]

ENVIRON_KEY = "wsgikit_compute.store"

OPTIONS = OptionTable(
    "wsgikit-compute#database",
    Option("path", to_path, None, "SQLite file; default compute.sqlite3 next to the ini file"),
)


class DatabaseMiddleware:
    """Put one shared :class:`Store` into every request's environ; close the request's connection after it.

    :param app: the WSGI application to wrap.
    :param path: the SQLite file (created, with its schema, if missing).
    """

    def __init__(self, app: WSGIApplication, *, path: str) -> None:
        self.app = app
        self.store = Store(path)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
        environ[ENVIRON_KEY] = self.store
        try:
            body = self.app(environ, start_response)
        except BaseException:
            self.store.close()
            raise
        # Servers call close() in the thread that called the application, the thread whose connection it is.
        return ClosingIterator(body, [self.store.close])


def store_of(environ: WSGIEnvironment) -> Store:
    """The store the database filter attached; a configuration error (500) if the filter is missing."""
    store = environ.get(ENVIRON_KEY)
    if not isinstance(store, Store):
        raise RuntimeError("no database: put egg:wsgikit-compute#database in the pipeline before the API")
    return store


def filter_factory(global_conf: dict[str, Any], **local_conf: str) -> Any:
    """``use = egg:wsgikit-compute#database``."""
    options = OPTIONS.convert(local_conf, global_conf)
    here = global_conf.get("here", ".")
    path = os.path.join(here, options.get("path") or "compute.sqlite3")  # relative paths: next to the ini
    return lambda app: DatabaseMiddleware(app, path=path)
