"""Error catcher
=============

Turn an unhandled exception into a clean ``500`` — or, when part of the body already went out, into an
aborted response the client can detect. Never both.

* Before the first body byte: a ``500`` whose body is the negotiated :mod:`wsgikit.exc` problem document
  (``application/problem+json`` by default, HTML or text when the client prefers them) with the request
  id and a correct ``Content-Length``. No traceback, exception text, environ, cookies or credentials
  unless ``debug`` is on **and** the client address is in ``debug_networks`` (loopback by default).
* After body bytes were sent: the error is logged and re-raised, so the server drops the connection and
  the client sees a truncated response. Paste's ``ErrorMiddleware`` instead appends an HTML error page to
  a ``200`` body that already started.
* HTTP exceptions (:mod:`wsgikit.exc`, :mod:`webob.exc`) raised by the application are answered as
  themselves; ``GeneratorExit``, ``KeyboardInterrupt`` and ``SystemExit`` are never caught.

The traceback is logged once, on ``wsgikit.errors``, with method, path and request id.

``fault_format`` chooses the error bodies of the whole pipeline inside this filter: ``problem`` (the
default, RFC 9457) or ``openstack`` (nova's ``{"itemNotFound": {"code": 404, "message": "..."}}``, what the
OpenStack clients read). The filter records the choice in ``environ["wsgikit.fault_format"]`` on the way
in, and every :mod:`wsgikit.exc` error rendered after that uses it: the router's 404/405, the auth filters'
401/403, sizelimit's 413, ``wsgify``'s 400s, the versions filter's 406, the application's own errors and
this filter's 500. Errors answered by filters *before* it in the pipeline keep the default format, so put
it first (or right after ``request_id``, which never answers with an error).

.. code-block:: ini

    [filter:errors]
    use = egg:wsgikit#errors
    debug = false
    fault_format = openstack
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Iterable, Iterator
from urllib.parse import quote

from webob.exc import HTTPException

from wsgikit.exc import FAULT_FORMAT_KEY, FAULT_FORMATS, REQUEST_ID_KEY, as_wsgikit, render_problem
from wsgikit.middleware._networks import LOOPBACK, Network, address_in
from wsgikit.options import Option, OptionTable, to_bool, to_choice, to_networks
from wsgikit.types import (
    ExcInfo,
    Headers,
    OptExcInfo,
    StartResponse,
    WriteCallable,
    WSGIApplication,
    WSGIEnvironment,
    WSGIIterable,
)
from wsgikit.wsgi import SendTracker, close_iterable, is_settled

__all__ = ["LOOPBACK", "ErrorCatcherMiddleware"]

log = logging.getLogger("wsgikit.errors")

ABORTED = "response aborted after the body started"


class ErrorCatcherMiddleware:
    """Answer unhandled exceptions with a safe ``500``, or abort a response that already started.

    :param app: the WSGI application to wrap.
    :param debug: put the traceback in the ``500`` body — only for clients in ``debug_networks``.
    :param debug_networks: client networks that may see debug output (default loopback only); an address
        or network string, or :mod:`ipaddress` networks.
    :param fault_format: ``"problem"`` (RFC 9457, negotiated from ``Accept``) or ``"openstack"`` (nova's
        fault bodies as ``application/json``), for every error rendered inside this filter.
    """

    OPTIONS = OptionTable(
        "errors",
        Option("debug", to_bool, False, "put tracebacks in 500 bodies (only for debug_networks clients)"),
        Option("debug_networks", to_networks, LOOPBACK, "client networks that may see debug output"),
        Option(
            "fault_format",
            to_choice(*FAULT_FORMATS),
            "problem",
            "error bodies: problem (RFC 9457) or openstack (nova's faults, for the OpenStack clients)",
        ),
    )

    def __init__(
        self,
        app: WSGIApplication,
        *,
        debug: bool = OPTIONS.default("debug"),
        debug_networks: Iterable[Network | str] = OPTIONS.default("debug_networks"),
        fault_format: str = OPTIONS.default("fault_format"),
    ) -> None:
        checked = self.OPTIONS.validate(debug=debug, debug_networks=debug_networks, fault_format=fault_format)
        self.app = app
        self.debug = debug
        self.debug_networks: tuple[Network, ...] = tuple(checked["debug_networks"])
        self.fault_format = fault_format

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
        environ[FAULT_FORMAT_KEY] = self.fault_format
        response = _Response(self, environ, start_response)
        try:
            iterable = self.app(environ, response.start_response)
        except Exception:
            exc_info = _exc_info()
            if response.sent:  # write() already sent body bytes: only the server can end this response
                self.log_error(environ, exc_info, ABORTED)
                raise
            return self.error_response(environ, start_response, exc_info)
        if is_settled(iterable):
            return iterable  # fully built already: nothing can fail while it is iterated
        response.iterable = iterable
        return response

    def _catching(self, response: _Response) -> Iterator[bytes]:
        try:
            for chunk in response.iterable:
                # counted before the yield: the server sends it as soon as it gets it
                response.bytes_sent += len(chunk)
                yield chunk
            return
        except Exception:
            exc_info = _exc_info()
            if response.sent:
                self.log_error(response.environ, exc_info, ABORTED)
                raise
        yield from self.error_response(response.environ, response.server_start_response, exc_info)

    def error_response(
        self, environ: WSGIEnvironment, start_response: StartResponse, exc_info: ExcInfo
    ) -> WSGIIterable:
        """Answer ``exc_info`` before any body byte was sent (``start_response`` gets ``exc_info``, so it
        may replace a status the application had already given)."""
        error = exc_info[1]
        # uWSGI 2.0's start_response, given exc_info before the headers went out, leaves the exception set
        # and fails with SystemError: the 500's status went out, its body never did. PEP 3333 lets a server
        # accept a second start_response until the headers are sent, and uWSGI does; so it gets none.
        passed: OptExcInfo | None = None if "uwsgi.version" in environ else exc_info
        if isinstance(error, HTTPException):
            log.debug("HTTP %s raised by the application", getattr(error, "code", "?"))
            http_error = as_wsgikit(error)

            def replace(status: str, headers: Headers, _: OptExcInfo | None = None) -> WriteCallable:
                return start_response(status, headers, passed)

            return http_error(environ, replace)
        self.log_error(environ, exc_info, "answered 500")
        detail = None
        if self.debug and self.client_may_debug(environ):
            detail = "".join(traceback.format_exception(*exc_info))
        content_type, body = render_problem(environ, 500, detail)
        headers = [
            ("Content-Type", content_type),
            ("Content-Length", str(len(body))),
            ("Cache-Control", "no-store"),
        ]
        start_response("500 Internal Server Error", headers, passed)
        return [] if environ.get("REQUEST_METHOD") == "HEAD" else [body]

    def client_may_debug(self, environ: WSGIEnvironment) -> bool:
        return address_in(environ.get("REMOTE_ADDR"), self.debug_networks)

    def log_error(self, environ: WSGIEnvironment, exc_info: ExcInfo, outcome: str) -> None:
        """Log ``exc_info`` once, with method, (escaped) path, request id and what became of the response."""
        request_id = environ.get(REQUEST_ID_KEY)
        path = (environ.get("SCRIPT_NAME") or "") + (environ.get("PATH_INFO") or "")
        # the path is client input: percent-encode it so it cannot forge log lines
        path = quote(path.encode("latin-1", "replace"), safe="/:@!$&'()*+,;=-._~%")
        log.error(
            "%s %s: unhandled %s, %s (request id %s)",
            environ.get("REQUEST_METHOD", "-"),
            path,
            exc_info[0].__name__,
            outcome,
            request_id or "-",
            exc_info=exc_info,
            extra={"request_id": request_id} if request_id else None,
        )


def _exc_info() -> ExcInfo:
    exc_type, exc_value, exc_tb = sys.exc_info()
    assert exc_type is not None and exc_value is not None and exc_tb is not None
    return exc_type, exc_value, exc_tb


class _Response(SendTracker):
    """One request: the application's response iterable, and whether body bytes went to the server.

    It is the iterable handed to the server: iterating it runs :meth:`ErrorCatcherMiddleware._catching`;
    ``close()`` closes the application's iterable once, logging (not raising) a failing ``close()``.
    """

    __slots__ = ("_closed", "_middleware", "environ", "iterable")

    def __init__(
        self, middleware: ErrorCatcherMiddleware, environ: WSGIEnvironment, start_response: StartResponse
    ) -> None:
        # SendTracker's fields, set here rather than through SendTracker.__init__: one call less per request
        self.server_start_response = start_response
        self.server_write = None
        self.status = None
        self.bytes_sent = 0
        self._middleware = middleware
        self.environ = environ
        self.iterable: WSGIIterable = ()
        self._closed = False

    def __iter__(self) -> Iterator[bytes]:
        return self._middleware._catching(self)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            close_iterable(self.iterable)
        except Exception:
            self._middleware.log_error(self.environ, _exc_info(), "raised by close()")
