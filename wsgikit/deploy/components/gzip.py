"""``egg:wsgikit#gzip``: :class:`~wsgikit.middleware.gzip.GzipMiddleware`."""

from __future__ import annotations

from wsgikit.deploy.factory import filter_factory_for
from wsgikit.middleware.gzip import GzipMiddleware

__all__ = ["OPTIONS", "filter_factory"]

OPTIONS = GzipMiddleware.OPTIONS
filter_factory = filter_factory_for(GzipMiddleware)
