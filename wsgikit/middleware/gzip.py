"""Compression
===========

Compress responses on the fly with ``gzip`` (ISA-L or zlib-ng when installed, else the stdlib's
``zlib``), or with ``br`` / ``zstd`` when the
:mod:`brotli` / :mod:`zstandard` packages are installed and the client ranks them higher.

Unlike Paste's ``gzipper`` this streams: each chunk is compressed as the application yields it, the first
compressed bytes leave after the first chunk, and memory is bounded by the chunk size, not the body (a
body returned whole, as a one-element list or tuple, is compressed in one call). It honours
``Accept-Encoding`` q-values (``gzip;q=0``, ``identity;q=1, *;q=0``), merges
``Vary: Accept-Encoding``, weakens strong ETags, compresses what the application passes to ``write()`` too,
and leaves alone what must not be touched: responses that already have a ``Content-Encoding``,
``Cache-Control: no-transform``, ``206`` / ``Content-Range``, ``HEAD``, ``1xx`` / ``204`` / ``304``, bodies
known to be smaller than ``minimum_size`` and media types outside the allow-list.

.. code-block:: python

    from wsgikit.middleware.gzip import GzipMiddleware

    app = GzipMiddleware(app, level=6, minimum_size=500)

.. code-block:: ini

    [filter:gzip]
    use = egg:wsgikit#gzip
    level = 6
    minimum_size = 1KB
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from wsgikit.middleware._body import TransformedBody
from wsgikit.middleware._encoding import (
    DEFAULT_TYPES,
    GZIP_ENGINES,
    Coding,
    Compressor,
    MediaTypeMatcher,
    available_encodings,
    choose_encoding,
    gzip_engine,
    large_body_engine,
)
from wsgikit.options import (
    Converter,
    Option,
    OptionTable,
    to_bool,
    to_choice,
    to_int,
    to_list,
    to_size,
)
from wsgikit.types import (
    Headers,
    OptExcInfo,
    StartResponse,
    WriteCallable,
    WSGIApplication,
    WSGIEnvironment,
    WSGIIterable,
)
from wsgikit.wsgi import SendTracker, merge_header_tokens, status_code

__all__ = ["GzipMiddleware"]

_KNOWN_ENCODINGS = ("gzip", "br", "zstd")
_STREAMING_TYPES = ("text/event-stream",)
# The headers a compressed response loses (a strong ETag is sent again, weakened).
_DROPPED = frozenset(("content-length", "accept-ranges"))
_DROPPED_WITH_ETAG = _DROPPED | {"etag"}


def _offered(encodings: Iterable[str]) -> tuple[str, ...]:
    """The codings to offer, lower-cased: known ones, installed, at least one."""
    offered = tuple(encoding.lower() for encoding in encodings)
    unknown = [encoding for encoding in offered if encoding not in _KNOWN_ENCODINGS]
    if unknown or not offered:
        raise ValueError(f"expected some of {', '.join(_KNOWN_ENCODINGS)}, got {encodings!r}")
    missing = [encoding for encoding in offered if encoding not in available_encodings()]
    if missing:
        raise ValueError(f"{', '.join(missing)} needs a package that is not installed")
    return offered


def _check_engine(engine: str | None) -> str | None:
    """``auto`` (or ``None``): the fastest installed; else a known engine that is installed."""
    if engine not in (None, "auto"):
        gzip_engine(engine)
    return engine


_ENGINE_CHOICE = to_choice("auto", *GZIP_ENGINES)
_ENGINE = Converter(_ENGINE_CHOICE.__name__, _ENGINE_CHOICE.parse, _check_engine)


def _check_encodings(value: Iterable[str]) -> list[str]:
    items: list[str] = to_list.check(value)
    _offered(items)
    return items


_ENCODINGS = Converter("to_encodings", to_list.parse, _check_encodings)


class GzipMiddleware:
    """Compress response bodies that the client accepts compressed.

    :param app: the WSGI application to wrap.
    :param level: compression level, 1 (fastest) to 9 (smallest); also used as the brotli quality and the
        zstd level.
    :param minimum_size: bodies whose ``Content-Length`` is below this many bytes are sent as they are
        (bodies of unknown length are always compressed).
    :param types: media-type allow-list: ``type/subtype``, ``type/*`` and ``*/*+suffix`` patterns. The
        default covers ``text/*``, JSON, XML, JavaScript, SVG and ``+json`` / ``+xml``.
    :param flush: make every chunk decodable as soon as it is sent (a sync flush per chunk). Without it
        only the first chunk is flushed, the rest are compressed as a continuous stream;
        ``text/event-stream`` is always flushed per chunk.
    :param encodings: the codings offered, in server preference order for equal q-values. The default
        is ``gzip`` followed by ``br`` and ``zstd`` when their packages are installed.
    :param engine: the deflate engine behind ``gzip``: ``"isal"`` (ISA-L, the :mod:`isal` package),
        ``"zlib-ng"`` (the :mod:`zlib_ng` package) or ``"zlib"`` (the stdlib). The default, ``"auto"`` (or
        ``None``), takes the fastest one installed; the output is standard gzip whichever it is. The
        chosen one is :attr:`gzip_engine`. Left to wsgikit at levels 4 to 6, with both ISA-L and zlib-ng
        installed, a body whose ``Content-Length`` (or, returned whole, whose length) is 16 KiB or more
        goes to zlib-ng instead (its level 2): ISA-L's output grows to 10 % above zlib's on large JSON
        bodies, zlib-ng's stays within 5 % at 3-4x zlib's speed (:attr:`large_body_engine`).
    """

    OPTIONS = OptionTable(
        "gzip",
        Option("level", to_int(1, 9), 6, "compression level, 1 (fast) to 9 (small)"),
        Option("minimum_size", to_size, 500, "bodies with a smaller Content-Length are not compressed"),
        Option(
            "types",
            to_list.checked(MediaTypeMatcher),
            DEFAULT_TYPES,
            "media types to compress (type/subtype, type/*, */*+json)",
        ),
        Option("flush", to_bool, False, "flush the compressor after every chunk"),
        Option("engine", _ENGINE, "auto", "deflate engine; auto = fastest installed"),
        Option(
            "encodings", _ENCODINGS, None, "codings offered, best first (gzip, br, zstd); default: installed"
        ),
    )

    def __init__(
        self,
        app: WSGIApplication,
        *,
        level: int = OPTIONS.default("level"),
        minimum_size: int = OPTIONS.default("minimum_size"),
        types: Iterable[str] = OPTIONS.default("types"),
        flush: bool = OPTIONS.default("flush"),
        encodings: Sequence[str] | None = OPTIONS.default("encodings"),
        engine: str | None = OPTIONS.default("engine"),
    ) -> None:
        self.OPTIONS.validate(
            level=level,
            minimum_size=minimum_size,
            types=types,
            flush=flush,
            encodings=encodings,
            engine=engine,
        )
        self.types = MediaTypeMatcher(types)
        automatic = engine in (None, "auto")
        self.gzip_engine = gzip_engine(None if automatic else engine)
        #: with the engine left to wsgikit, the one for bodies declared at least ``LARGE_BODY`` long
        #: (zlib-ng at levels 4-6 when ISA-L is the fastest), or ``None`` for :attr:`gzip_engine` always
        self.large_body_engine = large_body_engine(level, self.gzip_engine) if automatic else None
        self.app = app
        self.level = level
        self.minimum_size = minimum_size
        self.flush = flush
        self.encodings = available_encodings() if encodings is None else _offered(encodings)
        self._codings = {
            encoding: Coding(encoding, level, self.gzip_engine, self.large_body_engine)
            for encoding in self.encodings
        }

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
        responder = _Responder(self, environ, start_response)
        try:
            iterable = self.app(environ, responder.start_response)
        finally:
            responder.in_call = False
        if responder.status is not None:
            coding = responder.coding
            if coding is None:
                # Decided already and nothing to do: hand the server the app's own iterable.
                responder.passthrough = True
                return iterable
            if (
                responder.pending is not None
                and (type(iterable) is list or type(iterable) is tuple)
                and len(iterable) == 1
            ):
                # The whole body in one chunk (what wsgify and most frameworks return), and no write()
                # began a stream: compress it in one call, and since its size is then known, send it with
                # a Content-Length rather than chunked (one write less for the server, and a length for
                # the client). A list or tuple has no close().
                out = coding.whole(iterable[0])
                responder.send_pending(len(out))
                responder.bytes_sent += len(out)
                return [out]
            responder.send_pending()
        return TransformedBody(iterable, responder.chunks(iterable))

    def decide(
        self, status: str, headers: Headers, method: str, accept_encoding: str | None
    ) -> tuple[Coding | None, bool, int]:
        """Edit ``headers`` in place for the chosen coding; return ``(coding or None, flush_each, size)``,
        ``size`` being the declared ``Content-Length`` (``-1`` when there is none)."""
        code = status_code(status)
        if code < 200 or code in (204, 206, 304):
            return None, False, -1
        # One pass over the headers for everything the decision reads (first value of each, as
        # get_header() gives), instead of a scan per header name.
        content_type = length = content_range = etag = None
        cache_control: list[str] = []
        has_vary = has_accept_ranges = False
        for name, value in headers:
            lname = name.lower()
            if lname == "content-type":
                if content_type is None:
                    content_type = value
            elif lname == "content-length":
                if length is None:
                    length = value
            elif lname == "content-encoding":
                return None, False, -1
            elif lname == "content-range":
                if content_range is None:
                    content_range = value
            elif lname == "cache-control":
                cache_control.append(value)
            elif lname == "vary":
                has_vary = True
            elif lname == "etag":
                if etag is None:
                    etag = value
            elif lname == "accept-ranges":
                has_accept_ranges = True
        if content_range:
            return None, False, -1
        if cache_control and "no-transform" in (
            token.strip().lower() for value in cache_control for token in value.split(",")
        ):
            return None, False, -1
        if not self.types(content_type):
            return None, False, -1
        size = -1
        if length is not None:
            length = length.strip()
            if length.isascii() and length.isdigit():
                size = int(length)
                if size < self.minimum_size:
                    # sent as it is whatever a request asks, so no Vary (nginx's gzip_vary likewise)
                    return None, False, -1
        # From here the representation depends on Accept-Encoding, whatever this request carried.
        if has_vary:
            merge_header_tokens(headers, "Vary", "Accept-Encoding")
        else:
            headers.append(("Vary", "Accept-Encoding"))
        if method == "HEAD":
            return None, False, -1
        encoding = choose_encoding(accept_encoding, self.encodings)
        if encoding is None:
            return None, False, -1
        # Content-Length and Accept-Ranges (ranges would address the identity bytes) go, a strong ETag
        # is weakened: one pass over the headers for all three.
        weak_etag = "W/" + etag if etag is not None and etag.startswith('"') else None
        if length is not None or has_accept_ranges or weak_etag is not None:
            dropped = _DROPPED if weak_etag is None else _DROPPED_WITH_ETAG
            headers[:] = [header for header in headers if header[0].lower() not in dropped]
            if weak_etag is not None:
                headers.append(("ETag", weak_etag))
        headers.append(("Content-Encoding", encoding))
        media_type = (content_type or "").partition(";")[0].strip().lower()
        flush_each = self.flush or media_type in _STREAMING_TYPES
        return self._codings[encoding], flush_each, size


