"""PasteDeploy integration: loading, checking and the factories behind ``egg:wsgikit#...``.

:func:`loadapp`, :func:`loadserver` and :func:`loadfilter` take the same URIs as PasteDeploy's
(``config:paste.ini#name``, ``egg:Dist#name``, ``call:module:factory``) and build the same objects, but every
failure is a :class:`ConfigError` that names the file, line, section and key; ``${ENV:NAME}`` values are
expanded; a section referenced twice is built once. :func:`check_config` finds every problem of a file
without building anything.

.. code-block:: python

    from wsgikit.deploy import check_config, loadapp

    for problem in check_config("paste.ini"):
        print(problem)  # paste.ini:12 [filter:gzip] levle: unknown option ...; did you mean 'level'?
    app = loadapp("config:paste.ini#main")
"""

from __future__ import annotations

from typing import Any

from wsgikit.deploy.check import Problem
from wsgikit.deploy.options import ConfigError, ConfigLookupError
from wsgikit.types import WSGIApplication

__all__ = [
    "ConfigError",
    "ConfigLookupError",
    "Problem",
    "check_config",
    "loadapp",
    "loadfilter",
    "loadserver",
]


def loadapp(
    uri: str,
    name: str | None = None,
    relative_to: str | None = ".",
    global_conf: dict[str, Any] | None = None,
    **kw: Any,
) -> WSGIApplication:
    """Load a WSGI application from a PasteDeploy URI such as ``config:paste.ini#main``.

    :param name: the section name, when the URI has no ``#name``; ``main`` by default.
    :param relative_to: directory that a relative ``config:`` path is resolved against.
    :param global_conf: extra ``[DEFAULT]`` values (the file's own values win, as in PasteDeploy).
    :raises ConfigError: naming file, line, section and key (also a :class:`LookupError` for a missing
        section, distribution or entry point).
    """
    from wsgikit.deploy.loader import load

    if kw:
        global_conf = {**(global_conf or {}), **kw}
    app, _ = load(uri, name, kind="app", relative_to=relative_to, global_conf=global_conf)
    result: WSGIApplication = app
    return result


def loadfilter(
    uri: str,
    name: str | None = None,
    relative_to: str | None = ".",
    global_conf: dict[str, Any] | None = None,
) -> Any:
    """Load a filter (a callable ``app -> app``) from a PasteDeploy URI."""
    from wsgikit.deploy.loader import load

    filter_, _ = load(uri, name, kind="filter", relative_to=relative_to, global_conf=global_conf)
    return filter_


def loadserver(
    uri: str,
    name: str | None = None,
    relative_to: str | None = ".",
    global_conf: dict[str, Any] | None = None,
) -> Any:
    """Load a server from a PasteDeploy URI: a callable ``server(app)`` that serves ``app``."""
    from wsgikit.deploy.loader import load

    server, _ = load(uri, name, kind="server", relative_to=relative_to, global_conf=global_conf)
    return server


def check_config(
    path: str, *, name: str | None = None, environ: dict[str, str] | None = None
) -> list[Problem]:
    """Every problem in the configuration file ``path`` (and the files it refers to), without building
    or serving anything: unknown keys, bad values, unknown entry points, missing sections, cycles,
    pipelines that end in a filter, bad ``%`` interpolation, unset or malformed ``${ENV:...}`` values,
    missing files and directories named by options, keys shadowed by ``[DEFAULT]`` and unknown ``select``
    choices. With ``name`` (or ``path#name``), also that the application ``name`` exists. An empty list
    means the file is clean."""
    from wsgikit.deploy.check import check_config as _check

    return _check(path, name=name, environ=environ)
