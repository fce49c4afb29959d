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

from wsgikit.deploy.factory import filter_factory_for
from wsgikit.middleware.proxy_fix import ProxyFixMiddleware

__all__ = ["OPTIONS", "filter_factory"]

OPTIONS = ProxyFixMiddleware.OPTIONS
filter_factory = filter_factory_for(ProxyFixMiddleware)
