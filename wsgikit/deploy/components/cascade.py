"""``egg:wsgikit#cascade``: :class:`~wsgikit.middleware.cascade.Cascade`, Paste's cascade.

.. code-block:: ini

    [composite:main]
    use = egg:wsgikit#cascade
    app1 = static
    app2 = api
    catch = 404 405

Not :func:`~wsgikit.deploy.factory.app_factory_for`: a ``paste.composite_factory`` is called with
the loader, to load the applications its keys name (``app1 = static``); the table is the INI side's own
(those keys are not options of :class:`~wsgikit.middleware.cascade.Cascade`, which takes the applications).
"""

from __future__ import annotations

import re
from typing import Any

from wsgikit.deploy.factory import declares
from wsgikit.deploy.loader import load_app
from wsgikit.deploy.options import ConfigError, Option, OptionTable, to_list
from wsgikit.middleware.cascade import Cascade


def to_status_codes(value: str) -> list[int]:
    codes = []
    for item in to_list(value):
        if not item.isdigit() or not 100 <= int(item) <= 599:
            raise ValueError(f"expected HTTP status codes such as 404 405, got {item!r}")
        codes.append(int(item))
    return codes


def is_app_key(key: str) -> bool:
    """``app1``, ``app2``, ... (any key starting with ``app``): the applications, tried in numeric order."""
    return re.fullmatch(r"app\w*", key) is not None


OPTIONS = OptionTable(
    "cascade",
    Option("catch", to_status_codes, [404], "statuses that mean 'try the next application'"),
    accept_extra=is_app_key,
)


def _order(key: str) -> tuple[int, str]:
    digits = re.sub(r"\D", "", key)
    return (int(digits) if digits else 0, key)


def references(local_conf: dict[str, str]) -> list[tuple[str, str, str]]:
    """``(key, kind, name)`` of every application this cascade tries (for ``wsgikit check``)."""
    return [
        (key, "app", local_conf[key].strip()) for key in sorted(filter(is_app_key, local_conf), key=_order)
    ]


@declares(OPTIONS)
def composite_factory(loader: Any, global_conf: dict[str, Any], **local_conf: str) -> Cascade:
    options = OPTIONS.convert(local_conf, global_conf)
    keys = sorted((key for key in options if is_app_key(key)), key=_order)  # app2 before app10
    if not keys:
        raise ConfigError("cascade has no applications: add app1 = ..., app2 = ...")
    apps = [load_app(loader, str(options[key]).strip(), global_conf, key=key) for key in keys]
    return Cascade(apps, catch=options.get("catch", [404]))
