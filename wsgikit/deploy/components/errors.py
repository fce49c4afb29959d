"""``egg:wsgikit#errors`` (alias ``error_catcher``): the error catcher filter."""

from __future__ import annotations

from wsgikit.deploy.factory import filter_factory_for
from wsgikit.middleware.errors import ErrorCatcherMiddleware

__all__ = ["OPTIONS", "filter_factory"]

OPTIONS = ErrorCatcherMiddleware.OPTIONS
filter_factory = filter_factory_for(ErrorCatcherMiddleware)
