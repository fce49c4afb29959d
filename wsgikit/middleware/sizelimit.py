"""Request size limit
==================

Refuse request bodies larger than ``max_body_size`` with ``413 Content Too Large``.

* A ``Content-Length`` above the limit is refused before the application runs and before a byte of the
  body is read; a malformed ``Content-Length`` gets ``400``.
* A body of unknown length (chunked, on servers that set ``wsgi.input_terminated``) is counted while the
  application reads it; the read that crosses the limit raises :class:`BodyTooLarge`, itself a
  ``413`` HTTP exception, which this middleware answers — or, when the application had already started
  its response, lets propagate as a clean error rather than a half-read body.
* ``wsgi.input`` is wrapped so that neither this middleware nor the application ever reads past
  ``CONTENT_LENGTH`` (a missing length means an empty body unless the server set
  ``wsgi.input_terminated``), whichever of ``read()``, ``read(n)``, ``readline()``, ``readlines()`` or
  iteration is used. Unlike oslo's ``LimitingReader``, ``read()`` without a size does not read the whole
  body before checking.

.. code-block:: ini

    [filter:sizelimit]
    use = egg:wsgikit#sizelimit
    max_body_size = 10MB
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from wsgikit.exc import HTTPBadRequest, HTTPRequestEntityTooLarge
from wsgikit.middleware._body import TransformedBody
from wsgikit.types import StartResponse, WSGIApplication, WSGIEnvironment, WSGIIterable
from wsgikit.wsgi import InputLines, SendTracker

__all__ = ["DEFAULT_MAX_BODY_SIZE", "BodyTooLarge", "LimitedInput", "SizeLimitMiddleware"]

DEFAULT_MAX_BODY_SIZE = 1024 * 1024
_BLOCK = 64 * 1024


class BodyTooLarge(HTTPRequestEntityTooLarge):
    """Raised by :class:`LimitedInput` when a body of unknown length crosses the limit. It is a ``413``
    HTTP exception, so ``wsgify`` applications and the error catcher answer it as such too."""


class LimitedInput(InputLines):
    """A ``wsgi.input`` that reads at most ``length`` bytes (when the length is known) and at most
    ``limit`` bytes in total, raising :class:`BodyTooLarge` past the limit.

    :param stream: the server's input stream.
    :param length: ``CONTENT_LENGTH``, or ``None`` for a body that ends at EOF (``wsgi.input_terminated``).
    :param limit: the largest body accepted.
    """

    __slots__ = ("_remaining", "_stream", "limit", "read_bytes")

    def __init__(self, stream: Any, length: int | None, limit: int) -> None:
        self._stream = stream
        self._remaining = length  # None: unknown, read until EOF
        self.limit = limit
        self.read_bytes = 0

    def _allowance(self, size: int | None) -> int:
        """How many bytes the next read may ask the server for."""
        if size is None or size < 0:
            size = _BLOCK
        if self._remaining is not None:
            return min(size, self._remaining)
        # one byte past the limit is enough to tell "exactly at the limit" from "over it"
        return min(size, self.limit - self.read_bytes + 1)

    def _account(self, data: bytes) -> bytes:
        self.read_bytes += len(data)
        if self._remaining is not None:
            self._remaining -= len(data)
        if self.read_bytes > self.limit:
            raise BodyTooLarge(f"The request body is larger than {self.limit} bytes.")
        return data

    def read(self, size: int | None = -1) -> bytes:
        if size is not None and size >= 0:
            allowance = self._allowance(size)
            return self._account(self._stream.read(allowance)) if allowance > 0 else b""
        parts = []
        while True:
            allowance = self._allowance(None)
            if allowance <= 0:
                break
            data = self._account(self._stream.read(allowance))
            if not data:
                break
            parts.append(data)
        return b"".join(parts)

    def readline(self, size: int | None = -1) -> bytes:
        allowance = self._allowance(size if size is not None and size >= 0 else self.limit + 1)
        return self._account(self._stream.readline(allowance)) if allowance > 0 else b""


class SizeLimitMiddleware:
    """Refuse request bodies over ``max_body_size`` bytes.

    :param app: the WSGI application to wrap.
    :param max_body_size: the largest request body accepted, in bytes (default 1 MiB).
    """

    def __init__(self, app: WSGIApplication, *, max_body_size: int = DEFAULT_MAX_BODY_SIZE) -> None:
        if isinstance(max_body_size, bool) or not isinstance(max_body_size, int) or max_body_size < 0:
            raise ValueError(f"max_body_size: expected a non-negative number of bytes, got {max_body_size!r}")
        self.app = app
        self.max_body_size = max_body_size

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
        raw = environ.get("CONTENT_LENGTH")
        length: int | None
        if raw:
            text = str(raw).strip()
            if not (text.isascii() and text.isdigit()):
                error: Any = HTTPBadRequest("The Content-Length header is not a valid length.")
                return error(environ, start_response)  # type: ignore[no-any-return]
            length = int(text)
            if length > self.max_body_size:
                return self.too_large(environ, start_response)
        elif environ.get("wsgi.input_terminated"):
            length = None
        else:
            length = 0  # PEP 3333: no CONTENT_LENGTH and no input_terminated means no body
        environ["wsgi.input"] = LimitedInput(environ["wsgi.input"], length, self.max_body_size)
        # the wrapper cannot seek: WebOb must not believe an earlier layer's claim that the body can
        environ.pop("webob.is_body_seekable", None)
        if length is not None:
            return self.app(environ, start_response)  # the length check was all there is to do
        return self._counted(environ, start_response)

    def too_large(self, environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
        error = BodyTooLarge(f"The request body is larger than {self.max_body_size} bytes.")
        return error(environ, start_response)

    def _counted(self, environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
        """Run the app over a body of unknown length; answer :class:`BodyTooLarge` when nothing was sent."""
        state = SendTracker(start_response)
        try:
            iterable = self.app(environ, state.start_response)
        except BodyTooLarge as error:
            if state.sent:
                raise
            return error(environ, state.replace(error))
        if type(iterable) is list or type(iterable) is tuple:
            return iterable
        return TransformedBody(iterable, self._chunks(environ, state, iterable))

    def _chunks(
        self, environ: WSGIEnvironment, state: SendTracker, iterable: WSGIIterable
    ) -> Iterator[bytes]:
        try:
            for chunk in iterable:
                state.bytes_sent += len(chunk)
                yield chunk
            return
        except BodyTooLarge as too_large:
            if state.sent:
                raise
            error = too_large
        yield from error(environ, state.replace(error))
