"""``egg:wsgikit#proxy``: forward requests to another HTTP server, or balance them over several
=============================================================================================

.. code-block:: ini

    [app:legacy]
    use = egg:wsgikit#proxy
    url = http://127.0.0.1:9000/legacy
    timeout = 30s

    [app:api]
    use = egg:wsgikit#proxy
    backends = http://10.0.0.1:8080 weight=3
               http://10.0.0.2:8080
    policy = least_conn
    max_fails = 2
    fail_timeout = 10s
"""

from __future__ import annotations

from wsgikit.deploy.factory import app_factory_for
from wsgikit.middleware.proxy import ProxyApp

__all__ = ["OPTIONS", "app_factory"]

OPTIONS = ProxyApp.OPTIONS
app_factory = app_factory_for(ProxyApp)
