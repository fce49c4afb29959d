"""HTTP proxy and load balancer
=============================

Forward requests to one HTTP server — a legacy service being strangled, a backend on another port — or
balance them over several, the way nginx's ``upstream`` block does: smooth weighted round robin,
``least_conn`` or a consistent ``hash``, passive health checks (``max_fails`` / ``fail_timeout``) and a
retry on the next backend when a connection fails before any response byte, for idempotent methods only.
Connections are pooled and kept alive with `urllib3 <https://urllib3.readthedocs.io/>`_.

Request and response bodies stream in both directions (a chunked upload is sent on chunked; a large
download never sits in memory). Hop-by-hop headers (``Connection`` and every header it names,
``Keep-Alive``, ``Transfer-Encoding``, ``TE``, ``Trailer``, ``Upgrade``, ``Proxy-*``) are dropped both
ways; ``X-Forwarded-For``/``-Proto``/``-Host`` are added for the backend. When no backend can be reached
the answer is ``502 Bad Gateway``; one that does not answer in time gives ``504 Gateway Timeout``.

.. code-block:: python

    from wsgikit.middleware.proxy import ProxyApp

    legacy = ProxyApp("http://127.0.0.1:9000/legacy", timeout=30)
    api = ProxyApp(
        backends=["http://10.0.0.1:8080 weight=3", "http://10.0.0.2:8080"],
        policy="least_conn",
        max_fails=2,
        fail_timeout=10,
    )

``PATH_INFO`` and the query string are appended to the backend URL's path.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from http import HTTPStatus
from typing import IO
from urllib.parse import quote

import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)
from urllib3.util import SKIP_HEADER

from wsgikit.exc import error_response
from wsgikit.middleware._balancer import Backend, BackendSpec, Balancer, parse_backends
from wsgikit.options import (
    Converter,
    Option,
    OptionTable,
    to_bool,
    to_duration,
    to_int,
    to_list,
    to_size,
    to_str,
)
from wsgikit.types import Headers, StartResponse, WSGIEnvironment, WSGIIterable

__all__ = ["DEFAULT_RETRY_METHODS", "HOP_BY_HOP", "ProxyApp", "parse_hash_key"]

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
DEFAULT_RETRY_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})
"""RFC 9110's idempotent methods: a request that may have reached the backend is sent again only with
one of these (a PUT or DELETE only when its body has not been sent: bodies stream, they are not kept)."""

# Not hop-by-hop, but not forwarded either: the client library sets Host and the framing itself, and an
# Expect: 100-continue would be answered to us, not to the client.
_REQUEST_SKIP = frozenset({"host", "content-length", "content-type", "expect"})
_PATH_SAFE = "/:@!$&'()*+,;=~-._"
_TOKEN_RE = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_UNSAFE_TARGET = re.compile(r"[\x00-\x20\x7f]")


class _ClientBodyError(Exception):
    """The client's request body ended early or could not be read: its fault (400), not the backend's."""


def _connection_tokens(value: str | None) -> set[str]:
    return {token.strip().lower() for token in (value or "").split(",") if token.strip()}


class _RequestBody:
    """The client's body as an iterable of chunks for the client library; remembers whether it started."""

    def __init__(self, stream: IO[bytes], length: int | None, size: int) -> None:
        self.stream = stream
        self.length = length
        self.size = size
        self.started = False

    def _read(self, size: int) -> bytes:
        self.started = True
        try:
            return self.stream.read(size)
        except Exception as error:  # the server's input stream: a disconnect, a bad chunk, a timeout
            raise _ClientBodyError(f"reading the request body failed: {error}") from error

    def __iter__(self) -> Iterator[bytes]:
        if self.length is None:
            while chunk := self._read(self.size):
                yield chunk
            return
        remaining = self.length
        while remaining > 0:
            chunk = self._read(min(self.size, remaining))
            if not chunk:
                raise _ClientBodyError("the client sent less than its Content-Length")
            remaining -= len(chunk)
            yield chunk


