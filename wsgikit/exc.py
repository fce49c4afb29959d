"""HTTP exceptions
===============

Every HTTP status as an exception that is also a :class:`webob.Response` and a WSGI application, on top of
:mod:`webob.exc` — so ``except webob.exc.HTTPNotFound`` still catches :class:`HTTPNotFound` — with three
things WebOb lacks:

* the codes it does not define (418, 421, 425, 426, 506, 508, 510) and an explicit :data:`status_map`;
* error bodies negotiated from ``Accept``: RFC 9457 ``application/problem+json`` (``type``, ``title``,
  integer ``status``, ``detail`` and the ``request_id`` when one is known) for JSON clients, ``*/*`` and
  clients that send no ``Accept``; a small HTML page when ``text/html`` is preferred; plain text when that
  is what the client asks for. No HTML fragments ever end up in JSON;
* redirect ``Location`` headers that cannot be turned into a protocol-relative open redirect
  (``//evil.example``, ``/\\evil.example``, tab and newline variants);
* a second *fault format*, chosen per pipeline: when ``environ["wsgikit.fault_format"]`` is
  ``"openstack"`` (the errors filter's ``fault_format = openstack`` puts it there), every error body is a
  nova-style fault, ``{"itemNotFound": {"code": 404, "message": "..."}}`` as ``application/json``, with
  nova's fault names (:data:`OPENSTACK_FAULT_NAMES`) — what novaclient, openstackclient and openstacksdk
  read;
* :class:`RequestBodyError` — the ``400`` for a request body that cannot be read (a malformed chunked
  body, fewer bytes than ``Content-Length``, a client gone mid-upload), whatever the server's exception
  type. Every place that reads bodies goes through :func:`guard_input` (or, for a read of its own,
  :func:`request_body_error`), so such a request is answered ``400`` and logged on one line, without a
  traceback.

.. code-block:: python

    from wsgikit import exc, wsgify

    @wsgify
    def show(req, id):
        raise exc.HTTPNotFound(f"no server {id}")

    # GET with Accept: application/json →
    # 404 {"type": "about:blank", "title": "Not Found", "status": 404, "detail": "no server 42"}
"""

from __future__ import annotations

import json
import logging
from html import escape
from typing import Any

import webob.exc as _w
from webob.acceptparse import create_accept_header

from wsgikit.types import StartResponse, WSGIEnvironment, WSGIIterable
from wsgikit.wsgi import InputLines, ResponseCapture, close_iterable, is_client_read_error

REQUEST_ID_KEY = "wsgikit.request_id"
PROBLEM_JSON = "application/problem+json"

FAULT_FORMAT_KEY = "wsgikit.fault_format"
"""Environ key naming the fault format of the pipeline: ``"problem"`` (the default) or ``"openstack"``."""
FAULT_FORMATS = ("problem", "openstack")

OPENSTACK_FAULT_NAMES: dict[int, str] = {
    400: "badRequest",
    401: "unauthorized",
    403: "forbidden",
    404: "itemNotFound",
    405: "badMethod",
    409: "conflictingRequest",
    413: "overLimit",
    415: "badMediaType",
    429: "overLimit",
    501: "notImplemented",
    503: "serviceUnavailable",
}
"""Status → fault name as nova's ``Fault`` names them; every other status is a ``computeFault`` (nova's
own 406 for an unsupported microversion included)."""

# Offer order breaks ties: a client that accepts everything equally gets problem+json.
_OFFERS = [PROBLEM_JSON, "application/json", "text/html", "text/plain"]


def negotiate_error_type(accept: str | None) -> str:
    """The media type an error body should use for this ``Accept`` header value.

    ``application/json`` is answered as such (the body is still a problem document) for clients that
    asked for plain JSON only; when nothing offered is acceptable, problem+json is used anyway: an error
    is always answered.
    """
    if not accept:
        return PROBLEM_JSON
    offers = create_accept_header(accept).acceptable_offers(_OFFERS)
    return offers[0][0] if offers else PROBLEM_JSON


def problem_document(
    code: int, title: str, detail: str | None = None, *, request_id: str | None = None, **extra: Any
) -> dict[str, Any]:
    """An RFC 9457 problem details object."""
    document: dict[str, Any] = {"type": "about:blank", "title": title, "status": code}
    if detail:
        document["detail"] = detail
    if request_id:
        document["request_id"] = request_id
    document.update(extra)
    return document


