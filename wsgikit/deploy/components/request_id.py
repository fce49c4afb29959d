"""``egg:wsgikit#request_id``: :class:`~wsgikit.middleware.request_id.RequestIdMiddleware`."""

from __future__ import annotations

from wsgikit.deploy.factory import filter_factory_for
from wsgikit.middleware.request_id import RequestIdMiddleware

__all__ = ["OPTIONS", "filter_factory"]

OPTIONS = RequestIdMiddleware.OPTIONS
filter_factory = filter_factory_for(RequestIdMiddleware)
