"""``egg:wsgikit#allowed_hosts``: :class:`~wsgikit.middleware.hosts.AllowedHostsMiddleware`."""

from __future__ import annotations

from wsgikit.deploy.factory import filter_factory_for
from wsgikit.middleware.hosts import AllowedHostsMiddleware

__all__ = ["OPTIONS", "filter_factory"]

OPTIONS = AllowedHostsMiddleware.OPTIONS
filter_factory = filter_factory_for(AllowedHostsMiddleware)