def openstack_fault(code: int, message: str, *, retry_after: str | None = None) -> dict[str, Any]:
    """A nova-style fault document: ``{"itemNotFound": {"code": 404, "message": "..."}}``.

    :param retry_after: the ``Retry-After`` value, reported as ``retryAfter`` on 413 and 429 as nova does.
    """
    fault: dict[str, Any] = {"code": code, "message": message}
    if retry_after and code in (413, 429):
        fault["retryAfter"] = retry_after
    return {OPENSTACK_FAULT_NAMES.get(code, "computeFault"): fault}


def render_problem(
    environ: WSGIEnvironment,
    code: int,
    detail: str | None = None,
    title: str | None = None,
    *,
    retry_after: str | None = None,
    **extra: Any,
) -> tuple[str, bytes]:
    """Render an error body in the pipeline's fault format (``environ["wsgikit.fault_format"]``).

    The ``problem`` format (the default) is negotiated from ``environ["HTTP_ACCEPT"]``; the ``openstack``
    format is always ``application/json``, as nova answers whatever the client accepts.

    :returns: ``(content_type, body)``; the content type includes ``charset=UTF-8`` for text types.
    """
    if title is None:
        known = status_map.get(code)
        title = known.title if known is not None else "Error"
    if environ.get(FAULT_FORMAT_KEY) == "openstack":
        document = openstack_fault(code, detail or title, retry_after=retry_after)
        return "application/json", json.dumps(document, ensure_ascii=False).encode("utf-8")
    request_id = environ.get(REQUEST_ID_KEY)
    media_type = negotiate_error_type(environ.get("HTTP_ACCEPT"))
    status = f"{code} {title}"
    if media_type == "text/html":
        parts = [f"<!DOCTYPE html>\n<html><head><title>{escape(status)}</title></head><body>"]
        parts.append(f"<h1>{escape(status)}</h1>")
        if detail:
            parts.append(f"<p>{escape(detail)}</p>")
        if request_id:
            parts.append(f"<p><small>Request id: {escape(request_id)}</small></p>")
        parts.append("</body></html>\n")
        return "text/html; charset=UTF-8", "".join(parts).encode("utf-8")
    if media_type == "text/plain":
        text = status + "\n"
        if detail:
            text += "\n" + detail + "\n"
        if request_id:
            text += f"\nRequest id: {request_id}\n"
        return "text/plain; charset=UTF-8", text.encode("utf-8")
    document = problem_document(code, title, detail, request_id=request_id, **extra)
    return media_type, json.dumps(document, ensure_ascii=False).encode("utf-8")


# -- redirects --------------------------------------------------------------------------------------------

_STRIPPED_CONTROLS = {i: None for i in range(0x20)} | {0x7F: None}


def safe_location(location: str) -> str:
    """Neutralise a relative ``Location`` that a browser would read as protocol-relative.

    Browsers drop tab/CR/LF anywhere in a URL, ignore leading whitespace and treat ``\\`` like ``/``, so
    ``"//evil.example"``, ``"/\\evil.example"`` and ``"/\\t/evil.example"`` all lead off-site. Such values
    become a same-site path (``"/evil.example"``); absolute URLs with a scheme are the application's choice
    and are left alone (after dropping control characters).
    """
    cleaned = location.translate(_STRIPPED_CONTROLS).lstrip(" ")
    if cleaned[:1] in ("/", "\\") and cleaned[1:2] in ("/", "\\"):
        cleaned = "/" + cleaned.lstrip("/\\")
    return cleaned


# -- the exception classes --------------------------------------------------------------------------------


