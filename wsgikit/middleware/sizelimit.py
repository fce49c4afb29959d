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

from wsgikit.exc import GuardedInput, HTTPBadRequest, HTTPRequestEntityTooLarge, RequestBodyError
from wsgikit.middleware._body import TransformedBody
from wsgikit.options import Option, OptionTable, to_size
from wsgikit.types import StartResponse, WSGIApplication, WSGIEnvironment, WSGIIterable
from wsgikit.wsgi import SendTracker, is_settled

__all__ = ["DEFAULT_MAX_BODY_SIZE", "BodyTooLarge", "LimitedInput", "SizeLimitMiddleware"]

DEFAULT_MAX_BODY_SIZE = 1024 * 1024


class BodyTooLarge(HTTPRequestEntityTooLarge):
    """Raised by :class:`LimitedInput` when a body of unknown length crosses the limit. It is a ``413``
    HTTP exception, so ``wsgify`` applications and the error catcher answer it as such too."""


class LimitedInput(GuardedInput):
    """A ``wsgi.input`` that reads at most ``length`` bytes (when the length is known) and at most
    ``limit`` bytes in total, raising :class:`BodyTooLarge` past the limit — and, as every
    :class:`~wsgikit.exc.GuardedInput`, :class:`~wsgikit.exc.RequestBodyError` for a body that is
    malformed or ends early.

    :param stream: the server's input stream.
    :param length: ``CONTENT_LENGTH``, or ``None`` for a body that ends at EOF (``wsgi.input_terminated``).
    :param limit: the largest body accepted.
    """

    __slots__ = ("limit", "read_bytes")

    def __init__(self, stream: Any, length: int | None, limit: int) -> None:
        super().__init__(stream, length)
        self.limit = limit
        self.read_bytes = 0

    def _allowance(self, size: int) -> int:
        # one byte past the limit is enough to tell "exactly at the limit" from "over it"
        return min(super()._allowance(size), self.limit - self.read_bytes + 1)

    def _line_allowance(self) -> int:
        return self._allowance(self.limit + 1)

    def _account(self, data: bytes) -> bytes:
        super()._account(data)
        self.read_bytes += len(data)
        if self.read_bytes > self.limit:
            raise BodyTooLarge(f"The request body is larger than {self.limit} bytes.")
        return data


_BODY_ERRORS = (BodyTooLarge, RequestBodyError)


class SizeLimitMiddleware:
    """Refuse request bodies over ``max_body_size`` bytes.

    :param app: the WSGI application to wrap.
    :param max_body_size: the largest request body accepted, in bytes (default 1 MiB).
    """

    OPTIONS = OptionTable(
        "sizelimit",
        Option(
            "max_body_size",
            to_size,
            DEFAULT_MAX_BODY_SIZE,
            "largest request body accepted (10MB, 1MiB, ...)",
        ),
    )

    def __init__(
        self, app: WSGIApplication, *, max_body_size: int = OPTIONS.default("max_body_size")
    ) -> None:
        self.OPTIONS.validate(max_body_size=max_body_size)
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
        if length == 0 or (length is None and "HTTP_TRANSFER_ENCODING" not in environ):
            # No body, so nothing can go wrong reading it: a request with neither Content-Length nor
            # Transfer-Encoding has none (RFC 9112, 6.3), whatever wsgi.input_terminated says. The
            # input stays limited all the same.
            return self.app(environ, start_response)
        return self._counted(environ, start_response)

    def too_large(self, environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
        error = BodyTooLarge(f"The request body is larger than {self.max_body_size} bytes.")
        return error(environ, start_response)

    def _counted(self, environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
        """Run the app over a body; answer :class:`BodyTooLarge` and :class:`~wsgikit.exc.RequestBodyError`
        (raised by the input wrapper) when nothing was sent yet."""
        state = SendTracker(start_response)
        try:
            iterable = self.app(environ, state.start_response)
        except _BODY_ERRORS as error:
            if state.sent:
                raise
            return error(environ, state.replace(error))
        if is_settled(iterable):
            return iterable  # nothing reads the body while it is iterated
        return TransformedBody(iterable, self._chunks(environ, state, iterable))

    def _chunks(
        self, environ: WSGIEnvironment, state: SendTracker, iterable: WSGIIterable
    ) -> Iterator[bytes]:
        try:
            for chunk in iterable:
                state.bytes_sent += len(chunk)
                yield chunk
            return
        except _BODY_ERRORS as body_error:
            if state.sent:
                raise
            error = body_error
        yield from error(environ, state.replace(error))
