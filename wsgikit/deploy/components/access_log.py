"""``egg:wsgikit#access_log`` (alias ``translogger``): the access log filter."""

from __future__ import annotations

import logging
from typing import Any

from wsgikit.deploy.options import ConfigError, Option, OptionTable, to_choice, to_log_level, to_str
from wsgikit.middleware.access_log import FORMATS, AccessLogMiddleware
from wsgikit.types import WSGIApplication

OPTIONS = OptionTable(
    "access_log",
    Option("format", to_choice(*FORMATS), "combined", "combined (Apache + latency + request id) or json"),
    Option("logger_name", to_str, "wsgikit.access", "logger the access lines go to"),
    # Paste TransLogger's spelling, so `egg:Paste#translogger` sections migrate by renaming the egg
    Option("logging_level", to_log_level, logging.INFO, "alias of level (Paste TransLogger)", "level"),
    Option("level", to_log_level, logging.INFO, "level of each line: INFO-style name or number"),
)


def filter_factory(global_conf: dict[str, Any], **local_conf: str) -> Any:
    if "level" in local_conf and "logging_level" in local_conf:
        raise ConfigError(
            "give level or logging_level, not both", key="logging_level", file=global_conf.get("__file__")
        )
    options = OPTIONS.convert(local_conf, global_conf)

    def make(app: WSGIApplication) -> AccessLogMiddleware:
        return AccessLogMiddleware(app, **options)

    return make
