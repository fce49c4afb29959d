"""``egg:wsgikit#lint``: PEP 3333 checks (development pipelines only)."""

from __future__ import annotations

from typing import Any

from wsgikit.deploy.factory import declares
from wsgikit.deploy.options import OptionTable
from wsgikit.middleware.lint import LintMiddleware
from wsgikit.types import WSGIApplication

OPTIONS = OptionTable("lint")


@declares(OPTIONS)
def filter_factory(global_conf: dict[str, Any], **local_conf: str) -> Any:
    OPTIONS.convert(local_conf, global_conf)  # no options: any key is a mistake

    def make(app: WSGIApplication) -> LintMiddleware:
        return LintMiddleware(app)

    return make
