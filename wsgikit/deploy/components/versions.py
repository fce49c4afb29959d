"""``egg:wsgikit#versions``: :class:`~wsgikit.middleware.versions.VersionsMiddleware`."""

from __future__ import annotations

from typing import Any

from wsgikit.deploy.factory import declares
from wsgikit.deploy.options import REQUIRED, Option, OptionTable, to_str
from wsgikit.middleware.versions import APIVersion, VersionsMiddleware, parse_version
from wsgikit.types import WSGIApplication


def to_version(value: str) -> APIVersion:
    return parse_version(value)


OPTIONS = OptionTable(
    "versions",
    Option("service", to_str, REQUIRED, "service name in the header (compute, volume, ...)"),
    Option("min_version", to_version, APIVersion(1, 0), "oldest version served (X.Y)"),
    Option(
        "max_version", to_version, None, "newest version served, what 'latest' means (min_version if unset)"
    ),
    Option("default_version", to_version, None, "version when the request asks none (min_version if unset)"),
    Option("header", to_str, "OpenStack-API-Version", "request and response header"),
    Option("environ_key", to_str, "wsgikit.api_version", "environ key for the chosen APIVersion"),
    Option(
        "legacy_header", to_str, None, "a bare-version header also honoured (X-OpenStack-Nova-API-Version)"
    ),
)


@declares(OPTIONS)
def filter_factory(global_conf: dict[str, Any], **local_conf: str) -> Any:
    options = OPTIONS.convert(local_conf, global_conf)
    VersionsMiddleware(_probe, **options)  # cross-option checks (min <= default <= max) at load time

    def make(app: WSGIApplication) -> VersionsMiddleware:
        return VersionsMiddleware(app, **options)

    return make


def _probe(environ: Any, start_response: Any) -> Any:  # pragma: no cover - never called
    return []