class _Body:
    """The backend's response body, read as it arrives; ``close()`` returns the connection to the pool
    when the body was read to its end, closes it otherwise, and reports the attempt to the balancer."""

    def __init__(
        self, app: ProxyApp, backend: Backend, response: urllib3.BaseHTTPResponse, head: bool
    ) -> None:
        self.app = app
        self.backend = backend
        self.response = response
        self.head = head
        self.complete = False
        self.failed = False
        self.closed = False
        if head:
            # a backend that sent a body with its HEAD answer anyway (waitress passes on what the app
            # returns) would leave it on the connection, to be read as the next response's status line:
            # close the connection now, before urllib3 hands it back to the pool at the end of the body
            response.close()
            self.complete = True

    def __iter__(self) -> Iterator[bytes]:
        if self.head:
            return
        size = self.app.chunk_size
        try:
            while chunk := self.response.read1(size):
                yield chunk
        except (HTTPError, OSError) as error:
            # the response has started: re-raise so that the server drops the connection rather than
            # ending a truncated body as if it were whole
            self.failed = True
            logger.warning("proxy: %s failed while sending its response: %s", self.backend.spec.url, error)
            raise
        self.complete = True

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            if not self.complete:
                self.response.close()  # unread bytes on the wire: the connection cannot be reused
            self.response.release_conn()
        finally:
            self.app.balancer.release(self.backend, failed=self.failed)


def _check_url(url: str) -> str:
    BackendSpec.parse(to_str.check(url))  # raises ValueError saying what is wrong
    return url


def _check_hash_key(hash_key: str) -> str:
    try:
        parse_hash_key(to_str.check(hash_key))
    except ValueError as error:
        raise ValueError(str(error).partition(": ")[2]) from None
    return hash_key


def _parse_methods(value: str) -> list[str]:
    methods = [method.upper() for method in to_list(value)]
    for method in methods:
        if not method.isalpha():
            raise ValueError(f"not a method name: {method!r}")
    return methods


_URL = Converter("to_url", str.strip, _check_url)
_BACKENDS = Converter("to_backends", parse_backends, parse_backends)
"""``http://h1:8080 weight=3 http://h2:8080`` → backend specs; from Python also a list."""
_HASH_KEY = Converter("to_hash_key", str.strip, _check_hash_key)
_METHODS = Converter("to_methods", _parse_methods, to_list.check)


