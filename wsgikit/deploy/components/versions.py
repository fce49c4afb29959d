"""``egg:wsgikit#versions``: :class:`~wsgikit.middleware.versions.VersionsMiddleware`."""

from __future__ import annotations

from wsgikit.deploy.factory import filter_factory_for
from wsgikit.middleware.versions import VersionsMiddleware

__all__ = ["OPTIONS", "filter_factory"]

OPTIONS = VersionsMiddleware.OPTIONS
filter_factory = filter_factory_for(VersionsMiddleware)
