"""Cascade
=======

Try several applications in order; the first answer whose status is not in ``catch`` (404 by default)
wins. Typical use: static files first, the application behind them.

Unlike Paste's ``Cascade``, an abandoned response is closed without being read, and the request body is
not copied up front: what an application reads is kept (in memory, spilling to a temporary file past
1 MiB) only so that the next application can read it again, and a request without a body is passed
through untouched.

.. code-block:: python

    app = Cascade([static_files, api], catch=(404, 405))
"""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Callable, Iterable
from typing import IO

import webob.exc

from wsgikit.types import StartResponse, WSGIApplication, WSGIEnvironment, WSGIIterable
from wsgikit.wsgi import ClosingIterator, InputLines, call_app, close_iterable

__all__ = ["Cascade", "ReplayInput"]

_SPOOL_IN_MEMORY = 1024 * 1024


class _Recorder:
    """The shared tape: the original input and everything read from it so far."""

    def __init__(self, stream: IO[bytes], length: int | None) -> None:
        self.stream = stream
        self.remaining = length  # None: read until the stream ends (wsgi.input_terminated)
        # Closed by the cascade when the response is closed (not a `with`: it outlives this call).
        self.tape: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)  # noqa: SIM115
        self.size = 0

    def fetch(self, size: int) -> bytes:
        """Read up to ``size`` new bytes from the original stream (``-1``: all of it) and record them."""
        if self.remaining is not None:
            size = self.remaining if size < 0 else min(size, self.remaining)
            if size <= 0:
                return b""
        chunks: list[bytes] = []
        if size < 0:
            while chunk := self.stream.read(65536):
                chunks.append(chunk)
        else:
            chunk = self.stream.read(size)
            if chunk:
                chunks.append(chunk)
        data = b"".join(chunks)
        if self.remaining is not None:
            self.remaining -= len(data)
        self.tape.seek(self.size)
        self.tape.write(data)
        self.size += len(data)
        return data

    def replay(self, offset: int, size: int) -> bytes:
        self.tape.seek(offset)
        return self.tape.read(size if size >= 0 else self.size - offset)


class ReplayInput(InputLines):
    """A ``wsgi.input`` for one attempt: first what earlier attempts read, then the rest of the body."""

    def __init__(self, recorder: _Recorder) -> None:
        self._recorder = recorder
        self._offset = 0

    def read(self, size: int | None = -1) -> bytes:
        size = -1 if size is None else size
        recorder = self._recorder
        data = b""
        if self._offset < recorder.size:
            data = recorder.replay(self._offset, size)
            self._offset += len(data)
            if size >= 0:
                size -= len(data)
                if size == 0:
                    return data
        more = recorder.fetch(size)
        self._offset += len(more)
        return data + more

    def readline(self, size: int | None = -1) -> bytes:
        limit = -1 if size is None else size
        line = bytearray()
        while limit < 0 or len(line) < limit:
            byte = self.read(1)
            if not byte:
                break
            line += byte
            if byte == b"\n":
                break
        return bytes(line)


class Cascade:
    """Try each application in turn until one answers with a status outside ``catch``.

    :param apps: the applications, in order; the last one's answer is final, whatever it is.
    :param catch: status codes that mean "try the next one". A ``webob.exc.HTTPException`` with one of
        these codes raised by an application counts too.
    """

    def __init__(self, apps: Iterable[WSGIApplication], *, catch: Iterable[int] = (404,)) -> None:
        self.apps = list(apps)
        if not self.apps:
            raise ValueError("apps: a cascade needs at least one application")
        self.catch = frozenset(int(code) for code in catch)
        if any(not 100 <= code <= 599 for code in self.catch):
            raise ValueError(f"catch: status codes must be 100..599, got {sorted(self.catch)}")

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
        recorder = _recorder_for(environ) if len(self.apps) > 1 else None
        for app in self.apps[:-1]:
            attempt = dict(environ)
            if recorder is not None:
                attempt["wsgi.input"] = ReplayInput(recorder)
            try:
                capture, iterable, chunks = call_app(app, attempt)
            except webob.exc.HTTPException as error:
                if getattr(error, "code", None) in self.catch:
                    continue
                raise
            if capture.code in self.catch:
                close_iterable(iterable)  # abandoned: closed, never read
                continue
            environ.update(attempt)
            capture.forward(start_response)
            callbacks: list[Callable[[], object]] = [functools.partial(close_iterable, iterable)]
            if recorder is not None:
                callbacks.append(recorder.tape.close)
            return ClosingIterator(chunks, callbacks=callbacks)
        if recorder is None:
            return self.apps[-1](environ, start_response)
        environ["wsgi.input"] = ReplayInput(recorder)
        try:
            result = self.apps[-1](environ, start_response)
        except BaseException:
            recorder.tape.close()
            raise
        return ClosingIterator(result, callbacks=[recorder.tape.close])


def _recorder_for(environ: WSGIEnvironment) -> _Recorder | None:
    """A tape for the request body, or ``None`` when there is no body to replay."""
    raw_length = environ.get("CONTENT_LENGTH") or ""
    try:
        length = int(raw_length) if raw_length.strip() else None
    except ValueError:
        length = None
    if length is not None:
        return _Recorder(environ["wsgi.input"], length) if length > 0 else None
    if environ.get("wsgi.input_terminated") or "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        return _Recorder(environ["wsgi.input"], None)
    return None
