"""``egg:wsgikit#static``: serve a directory
=========================================

.. code-block:: ini

    [app:static]
    use = egg:wsgikit#static
    directory = %(here)s/static
    cache_max_age = 1h

A relative ``directory`` is resolved against the directory of the ini file.
"""

from __future__ import annotations

from typing import Any

from wsgikit.deploy.factory import declares
from wsgikit.deploy.options import (
    REQUIRED,
    ConfigError,
    Option,
    OptionTable,
    resolve_path,
    to_bool,
    to_duration,
    to_path,
    to_str,
)
from wsgikit.middleware.static import StaticApp
from wsgikit.types import WSGIApplication

__all__ = ["OPTIONS", "app_factory"]


def to_index(value: str) -> str | None:
    """A file name, or empty / ``none`` for no index file."""
    stripped = value.strip()
    return None if stripped.lower() in ("", "none") else stripped


def to_seconds(value: str) -> int:
    return int(to_duration(value))


OPTIONS = OptionTable(
    "static",
    Option("directory", to_path, REQUIRED, "the directory to serve", must_exist="dir"),
    Option("index", to_index, "index.html", "file served for a directory (none: 404)"),
    Option("cache_max_age", to_seconds, None, "Cache-Control max-age (default: none sent)"),
    Option("allow_hidden", to_bool, False, "serve names starting with a dot"),
    Option("fallback_type", to_str, "application/octet-stream", "media type of unknown files"),
)


@declares(OPTIONS)
def app_factory(global_conf: dict[str, Any], **local_conf: str) -> WSGIApplication:
    """``use = egg:wsgikit#static``."""
    options = OPTIONS.convert(local_conf, global_conf)
    options["directory"] = resolve_path(options["directory"], global_conf)
    try:
        return StaticApp(**options)
    except ValueError as error:
        raise ConfigError(str(error)) from None
