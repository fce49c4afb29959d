"""Access log
==========

One log line per request, written when the response has finished (the server called ``close()``), with
the status the client got and the body bytes actually sent — aborted and failed responses included — plus
the latency, the request id and the API microversion. Two formats:

``combined``
    Apache's combined format followed by the latency in seconds, the request id and the microversion
    :mod:`~wsgikit.middleware.versions` negotiated (``-`` for none)::

        127.0.0.1 - alice [22/Nov/2026:10:05:00 +0000] "GET /servers?limit=2 HTTP/1.1" 200 512 "-"
        "curl/8.5" 0.001234 req-6f1c9e2a-… 2.53

    (one line; wrapped here)

``json``
    One JSON object per line: ``time``, ``remote_addr``, ``user``, ``method``, ``path``, ``query``,
    ``protocol``, ``status``, ``bytes``, ``referer``, ``user_agent``, ``duration``, ``request_id``,
    ``api_version`` and ``aborted``.

Lines go to a :mod:`logging` logger (``logger_name``, at ``level``), or with ``file`` straight to a
file or a standard stream, one ``O_APPEND`` write per line, rotation followed (see
:class:`~wsgikit.middleware.access_log.LogFile`); that skips the logging machinery, which costs more than
everything else the middleware does.

Client-supplied values are escaped (``"``, ``\\``, control and non-ASCII bytes become ``\\xHH``; the path
is percent-encoded), so a request cannot forge log lines. Unlike Paste's ``TransLogger`` this logs at
the end of the response rather than at ``start_response``, accepts ``level = INFO``, and trusts no
``X-Forwarded-For`` (put :mod:`~wsgikit.middleware.proxy_fix` inside it for that).

.. code-block:: ini

    [filter:access_log]
    use = egg:wsgikit#access_log
    format = json
    level = INFO

    [filter:access_log_file]
    use = egg:wsgikit#access_log
    file = /var/log/api/access.log
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from typing import Any

from wsgikit.exc import REQUEST_ID_KEY
from wsgikit.middleware._logfile import LogFile
from wsgikit.middleware._logline import (
    PLAIN_TOKENS,
    apache_time,
    escape,
    needs_escape,
    path_needs_quoting,
    quote_path,
)
from wsgikit.middleware.versions import ENVIRON_KEY as API_VERSION_KEY
from wsgikit.options import (
    Option,
    OptionTable,
    to_bool,
    to_choice,
    to_duration,
    to_log_level,
    to_path,
    to_size,
    to_str,
)
from wsgikit.types import StartResponse, WSGIApplication, WSGIEnvironment, WSGIIterable
from wsgikit.wsgi import SendTracker, is_settled

__all__ = ["FORMATS", "AccessLogMiddleware", "LogFile"]

FORMATS = ("combined", "json")

_START: float = getattr(logging, "_startTime", time.time())
_new_record = object.__new__
_LogRecord = logging.LogRecord
_get_ident = threading.get_ident
_current_thread = threading.current_thread
_this_thread = threading.local()  # .thread: threading.current_thread(), which never changes for a thread

# LogRecord attributes that are the same for every line of one logger and level (process id and name,
# file, function, ...), by (logger name, level); a forked child starts afresh (its process id differs).
_templates: dict[tuple[str, int], dict[str, Any]] = {}
os.register_at_fork(after_in_child=_templates.clear)


def paste_console_handler(value: str) -> bool:
    """Paste TransLogger's ``setup_console_handler`` (INI only): ``false`` (the usual setting in Paste-era
    files, which configure logging themselves) is accepted and changes nothing; ``true`` is refused with
    what to write instead."""
    if to_bool(value):
        raise ValueError(
            "Paste's console handler is not supported: write 'file = stderr' for lines on the console, or "
            "give the logger a handler in [loggers]"
        )
    return False


def _flush_interval(seconds: float) -> None:
    if not 0 < seconds < 86400:
        raise ValueError(f"expected a number of seconds above 0 and below a day, got {seconds!r}")


def _logger_name(name: str) -> None:
    if not name:
        raise ValueError(f"expected a logger name, got {name!r}")


class AccessLogMiddleware:
    """Log every request when its response finishes.

    :param app: the WSGI application to wrap.
    :param format: ``"combined"`` (Apache combined + latency + request id) or ``"json"`` (JSON lines).
    :param logger_name: the logger the lines go to (default ``wsgikit.access``).
    :param level: the level of each line: a number or a name such as ``"INFO"`` (default ``INFO``).
    :param file: write the lines to this file instead of a logger (``-``/``stdout``/``stderr`` for a
        standard stream), or to a :class:`LogFile` shared with other middleware; a path is opened now,
        so an unwritable one raises :class:`OSError` here.
    :param buffer: with a path as ``file``: bytes of lines held in memory and written together, nginx's
        ``buffer=`` (default 0: each line is written when its response ends). See :class:`LogFile` for
        what is traded.
    :param flush: with ``buffer``: the longest a line waits in memory, in seconds (default 1).
    """

    OPTIONS = OptionTable(
        "access_log",
        Option("format", to_choice(*FORMATS), "combined", "combined (Apache + latency + request id) or json"),
        Option(
            "logger_name", to_str.checked(_logger_name), "wsgikit.access", "logger the access lines go to"
        ),
        # Paste TransLogger's spelling, so `egg:Paste#translogger` sections migrate by renaming the egg
        Option("logging_level", to_log_level, logging.INFO, "alias of level (Paste TransLogger)", "level"),
        Option("level", to_log_level, logging.INFO, "level of each line: INFO-style name or number"),
        Option(
            "file",
            to_path,
            None,
            "write lines to this file (or -, stderr) instead of a logger",
            must_exist="parent",
        ),
        Option(
            "buffer",
            to_size,
            0,
            "with file: bytes of lines held in memory and written together (nginx's buffer=; 0: each line "
            "written when its response ends)",
        ),
        Option(
            "flush",
            to_duration.checked(_flush_interval),
            1.0,
            "with buffer: the longest a line waits in it, in seconds (nginx's flush=)",
        ),
        Option("setup_console_handler", paste_console_handler, False, "Paste TransLogger's; only false"),
        requires=[
            ("buffer", "file", "lines are buffered only on their way to a file"),
            ("flush", "buffer", "flush paces a buffer"),
        ],
        exclusive=[
            ("level", "logging_level", ""),
            ("file", "logger_name", "lines go to a file or to a logger"),
            ("file", "level", "lines go to a file or to a logger"),
            ("file", "logging_level", "lines go to a file or to a logger"),
        ],
    )

    def __init__(
        self,
        app: WSGIApplication,
        *,
        format: str = OPTIONS.default("format"),
        logger_name: str | None = None,
        level: int | str | None = None,
        file: str | LogFile | None = None,
        buffer: int = OPTIONS.default("buffer"),
        flush: float = OPTIONS.default("flush"),
    ) -> None:
        if file is not None and (logger_name is not None or level is not None):
            raise ValueError("file: lines go to a file or to a logger; give one, not both")
        if (buffer or flush != self.OPTIONS.default("flush")) and not isinstance(file, str):
            where = "a path as file" if file is None else "a path as file (a LogFile has its own)"
            raise ValueError(f"buffer, flush: lines are buffered only on their way to a file; give {where}")
        # None: the table's default (a file takes neither)
        logger_name = self.OPTIONS.default("logger_name") if logger_name is None else logger_name
        checked = self.OPTIONS.validate(
            format=format,
            logger_name=logger_name,
            level=self.OPTIONS.default("level") if level is None else level,
            buffer=buffer,
            flush=flush,
        )
        level_number: int = checked["level"]
        self.app = app
        self.format = format
        self.logger = logging.getLogger(logger_name)
        self.level = level_number
        self._render = self.combined_line if format == "combined" else self.json_line
        self._template_key = (logger_name, level_number)
        self._second, self._stamp = -1, ""  # the second of the last line and its timestamp
        #: the file the lines go to, or ``None`` when they go to :attr:`logger`
        self.file = LogFile(file, buffer=buffer, flush=flush) if isinstance(file, str) else file

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
        if self.file is None and not self.logger.isEnabledFor(self.level):
            return self.app(environ, start_response)
        body = _LoggedBody(self, environ, start_response)
        try:
            body.iterable = iterable = self.app(environ, body.start_response)
        except BaseException:
            body.failed = True
            body.close()
            raise
        body.settled_body = is_settled(iterable)
        return body

    def emit(
        self, environ: WSGIEnvironment, status: str | None, sent: int, duration: float, *, aborted: bool
    ) -> None:
        """Write one line for a finished response."""
        now = time.time()
        line = self._render(environ, status, sent, duration, aborted, now)
        if self.file is not None:
            self.file.write(line, now)
        else:
            self._log(line, now, environ)

    def _log(self, line: str, now: float, environ: WSGIEnvironment) -> None:
        self.logger.handle(self.make_record(line, environ.get(REQUEST_ID_KEY), now))

    def make_record(
        self, message: str, request_id: str | None, created: float | None = None
    ) -> logging.LogRecord:
        """The record for one access line, created at ``created`` (default: now).

        An access line's caller is always this module, so there is nothing for ``findCaller()`` to find;
        with the default record factory the record's attributes are copied from a template made once per
        process, which costs a fraction of ``LogRecord.__init__`` (this runs once per request).
        """
        logger = self.logger
        if logging.getLogRecordFactory() is not _LogRecord:
            extra = {"request_id": request_id} if request_id else None
            return logger.makeRecord(logger.name, self.level, __file__, 0, message, (), None, extra=extra)
        template = _templates.get(self._template_key)
        if template is None:
            template = dict(_LogRecord(logger.name, self.level, __file__, 0, "", (), None).__dict__)
            # ``message`` is what Formatter.format() adds: with the key already there, the copy below is
            # sized for it and the handler does not grow the dict
            template["message"] = ""
            _templates[self._template_key] = template
        fields = template.copy()
        now = time.time() if created is None else created
        fields["msg"] = fields["message"] = message
        fields["created"] = now
        fields["msecs"] = now % 1.0 * 1000 // 1  # = LogRecord's int((now - int(now)) * 1000) + 0.0
        fields["relativeCreated"] = (now - _START) * 1000
        if template["thread"] is not None:
            fields["thread"] = _get_ident()
            try:
                thread = _this_thread.thread
            except AttributeError:  # the first line from this thread
                thread = _this_thread.thread = _current_thread()
            fields["threadName"] = thread.name  # read each time: a thread may be renamed
        if request_id:
            fields["request_id"] = request_id
        record: logging.LogRecord = _new_record(_LogRecord)
        record.__dict__ = fields
        return record

    def combined_line(
        self,
        environ: WSGIEnvironment,
        status: str | None,
        sent: int,
        duration: float,
        aborted: bool,
        now: float | None = None,
    ) -> str:
        get = environ.get
        method = get("REQUEST_METHOD", "-")
        protocol = get("SERVER_PROTOCOL", "-")
        path = (get("SCRIPT_NAME") or "") + (get("PATH_INFO") or "")
        query = get("QUERY_STRING") or ""
        user = get("REMOTE_USER") or ""
        referer = get("HTTP_REFERER") or ""
        agent = get("HTTP_USER_AGENT") or ""
        # Client-supplied values are escaped; usually they are plain printable ASCII, which one search of
        # all of them together finds cheaper than escape() finds it for each.
        if needs_escape(f"{user}{query}{referer}{agent}") is not None:
            user, query, referer, agent = escape(user), escape(query), escape(referer), escape(agent)
        if " " in user:  # the one unquoted client-supplied field: a space would split it in two
            user = user.replace(" ", "\\x20")
        if method not in PLAIN_TOKENS:
            method = escape(method)
        if protocol not in PLAIN_TOKENS:
            protocol = escape(protocol)
        if path_needs_quoting(path) is not None:
            path = quote_path(path)
        if now is None:
            now = time.time()
        if int(now) != self._second:  # the timestamp is formatted once a second
            self._second, self._stamp = int(now), apache_time(now)
        stamp = self._stamp
        return (
            f"{get('REMOTE_ADDR') or '-'} - {user or '-'} [{stamp}] "
            f'"{method} {path}{"?" + query if query else ""} {protocol}" '
            f"{status[:3] if status else '-'} {sent or '-'} "
            f'"{referer or "-"}" "{agent or "-"}" {duration:.6f} {get(REQUEST_ID_KEY) or "-"} '
            f"{get(API_VERSION_KEY) or '-'}"
        )

    def json_line(
        self,
        environ: WSGIEnvironment,
        status: str | None,
        sent: int,
        duration: float,
        aborted: bool,
        now: float | None = None,
    ) -> str:
        document: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(now)),
            "remote_addr": environ.get("REMOTE_ADDR"),
            "user": environ.get("REMOTE_USER"),
            "method": environ.get("REQUEST_METHOD"),
            "path": quote_path((environ.get("SCRIPT_NAME") or "") + (environ.get("PATH_INFO") or "")),
            "query": environ.get("QUERY_STRING") or None,
            "protocol": environ.get("SERVER_PROTOCOL"),
            "status": int(status[:3]) if status else None,
            "bytes": sent,
            "referer": environ.get("HTTP_REFERER"),
            "user_agent": environ.get("HTTP_USER_AGENT"),
            "duration": round(duration, 6),
            "request_id": environ.get(REQUEST_ID_KEY),
            "api_version": str(version) if (version := environ.get(API_VERSION_KEY)) else None,
            "aborted": aborted,
        }
        # Header values are latin-1 decoded bytes; ensure_ascii keeps the line 7-bit clean.
        return json.dumps(document, separators=(",", ":"))


class _LoggedBody(SendTracker):
    """One request's response body: counts the bytes handed to the server and logs on ``close()``."""

    __slots__ = (
        "_closed",
        "_middleware",
        "complete",
        "environ",
        "failed",
        "iterable",
        "settled_body",
        "start",
    )

    def __init__(
        self, middleware: AccessLogMiddleware, environ: WSGIEnvironment, start_response: StartResponse
    ) -> None:
        self.start = time.perf_counter()
        # SendTracker's fields, set here rather than through SendTracker.__init__: one call less per request
        self.server_start_response = start_response
        self.server_write = None
        self.status = None
        self.bytes_sent = 0
        self._middleware = middleware
        self._closed = False
        self.environ = environ
        self.iterable: WSGIIterable = ()
        self.complete = False
        self.failed = False
        #: what :func:`~wsgikit.wsgi.is_settled` reads: the body it logs runs no application code
        self.settled_body = False

    def __iter__(self) -> Iterator[bytes]:
        # a generator is the cheapest way to see each chunk (cheaper than C iterator chains in 3.11)
        try:
            for chunk in self.iterable:
                self.bytes_sent += len(chunk)  # counted when handed to the server: it goes out right after
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
            iterable = self.iterable
            if type(iterable) is not list:  # most bodies are lists, which have no close()
                close = getattr(iterable, "close", None)
                if close is not None:
                    close()
        finally:
            duration = time.perf_counter() - self.start
            status = self.status
            if self.failed and self.bytes_sent == 0:
                status = "500"  # nothing went out, so the server answers the failure with a 500
            # what AccessLogMiddleware.emit() does, written out here: one call less on every request
            middleware = self._middleware
            now = time.time()
            line = middleware._render(self.environ, status, self.bytes_sent, duration, not self.complete, now)
            if middleware.file is not None:
                middleware.file.write(line, now)
            else:
                middleware._log(line, now, self.environ)
