"""The database filter
===================

Opens the service's :class:`~wsgikit_compute.storage.Store` once, at load time, and hands it to the
application in ``environ["wsgikit_compute.store"]``. The SQLite connection a request opens is closed when the
server closes that request's response (or when the application raises), so none outlives its request.
Configured from ``paste.ini``:

.. code-block:: ini

    [filter:database]
    use = egg:wsgikit-compute#database
    # a SQLite file (default: compute.sqlite3 next to this ini file; relative paths are relative to it) ...
    path = %(here)s/compute.sqlite3
    # ... or a PostgreSQL database shared by several nodes (needs the postgres extra)
    # path = postgresql://compute:secret@db.example:5432/compute
    # PostgreSQL connections per worker process, and how long a request waits for one
    pool_size = 4
    timeout = 5s

A location it cannot use fails at start-up — and in ``wsgikit check`` — naming the file, section and key:
a URL of another scheme (``mysql://…`` is never taken for a file name), a PostgreSQL URL without psycopg
installed, or a PostgreSQL server that does not answer at start-up (see
:mod:`wsgikit_compute.backends`).

While the service runs, a database that stops answering turns requests into ``503 Service Unavailable``
with ``Retry-After`` (the client may retry; nginx moves idempotent requests to another node), and fails
:func:`check_database`, the check for ``egg:wsgikit#healthcheck``:

.. code-block:: ini

    [app:healthcheck]
    use = egg:wsgikit#healthcheck
    checks = wsgikit_compute.database:check_database
"""

from __future__ import annotations

import os
import weakref
from typing import Any

from wsgikit import exc
from wsgikit.deploy.options import ConfigError, Option, OptionTable, to_duration, to_int, to_str
from wsgikit.types import StartResponse, WSGIApplication, WSGIEnvironment, WSGIIterable
from wsgikit.wsgi import ClosingIterator
from wsgikit_compute.backends import POSTGRES_SCHEMES, DatabaseError, Unavailable, mask_password
from wsgikit_compute.storage import Store

__all__ = [
    "ENVIRON_KEY",
    "OPTIONS",
    "DatabaseMiddleware",
    "check_database",
    "check_section",
    "filter_factory",
    "store_of",
]

ENVIRON_KEY = "wsgikit_compute.store"

OPTIONS = OptionTable(
    "wsgikit-compute#database",
    Option("path", to_str, None, "SQLite file or postgresql:// URL; default compute.sqlite3 next to the ini"),
    Option("pool_size", to_int(1, 1000), 4, "PostgreSQL connections per worker process, at most"),
    Option("timeout", to_duration, 5.0, "seconds a request waits for a connection or a write lock"),
)

RETRY_AFTER = 1
"""Seconds a client is told to wait after a 503 for an unavailable database."""

# The stores this process opened and still uses, for check_database(): a store whose application was
# discarded (a test, a reload) drops out rather than being pinged, and kept alive, for ever.
_stores: weakref.WeakSet[Store] = weakref.WeakSet()


class DatabaseMiddleware:
    """Put one shared :class:`Store` into every request's environ; close the request's connection after it.

    :param app: the WSGI application to wrap.
    :param path: the SQLite file (created, with its schema, if missing) or a ``postgresql://`` URL.
    :param pool_size: PostgreSQL connections per process, at most.
    :param timeout: seconds a request waits for a connection (PostgreSQL) or the write lock (SQLite).
    :param store: an open store to use instead of opening ``path``.
    """

    def __init__(
        self,
        app: WSGIApplication,
        *,
        path: str | None = None,
        pool_size: int = 4,
        timeout: float = 5.0,
        store: Store | None = None,
    ) -> None:
        self.app = app
        if store is None:
            if path is None:
                raise ValueError("database: give path or store")
            store = Store(path, pool_size=pool_size, timeout=timeout)
            _stores.add(store)
        self.store = store

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
        environ[ENVIRON_KEY] = self.store
        try:
            body = self.app(environ, start_response)
        except Unavailable:
            # nothing was sent yet: the API's responses are built whole before they are returned
            self.store.release()
            error = exc.HTTPServiceUnavailable(detail="the database is not answering; retry shortly")
            error.headers["Retry-After"] = str(RETRY_AFTER)
            return error(environ, start_response)
        except BaseException:
            self.store.release()
            raise
        # Servers call close() in the thread that called the application, the thread whose connection it is.
        return ClosingIterator(body, [self.store.release])


def store_of(environ: WSGIEnvironment) -> Store:
    """The store the database filter attached; a configuration error (500) if the filter is missing."""
    store = environ.get(ENVIRON_KEY)
    if not isinstance(store, Store):
        raise RuntimeError("no database: put egg:wsgikit-compute#database in the pipeline before the API")
    return store


def check_database() -> tuple[bool, str]:
    """Health check (``checks = wsgikit_compute.database:check_database``): every database this process
    opened answers a query now. A node whose pool cannot connect reports unhealthy."""
    if not _stores:
        return False, "no database filter was loaded in this process"
    results = [store.ping() for store in _stores]
    return all(ok for ok, _ in results), "; ".join(message for _, message in results)


def _location(path: str | None, global_conf: dict[str, Any]) -> str:
    here = global_conf.get("here", ".")
    location = (path or "").strip() or "compute.sqlite3"
    if "://" in location:
        return location
    return os.path.join(here, location)  # relative paths: next to the ini file


def check_section(conf: dict[str, str]) -> list[ConfigError]:
    """``wsgikit check``: a URL of a scheme the store cannot use is an error before anything starts."""
    location = str(conf.get("path") or "")
    if "://" in location and location.partition("://")[0].lower() not in POSTGRES_SCHEMES:
        scheme = location.partition("://")[0]
        message = f"unsupported URL scheme {scheme!r} in {mask_password(location)}"
        return [
            ConfigError(f"{message}: use postgresql://user@host/dbname or a SQLite file path", key="path")
        ]
    return []


def filter_factory(global_conf: dict[str, Any], **local_conf: str) -> Any:
    """``use = egg:wsgikit-compute#database``."""
    options = OPTIONS.convert(local_conf, global_conf)
    location = _location(options.get("path"), global_conf)
    try:
        store = Store(location, pool_size=options.get("pool_size", 4), timeout=options.get("timeout", 5.0))
    except DatabaseError as error:
        message = str(error).removeprefix("database: ")
        raise ConfigError(message, key="path", file=global_conf.get("__file__")) from None
    _stores.add(store)
    # one store (one pool per worker process) however many pipelines use this section
    return lambda app: DatabaseMiddleware(app, store=store)
