"""``egg:wsgikit#errors`` (alias ``error_catcher``): the error catcher filter."""

from __future__ import annotations

from typing import Any

from wsgikit.deploy.factory import declares
from wsgikit.deploy.options import Option, OptionTable, to_bool, to_choice, to_networks
from wsgikit.middleware.errors import LOOPBACK, ErrorCatcherMiddleware
from wsgikit.types import WSGIApplication

OPTIONS = OptionTable(
    "errors",
    Option("debug", to_bool, False, "put tracebacks in 500 bodies (only for debug_networks clients)"),
    Option("debug_networks", to_networks, list(LOOPBACK), "client networks that may see debug output"),
    Option(
        "fault_format",
        to_choice("problem", "openstack"),
        "problem",
        "error bodies: problem (RFC 9457) or openstack (nova's faults, for the OpenStack clients)",
    ),
)


@declares(OPTIONS)
def filter_factory(global_conf: dict[str, Any], **local_conf: str) -> Any:
    options = OPTIONS.convert(local_conf, global_conf)

    def make(app: WSGIApplication) -> ErrorCatcherMiddleware:
        return ErrorCatcherMiddleware(app, **options)

    return make
