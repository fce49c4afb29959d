"""``egg:wsgikit#access_log`` (alias ``translogger``): the access log filter."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wsgikit.deploy.factory import filter_factory_for
from wsgikit.deploy.options import ConfigError, resolve_path
from wsgikit.middleware._logfile import STANDARD_STREAMS
from wsgikit.middleware.access_log import AccessLogMiddleware, LogFile, paste_console_handler

__all__ = ["OPTIONS", "filter_factory", "paste_console_handler"]

OPTIONS = AccessLogMiddleware.OPTIONS


def _open_file(options: dict[str, Any], global_conf: Mapping[str, Any]) -> dict[str, Any]:
    """One open file for every pipeline this section is used in (a path relative to the ini file)."""
    options.pop("setup_console_handler", None)
    path = options.pop("file", None)
    if path is not None:
        if path not in STANDARD_STREAMS:
            path = resolve_path(path, global_conf)
        buffering = {key: options.pop(key) for key in ("buffer", "flush") if key in options}
        try:
            options["file"] = LogFile(path, **buffering)
        except OSError as error:
            file = global_conf.get("__file__")
            raise ConfigError(f"cannot open {path}: {error.strerror}", key="file", file=file) from None
    return options


filter_factory = filter_factory_for(AccessLogMiddleware, prepare=_open_file)