class WSGIHTTPException(_w.WSGIHTTPException):
    """Base of every wsgikit HTTP exception: a webob exception whose generated body is a negotiated
    problem document, and whose HEAD response carries the same headers as GET without the body."""

    def generate_response(self, environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
        detail = self.detail or self.explanation or None
        content_type, body = render_problem(
            environ,
            self.code,
            str(detail) if detail else None,
            self.title,
            retry_after=self.headers.get("Retry-After"),
        )
        headers = [
            (name, value)
            for name, value in self.headerlist
            if name.lower() not in ("content-type", "content-length")
        ]
        headers.append(("Content-Type", content_type))
        headers.append(("Content-Length", str(len(body))))
        start_response(self.status, headers)
        if environ.get("REQUEST_METHOD") == "HEAD":
            return []
        return [body]

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
        location = self.headers.get("Location")
        if location:
            self.headers["Location"] = safe_location(location)
        if environ.get("REQUEST_METHOD") == "HEAD" and not self.has_body and not self.empty_body:
            # Render the GET answer for its headers, then drop the body (RFC 9110 §9.3.2).
            capture = ResponseCapture()
            close_iterable(super().__call__(dict(environ, REQUEST_METHOD="GET"), capture))
            capture.forward(start_response)
            return []
        result: WSGIIterable = super().__call__(environ, start_response)
        return result


HTTPException = _w.HTTPException


class HTTPError(WSGIHTTPException, _w.HTTPError):
    """Base of 4xx and 5xx."""


class HTTPRedirection(WSGIHTTPException, _w.HTTPRedirection):
    """Base of 3xx."""


class HTTPOk(WSGIHTTPException, _w.HTTPOk):
    """Base of 2xx."""


class HTTPClientError(HTTPError, _w.HTTPClientError):
    """Base of 4xx; also 400 Bad Request."""


class HTTPServerError(HTTPError, _w.HTTPServerError):
    """Base of 5xx; also 500 Internal Server Error."""


class _HTTPMove(HTTPRedirection, _w._HTTPMove):
    """Redirects that carry a ``Location``; it is made safe before it is sent."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if kwargs.get("location") is not None:
            kwargs["location"] = safe_location(kwargs["location"])
        super().__init__(*args, **kwargs)


# 2xx
class HTTPCreated(HTTPOk, _w.HTTPCreated): ...


class HTTPAccepted(HTTPOk, _w.HTTPAccepted): ...


class HTTPNonAuthoritativeInformation(HTTPOk, _w.HTTPNonAuthoritativeInformation): ...


class HTTPNoContent(HTTPOk, _w.HTTPNoContent): ...


class HTTPResetContent(HTTPOk, _w.HTTPResetContent): ...


class HTTPPartialContent(HTTPOk, _w.HTTPPartialContent): ...


# 3xx
class HTTPMultipleChoices(_HTTPMove, _w.HTTPMultipleChoices): ...


class HTTPMovedPermanently(_HTTPMove, _w.HTTPMovedPermanently): ...


class HTTPFound(_HTTPMove, _w.HTTPFound): ...


class HTTPSeeOther(_HTTPMove, _w.HTTPSeeOther): ...


class HTTPNotModified(HTTPRedirection, _w.HTTPNotModified): ...


class HTTPUseProxy(_HTTPMove, _w.HTTPUseProxy): ...


class HTTPTemporaryRedirect(_HTTPMove, _w.HTTPTemporaryRedirect): ...


class HTTPPermanentRedirect(_HTTPMove, _w.HTTPPermanentRedirect): ...


# 4xx
class HTTPBadRequest(HTTPClientError, _w.HTTPBadRequest): ...


class HTTPUnauthorized(HTTPClientError, _w.HTTPUnauthorized): ...


class HTTPPaymentRequired(HTTPClientError, _w.HTTPPaymentRequired): ...


class HTTPForbidden(HTTPClientError, _w.HTTPForbidden): ...


class HTTPNotFound(HTTPClientError, _w.HTTPNotFound): ...


class HTTPMethodNotAllowed(HTTPClientError, _w.HTTPMethodNotAllowed): ...


class HTTPNotAcceptable(HTTPClientError, _w.HTTPNotAcceptable): ...


class HTTPProxyAuthenticationRequired(HTTPClientError, _w.HTTPProxyAuthenticationRequired): ...


class HTTPRequestTimeout(HTTPClientError, _w.HTTPRequestTimeout): ...


class HTTPConflict(HTTPClientError, _w.HTTPConflict): ...


class HTTPGone(HTTPClientError, _w.HTTPGone): ...


class HTTPLengthRequired(HTTPClientError, _w.HTTPLengthRequired): ...


class HTTPPreconditionFailed(HTTPClientError, _w.HTTPPreconditionFailed): ...


class HTTPRequestEntityTooLarge(HTTPClientError, _w.HTTPRequestEntityTooLarge): ...


class HTTPRequestURITooLong(HTTPClientError, _w.HTTPRequestURITooLong): ...


class HTTPUnsupportedMediaType(HTTPClientError, _w.HTTPUnsupportedMediaType): ...


class HTTPRequestRangeNotSatisfiable(HTTPClientError, _w.HTTPRequestRangeNotSatisfiable): ...


class HTTPExpectationFailed(HTTPClientError, _w.HTTPExpectationFailed): ...


class HTTPUnprocessableEntity(HTTPClientError, _w.HTTPUnprocessableEntity): ...


class HTTPLocked(HTTPClientError, _w.HTTPLocked): ...


class HTTPFailedDependency(HTTPClientError, _w.HTTPFailedDependency): ...


class HTTPPreconditionRequired(HTTPClientError, _w.HTTPPreconditionRequired): ...


class HTTPTooManyRequests(HTTPClientError, _w.HTTPTooManyRequests): ...


class HTTPRequestHeaderFieldsTooLarge(HTTPClientError, _w.HTTPRequestHeaderFieldsTooLarge): ...


class HTTPUnavailableForLegalReasons(HTTPClientError, _w.HTTPUnavailableForLegalReasons): ...


class HTTPImATeapot(HTTPClientError):
    code = 418
    title = "I'm a teapot"
    explanation = "The server refuses to brew coffee because it is a teapot."


class HTTPMisdirectedRequest(HTTPClientError):
    code = 421
    title = "Misdirected Request"
    explanation = "The request was directed at a server that cannot produce a response for it."


class HTTPTooEarly(HTTPClientError):
    code = 425
    title = "Too Early"
    explanation = "The server is unwilling to process a request that might be replayed."


class HTTPUpgradeRequired(HTTPClientError):
    code = 426
    title = "Upgrade Required"
    explanation = "The server refuses this request using the current protocol."


# 5xx
class HTTPInternalServerError(HTTPServerError, _w.HTTPInternalServerError): ...


class HTTPNotImplemented(HTTPServerError, _w.HTTPNotImplemented): ...


class HTTPBadGateway(HTTPServerError, _w.HTTPBadGateway): ...


class HTTPServiceUnavailable(HTTPServerError, _w.HTTPServiceUnavailable): ...


class HTTPGatewayTimeout(HTTPServerError, _w.HTTPGatewayTimeout): ...


class HTTPVersionNotSupported(HTTPServerError, _w.HTTPVersionNotSupported): ...


class HTTPInsufficientStorage(HTTPServerError, _w.HTTPInsufficientStorage): ...


class HTTPNetworkAuthenticationRequired(HTTPServerError, _w.HTTPNetworkAuthenticationRequired): ...


class HTTPVariantAlsoNegotiates(HTTPServerError):
    code = 506
    title = "Variant Also Negotiates"
    explanation = "The server has an internal configuration error in content negotiation."


class HTTPLoopDetected(HTTPServerError):
    code = 508
    title = "Loop Detected"
    explanation = "The server detected an infinite loop while processing the request."


class HTTPNotExtended(HTTPServerError):
    code = 510
    title = "Not Extended"
    explanation = "Further extensions to the request are required for the server to fulfil it."


# RFC 9110 names for the classes WebOb names after RFC 2616.
HTTPContentTooLarge = HTTPRequestEntityTooLarge
HTTPURITooLong = HTTPRequestURITooLong
HTTPRangeNotSatisfiable = HTTPRequestRangeNotSatisfiable
HTTPUnprocessableContent = HTTPUnprocessableEntity

status_map: dict[int, type[WSGIHTTPException]] = {
    200: HTTPOk,
    201: HTTPCreated,
    202: HTTPAccepted,
    203: HTTPNonAuthoritativeInformation,
    204: HTTPNoContent,
    205: HTTPResetContent,
    206: HTTPPartialContent,
    300: HTTPMultipleChoices,
    301: HTTPMovedPermanently,
    302: HTTPFound,
    303: HTTPSeeOther,
    304: HTTPNotModified,
    305: HTTPUseProxy,
    307: HTTPTemporaryRedirect,
    308: HTTPPermanentRedirect,
    400: HTTPBadRequest,
    401: HTTPUnauthorized,
    402: HTTPPaymentRequired,
    403: HTTPForbidden,
    404: HTTPNotFound,
    405: HTTPMethodNotAllowed,
    406: HTTPNotAcceptable,
    407: HTTPProxyAuthenticationRequired,
    408: HTTPRequestTimeout,
    409: HTTPConflict,
    410: HTTPGone,
    411: HTTPLengthRequired,
    412: HTTPPreconditionFailed,
    413: HTTPRequestEntityTooLarge,
    414: HTTPRequestURITooLong,
    415: HTTPUnsupportedMediaType,
    416: HTTPRequestRangeNotSatisfiable,
    417: HTTPExpectationFailed,
    418: HTTPImATeapot,
    421: HTTPMisdirectedRequest,
    422: HTTPUnprocessableEntity,
    423: HTTPLocked,
    424: HTTPFailedDependency,
    425: HTTPTooEarly,
    426: HTTPUpgradeRequired,
    428: HTTPPreconditionRequired,
    429: HTTPTooManyRequests,
    431: HTTPRequestHeaderFieldsTooLarge,
    451: HTTPUnavailableForLegalReasons,
    500: HTTPInternalServerError,
    501: HTTPNotImplemented,
    502: HTTPBadGateway,
    503: HTTPServiceUnavailable,
    504: HTTPGatewayTimeout,
    505: HTTPVersionNotSupported,
    506: HTTPVariantAlsoNegotiates,
    507: HTTPInsufficientStorage,
    508: HTTPLoopDetected,
    510: HTTPNotExtended,
    511: HTTPNetworkAuthenticationRequired,
}
"""Every status code wsgikit knows → its exception class."""


# -- unreadable request bodies ----------------------------------------------------------------------------

body_logger = logging.getLogger("wsgikit.request")
_READ_BLOCK = 64 * 1024


class RequestBodyError(HTTPBadRequest):
    """``400``: the request body could not be read — it is malformed (chunked framing), shorter than its
    ``Content-Length``, or the client went away while sending it. The client's fault, never a 500."""


def request_body_error(error: BaseException) -> RequestBodyError | None:
    """The ``400`` to answer for ``error``, raised while reading ``wsgi.input``, or None when the error is
    not the client's fault (see :func:`wsgikit.wsgi.is_client_read_error`) and must propagate.

    Logs one line on ``wsgikit.request`` (INFO, no traceback). HTTP exceptions raised by an inner
    ``wsgi.input`` wrapper (a ``413`` from the size limit, an earlier :class:`RequestBodyError`) are not
    read errors: None.

    .. code-block:: python

        try:
            data = environ["wsgi.input"].read(size)
        except Exception as error:
            answer = request_body_error(error)
            if answer is None:
                raise
            return answer(environ, start_response)
    """
    if isinstance(error, _w.HTTPException) or not is_client_read_error(error):
        return None
    reason = f"{type(error).__name__}: {error}"[:200]
    body_logger.info("request body unreadable (%r), answered 400", reason)
    return RequestBodyError("The request body could not be read: it is malformed or incomplete.")


class GuardedInput(InputLines):
    """A ``wsgi.input`` whose read failures that are the client's fault raise :class:`RequestBodyError`.

    :param stream: the server's input stream.
    :param length: ``CONTENT_LENGTH``, or None for a body that ends at EOF (``wsgi.input_terminated``).

    It never reads past ``length`` (PEP 3333), and a body that ends before ``length`` bytes arrived is a
    :class:`RequestBodyError` too, so a truncated upload is never mistaken for a complete one. Other
    attributes (``seek``, ``fileno``, ...) are the stream's.
    """

    __slots__ = ("_remaining", "_stream")

    def __init__(self, stream: Any, length: int | None) -> None:
        self._stream = stream
        self._remaining = length  # None: unknown, read until EOF

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._stream, name)

    def _allowance(self, size: int) -> int:
        """How many of the ``size`` bytes asked for the next read may ask the server for."""
        return size if self._remaining is None else min(size, self._remaining)

    def _line_allowance(self) -> int:
        """The size for a ``readline()`` without one (``-1``: the server's own line limit)."""
        return -1 if self._remaining is None else self._remaining

    def _account(self, data: bytes) -> bytes:
        """Count ``data``; an empty read before ``length`` bytes arrived is a :class:`RequestBodyError`."""
        if self._remaining is not None:
            self._remaining -= len(data)
            if not data and self._remaining > 0:
                raise self._ended_early()
        return data

    def _ended_early(self) -> BaseException:
        return self._failed(OSError(f"the body ended {self._remaining} bytes before its Content-Length"))

    def _failed(self, error: BaseException) -> BaseException:
        answer = request_body_error(error)
        return error if answer is None else answer

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            parts = []
            while data := self.read(_READ_BLOCK):
                parts.append(data)
            return b"".join(parts)
        allowance = self._allowance(size)
        if allowance <= 0:
            return b""
        try:
            data = self._stream.read(allowance)
            if self._remaining is not None:
                # a known length: a short read is a pause or the end; read on to tell them apart
                while 0 < len(data) < allowance and (more := self._stream.read(allowance - len(data))):
                    data += more
        except Exception as error:
            raise self._failed(error) from None
        if self._remaining is not None and len(data) < allowance:
            self._remaining -= len(data)
            raise self._ended_early()
        return self._account(data)

    def readline(self, size: int | None = -1) -> bytes:
        allowance = self._allowance(size) if size is not None and size >= 0 else self._line_allowance()
        if allowance == 0:
            return b""
        try:
            data = self._stream.readline(allowance) if allowance > 0 else self._stream.readline()
        except Exception as error:
            raise self._failed(error) from None
        return self._account(data)


