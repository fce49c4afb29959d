"""Access log
==========

One log line per request, written when the response has finished (the server called ``close()``), with
the status the client got and the body bytes actually sent — aborted and failed responses included — plus
the latency and the request id. Two formats:

``combined``
    Apache's combined format followed by the latency in seconds and the request id::

        127.0.0.1 - alice [22/Nov/2026:10:05:00 +0000] "GET /servers?limit=2 HTTP/1.1" 200 512 "-"
        "curl/8.5" 0.001234 req-6f1c9e2a-…

    (one line; wrapped here)

``json``
    One JSON object per line: ``time``, ``remote_addr``, ``user``, ``method``, ``path``, ``query``,
    ``protocol``, ``status``, ``bytes``, ``referer``, ``user_agent``, ``duration``, ``request_id`` and
    ``aborted``.

Client-supplied values are escaped (``"``, ``\\``, control and non-ASCII bytes become ``\\xHH``; the path
is percent-encoded), so a request cannot forge log lines. Unlike Paste's ``TransLogger`` this logs at
the end of the response rather than at ``start_response``, accepts ``level = INFO``, and trusts no
``X-Forwarded-For`` (put :mod:`~wsgikit.middleware.proxy_fix` inside it for that).

.. code-block:: ini

    [filter:access_log]
    use = egg:wsgikit#access_log
    format = json
    level = INFO
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

from wsgikit.middleware._logline import PLAIN_TOKENS, apache_time, escape, quote_path
from wsgikit.types import (
    Headers,
    OptExcInfo,
    StartResponse,
    WriteCallable,
    WSGIApplication,
    WSGIEnvironment,
    WSGIIterable,
)
from wsgikit.wsgi import close_iterable

__all__ = ["FORMATS", "AccessLogMiddleware"]

FORMATS = ("combined", "json")
_REQUEST_ID_KEY = "wsgikit.request_id"

_START: float = getattr(logging, "_startTime", time.time())
_new_record = object.__new__


class AccessLogMiddleware:
    """Log every request when its response finishes.

    :param app: the WSGI application to wrap.
    :param format: ``"combined"`` (Apache combined + latency + request id) or ``"json"`` (JSON lines).
    :param logger_name: the logger the lines go to (default ``wsgikit.access``).
    :param level: the level of each line: a number or a name such as ``"INFO"`` (default ``INFO``).
    """

    def __init__(
        self,
        app: WSGIApplication,
        *,
        format: str = "combined",
        logger_name: str = "wsgikit.access",
        level: int | str = logging.INFO,
    ) -> None:
        if format not in FORMATS:
            raise ValueError(f"format: expected one of {', '.join(FORMATS)}, got {format!r}")
        if not isinstance(logger_name, str) or not logger_name:
            raise ValueError(f"logger_name: expected a logger name, got {logger_name!r}")
        if isinstance(level, str):
            resolved = logging.getLevelNamesMapping().get(level.strip().upper())
            if resolved is None:
                raise ValueError(f"level: expected a logging level such as INFO, got {level!r}")
            level = resolved
        if isinstance(level, bool) or not isinstance(level, int) or level < 0:
            raise ValueError(f"level: expected a logging level, got {level!r}")
        self.app = app
        self.format = format
        self.logger = logging.getLogger(logger_name)
        self.level = level
        self._render = self.combined_line if format == "combined" else self.json_line
        self._template: dict[str, Any] | None = None

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
        if not self.logger.isEnabledFor(self.level):
            return self.app(environ, start_response)
        body = _LoggedBody(self, environ, start_response)
        try:
            body.iterable = self.app(environ, body.start_response)
        except BaseException:
            body.failed = True
            body.finish()
            raise
        return body

    def emit(
        self, environ: WSGIEnvironment, status: str | None, sent: int, duration: float, *, aborted: bool
    ) -> None:
        """Write one line for a finished response."""
        message = self._render(environ, status, sent, duration, aborted)
        request_id = environ.get(_REQUEST_ID_KEY)
        self.logger.handle(self.make_record(message, request_id))

    def make_record(self, message: str, request_id: str | None) -> logging.LogRecord:
        """The record for one access line.

        An access line's caller is always this module, so there is nothing for ``findCaller()`` to find;
        with the default record factory the record is filled from a template made once, which costs a
        fraction of ``LogRecord.__init__`` (this runs once per request).
        """
        logger = self.logger
        if logging.getLogRecordFactory() is not logging.LogRecord:
            extra = {"request_id": request_id} if request_id else None
            return logger.makeRecord(logger.name, self.level, __file__, 0, message, (), None, extra=extra)
        template = self._template
        if template is None:
            template = self._template = dict(
                logging.LogRecord(logger.name, self.level, __file__, 0, "", (), None).__dict__
            )
        record: logging.LogRecord = _new_record(logging.LogRecord)
        fields = record.__dict__
        fields.update(template)
        now = time.time()
        fields["msg"] = message
        fields["created"] = now
        fields["msecs"] = (now - int(now)) * 1000
        fields["relativeCreated"] = (now - _START) * 1000
        if template["thread"] is not None:
            fields["thread"] = threading.get_ident()
            fields["threadName"] = threading.current_thread().name
        if request_id:
            fields["request_id"] = request_id
        return record

    def combined_line(
        self, environ: WSGIEnvironment, status: str | None, sent: int, duration: float, aborted: bool
    ) -> str:
        get = environ.get
        method = get("REQUEST_METHOD", "-")
        protocol = get("SERVER_PROTOCOL", "-")
        query = get("QUERY_STRING")
        path = quote_path(get("SCRIPT_NAME", "") + get("PATH_INFO", ""))
        referer = get("HTTP_REFERER")
        agent = get("HTTP_USER_AGENT")
        user = get("REMOTE_USER")
        return (
            f"{get('REMOTE_ADDR') or '-'} - {escape(user) if user else '-'} "
            f'[{apache_time(time.time())}] "{method if method in PLAIN_TOKENS else escape(method)} '
            f"{path}{'?' + escape(query) if query else ''} "
            f'{protocol if protocol in PLAIN_TOKENS else escape(protocol)}" '
            f"{status[:3] if status else '-'} {sent or '-'} "
            f'"{escape(referer) if referer else "-"}" "{escape(agent) if agent else "-"}" '
            f"{duration:.6f} {get(_REQUEST_ID_KEY) or '-'}"
        )

    def json_line(
        self, environ: WSGIEnvironment, status: str | None, sent: int, duration: float, aborted: bool
    ) -> str:
        document: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "remote_addr": environ.get("REMOTE_ADDR"),
            "user": environ.get("REMOTE_USER"),
            "method": environ.get("REQUEST_METHOD"),
            "path": quote_path(environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")),
            "query": environ.get("QUERY_STRING") or None,
            "protocol": environ.get("SERVER_PROTOCOL"),
            "status": int(status[:3]) if status else None,
            "bytes": sent,
            "referer": environ.get("HTTP_REFERER"),
            "user_agent": environ.get("HTTP_USER_AGENT"),
            "duration": round(duration, 6),
            "request_id": environ.get(_REQUEST_ID_KEY),
            "aborted": aborted,
        }
        # Header values are latin-1 decoded bytes; ensure_ascii keeps the line 7-bit clean.
        return json.dumps(document, separators=(",", ":"))


class _LoggedBody:
    """One request's response body: counts the bytes handed to the server and logs on ``close()``."""

    __slots__ = (
        "_closed",
        "_middleware",
        "_server_start_response",
        "_server_write",
        "complete",
        "environ",
        "failed",
        "iterable",
        "sent",
        "start",
        "status",
    )

    def __init__(
        self, middleware: AccessLogMiddleware, environ: WSGIEnvironment, start_response: StartResponse
    ) -> None:
        self.start = time.perf_counter()
        self._middleware = middleware
        self._server_start_response = start_response
        self._server_write: WriteCallable | None = None
        self._closed = False
        self.environ = environ
        self.iterable: WSGIIterable = ()
        self.status: str | None = None
        self.sent = 0
        self.complete = False
        self.failed = False

    def start_response(
        self, status: str, headers: Headers, exc_info: OptExcInfo | None = None
    ) -> WriteCallable:
        if exc_info is not None:
            self._server_write = self._server_start_response(status, headers, exc_info)
        else:
            self._server_write = self._server_start_response(status, headers)
        self.status = status
        return self.write

    def write(self, data: bytes) -> None:
        assert self._server_write is not None
        self._server_write(data)
        self.sent += len(data)

    def __iter__(self) -> Iterator[bytes]:
        try:
            for chunk in self.iterable:
                self.sent += len(chunk)  # counted when handed to the server: it goes out right after
                yield chunk
        except Exception:
            self.failed = True
            raise
        self.complete = True

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            close_iterable(self.iterable)
        finally:
            self.finish()

    def finish(self) -> None:
        status = self.status
        if self.failed and self.sent == 0:
            status = "500"  # nothing went out, so the server answers the failure with a 500
        self._middleware.emit(
            self.environ,
            status,
            self.sent,
            time.perf_counter() - self.start,
            aborted=not self.complete,
        )
