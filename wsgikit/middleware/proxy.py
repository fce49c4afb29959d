"""HTTP proxy
==========

Forward requests to another HTTP server — a legacy service being strangled, a backend on another port —
with :mod:`http.client`. Request and response bodies stream in both directions (a chunked upload is sent
on chunked; a large download never sits in memory). Hop-by-hop headers (``Connection`` and every header
it names, ``Keep-Alive``, ``Transfer-Encoding``, ``TE``, ``Trailer``, ``Upgrade``, ``Proxy-*``) are
dropped both ways; ``X-Forwarded-For``/``-Proto``/``-Host`` are added for the backend. A backend that
cannot be reached answers ``502 Bad Gateway``, one that does not answer in time ``504 Gateway Timeout``.

.. code-block:: python

    from wsgikit.middleware.proxy import ProxyApp

    legacy = ProxyApp("http://127.0.0.1:9000/legacy", timeout=30)

``PATH_INFO`` and the query string are appended to the backend URL's path.
"""

from __future__ import annotations

import http.client
import logging
from collections.abc import Iterator
from http import HTTPStatus
from typing import IO
from urllib.parse import quote, urlsplit

from wsgikit.exc import error_response
from wsgikit.types import Headers, StartResponse, WSGIEnvironment, WSGIIterable

__all__ = ["HOP_BY_HOP", "ProxyApp"]

logger = logging.getLogger("wsgikit.proxy")

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
    }
)
# Not hop-by-hop, but not forwarded either: http.client sets Host and the framing itself, and an
# Expect: 100-continue would be answered to us, not to the client.
_REQUEST_SKIP = frozenset({"host", "content-length", "content-type", "expect"})
_PATH_SAFE = "/:@!$&'()*+,;=~-._"


class _ClientBodyError(Exception):
    """The client's request body ended early: its fault (400), not the backend's (502)."""


def _connection_tokens(value: str | None) -> set[str]:
    return {token.strip().lower() for token in (value or "").split(",") if token.strip()}


class _Body:
    """The backend's response body, read as it arrives; ``close()`` releases the connection."""

    def __init__(self, response: http.client.HTTPResponse, connection: http.client.HTTPConnection, size: int):
        self.response = response
        self.connection = connection
        self.size = size

    def __iter__(self) -> Iterator[bytes]:
        while True:
            chunk = self.response.read1(self.size)
            if not chunk:
                return
            yield chunk

    def close(self) -> None:
        try:
            self.response.close()
        finally:
            self.connection.close()