def guard_input(environ: WSGIEnvironment) -> GuardedInput:
    """Install a :class:`GuardedInput` as ``environ["wsgi.input"]`` (once) and return it.

    The length is ``CONTENT_LENGTH``; without one, the body is empty unless the server set
    ``wsgi.input_terminated`` (PEP 3333). A malformed ``CONTENT_LENGTH`` reads as an empty body (the
    servers refuse such requests before they get here).
    """
    stream = environ["wsgi.input"]
    if isinstance(stream, GuardedInput):
        return stream
    raw = environ.get("CONTENT_LENGTH")
    length: int | None
    if raw:
        text = str(raw).strip()
        length = int(text) if text.isascii() and text.isdigit() else 0
    elif environ.get("wsgi.input_terminated"):
        length = None
    else:
        length = 0
    guarded = GuardedInput(stream, length)
    environ["wsgi.input"] = guarded
    return guarded


def error_response(
    code: int, detail: str | None = None, headers: list[tuple[str, str]] | None = None, **kwargs: Any
) -> WSGIHTTPException:
    """The exception instance for ``code`` (usable as a WSGI app, or to ``raise``).

    :raises KeyError: for a status code that has no class.
    """
    return status_map[code](detail=detail, headers=headers, **kwargs)


def as_wsgikit(error: _w.HTTPException) -> _w.HTTPException:
    """Give a plain :mod:`webob.exc` error (one raised by code that imports webob directly) the
    negotiated wsgikit body; exceptions with an explicit body, custom template or non-error status are
    returned unchanged."""
    if isinstance(error, WSGIHTTPException) or not isinstance(error, _w.WSGIHTTPException):
        return error
    if error.code < 400 or error.has_body or error.code not in status_map:
        return error
    if error.body_template_obj is not _w.WSGIHTTPException.body_template_obj:
        return error
    headers = [
        (name, value)
        for name, value in error.headerlist
        if name.lower() not in ("content-type", "content-length")
    ]
    return status_map[error.code](detail=error.detail, headers=headers, comment=error.comment)


__all__ = [name for name in list(globals()) if name.startswith("HTTP")] + [
    "FAULT_FORMATS",
    "FAULT_FORMAT_KEY",
    "OPENSTACK_FAULT_NAMES",
    "PROBLEM_JSON",
    "GuardedInput",
    "RequestBodyError",
    "WSGIHTTPException",
    "as_wsgikit",
    "error_response",
    "guard_input",
    "negotiate_error_type",
    "openstack_fault",
    "problem_document",
    "render_problem",
    "request_body_error",
    "safe_location",
    "status_map",
]