class ProxyApp:
    """Forward every request to ``url``, or to one of ``backends``.

    :param url: the backend, ``http://host[:port][/prefix]`` (``https://`` works too). Give ``url`` or
        ``backends``.
    :param backends: several backends, as ``"http://h1:8080 weight=3 http://h2:8080"`` or a list of such
        strings or ``(url, weight)`` pairs.
    :param policy: ``round_robin`` (smooth weighted, as nginx), ``least_conn`` (fewest requests in flight
        per weight) or ``hash`` (consistent hash of ``hash_key``).
    :param hash_key: what ``hash`` hashes: ``remote_addr`` (the client address) or a request header name
        (``X-Tenant-Id``; nginx's ``$remote_addr`` and ``$http_x_tenant_id`` spellings work too). A request
        without the header is balanced round robin.
    :param max_fails: failed attempts, each within ``fail_timeout`` of the last, that take a backend out
        of rotation (``0``: never). A failure is a refused or timed-out connection, a reset or close
        before the response headers, or a read timeout — not an HTTP error status.
    :param fail_timeout: seconds over which failures are counted, and for which a backend stays out.
    :param retry_methods: methods retried on the next backend after a failed attempt. A request whose
        body has started to be sent is not retried whatever its method.
    :param timeout: seconds for connecting and for each read or write on the backend socket.
    :param keepalive: idle connections kept open per backend (more are opened when needed).
    :param preserve_host: send the client's ``Host`` header instead of the backend's.
    :param chunk_size: largest piece read from the client or the backend at a time.
    :param forwarded_headers: add ``X-Forwarded-For`` (appended), ``X-Forwarded-Proto`` and
        ``X-Forwarded-Host``.
    """

    OPTIONS = OptionTable(
        "proxy",
        Option("url", _URL, None, "one backend: http://host[:port][/prefix] (or give backends)"),
        Option("backends", _BACKENDS, None, "several backends: URL [weight=N] URL [weight=N] ..."),
        Balancer.OPTIONS.by_name["policy"],
        Option("hash_key", _HASH_KEY, "remote_addr", "what the hash policy hashes: remote_addr or a header"),
        Balancer.OPTIONS.by_name["max_fails"],
        Balancer.OPTIONS.by_name["fail_timeout"],
        Option(
            "retry_methods",
            _METHODS,
            tuple(sorted(DEFAULT_RETRY_METHODS)),
            "methods retried on the next backend after a failed connect or a reset",
        ),
        Option("timeout", to_duration, 30.0, "seconds for connecting and for each socket read or write"),
        Option("keepalive", to_int(1), 10, "idle connections kept open per backend"),
        Option("preserve_host", to_bool, False, "send the client's Host header to the backend"),
        Option("chunk_size", to_size, 64 * 1024, "largest piece read at a time"),
        Option("forwarded_headers", to_bool, True, "add X-Forwarded-For/-Proto/-Host"),
        exclusive=[("url", "backends", "url is the one-backend spelling of backends")],
    )

    def __init__(
        self,
        url: str | None = OPTIONS.default("url"),
        *,
        backends: str | Iterable[str | tuple[str, int] | BackendSpec] | None = OPTIONS.default("backends"),
        policy: str = OPTIONS.default("policy"),
        hash_key: str = OPTIONS.default("hash_key"),
        max_fails: int = OPTIONS.default("max_fails"),
        fail_timeout: float = OPTIONS.default("fail_timeout"),
        retry_methods: Iterable[str] = OPTIONS.default("retry_methods"),
        timeout: float = OPTIONS.default("timeout"),
        keepalive: int = OPTIONS.default("keepalive"),
        preserve_host: bool = OPTIONS.default("preserve_host"),
        chunk_size: int = OPTIONS.default("chunk_size"),
        forwarded_headers: bool = OPTIONS.default("forwarded_headers"),
    ) -> None:
        if url is not None and backends is not None:
            raise ValueError("backends: give url or backends, not both")
        if url is None and backends is None:
            raise ValueError("url: give url (one backend) or backends")
        checked = self.OPTIONS.validate(
            url=url,
            backends=backends,
            policy=policy,
            hash_key=hash_key,
            max_fails=max_fails,
            fail_timeout=fail_timeout,
            retry_methods=retry_methods,
            timeout=timeout,
            keepalive=keepalive,
            preserve_host=preserve_host,
            chunk_size=chunk_size,
            forwarded_headers=forwarded_headers,
        )
        specs = [BackendSpec.parse(url)] if url is not None else checked["backends"]
        if timeout <= 0:
            raise ValueError(f"timeout: expected seconds greater than 0, got {timeout!r}")
        if chunk_size < 1:
            raise ValueError(f"chunk_size: expected a positive number of bytes, got {chunk_size!r}")
        self.hash_header = parse_hash_key(hash_key)
        self.hash_key = hash_key
        self.retry_methods = frozenset(method.strip().upper() for method in checked["retry_methods"])
        for method in self.retry_methods:
            if not _TOKEN_RE.match(method):
                raise ValueError(f"retry_methods: not a method name: {method!r}")
        self.balancer = Balancer(specs, policy=policy, max_fails=max_fails, fail_timeout=fail_timeout)
        self.url = url if url is not None else specs[0].url
        self.timeout = float(timeout)
        self.preserve_host = preserve_host
        self.chunk_size = chunk_size
        self.forwarded_headers = forwarded_headers
        pool_timeout = urllib3.Timeout(connect=self.timeout, read=self.timeout)
        self.pools: dict[Backend, urllib3.HTTPConnectionPool] = {}
        for backend in self.balancer.backends:
            https = backend.spec.scheme == "https"
            cls = urllib3.HTTPSConnectionPool if https else urllib3.HTTPConnectionPool
            # block=False: past `keepalive` connections more are opened, and closed after use
            self.pools[backend] = cls(
                backend.spec.host,
                backend.spec.port,
                maxsize=keepalive,
                block=False,
                timeout=pool_timeout,
                retries=False,
            )

    @property
    def backends(self) -> list[Backend]:
        return self.balancer.backends

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

    def _hash_value(self, environ: WSGIEnvironment) -> str | None:
        if self.hash_header is None:
            return environ.get("REMOTE_ADDR")
        return environ.get(self.hash_header)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
        method = environ.get("REQUEST_METHOD", "GET")
        path_info = environ.get("PATH_INFO", "")
        try:
            # PATH_INFO holds the decoded bytes as latin-1 characters (PEP 3333): quote those bytes again.
            target = quote(path_info.encode("latin-1"), _PATH_SAFE)
        except UnicodeEncodeError:
            return error_response(400, "Malformed path.")(environ, start_response)
        if environ.get("QUERY_STRING"):
            target += "?" + environ["QUERY_STRING"]
        length_text = environ.get("CONTENT_LENGTH") or ""
        if length_text and not length_text.isdigit():
            return error_response(400, "Invalid Content-Length.")(environ, start_response)
        if _UNSAFE_TARGET.search(target) or not _TOKEN_RE.match(method):
            return error_response(400, "Malformed request.")(environ, start_response)
        length = int(length_text) if length_text else None
        chunked = length is None and bool(environ.get("wsgi.input_terminated"))

        headers = urllib3.HTTPHeaderDict()
        lowered = set()
        for name, value in self.request_headers(environ):
            headers.add(name, value)
            lowered.add(name.lower())
        if self.preserve_host and environ.get("HTTP_HOST"):
            headers["Host"] = environ["HTTP_HOST"]
        for name in ("User-Agent", "Accept-Encoding"):  # forward the client's, never add the library's
            if name.lower() not in lowered:
                headers[name] = SKIP_HEADER
        body: _RequestBody | None = None
        if length:
            headers["Content-Length"] = str(length)
            body = _RequestBody(environ["wsgi.input"], length, self.chunk_size)
        elif length == 0:
            headers["Content-Length"] = "0"
        elif chunked:
            body = _RequestBody(environ["wsgi.input"], None, self.chunk_size)

        tried: list[Backend] = []
        key = self._hash_value(environ)
        stale_retried = False
        while True:
            backend = self.balancer.acquire(key, tried)
            if backend is None:
                if tried:
                    return error_response(502, "The upstream server is unavailable.")(environ, start_response)
                logger.error("proxy: no live backend among %d", len(self.balancer.backends))
                return error_response(502, "No upstream server is available.")(environ, start_response)
            tried.append(backend)
            pool = self.pools[backend]
            opened = pool.num_connections  # unchanged after a failure: the failed connection was a reused one
            try:
                response = pool.urlopen(
                    method,
                    backend.spec.prefix + target,
                    body=body,
                    headers=headers,
                    retries=False,
                    redirect=False,
                    assert_same_host=False,
                    preload_content=False,
                    decode_content=False,
                    release_conn=False,
                    chunked=chunked,
                )
            except _ClientBodyError as error:
                self.balancer.release(backend, failed=False)
                logger.info("proxy: refused request for %r: %s", target, error)
                return error_response(400, "Malformed request.")(environ, start_response)
            except ReadTimeoutError:
                self.balancer.release(backend, failed=True)
                logger.warning("proxy: %s timed out after %ss", backend.spec.url, self.timeout)
                return error_response(504, "The upstream server did not answer in time.")(
                    environ, start_response
                )
            except ValueError as error:
                # control characters in a header value (http.client refuses them)
                self.balancer.release(backend, failed=False)
                logger.info("proxy: refused request for %r: %s", target, error)
                return error_response(400, "Malformed request.")(environ, start_response)
            except (HTTPError, OSError) as error:
                retryable = method in self.retry_methods and not (body is not None and body.started)
                reused = pool.num_connections == opened
                if isinstance(error, ProtocolError) and reused and retryable and not stale_retried:
                    # the backend closed a kept-alive connection as it was reused (gunicorn's keepalive is
                    # 2 s): nothing was answered, so try once more on a new connection to the same backend,
                    # as nginx does for a cached upstream connection, without counting it as a failure.
                    # (Another thread opening a connection meanwhile hides the reuse: then the usual path.)
                    stale_retried = True
                    self.balancer.release(backend, failed=False)
                    tried.remove(backend)
                    logger.info("proxy: %s closed a kept-alive connection: %s", backend.spec.url, error)
                    continue
                self.balancer.release(backend, failed=True)
                connected = not isinstance(error, ConnectTimeoutError)
                logger.warning(
                    "proxy: %s failed%s: %s",
                    backend.spec.url,
                    " before answering" if connected else " to connect",
                    error,
                )
                if retryable:
                    continue
                if isinstance(error, ConnectTimeoutError) and not isinstance(error, NewConnectionError):
                    return error_response(504, "The upstream server did not answer in time.")(
                        environ, start_response
                    )
                return error_response(502, "The upstream server is unavailable.")(environ, start_response)
            break

        dropped = HOP_BY_HOP | _connection_tokens(response.headers.get("Connection"))
        response_headers = [
            (name, value) for name, value in response.headers.items() if name.lower() not in dropped
        ]
        reason = response.reason or _phrase(response.status)
        result = _Body(self, backend, response, head=method == "HEAD")
        try:
            start_response(f"{response.status} {reason}", response_headers)
        except BaseException:
            result.close()
            raise
        return result


def parse_hash_key(hash_key: str) -> str | None:
    """The environ key of the header ``hash_key`` names, or ``None`` for the client address."""
    key = hash_key.strip()
    if key.lower() in ("remote_addr", "$remote_addr", "client_addr"):
        return None
    if key.lower().startswith("$http_"):
        key = key[6:]
    if not key or not _TOKEN_RE.match(key):
        raise ValueError(f"hash_key: expected remote_addr or a header name, got {hash_key!r}")
    return "HTTP_" + key.upper().replace("-", "_")


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"
