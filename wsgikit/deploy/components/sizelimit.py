"""``egg:wsgikit#sizelimit``: :class:`~wsgikit.middleware.sizelimit.SizeLimitMiddleware`."""

from __future__ import annotations

from wsgikit.deploy.factory import filter_factory_for
from wsgikit.middleware.sizelimit import SizeLimitMiddleware

__all__ = ["OPTIONS", "filter_factory"]

OPTIONS = SizeLimitMiddleware.OPTIONS
filter_factory = filter_factory_for(SizeLimitMiddleware)
