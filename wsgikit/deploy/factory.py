"""Every factory says which options it takes, and most are one line
================================================================

PasteDeploy calls a component's factory with the strings of its section; the factory converts them through
its :class:`~wsgikit.options.OptionTable` first. ``@declares(TABLE)`` records that table on the factory itself
(``factory.options``), which is how ``wsgikit check`` finds the table of any ``use =`` line — an alias
(``egg:wsgikit#translogger``) or a third-party factory that declares one the same way — without guessing from
names.

A component whose class declares its table (``OPTIONS``, next to the class, which checks its keyword
arguments through it) needs no code of its own: :func:`filter_factory_for` and :func:`app_factory_for` build
the factory from the class.

.. code-block:: python

    filter_factory = filter_factory_for(GzipMiddleware)  # [filter:x] use = egg:wsgikit#gzip
    app_factory = app_factory_for(StaticApp, paths=("directory",))  # [app:x] use = egg:wsgikit#static
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from wsgikit.options import ConfigError, OptionTable, resolve_path
from wsgikit.types import StartResponse, WSGIApplication, WSGIEnvironment, WSGIIterable

__all__ = ["app_factory_for", "declares", "filter_factory_for"]

Factory = TypeVar("Factory", bound=Callable[..., Any])
Prepare = Callable[[dict[str, Any], Mapping[str, Any]], dict[str, Any]]


def declares(table: OptionTable) -> Callable[[Factory], Factory]:
    """Record ``table`` as the options of the decorated PasteDeploy factory (``factory.options``)."""

    def mark(factory: Factory) -> Factory:
        factory.options = table  # type: ignore[attr-defined]
        return factory

    return mark


def _probe(environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:  # pragma: no cover
    return []  # never called: the application a filter is built around once, at load time, to check it


def _build(cls: Callable[..., Any], table: OptionTable, *args: Any, **options: Any) -> Any:
    """``cls(*args, **options)``; a ``ValueError`` naming one of the table's options (``"option: ..."``,
    the convention of every wsgikit class) becomes a :class:`ConfigError` at that key, which the loader
    locates in the section it is building."""
    try:
        return cls(*args, **options)
    except ConfigError:
        raise
    except ValueError as error:
        key, colon, message = str(error).partition(": ")
        if colon and key in table.by_kwarg:
            raise ConfigError(message, key=table.by_kwarg[key].name) from None
        raise ConfigError(str(error)) from None


def _options(
    table: OptionTable,
    global_conf: dict[str, Any],
    local_conf: dict[str, Any],
    paths: Iterable[str],
    prepare: Prepare | None,
) -> dict[str, Any]:
    options = table.convert(local_conf, global_conf)
    for key in paths:  # relative to the ini file's directory
        if options.get(key):
            options[key] = resolve_path(options[key], global_conf)
    return prepare(options, global_conf) if prepare is not None else options


def filter_factory_for(
    cls: Callable[..., WSGIApplication],
    table: OptionTable | None = None,
    *,
    paths: Iterable[str] = (),
    prepare: Prepare | None = None,
) -> Callable[..., Callable[[WSGIApplication], WSGIApplication]]:
    """The ``paste.filter_factory`` of middleware class ``cls``: converts the section through ``table``
    (default ``cls.OPTIONS``), resolves the ``paths`` options against the ini file's directory, passes the
    result through ``prepare(options, global_conf)`` when given (what only the INI side does: open a file
    once for every pipeline), builds ``cls`` once around a stand-in application so that every check of the
    constructor fails at load time, and returns ``lambda app: cls(app, **options)``."""
    declared: OptionTable = table if table is not None else getattr(cls, "OPTIONS")  # noqa: B009
    keys = tuple(paths)

    @declares(declared)
    def filter_factory(
        global_conf: dict[str, Any], **local_conf: str
    ) -> Callable[[WSGIApplication], WSGIApplication]:
        options = _options(declared, global_conf, local_conf, keys, prepare)
        _build(cls, declared, _probe, **options)
        return lambda app: cls(app, **options)

    filter_factory.__doc__ = f"``use = egg:wsgikit#{declared.component}``: :class:`{cls.__qualname__}`."
    return filter_factory


def app_factory_for(
    cls: Callable[..., WSGIApplication],
    table: OptionTable | None = None,
    *,
    paths: Iterable[str] = (),
    prepare: Prepare | None = None,
) -> Callable[..., WSGIApplication]:
    """The ``paste.app_factory`` of application class ``cls``: the section converted as
    :func:`filter_factory_for` does, then ``cls(**options)``."""
    declared: OptionTable = table if table is not None else getattr(cls, "OPTIONS")  # noqa: B009
    keys = tuple(paths)

    @declares(declared)
    def app_factory(global_conf: dict[str, Any], **local_conf: str) -> WSGIApplication:
        app: WSGIApplication = _build(
            cls, declared, **_options(declared, global_conf, local_conf, keys, prepare)
        )
        return app

    app_factory.__doc__ = f"``use = egg:wsgikit#{declared.component}``: :class:`{cls.__qualname__}`."
    return app_factory
