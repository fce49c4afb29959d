"""``egg:wsgikit#cors``: Cross-Origin Resource Sharing
===================================================

.. code-block:: ini

    [filter:cors]
    use = egg:wsgikit#cors
    allowed_origins = https://app.example.com https://admin.example.com
    allowed_origin_patterns = https://[a-z0-9-]+\\.preview\\.example\\.com
    allow_credentials = true
    allow_headers = X-Auth-Token
    expose_headers = X-Request-ID
    max_age = 10m

``allowed_origin_patterns`` are separated by whitespace only (a regular expression may contain commas).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from wsgikit.deploy.factory import declares
from wsgikit.deploy.options import Option, OptionTable, to_bool, to_duration, to_list, to_regex
from wsgikit.middleware.cors import DEFAULT_METHODS, CorsMiddleware
from wsgikit.types import WSGIApplication

__all__ = ["OPTIONS", "filter_factory"]


def to_patterns(value: str) -> list[re.Pattern[str]]:
    """Whitespace-separated regular expressions."""
    return [to_regex(item) for item in value.split()]


def to_seconds(value: str) -> int:
    return int(to_duration(value))


OPTIONS = OptionTable(
    "cors",
    Option("allowed_origins", to_list, [], "exact origins (scheme://host[:port]), or * without credentials"),
    Option("allowed_origin_patterns", to_patterns, [], "regular expressions matching whole origins"),
    Option("allow_credentials", to_bool, False, "send Access-Control-Allow-Credentials: true"),
    Option("allow_methods", to_list, list(DEFAULT_METHODS), "methods preflights may ask for"),
    Option("allow_headers", to_list, [], "request headers preflights may ask for (* for any)"),
    Option("expose_headers", to_list, [], "response headers scripts may read"),
    Option("max_age", to_seconds, None, "how long browsers may cache a preflight answer"),
)


@declares(OPTIONS)
def filter_factory(
    global_conf: dict[str, Any], **local_conf: str
) -> Callable[[WSGIApplication], WSGIApplication]:
    """``use = egg:wsgikit#cors``."""
    options = OPTIONS.convert(local_conf, global_conf)
    CorsMiddleware(lambda environ, start_response: [], **options)  # validate now, at load time
    return lambda app: CorsMiddleware(app, **options)
