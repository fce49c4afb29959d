"""WSGI plumbing
=============

The small pieces every wsgikit middleware is built from, written once so that nobody re-writes them:

* :class:`ClosingIterator` — wrap a response iterable and guarantee that the original ``close()`` runs
  exactly once, whether the body was consumed, abandoned early, or failed half-way;
* :class:`ResponseCapture` — a ``start_response`` stand-in that records status, headers, ``exc_info`` and
  anything passed to ``write()``;
* :class:`SendTracker` — a ``start_response`` that forwards straight to the server's (with or without
  ``exc_info``) and counts the body bytes handed to the server, for middleware that must know whether a
  response has started to go out;
* :class:`InputLines` — ``readlines()`` and line iteration for ``wsgi.input`` wrappers;
* :func:`is_client_read_error` — whether an exception raised by ``wsgi.input`` is the client's fault (a
  malformed chunked body, a body shorter than its ``Content-Length``, a client gone mid-upload);
* header helpers that treat header lists case-insensitively and refuse CR/LF in values;
* :func:`shift_path` — move a mount prefix from ``PATH_INFO`` onto ``SCRIPT_NAME``.

.. code-block:: python

    from wsgikit.wsgi import ClosingIterator

    def middleware(environ, start_response):
        body = app(environ, start_response)
        return ClosingIterator(body, callbacks=[lambda: log.info("done")])
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import cast

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

__all__ = [
    "ClosingIterator",
    "HeaderValueError",
    "InputLines",
    "ResponseCapture",
    "SendTracker",
    "add_header",
    "body_allowed",
    "call_app",
    "check_header_value",
    "close_iterable",
    "get_header",
    "has_header",
    "header_tokens",
    "is_client_read_error",
    "is_settled",
    "merge_header_tokens",
    "pop_path_segment",
    "remove_header",
    "set_header",
    "shift_path",
    "status_code",
]


# -- closing -------------------------------------------------------------------------------------------


def close_iterable(iterable: object) -> None:
    """Call ``iterable.close()`` if it has one (PEP 3333 requires servers and middleware to do so)."""
    close = getattr(iterable, "close", None)
    if close is not None:
        close()


def is_settled(iterable: object) -> bool:
    """True when iterating and closing ``iterable`` runs no application code: the body is a list or a
    tuple, or a wsgikit middleware's body over one (it says so with a ``settled_body`` attribute that is
    ``True``).

    A middleware that wraps a body only to act *while application code runs* -- catch what it raises,
    make a context variable current for its log records -- can hand a settled body to the server as it
    is: nothing it would catch or tag can happen. Middleware that must see the chunks (count them, log
    at the end, compress) still wraps, and marks its body settled when the body it wraps is, so that the
    layers outside it skip their wrappers too. Most API responses are one-chunk lists (what
    :func:`~wsgikit.wsgify` returns), so this saves each such layer a generator and an object per request.
    """
    kind = type(iterable)
    if kind is list or kind is tuple:
        return True
    return getattr(iterable, "settled_body", False) is True


class ClosingIterator:
    """A response iterable that closes the wrapped one exactly once.

    :param iterable: the inner application's response iterable.
    :param callbacks: called, in order, after the inner ``close()`` — even when it raised. Use them for
        "response finished" work such as access logging.

    ``close()`` is idempotent: calling it twice (a server and a middleware both closing) closes the inner
    iterable once. When the wrapper itself is never iterated, ``close()`` still closes the inner iterable.
    """

    __slots__ = ("_callbacks", "_closed", "_iterable")

    def __init__(
        self, iterable: WSGIIterable, callbacks: Iterable[Callable[[], object]] | None = None
    ) -> None:
        self._iterable = iterable
        self._callbacks = list(callbacks or ())
        self._closed = False

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._iterable)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            close_iterable(self._iterable)
        finally:
            callbacks, self._callbacks = self._callbacks, []
            errors: list[BaseException] = []
            for callback in callbacks:
                try:
                    callback()
                except Exception as error:  # run every callback, then report the first failure
                    errors.append(error)
            if errors:
                raise errors[0]

    @property
    def closed(self) -> bool:
        """True once :meth:`close` ran."""
        return self._closed


# -- start_response capture ------------------------------------------------------------------------------


class ResponseCapture:
    """A ``start_response`` that records what the application said, for middleware that must look at
    the status and headers before deciding what to send.

    ``write()`` data is collected in :attr:`written` (PEP 3333 requires it to be sent before the
    iterable's first chunk). Call :meth:`forward` to pass the (possibly edited) status and headers to
    the real ``start_response``.
    """

    __slots__ = ("exc_info", "headers", "status", "written")

    def __init__(self) -> None:
        self.status: str | None = None
        self.headers: Headers = []
        self.exc_info: OptExcInfo | None = None
        self.written: list[bytes] = []

    def __call__(self, status: str, headers: Headers, exc_info: OptExcInfo | None = None) -> WriteCallable:
        if exc_info is not None and exc_info[0] is not None:
            self.exc_info = exc_info
        elif self.status is not None:
            raise AssertionError("start_response called a second time without exc_info")
        self.status = status
        self.headers = list(headers)
        return self.written.append

    @property
    def started(self) -> bool:
        return self.status is not None

    @property
    def code(self) -> int:
        if self.status is None:
            raise RuntimeError("start_response was not called")
        return status_code(self.status)

    def forward(self, start_response: StartResponse) -> WriteCallable:
        """Send the recorded status and headers to ``start_response``."""
        if self.status is None:
            raise RuntimeError("start_response was not called")
        if self.exc_info is not None:
            return start_response(self.status, self.headers, self.exc_info)
        return start_response(self.status, self.headers)


def call_app(
    app: WSGIApplication, environ: WSGIEnvironment
) -> tuple[ResponseCapture, WSGIIterable, Iterator[bytes]]:
    """Call ``app`` and advance it until it has called ``start_response``.

    Generator apps call ``start_response`` lazily, on their first ``next()``; this helper pulls chunks
    until the status is known, keeping them, and returns ``(capture, iterable, chunks)`` where
    ``chunks`` yields the ``write()`` data, the pulled chunks and then the rest of the body. The caller
    owns ``iterable`` and must close it (wrap it in :class:`ClosingIterator`).
    """
    capture = ResponseCapture()
    iterable = app(environ, capture)
    iterator = iter(iterable)
    pulled: list[bytes] = []
    try:
        while capture.status is None:
            try:
                pulled.append(next(iterator))
            except StopIteration:
                break
        if capture.status is None:
            raise RuntimeError(f"{app!r} returned without calling start_response")
    except BaseException:
        close_iterable(iterable)
        raise

    def chunks() -> Iterator[bytes]:
        yield from capture.written
        capture.written.clear()
        yield from pulled
        for chunk in iterator:
            if capture.written:  # write() used after the first chunk (allowed, if rare)
                yield from capture.written
                capture.written.clear()
            yield chunk
        if capture.written:
            yield from capture.written
            capture.written.clear()

    return capture, iterable, chunks()


class SendTracker:
    """A ``start_response`` that forwards to the server's at once and tracks what went out.

    :param start_response: the server's ``start_response``.

    Pass :meth:`start_response` to the application. It calls the server's ``start_response`` with
    ``exc_info`` exactly when the application gave one, records the status, and returns :meth:`write`,
    which forwards to the server's ``write`` and counts the bytes. Body chunks the middleware hands to
    the server itself are counted with :meth:`count`. A count is taken when the bytes are *handed* to
    the server, before the server sends them: once anything is counted, a replacement response is no
    longer possible and an error must abort the response instead.

    Middleware whose per-request object is also the response iterable subclass it (the slots are
    ``server_start_response``, ``server_write``, ``status`` and ``bytes_sent``).
    """

    __slots__ = ("bytes_sent", "server_start_response", "server_write", "status")

    def __init__(self, start_response: StartResponse) -> None:
        self.server_start_response = start_response
        self.server_write: WriteCallable | None = None
        #: the status most recently passed to :meth:`start_response` (``None`` before the first call)
        self.status: str | None = None
        #: body bytes handed to the server so far, through :meth:`write` and :meth:`count`
        self.bytes_sent = 0

    def start_response(
        self, status: str, headers: Headers, exc_info: OptExcInfo | None = None
    ) -> WriteCallable:
        if exc_info is not None:
            self.server_write = self.server_start_response(status, headers, exc_info)
        else:
            self.server_write = self.server_start_response(status, headers)
        self.status = status
        return self.write

    def write(self, data: bytes) -> None:
        """The ``write()`` callable given to the application: count ``data``, then send it."""
        server_write = self.server_write
        if server_write is None:
            raise RuntimeError("write() called before start_response")
        self.bytes_sent += len(data)
        server_write(data)

    def count(self, chunk: bytes) -> bytes:
        """Count a body chunk the middleware is about to hand to the server; returns it."""
        self.bytes_sent += len(chunk)
        return chunk

    @property
    def sent(self) -> bool:
        """True once a non-empty body chunk was handed to the server."""
        return self.bytes_sent > 0

    def replace(self, error: BaseException) -> StartResponse:
        """A ``start_response`` for a response that replaces the application's because of ``error``.

        Once the application called ``start_response``, it passes ``(type(error), error,
        error.__traceback__)`` as ``exc_info``, so it may follow a ``start_response`` call whose headers
        the server has not sent yet (PEP 3333); if they were sent, the server re-raises ``error``. Before
        that, it is a first ``start_response`` and passes no ``exc_info``: uWSGI (2.0) logs an
        ``exc_info`` it is given and then fails the call with ``SystemError``, losing the answer.
        Status and ``write`` are tracked as usual.
        """
        if self.status is None:
            return self.start_response
        # an exception that was raised always has a traceback; one that was not may have None here,
        # which servers accept (they only re-raise it)
        exc_info = cast("ExcInfo", (type(error), error, error.__traceback__))

        def start_response(status: str, headers: Headers, _: OptExcInfo | None = None) -> WriteCallable:
            return self.start_response(status, headers, exc_info)

        return start_response


# -- status ------------------------------------------------------------------------------------------------


class InputLines:
    """Base for ``wsgi.input`` wrappers: ``readlines()`` and line iteration, built on the subclass's
    ``readline()``, so a wrapper that limits or replays the body only has to get ``read`` and
    ``readline`` right."""

    __slots__ = ()

    def readline(self, size: int | None = -1) -> bytes:
        raise NotImplementedError

    def readlines(self, hint: int | None = -1) -> list[bytes]:
        """Lines until EOF, or until their total length reaches a positive ``hint``."""
        lines: list[bytes] = []
        total = 0
        while line := self.readline():
            lines.append(line)
            total += len(line)
            if hint is not None and 0 < hint <= total:
                break
        return lines

    def __iter__(self) -> Iterator[bytes]:
        while line := self.readline():
            yield line


# The servers' own exception modules for request parsing failures raised from wsgi.input.read(): gunicorn's
# InvalidChunkSize, ChunkMissingTerminator, NoMoreData, InvalidHeader, ... (all in gunicorn.http.errors).
_SERVER_PARSE_ERROR_MODULES = ("gunicorn.http.",)


def is_client_read_error(error: BaseException) -> bool:
    """True when ``error``, raised while reading ``wsgi.input``, is the client's fault rather than a bug.

    Only meaningful for exceptions raised by the server's input stream (call it in an ``except`` around
    ``wsgi.input`` reads, nowhere else): every ``OSError`` — WebOb's ``DisconnectionError`` (fewer bytes
    than ``Content-Length``), uWSGI's ``OSError("error during read(...) on wsgi.input")``, socket
    timeouts and resets — and the request parsing errors of gunicorn (``InvalidChunkSize``,
    ``ChunkMissingTerminator``, ``NoMoreData``, ...). waitress reads the whole body before the application
    runs and answers malformed framing itself, so nothing of its reaches ``wsgi.input``.
    """
    if isinstance(error, OSError):
        return True
    module = type(error).__module__ or ""
    return module.startswith(_SERVER_PARSE_ERROR_MODULES)


def status_code(status: str) -> int:
    """``"404 Not Found"`` → ``404``."""
    return int(status[:3])


def body_allowed(code: int, method: str = "GET") -> bool:
    """False for responses that must not carry a body: HEAD, 1xx, 204 and 304."""
    return not (method == "HEAD" or code < 200 or code in (204, 304))


# -- headers -------------------------------------------------------------------------------------------------


class HeaderValueError(ValueError):
    """A header name or value that would split the response (CR/LF) or is not latin-1."""


def check_header_value(value: str, name: str = "header") -> str:
    """Return ``value`` unchanged, or raise :class:`HeaderValueError` if it holds CR, LF, NUL or a
    character outside latin-1 (PEP 3333 headers are native latin-1 strings)."""
    if "\r" in value or "\n" in value or "\0" in value:
        raise HeaderValueError(f"{name}: value contains CR, LF or NUL")
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        raise HeaderValueError(f"{name}: value is not latin-1") from None
    return value


def get_header(headers: Headers, name: str, default: str | None = None) -> str | None:
    """First value of header ``name`` (case-insensitive), or ``default``."""
    lname = name.lower()
    for key, value in headers:
        if key.lower() == lname:
            return value
    return default


def has_header(headers: Headers, name: str) -> bool:
    lname = name.lower()
    return any(key.lower() == lname for key, _ in headers)


def remove_header(headers: Headers, name: str) -> list[str]:
    """Remove every ``name`` header in place; return the removed values."""
    lname = name.lower()
    removed = [value for key, value in headers if key.lower() == lname]
    if removed:
        headers[:] = [(key, value) for key, value in headers if key.lower() != lname]
    return removed


def set_header(headers: Headers, name: str, value: str) -> None:
    """Replace every ``name`` header with one ``name: value`` (value checked for CR/LF)."""
    check_header_value(value, name)
    remove_header(headers, name)
    headers.append((name, value))


def add_header(headers: Headers, name: str, value: str) -> None:
    """Append ``name: value`` (value checked for CR/LF), keeping existing ones."""
    check_header_value(value, name)
    headers.append((name, value))


def header_tokens(headers: Headers, name: str) -> list[str]:
    """The comma-separated tokens of every ``name`` header, stripped, empty ones dropped."""
    lname = name.lower()
    tokens: list[str] = []
    for key, value in headers:
        if key.lower() == lname:
            tokens.extend(token.strip() for token in value.split(",") if token.strip())
    return tokens


def merge_header_tokens(headers: Headers, name: str, *tokens: str) -> None:
    """Merge ``tokens`` into a comma-list header such as ``Vary``, case-insensitively and without
    duplicates; ``Vary: *`` is left alone."""
    existing = header_tokens(headers, name)
    if "*" in existing:
        return
    seen = {token.lower() for token in existing}
    merged = list(existing)
    for token in tokens:
        if token.lower() not in seen:
            seen.add(token.lower())
            merged.append(token)
    if merged != existing or not has_header(headers, name):
        set_header(headers, name, ", ".join(merged))


# -- paths ---------------------------------------------------------------------------------------------------


def shift_path(environ: WSGIEnvironment, prefix: str) -> None:
    """Move ``prefix`` (which must start ``PATH_INFO`` at a segment boundary) onto ``SCRIPT_NAME``.

    ``shift_path(environ, "/v2.1")`` turns ``SCRIPT_NAME="" PATH_INFO="/v2.1/servers"`` into
    ``SCRIPT_NAME="/v2.1" PATH_INFO="/servers"``. A trailing slash on ``prefix`` is ignored.
    """
    prefix = prefix.rstrip("/")
    if not prefix:
        return
    path_info: str = environ.get("PATH_INFO", "")
    if not (path_info == prefix or path_info.startswith(prefix + "/")):
        raise ValueError(f"PATH_INFO {path_info!r} does not start with {prefix!r}")
    environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + prefix
    environ["PATH_INFO"] = path_info[len(prefix) :]


def pop_path_segment(environ: WSGIEnvironment) -> str | None:
    """Move the first segment of ``PATH_INFO`` onto ``SCRIPT_NAME`` and return it (``None`` when
    ``PATH_INFO`` is empty). Repeated slashes are kept on ``SCRIPT_NAME`` as they came."""
    path_info: str = environ.get("PATH_INFO", "")
    if not path_info:
        return None
    stripped = path_info.lstrip("/")
    leading = path_info[: len(path_info) - len(stripped)]
    segment, slash, rest = stripped.partition("/")
    environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + leading + segment
    environ["PATH_INFO"] = slash + rest
    return segment
