"""``egg:wsgikit#proxy_fix``: trust forwarding headers from a configured number of proxies
=======================================================================================

.. code-block:: ini

    [filter:proxy_fix]
    use = egg:wsgikit#proxy_fix
    x_for = 1
    x_proto = 1
    trusted_networks = 10.0.0.0/8 127.0.0.1
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wsgikit.deploy.factory import declares
from wsgikit.deploy.options import Option, OptionTable, to_int, to_networks
from wsgikit.middleware.proxy_fix import ProxyFixMiddleware
from wsgikit.types import WSGIApplication

__all__ = ["OPTIONS", "filter_factory"]


def _hops(name: str, header: str) -> Option:
    return Option(name, to_int(0, 32), 0, f"proxies trusted to set {header}")


OPTIONS = OptionTable(
    "proxy_fix",
    _hops("x_for", "X-Forwarded-For (client address)"),
    _hops("x_proto", "X-Forwarded-Proto (scheme)"),
    _hops("x_host", "X-Forwarded-Host (host)"),
    _hops("x_port", "X-Forwarded-Port (port)"),
    _hops("x_prefix", "X-Forwarded-Prefix (SCRIPT_NAME prefix)"),
    _hops("forwarded", "the RFC 7239 Forwarded header"),
    Option("trusted_networks", to_networks, None, "use the headers only from these peers (default: any)"),
)


@declares(OPTIONS)
def filter_factory(
    global_conf: dict[str, Any], **local_conf: str
) -> Callable[[WSGIApplication], WSGIApplication]:
    """``use = egg:wsgikit#proxy_fix``."""
    options = OPTIONS.convert(local_conf, global_conf)
    return lambda app: ProxyFixMiddleware(app, **options)
