"""``egg:wsgikit#static``: serve a directory
=========================================

.. code-block:: ini

    [app:static]
    use = egg:wsgikit#static
    directory = %(here)s/static
    cache_max_age = 1h

A relative ``directory`` is resolved against the directory of the ini file.
"""

from __future__ import annotations

from wsgikit.deploy.factory import app_factory_for
from wsgikit.middleware.static import StaticApp

__all__ = ["OPTIONS", "app_factory"]

OPTIONS = StaticApp.OPTIONS
app_factory = app_factory_for(StaticApp, paths=("directory",))
