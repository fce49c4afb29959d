"""Server runners: ``egg:wsgikit#waitress`` (also ``#main``), ``#gunicorn`` and ``#wsgiref``
========================================================================================

PasteDeploy ``paste.server_runner`` entry points, so a ``[server:main]`` section works with
``wsgikit serve``, ``pserve`` and any other PasteDeploy loader:

.. code-block:: ini

    [server:main]
    use = egg:wsgikit#gunicorn
    host = 127.0.0.1
    port = 8080
    workers = 4
    # gunicorn's own settings pass through, checked by gunicorn
    timeout = 30

``host``, ``port``, ``workers`` and ``threads`` are converted here; any other key is the server's own
option (a waitress adjustment, a gunicorn setting) and is passed through to it. wsgiref takes no others.

Not :func:`~wsgikit.deploy.factory.app_factory_for`: a ``paste.server_runner`` is called with the
application and runs it (it returns nothing), and its table passes the server's own settings through
(``accept_extra``), so the tables are declared here, next to the runners' entry points.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wsgikit.deploy.factory import declares
from wsgikit.deploy.options import ConfigError, Option, OptionTable, to_int, to_str
from wsgikit.types import WSGIApplication

__all__ = [
    "COMMON_OPTION_NAMES",
    "GUNICORN_OPTIONS",
    "OPTIONS",
    "RUNNER_NAMES",
    "RUNNER_OPTIONS",
    "WAITRESS_OPTIONS",
    "WSGIREF_OPTIONS",
    "gunicorn_server_runner",
    "runner_name",
    "waitress_server_runner",
    "wsgiref_server_runner",
]


def _host() -> Option:
    return Option("host", to_str, "127.0.0.1", "address to bind (loopback by default)")


def _port() -> Option:
    return Option("port", to_int(0, 65535), 8080, "TCP port")


def _workers(default: int, help: str) -> Option:
    return Option("workers", to_int(1), default, help)


def _threads(default: int, help: str) -> Option:
    return Option("threads", to_int(1), default, help)


def _waitress_option(key: str) -> bool:
    from wsgikit.deploy.adapters import waitress_setting_names

    return key in waitress_setting_names()


def _gunicorn_option(key: str) -> bool:
    try:
        from wsgikit.servers import gunicorn_setting_names

        return key in gunicorn_setting_names()
    except ImportError:  # gunicorn not installed: the runner will say so when it starts
        return True


WSGIREF_OPTIONS = OptionTable(
    "wsgiref",
    _host(),
    _port(),
    _workers(1, "must be 1: wsgiref runs in one process"),
    _threads(8, "most requests handled at once (one thread each)"),
)
WAITRESS_OPTIONS = OptionTable(
    "waitress",
    _host(),
    _port(),
    _workers(1, "must be 1: waitress runs in one process"),
    _threads(4, "worker threads"),
    accept_extra=_waitress_option,
)
GUNICORN_OPTIONS = OptionTable(
    "gunicorn",
    _host(),
    _port(),
    _workers(1, "worker processes"),
    _threads(1, "threads per worker (gthread worker when more than 1)"),
    accept_extra=_gunicorn_option,
)
OPTIONS = WAITRESS_OPTIONS
"""The table of ``egg:wsgikit#main`` (waitress, the default server)."""

RUNNER_OPTIONS: dict[str, OptionTable] = {
    "wsgiref": WSGIREF_OPTIONS,
    "waitress": WAITRESS_OPTIONS,
    "gunicorn": GUNICORN_OPTIONS,
}
"""Each runner's option table, by server name."""
COMMON_OPTION_NAMES = frozenset({"host", "port", "workers", "threads"})


def _convert(table: OptionTable, global_conf: dict[str, Any], local_conf: dict[str, Any]) -> dict[str, Any]:
    options = table.convert(local_conf, global_conf, section="server")
    for key in ("workers",):
        if table is not GUNICORN_OPTIONS and options.get(key, 1) != 1:
            raise ConfigError(
                f"{table.component} runs in one process; use egg:wsgikit#gunicorn for more workers",
                file=global_conf.get("__file__"),
                section="server",
                key=key,
            )
    return options


@declares(WSGIREF_OPTIONS)
def wsgiref_server_runner(app: WSGIApplication, global_conf: dict[str, Any], **local_conf: str) -> None:
    """``use = egg:wsgikit#wsgiref``: the stdlib dev server, threaded."""
    from wsgikit.servers import run_wsgiref

    run_wsgiref(app, **_convert(WSGIREF_OPTIONS, global_conf, local_conf))


@declares(WAITRESS_OPTIONS)
def waitress_server_runner(app: WSGIApplication, global_conf: dict[str, Any], **local_conf: str) -> None:
    """``use = egg:wsgikit#waitress`` (or ``#main``): waitress, the default server."""
    from wsgikit.servers import run_waitress

    run_waitress(app, **_convert(WAITRESS_OPTIONS, global_conf, local_conf))


@declares(GUNICORN_OPTIONS)
def gunicorn_server_runner(app: WSGIApplication, global_conf: dict[str, Any], **local_conf: str) -> None:
    """``use = egg:wsgikit#gunicorn``: gunicorn's arbiter with ``workers`` processes."""
    from wsgikit.servers import run_gunicorn

    run_gunicorn(app, **_convert(GUNICORN_OPTIONS, global_conf, local_conf))


RUNNER_NAMES: dict[Callable[..., Any], str] = {
    wsgiref_server_runner: "wsgiref",
    waitress_server_runner: "waitress",
    gunicorn_server_runner: "gunicorn",
}
"""Server name by runner function (how ``wsgikit serve`` recognises ``[server:main]``)."""


def runner_name(runner: Any) -> str | None:
    """The server a ``[server:*]`` section's runner stands for: wsgikit's own, or ``egg:waitress#main`` /
    ``egg:gunicorn#main`` (whose options have the same names); ``None`` for any other."""
    name = RUNNER_NAMES.get(runner)
    if name is not None:
        return name
    package = (getattr(runner, "__module__", None) or "").partition(".")[0]
    return package if package in ("waitress", "gunicorn") else None
