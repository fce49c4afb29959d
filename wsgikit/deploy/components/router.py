"""``egg:wsgikit#router``: the compiled router as a PasteDeploy application.

.. code-block:: ini

    [app:api]
    use = egg:wsgikit#router
    mapper = myservice.api:make_mapper
"""

from __future__ import annotations

from wsgikit.deploy.factory import app_factory_for
from wsgikit.routing import Router

__all__ = ["OPTIONS", "app_factory"]

OPTIONS = Router.OPTIONS
app_factory = app_factory_for(Router)
