"""``egg:wsgikit#access_log`` (alias ``translogger``): the access log filter."""

from __future__ import annotations

import logging
from typing import Any

from wsgikit.deploy.factory import declares
from wsgikit.deploy.options import (
    ConfigError,
    Option,
    OptionTable,
    resolve_path,
    to_bool,
    to_choice,
    to_log_level,
    to_path,
    to_str,
)
from wsgikit.middleware._logfile import STANDARD_STREAMS
from wsgikit.middleware.access_log import FORMATS, AccessLogMiddleware, LogFile
from wsgikit.types import WSGIApplication


def paste_console_handler(value: str) -> bool:
    """Paste TransLogger's ``setup_console_handler``: ``false`` (the usual setting in Paste-era files,
    which configure logging themselves) is accepted and changes nothing; ``true`` is refused with what
    to write instead."""
    if to_bool(value):
        raise ValueError(
            "Paste's console handler is not supported: write 'file = stderr' for lines on the console, or "
            "give the logger a handler in [loggers]"
        )
    return False


OPTIONS = OptionTable(
    "access_log",
    Option("format", to_choice(*FORMATS), "combined", "combined (Apache + latency + request id) or json"),
    Option("logger_name", to_str, "wsgikit.access", "logger the access lines go to"),
    # Paste TransLogger's spelling, so `egg:Paste#translogger` sections migrate by renaming the egg
    Option("logging_level", to_log_level, logging.INFO, "alias of level (Paste TransLogger)", "level"),
    Option("level", to_log_level, logging.INFO, "level of each line: INFO-style name or number"),
    Option(
        "file",
        to_path,
        None,
        "write lines to this file (or -, stderr) instead of a logger",
        must_exist="parent",
    ),
    Option("setup_console_handler", paste_console_handler, False, "Paste TransLogger's; only false"),
    exclusive=[
        ("level", "logging_level", ""),
        ("file", "logger_name", "lines go to a file or to a logger"),
        ("file", "level", "lines go to a file or to a logger"),
        ("file", "logging_level", "lines go to a file or to a logger"),
    ],
)


@declares(OPTIONS)
def filter_factory(global_conf: dict[str, Any], **local_conf: str) -> Any:
    options = OPTIONS.convert(local_conf, global_conf)
    options.pop("setup_console_handler", None)
    path = options.pop("file", None)
    log_file = None
    if path is not None:
        if path not in STANDARD_STREAMS:
            path = resolve_path(path, global_conf)
        try:
            log_file = LogFile(path)
        except OSError as error:
            file = global_conf.get("__file__")
            raise ConfigError(f"cannot open {path}: {error.strerror}", key="file", file=file) from None

    def make(app: WSGIApplication) -> AccessLogMiddleware:
        # one open file for every pipeline this section is used in
        return AccessLogMiddleware(app, **options, file=log_file)

    return make
