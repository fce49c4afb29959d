"""``egg:wsgikit#gzip``: :class:`~wsgikit.middleware.gzip.GzipMiddleware`."""

from __future__ import annotations

from typing import Any

from wsgikit.deploy.factory import declares
from wsgikit.deploy.options import (
    ConfigError,
    Option,
    OptionTable,
    to_bool,
    to_choice,
    to_int,
    to_list,
    to_size,
)
from wsgikit.middleware._encoding import DEFAULT_TYPES, GZIP_ENGINES, MediaTypeMatcher, gzip_engine
from wsgikit.middleware.gzip import GzipMiddleware
from wsgikit.types import WSGIApplication


def to_encodings(value: str) -> list[str]:
    """``gzip br`` → the codings to offer, checked by the middleware itself (known, and installed)."""
    items = to_list(value)
    try:
        GzipMiddleware(_probe, encodings=items)
    except ValueError as error:
        raise ValueError(str(error).removeprefix("encodings: ")) from None
    return items


def _probe(environ: Any, start_response: Any) -> Any:  # pragma: no cover - never called
    return []


OPTIONS = OptionTable(
    "gzip",
    Option("level", to_int(1, 9), 6, "compression level, 1 (fast) to 9 (small)"),
    Option("minimum_size", to_size, 500, "bodies with a smaller Content-Length are not compressed"),
    Option("types", to_list, list(DEFAULT_TYPES), "media types to compress (type/subtype, type/*, */*+json)"),
    Option("flush", to_bool, False, "flush the compressor after every chunk"),
    Option("engine", to_choice("auto", *GZIP_ENGINES), "auto", "deflate engine; auto = fastest installed"),
    Option(
        "encodings", to_encodings, None, "codings offered, best first (gzip, br, zstd); default: installed"
    ),
)


@declares(OPTIONS)
def filter_factory(global_conf: dict[str, Any], **local_conf: str) -> Any:
    options = OPTIONS.convert(local_conf, global_conf)
    if options.get("engine") == "auto":
        options["engine"] = None
    try:  # an engine that is not installed fails now, not at the first request
        gzip_engine(options.get("engine"))
    except ValueError as error:
        raise ConfigError(str(error), key="engine") from None  # located: the loader is building this section
    try:  # the media types are checked now, not at the first request
        MediaTypeMatcher(options.get("types", ()))
    except ValueError as error:
        raise ConfigError(str(error), key="types") from None

    def make(app: WSGIApplication) -> GzipMiddleware:
        return GzipMiddleware(app, **options)

    return make
