"""``egg:wsgikit#request_id``: :class:`~wsgikit.middleware.request_id.RequestIdMiddleware`."""

from __future__ import annotations

from typing import Any

from wsgikit.deploy.factory import declares
from wsgikit.deploy.options import ConfigError, Option, OptionTable, to_list, to_str
from wsgikit.middleware.request_id import RequestIdMiddleware
from wsgikit.types import WSGIApplication

OPTIONS = OptionTable(
    "request_id",
    Option("header", to_str, "X-Request-ID", "header that carries the id in both directions"),
    Option("compat_headers", to_list, [], "extra headers accepted inbound and echoed outbound"),
)


@declares(OPTIONS)
def filter_factory(global_conf: dict[str, Any], **local_conf: str) -> Any:
    options = OPTIONS.convert(local_conf, global_conf)
    try:  # header names are checked now, not at the first request
        RequestIdMiddleware(_probe, **options)
    except ValueError as error:
        key, _, message = str(error).partition(": ")
        raise ConfigError(message, key=key) from None

    def make(app: WSGIApplication) -> RequestIdMiddleware:
        return RequestIdMiddleware(app, **options)

    return make


def _probe(environ: Any, start_response: Any) -> Any:  # pragma: no cover - never called
    return []
