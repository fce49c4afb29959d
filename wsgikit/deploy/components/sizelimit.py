"""``egg:wsgikit#sizelimit``: :class:`~wsgikit.middleware.sizelimit.SizeLimitMiddleware`."""

from __future__ import annotations

from typing import Any

from wsgikit.deploy.factory import declares
from wsgikit.deploy.options import Option, OptionTable, to_size
from wsgikit.middleware.sizelimit import DEFAULT_MAX_BODY_SIZE, SizeLimitMiddleware
from wsgikit.types import WSGIApplication

OPTIONS = OptionTable(
    "sizelimit",
    Option(
        "max_body_size", to_size, DEFAULT_MAX_BODY_SIZE, "largest request body accepted (10MB, 1MiB, ...)"
    ),
)


@declares(OPTIONS)
def filter_factory(global_conf: dict[str, Any], **local_conf: str) -> Any:
    options = OPTIONS.convert(local_conf, global_conf)

    def make(app: WSGIApplication) -> SizeLimitMiddleware:
        return SizeLimitMiddleware(app, **options)

    return make
