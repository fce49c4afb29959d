"""``egg:wsgikit#cors``: Cross-Origin Resource Sharing
===================================================

.. code-block:: ini

    [filter:cors]
    use = egg:wsgikit#cors
    allowed_origins = https://app.example.com https://admin.example.com
    allowed_origin_patterns = https://[a-z0-9-]+\\.preview\\.example\\.com
    allow_credentials = true
    allow_headers = X-Auth-Token
    expose_headers = X-Request-ID
    max_age = 10m

``allowed_origin_patterns`` are separated by whitespace only (a regular expression may contain commas).
"""

from __future__ import annotations

from wsgikit.deploy.factory import filter_factory_for
from wsgikit.middleware.cors import CorsMiddleware

__all__ = ["OPTIONS", "filter_factory"]

OPTIONS = CorsMiddleware.OPTIONS
filter_factory = filter_factory_for(CorsMiddleware)
