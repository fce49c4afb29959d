"""Health check
============

One URL that load balancers and orchestrators poll: ``GET`` answers ``200 OK`` or ``503``, ``HEAD``
answers ``204`` or ``503`` (no body either way). It is both an application (:class:`HealthcheckApp`, to
mount with ``urlmap``) and a filter (:class:`HealthcheckMiddleware`, answering one path in front of any
pipeline, e.g. before auth — which oslo.middleware removed in 2025, breaking old configs).

The service reports unavailable when a *disable file* exists (drain a node before maintenance with
``touch /etc/myapp/healthcheck_disable``) or when one of the pluggable checks fails. Details — each
check's name, result and message, as JSON — are sent only when ``detailed`` is on *and* the client is in
``allowed_networks`` (loopback by default); everyone else gets a one-word plain-text answer. The details
also list, under ``upstreams``, the per-backend counters of every :mod:`~wsgikit.middleware.proxy` in the
process (``requests``, ``failures``, ``ejected``, ``active``, ``down``), one list per proxy.

.. code-block:: python

    from wsgikit.middleware.healthcheck import HealthcheckMiddleware

    def database_ok():
        return db.ping(), "primary reachable"

    app = HealthcheckMiddleware(app, checks=[database_ok], disable_by_file="/etc/myapp/drain")
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from wsgikit.middleware._balancer import upstream_stats
from wsgikit.middleware._networks import LOOPBACK, Network, address_in
from wsgikit.options import Option, OptionTable, to_bool, to_callables, to_networks, to_path, to_str
from wsgikit.types import Headers, StartResponse, WSGIApplication, WSGIEnvironment, WSGIIterable

__all__ = ["Check", "CheckResult", "HealthcheckApp", "HealthcheckMiddleware", "run_check"]

logger = logging.getLogger("wsgikit.healthcheck")

Check = Callable[[], Any]
"""A check takes no arguments and returns ``True``/``False``, or ``(ok, message)``; raising fails it."""


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    message: str = ""


def _check_name(check: Check) -> str:
    module = getattr(check, "__module__", None)
    name = getattr(check, "__qualname__", None) or getattr(check, "__name__", None) or repr(check)
    return f"{module}:{name}" if module else str(name)


def run_check(check: Check) -> CheckResult:
    """Run one check; an exception or a malformed return value is a failure, never an error."""
    name = _check_name(check)
    try:
        result = check()
    except Exception as error:
        logger.exception("health check %s raised", name)
        return CheckResult(name, False, f"{type(error).__name__}: {error}")
    if isinstance(result, tuple) and len(result) == 2:
        return CheckResult(name, result[0] is True, str(result[1]))
    if isinstance(result, bool):
        return CheckResult(name, result)
    return CheckResult(
        name, False, f"check returned {type(result).__name__}, expected bool or (bool, message)"
    )


class HealthcheckApp:
    """The health check as a WSGI application (it answers every path it is mounted on).

    :param disable_by_file: when this file exists, answer 503 ``DISABLED BY FILE``.
    :param checks: callables run on every request (see :data:`Check`); any failure gives 503.
    :param detailed: answer with a JSON document of every check to clients in ``allowed_networks``.
    :param allowed_networks: who may see details (default loopback only: ``127.0.0.0/8``, ``::1``).
    """

    OPTIONS = OptionTable(
        "healthcheck",
        Option("disable_by_file", to_path, None, "answer 503 while this file exists"),
        Option("checks", to_callables, (), "module:callable checks, run on every request"),
        Option("detailed", to_bool, False, "JSON details for clients in allowed_networks"),
        Option("allowed_networks", to_networks, None, "who may see details (default loopback)"),
    )

    def __init__(
        self,
        *,
        disable_by_file: str | None = OPTIONS.default("disable_by_file"),
        checks: Iterable[Check] = OPTIONS.default("checks"),
        detailed: bool = OPTIONS.default("detailed"),
        allowed_networks: Iterable[str | Network] | None = OPTIONS.default("allowed_networks"),
    ) -> None:
        checked = self.OPTIONS.validate(
            disable_by_file=disable_by_file,
            checks=checks,
            detailed=detailed,
            allowed_networks=allowed_networks,
        )
        self.disable_by_file = checked["disable_by_file"]
        self.checks = tuple(checked["checks"])
        self.detailed = detailed
        networks = checked["allowed_networks"]
        self.allowed_networks: tuple[Network, ...] = LOOPBACK if networks is None else tuple(networks)

    def client_allowed(self, environ: WSGIEnvironment) -> bool:
        return address_in(environ.get("REMOTE_ADDR"), self.allowed_networks)

    def status(self) -> tuple[str, list[CheckResult]]:
        """``("ok" | "disabled" | "unavailable", results)``."""
        if self.disable_by_file and os.path.exists(self.disable_by_file):
            return "disabled", []
        results = [run_check(check) for check in self.checks]
        return ("ok" if all(result.ok for result in results) else "unavailable"), results

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
        method = environ.get("REQUEST_METHOD", "GET")
        headers: Headers = [("Cache-Control", "no-store")]
        if method not in ("GET", "HEAD"):
            headers += [("Allow", "GET, HEAD"), ("Content-Type", "text/plain; charset=UTF-8")]
            body = b"405 Method Not Allowed\n"
            headers.append(("Content-Length", str(len(body))))
            start_response("405 Method Not Allowed", headers)
            return [body]
        state, results = self.status()
        healthy = state == "ok"
        if method == "HEAD" and healthy:
            start_response("204 No Content", headers)
            return []
        if self.detailed and self.client_allowed(environ):
            document: dict[str, Any] = {
                "status": state,
                "checks": [{"name": r.name, "ok": r.ok, "message": r.message} for r in results],
            }
            upstreams = upstream_stats()
            if upstreams:  # counters are per process: each server worker reports its own
                document["upstreams"] = upstreams
            body = json.dumps(document).encode("utf-8")
            headers.append(("Content-Type", "application/json"))
        else:
            text = {"ok": "OK", "disabled": "DISABLED BY FILE", "unavailable": "UNAVAILABLE"}[state]
            body = (text + "\n").encode("ascii")
            headers.append(("Content-Type", "text/plain; charset=UTF-8"))
        headers.append(("Content-Length", str(len(body))))
        start_response("200 OK" if healthy else "503 Service Unavailable", headers)
        return [] if method == "HEAD" else [body]


def _absolute_path(path: str) -> None:
    if not path.startswith("/"):
        raise ValueError(f"must start with '/', got {path!r}")


class HealthcheckMiddleware:
    """Answer one path with a :class:`HealthcheckApp`; pass everything else to the application.

    :param app: the WSGI application to wrap.
    :param path: the path answered (``PATH_INFO``, exact; default ``/healthcheck``).

    The other options are those of :class:`HealthcheckApp`.
    """

    OPTIONS = OptionTable(
        "healthcheck",
        Option("path", to_str.checked(_absolute_path), "/healthcheck", "the path the filter answers"),
        *HealthcheckApp.OPTIONS.options,
    )

    def __init__(
        self,
        app: WSGIApplication,
        *,
        path: str = OPTIONS.default("path"),
        disable_by_file: str | None = OPTIONS.default("disable_by_file"),
        checks: Iterable[Check] = OPTIONS.default("checks"),
        detailed: bool = OPTIONS.default("detailed"),
        allowed_networks: Iterable[str | Network] | None = OPTIONS.default("allowed_networks"),
    ) -> None:
        self.OPTIONS.validate(path=path)  # the others are HealthcheckApp's, checked there
        self.app = app
        self.path = path
        self.health = HealthcheckApp(
            disable_by_file=disable_by_file,
            checks=checks,
            detailed=detailed,
            allowed_networks=allowed_networks,
        )

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
        if environ.get("PATH_INFO") == self.path:
            return self.health(environ, start_response)
        return self.app(environ, start_response)