class _Responder(SendTracker):
    """Per-request state: what the app said, and the coding when the body is being compressed.

    As a :class:`~wsgikit.wsgi.SendTracker` it forwards ``start_response`` (with ``exc_info`` when
    given) and counts the bytes it hands to the server — compressed bytes when compressing. The
    incremental compressor is made only when a stream begins (a ``write()`` or a body in several
    chunks); a body in one chunk is compressed in one call instead.
    """

    __slots__ = (
        "accept_encoding",
        "coding",
        "compressor",
        "flush_each",
        "in_call",
        "method",
        "middleware",
        "passthrough",
        "pending",
        "size",
    )

    def __init__(
        self, middleware: GzipMiddleware, environ: WSGIEnvironment, start_response: StartResponse
    ) -> None:
        SendTracker.__init__(self, start_response)
        self.middleware = middleware
        self.method: str = environ.get("REQUEST_METHOD", "GET")
        self.accept_encoding: str | None = environ.get("HTTP_ACCEPT_ENCODING")
        self.coding: Coding | None = None
        self.compressor: Compressor | None = None
        self.flush_each = False
        self.passthrough = False
        self.size = -1
        #: while the application's call runs (it starts right after the responder is made)
        self.in_call = True
        #: status and headers of a compressed response, held back until the body is known
        self.pending: tuple[str, Headers] | None = None

    @property
    def started(self) -> bool:
        return self.status is not None

    def start_response(
        self, status: str, headers: Headers, exc_info: OptExcInfo | None = None
    ) -> WriteCallable:
        headers = list(headers)
        # A replacement response (exc_info) starts afresh: no stream of the first one carries over.
        self.compressor = None
        if self.passthrough:
            # The app's iterable went to the server untouched; a replacement response (exc_info) must
            # not be compressed either.
            self.coding = None
        else:
            self.coding, self.flush_each, self.size = self.middleware.decide(
                status, headers, self.method, self.accept_encoding
            )
        # A replacement (exc_info) of a response the server never saw is a first call for the server,
        # so it gets no exc_info (uWSGI fails a first call that carries one).
        server_saw = self.server_write is not None
        if self.coding is not None and self.in_call and (exc_info is None or not server_saw):
            # Compressing, and the application's call is still running: hold the headers back (PEP 3333
            # lets middleware delay them until the first body byte) so that a body returned whole can be
            # sent with its compressed length.
            self.pending = (status, headers)
            self.status = status
            return self.write
        self.pending = None
        return SendTracker.start_response(self, status, headers, exc_info if server_saw else None)

    def send_pending(self, length: int = -1) -> None:
        """Give the server the held-back status and headers (with ``Content-Length: length`` if given)."""
        pending = self.pending
        if pending is not None:
            self.pending = None
            status, headers = pending
            if length >= 0:
                headers.append(("Content-Length", str(length)))
            SendTracker.start_response(self, status, headers)

    def begin(self) -> Compressor | None:
        """The stream's compressor, made on first use; ``None`` when not compressing."""
        compressor = self.compressor
        if compressor is None and self.coding is not None:
            compressor = self.compressor = self.coding.stream(self.size)
        return compressor

    def write(self, data: bytes) -> None:
        # write() promises the data is on its way when it returns, so each call ends in a sync flush.
        if self.coding is None:
            SendTracker.write(self, data)
            return
        self.send_pending()
        if not data:
            return
        compressor = self.begin()
        assert compressor is not None
        out = compressor.compress(data) + compressor.flush()
        if out:
            SendTracker.write(self, out)

    def chunks(self, iterable: WSGIIterable) -> Iterator[bytes]:
        # The first chunk is flushed so that the client can start decoding before the app produces the
        # next one. A list or tuple has all its chunks already: the stream ends right after them, and a
        # flush would only cost a second deflate call (a fifth of the work on a 2 KB body) and 5 bytes.
        flushed_first = type(iterable) is list or type(iterable) is tuple
        for chunk in iterable:
            compressor = self.begin()
            if compressor is None:
                self.bytes_sent += len(chunk)
                yield chunk
                continue
            out = compressor.compress(chunk)
            if chunk and (self.flush_each or not flushed_first):
                flushed_first = True
                out += compressor.flush()
            if out:
                self.bytes_sent += len(out)
                yield out
        compressor = self.begin()
        if compressor is not None:
            tail = compressor.finish()
            self.bytes_sent += len(tail)
            yield tail
