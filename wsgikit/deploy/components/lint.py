"""``egg:wsgikit#lint``: PEP 3333 checks (development pipelines only)."""

from __future__ import annotations

from wsgikit.deploy.factory import filter_factory_for
from wsgikit.middleware.lint import LintMiddleware

__all__ = ["OPTIONS", "filter_factory"]

OPTIONS = LintMiddleware.OPTIONS
filter_factory = filter_factory_for(LintMiddleware)
