"""Request ID
==========

Tag each request with an id — ``req-<uuid4>``, or the caller's own ``X-Request-ID`` when it is a sane
token — and make it visible everywhere: ``environ["wsgikit.request_id"]`` for the application, the
``X-Request-ID`` header on every response (error responses from inner layers included), and a
``request_id`` attribute on every log record emitted while the request is handled, through
:class:`RequestIdFilter` and a :mod:`contextvars` variable (correct under threads and across a streamed
body).

An inbound id is accepted only if it matches ``[A-Za-z0-9._-]{1,128}``; anything else (CR/LF, quotes,
non-ASCII, 10 KB values) is replaced by a fresh id and never logged.

.. code-block:: python

    import logging
    from wsgikit.middleware.request_id import RequestIdFilter, RequestIdMiddleware

    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(logging.Formatter("%(request_id)s %(levelname)s %(message)s"))
    logging.getLogger().addHandler(handler)

    app = RequestIdMiddleware(app, compat_headers=["X-Openstack-Request-Id"])
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Iterator
from contextvars import ContextVar

from wsgikit.exc import REQUEST_ID_KEY
from wsgikit.middleware._body import TransformedBody
from wsgikit.options import Option, OptionTable, to_bool, to_list, to_str
from wsgikit.types import (
    Headers,
    OptExcInfo,
    StartResponse,
    WriteCallable,
    WSGIApplication,
    WSGIEnvironment,
    WSGIIterable,
)
from wsgikit.wsgi import is_settled

__all__ = [
    "ENVIRON_KEY",
    "RequestIdFilter",
    "RequestIdMiddleware",
    "current_request_id",
    "new_request_id",
]

ENVIRON_KEY = REQUEST_ID_KEY  # the key wsgikit.exc puts in error bodies, defined there once
ID_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,128}")
"""Inbound ids must match this pattern entirely to be kept."""

_current: ContextVar[str | None] = ContextVar("wsgikit.request_id", default=None)


# RFC 4122 variant bits over the random nibble of byte 8: 10xx, i.e. 8, 9, a or b.
_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}

IDS_PER_DRAW = 128
"""Request ids made from one ``os.urandom()`` call: a system call per request is a measurable share of a
small request under a real server (each one costs the worker far more than its own work)."""


def _draw() -> Iterator[str]:
    digits = os.urandom(16 * IDS_PER_DRAW).hex()
    return iter(
        [
            f"req-{digits[i : i + 8]}-{digits[i + 8 : i + 12]}-4{digits[i + 13 : i + 16]}-"
            f"{_VARIANT[digits[i + 16]]}{digits[i + 17 : i + 20]}-{digits[i + 20 : i + 32]}"
            for i in range(0, 32 * IDS_PER_DRAW, 32)
        ]
    )


_ids: Iterator[str] = iter(())


def _forget_ids() -> None:
    """In a forked child: the parent's unused ids are the parent's (a worker must never repeat them)."""
    global _ids
    _ids = iter(())


os.register_at_fork(after_in_child=_forget_ids)


def new_request_id() -> str:
    """A fresh ``req-<uuid4>`` id.

    Written from 16 random bytes as :func:`uuid.uuid4` makes them (version nibble 4, variant 10xx), without
    building a :class:`uuid.UUID`; the bytes of :data:`IDS_PER_DRAW` ids come from one ``os.urandom()``
    call. Taking an id is one step of a list iterator, which the GIL makes atomic, so two threads never get
    the same one; a forked child starts with none of its parent's.
    """
    global _ids
    request_id = next(_ids, None)
    if request_id is None:
        _ids = _draw()
        request_id = next(_ids)
    return request_id


def current_request_id() -> str | None:
    """The id of the request being handled in this context, if any."""
    return _current.get()


class RequestIdFilter(logging.Filter):
    """A logging filter that gives every record a ``request_id`` attribute (``"-"`` outside a request),
    so formats can use ``%(request_id)s``. Attach it to handlers (or loggers); it never drops a record.

    A record that already carries ``request_id`` (passed through ``extra=``) keeps it.
    """

    # Held by the class: a record logged while the interpreter shuts down (a pool's __del__ warning) finds
    # this module's globals already cleared.
    _lookup = _current.get

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = self._lookup() or "-"
        return True


def _header_name(name: object) -> None:
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9-]+", name):
        raise ValueError(f"not a header name: {name!r}")


def _header_names(names: Iterable[object]) -> None:
    for name in names:
        _header_name(name)


def _header_key(name: str) -> str:
    return "HTTP_" + name.upper().replace("-", "_")


class RequestIdMiddleware:
    """Attach a request id to the environ, the response headers and the log records.

    :param app: the WSGI application to wrap.
    :param header: the header that carries the id in both directions (default ``X-Request-ID``).
    :param compat_headers: extra headers accepted inbound (after ``header``) and echoed outbound, such as
        OpenStack's ``X-Openstack-Request-Id`` or nova's ``X-Compute-Request-Id``.
    :param trust_inbound: keep a valid inbound id (default); set to false to always generate one.
    """

    OPTIONS = OptionTable(
        "request_id",
        Option(
            "header",
            to_str.checked(_header_name),
            "X-Request-ID",
            "header that carries the id in both directions",
        ),
        Option(
            "compat_headers",
            to_list.checked(_header_names),
            (),
            "extra headers accepted inbound and echoed outbound",
        ),
        Option(
            "trust_inbound",
            to_bool,
            True,
            "keep a valid inbound id (false: a fresh id for every request, e.g. at the edge)",
        ),
    )

    def __init__(
        self,
        app: WSGIApplication,
        *,
        header: str = OPTIONS.default("header"),
        compat_headers: Iterable[str] = OPTIONS.default("compat_headers"),
        trust_inbound: bool = OPTIONS.default("trust_inbound"),
    ) -> None:
        self.OPTIONS.validate(header=header, compat_headers=compat_headers, trust_inbound=trust_inbound)
        names = [header, *compat_headers]
        self.app = app
        self.header = header
        self.compat_headers = tuple(compat_headers)
        self.trust_inbound = trust_inbound
        self._names = tuple(dict.fromkeys(names, None))  # outbound, duplicates dropped
        self._lower = frozenset(name.lower() for name in self._names)
        self._keys = tuple(_header_key(name) for name in self._names)

    def request_id(self, environ: WSGIEnvironment) -> str:
        """The inbound id when it is acceptable, else a new one."""
        if self.trust_inbound:
            for key in self._keys:
                value = environ.get(key)
                if value and ID_PATTERN.fullmatch(value):
                    return str(value)
        return new_request_id()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
        request_id = self.request_id(environ)
        environ[ENVIRON_KEY] = request_id
        names, lower = self._names, self._lower

        def tagged_start_response(
            status: str, headers: Headers, exc_info: OptExcInfo | None = None
        ) -> WriteCallable:
            headers = list(headers)  # a new list: the application's stays as it gave it
            for name, _ in headers:
                if name.lower() in lower:  # the application set one of ours: ours replaces it
                    headers = [header for header in headers if header[0].lower() not in lower]
                    break
            for name in names:
                headers.append((name, request_id))
            if exc_info is not None:
                return start_response(status, headers, exc_info)
            return start_response(status, headers)

        token = _current.set(request_id)
        try:
            iterable = self.app(environ, tagged_start_response)
        finally:
            _current.reset(token)
        if is_settled(iterable):
            return iterable  # no application code runs while it is iterated and closed: nothing to tag
        return _TaggedBody(iterable, request_id)


class _TaggedBody(TransformedBody):
    """The response body, iterated and closed with the request id current."""

    __slots__ = ("_request_id",)

    def __init__(self, iterable: WSGIIterable, request_id: str) -> None:
        super().__init__(iterable, _in_context(iterable, request_id))
        self._request_id = request_id

    def close(self) -> None:
        token = _current.set(self._request_id)
        try:
            super().close()
        finally:
            _current.reset(token)


def _in_context(iterable: WSGIIterable, request_id: str) -> Iterator[bytes]:
    """Iterate ``iterable`` with the request id current during each step, so that log records from a
    generator app (or from middleware inside this one) carry it. The id is reset between steps: the
    server thread may serve another request in the meantime."""
    iterator: Iterator[bytes] | None = None
    while True:
        token = _current.set(request_id)
        try:
            if iterator is None:
                iterator = iter(iterable)
            chunk = next(iterator)
        except StopIteration:
            return
        finally:
            _current.reset(token)
        yield chunk
