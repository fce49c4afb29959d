from __future__ import annotations

from wsgikit.deploy.factory import app_factory_for, filter_factory_for
from wsgikit.middleware.healthcheck import HealthcheckApp, HealthcheckMiddleware

__all__ = ["APP_OPTIONS", "OPTIONS", "app_factory", "filter_factory"]

OPTIONS = HealthcheckMiddleware.OPTIONS
"""The table of the ``healthcheck`` filter."""
APP_OPTIONS = HealthcheckApp.OPTIONS
"""The table of the ``healthcheck`` app."""

filter_factory = filter_factory_for(HealthcheckMiddleware, paths=("disable_by_file",))
app_factory = app_factory_for(HealthcheckApp, paths=("disable_by_file",))
