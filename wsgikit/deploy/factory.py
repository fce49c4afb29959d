"""Every factory says which options it takes
=========================================

PasteDeploy calls a component's factory with the strings of its section; the factory converts them through
its :class:`~wsgikit.deploy.options.OptionTable` first. ``@declares(TABLE)`` records that table on the
factory itself (``factory.options``), which is how ``wsgikit check`` finds the table of any ``use =`` line —
an alias (``egg:wsgikit#translogger``) or a third-party factory that declares one the same way — without
guessing from names.

.. code-block:: python

    @declares(OPTIONS)
    def filter_factory(global_conf, **local_conf):
        options = OPTIONS.convert(local_conf, global_conf)
        return lambda app: GzipMiddleware(app, **options)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from wsgikit.deploy.options import OptionTable

__all__ = ["declares"]

Factory = TypeVar("Factory", bound=Callable[..., Any])


def declares(table: OptionTable) -> Callable[[Factory], Factory]:
    """Record ``table`` as the options of the decorated PasteDeploy factory (``factory.options``)."""

    def mark(factory: Factory) -> Factory:
        factory.options = table  # type: ignore[attr-defined]
        return factory

    return mark