class ProxyApp:
    """Forward every request to ``url``.

    :param url: the backend, ``http://host:port/optional/prefix`` (``https://`` works too).
    :param timeout: seconds for connecting and for each read or write on the backend socket.
    :param preserve_host: send the client's ``Host`` header instead of the backend's.
    :param chunk_size: largest piece read from the client or the backend at a time.
    :param forwarded_headers: add ``X-Forwarded-For`` (appended), ``X-Forwarded-Proto`` and
        ``X-Forwarded-Host``.
    """

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 30.0,
        preserve_host: bool = False,
        chunk_size: int = 64 * 1024,
        forwarded_headers: bool = True,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"url: expected http://host[:port][/path], got {url!r}")
        if parts.query or parts.fragment or parts.username or parts.password:
            raise ValueError(f"url: must not contain a query, fragment or credentials: {url!r}")
        try:
            port = parts.port
        except ValueError:
            raise ValueError(f"url: invalid port in {url!r}") from None
        if not (isinstance(timeout, int | float) and timeout > 0):
            raise ValueError(f"timeout: expected seconds greater than 0, got {timeout!r}")
        if chunk_size < 1:
            raise ValueError(f"chunk_size: expected a positive number of bytes, got {chunk_size!r}")
        self.url = url
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = port
        self.prefix = parts.path.rstrip("/")
        self.timeout = float(timeout)
        self.preserve_host = preserve_host
        self.chunk_size = chunk_size
        self.forwarded_headers = forwarded_headers

    def _connect(self) -> http.client.HTTPConnection:
        cls = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
        return cls(self.host, self.port, timeout=self.timeout)

    def request_headers(self, environ: WSGIEnvironment) -> Headers:
        """The headers to send to the backend (without ``Host`` and the body framing)."""
        dropped = HOP_BY_HOP | _REQUEST_SKIP | _connection_tokens(environ.get("HTTP_CONNECTION"))
        headers: Headers = []
        for key, value in environ.items():
            if not key.startswith("HTTP_"):
                continue
            name = key[5:].replace("_", "-").title()
            if name.lower() in dropped or (
                self.forwarded_headers and name.lower().startswith("x-forwarded-")
            ):
                continue
            headers.append((name, value))
        if environ.get("CONTENT_TYPE"):
            headers.append(("Content-Type", environ["CONTENT_TYPE"]))
        if self.forwarded_headers:
            remote = environ.get("REMOTE_ADDR")
            chain = environ.get("HTTP_X_FORWARDED_FOR")
            if remote:
                headers.append(("X-Forwarded-For", f"{chain}, {remote}" if chain else remote))
            headers.append(("X-Forwarded-Proto", environ.get("wsgi.url_scheme", "http")))
            if environ.get("HTTP_HOST"):
                headers.append(("X-Forwarded-Host", environ["HTTP_HOST"]))
        return headers

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
        method = environ.get("REQUEST_METHOD", "GET")
        path_info = environ.get("PATH_INFO", "")
        try:
            # PATH_INFO holds the decoded bytes as latin-1 characters (PEP 3333): quote those bytes again.
            target = (self.prefix + quote(path_info.encode("latin-1"), _PATH_SAFE)) or "/"
        except UnicodeEncodeError:
            return error_response(400, "Malformed path.")(environ, start_response)
        if environ.get("QUERY_STRING"):
            target += "?" + environ["QUERY_STRING"]
        length_text = environ.get("CONTENT_LENGTH") or ""
        if length_text and not length_text.isdigit():
            return error_response(400, "Invalid Content-Length.")(environ, start_response)
        length = int(length_text) if length_text else None
        chunked = length is None and bool(environ.get("wsgi.input_terminated"))

        connection = self._connect()
        try:
            connection.putrequest(method, target, skip_host=self.preserve_host, skip_accept_encoding=True)
            if self.preserve_host and environ.get("HTTP_HOST"):
                connection.putheader("Host", environ["HTTP_HOST"])
            for name, value in self.request_headers(environ):
                connection.putheader(name, value)
            if length is not None:
                connection.putheader("Content-Length", str(length))
            elif chunked:
                connection.putheader("Transfer-Encoding", "chunked")
            connection.endheaders()
            self._send_body(connection, environ["wsgi.input"], length, chunked)
            response = connection.getresponse()
        except (_ClientBodyError, http.client.InvalidURL, ValueError) as error:
            # a short request body, or control characters in the target or a header
            connection.close()
            logger.info("proxy: refused request for %r: %s", target, error)
            return error_response(400, "Malformed request.")(environ, start_response)
        except TimeoutError:
            connection.close()
            logger.warning("proxy: %s timed out after %ss", self.url, self.timeout)
            return error_response(504, "The upstream server did not answer in time.")(environ, start_response)
        except (OSError, http.client.HTTPException) as error:
            connection.close()
            logger.warning("proxy: cannot reach %s: %s", self.url, error)
            return error_response(502, "The upstream server is unavailable.")(environ, start_response)

        dropped = HOP_BY_HOP | _connection_tokens(response.getheader("Connection"))
        headers = [(name, value) for name, value in response.getheaders() if name.lower() not in dropped]
        reason = response.reason or _phrase(response.status)
        start_response(f"{response.status} {reason}", headers)
        return _Body(response, connection, self.chunk_size)

    def _send_body(
        self, connection: http.client.HTTPConnection, body: IO[bytes], length: int | None, chunked: bool
    ) -> None:
        if length is not None:
            remaining = length
            while remaining > 0:
                chunk = body.read(min(self.chunk_size, remaining))
                if not chunk:
                    raise _ClientBodyError("the client sent less than its Content-Length")
                remaining -= len(chunk)
                connection.send(chunk)
        elif chunked:
            while True:
                chunk = body.read(self.chunk_size)
                if not chunk:
                    break
                connection.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            connection.send(b"0\r\n\r\n")


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"
