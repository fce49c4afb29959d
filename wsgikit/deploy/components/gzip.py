"""``egg:wsgikit#gzip``: :class:`~wsgikit.middleware.gzip.GzipMiddleware`."""

from __future__ import annotations

from typing import Any

from wsgikit.deploy.options import Option, OptionTable, to_bool, to_int, to_list, to_size
from wsgikit.middleware._encoding import DEFAULT_TYPES
from wsgikit.middleware.gzip import GzipMiddleware
from wsgikit.types import WSGIApplication

OPTIONS = OptionTable(
    "gzip",
    Option("level", to_int(1, 9), 6, "compression level, 1 (fast) to 9 (small)"),
    Option("minimum_size", to_size, 500, "bodies with a smaller Content-Length are not compressed"),
    Option("types", to_list, list(DEFAULT_TYPES), "media types to compress (type/subtype, type/*, */*+json)"),
    Option("flush", to_bool, False, "flush the compressor after every chunk"),
)


def filter_factory(global_conf: dict[str, Any], **local_conf: str) -> Any:
    options = OPTIONS.convert(local_conf, global_conf)
    GzipMiddleware(_probe, **options)  # validate the media types now, not at the first request

    def make(app: WSGIApplication) -> GzipMiddleware:
        return GzipMiddleware(app, **options)

    return make


def _probe(environ: Any, start_response: Any) -> Any:  # pragma: no cover - never called
    return []
