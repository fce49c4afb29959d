"""``egg:wsgikit#healthcheck``: the health check, as a filter and as an app
=========================================================================

.. code-block:: ini

    [filter:healthcheck]
    use = egg:wsgikit#healthcheck
    path = /healthcheck
    disable_by_file = /etc/myapp/healthcheck_disable
    checks = myapp.health:database myapp.health:queue
    detailed = true
    allowed_networks = 127.0.0.1 10.0.0.0/8

    [app:healthcheck]
    use = egg:wsgikit#healthcheck
    disable_by_file = %(here)s/drain

The app takes the same options except ``path`` (it answers wherever it is mounted).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wsgikit.deploy.factory import declares
from wsgikit.deploy.options import (
    Option,
    OptionTable,
    resolve_path,
    to_bool,
    to_callables,
    to_networks,
    to_path,
    to_str,
)
from wsgikit.middleware.healthcheck import HealthcheckApp, HealthcheckMiddleware
from wsgikit.types import WSGIApplication

__all__ = ["APP_OPTIONS", "OPTIONS", "app_factory", "filter_factory"]


def _shared() -> tuple[Option, ...]:
    return (
        Option("disable_by_file", to_path, None, "answer 503 while this file exists"),
        Option("checks", to_callables, [], "module:callable checks, run on every request"),
        Option("detailed", to_bool, False, "JSON details for clients in allowed_networks"),
        Option("allowed_networks", to_networks, None, "who may see details (default loopback)"),
    )


OPTIONS = OptionTable(
    "healthcheck",
    Option("path", to_str, "/healthcheck", "the path the filter answers"),
    *_shared(),
)
"""The table of the ``healthcheck`` filter."""
APP_OPTIONS = OptionTable("healthcheck", *_shared())
"""The table of the ``healthcheck`` app."""


def _convert(table: OptionTable, global_conf: dict[str, Any], local_conf: dict[str, str]) -> dict[str, Any]:
    options = table.convert(local_conf, global_conf)
    if options.get("disable_by_file"):
        options["disable_by_file"] = resolve_path(options["disable_by_file"], global_conf)
    return options


@declares(OPTIONS)
def filter_factory(
    global_conf: dict[str, Any], **local_conf: str
) -> Callable[[WSGIApplication], WSGIApplication]:
    """``[filter:x] use = egg:wsgikit#healthcheck``."""
    options = _convert(OPTIONS, global_conf, local_conf)
    HealthcheckMiddleware(lambda environ, start_response: [], **options)  # validate now
    return lambda app: HealthcheckMiddleware(app, **options)


@declares(APP_OPTIONS)
def app_factory(global_conf: dict[str, Any], **local_conf: str) -> WSGIApplication:
    """``[app:x] use = egg:wsgikit#healthcheck``."""
    return HealthcheckApp(**_convert(APP_OPTIONS, global_conf, local_conf))
