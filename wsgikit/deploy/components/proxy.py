"""``egg:wsgikit#proxy``: forward requests to another HTTP server
===============================================================

.. code-block:: ini

    [app:legacy]
    use = egg:wsgikit#proxy
    url = http://127.0.0.1:9000/legacy
    timeout = 30s
"""

from __future__ import annotations

from typing import Any

from wsgikit.deploy.options import (
    REQUIRED,
    ConfigError,
    Option,
    OptionTable,
    to_bool,
    to_duration,
    to_size,
    to_str,
)
from wsgikit.middleware.proxy import ProxyApp
from wsgikit.types import WSGIApplication

__all__ = ["OPTIONS", "app_factory"]

OPTIONS = OptionTable(
    "proxy",
    Option("url", to_str, REQUIRED, "the backend: http://host[:port][/prefix]"),
    Option("timeout", to_duration, 30.0, "seconds for connecting and for each socket read or write"),
    Option("preserve_host", to_bool, False, "send the client's Host header to the backend"),
    Option("chunk_size", to_size, 64 * 1024, "largest piece read at a time"),
    Option("forwarded_headers", to_bool, True, "add X-Forwarded-For/-Proto/-Host"),
)


def app_factory(global_conf: dict[str, Any], **local_conf: str) -> WSGIApplication:
    """``use = egg:wsgikit#proxy``."""
    options = OPTIONS.convert(local_conf, global_conf)
    try:
        return ProxyApp(**options)
    except ValueError as error:
        key = str(error).partition(":")[0]
        raise ConfigError(
            str(error).partition(": ")[2] or str(error),
            file=global_conf.get("__file__"),
            section="<proxy>",
            key=key if key in OPTIONS.by_name else None,
        ) from None
