"""Compression
===========

Compress responses on the fly with ``gzip`` (ISA-L or zlib-ng when installed, else the stdlib's
``zlib``), or with ``br`` / ``zstd`` when the
:mod:`brotli` / :mod:`zstandard` packages are installed and the client ranks them higher.

Unlike Paste's ``gzipper`` this streams: each chunk is compressed as the application yields it, the first
compressed bytes leave after the first chunk, and memory is bounded by the chunk size, not the body. It
honours ``Accept-Encoding`` q-values (``gzip;q=0``, ``identity;q=1, *;q=0``), merges
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
    LARGE_BODY,
    Compressor,
    MediaTypeMatcher,
    available_encodings,
    choose_encoding,
    gzip_engine,
    large_body_engine,
    make_compressor,
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
from wsgikit.wsgi import (
    SendTracker,
    get_header,
    merge_header_tokens,
    remove_header,
    status_code,
)

__all__ = ["GzipMiddleware"]

_KNOWN_ENCODINGS = ("gzip", "br", "zstd")
_STREAMING_TYPES = ("text/event-stream",)


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
        installed, a body whose ``Content-Length`` is 16 KiB or more goes to zlib-ng instead (its level
        2): ISA-L's output grows to 10 % above zlib's on large JSON bodies, zlib-ng's stays within 5 % at
        3-4x zlib's speed (:attr:`large_body_engine`).
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

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
        responder = _Responder(self, environ, start_response)
        iterable = self.app(environ, responder.start_response)
        if responder.started and responder.compressor is None:
            # Decided already and nothing to do: hand the server the app's own iterable.
            responder.passthrough = True
            return iterable
        return TransformedBody(iterable, responder.chunks(iterable))

    def decide(
        self, status: str, headers: Headers, method: str, accept_encoding: str | None
    ) -> tuple[Compressor | None, bool]:
        """Edit ``headers`` in place for the chosen coding; return ``(compressor or None, flush_each)``."""
        code = status_code(status)
        if code < 200 or code in (204, 206, 304):
            return None, False
        # One pass over the headers for everything the decision reads (first value of each, as
        # get_header() gives), instead of a scan per header name.
        content_type = length = content_range = None
        cache_control: list[str] = []
        has_vary = False
        for name, value in headers:
            lname = name.lower()
            if lname == "content-type":
                if content_type is None:
                    content_type = value
            elif lname == "content-length":
                if length is None:
                    length = value
            elif lname == "content-encoding":
                return None, False
            elif lname == "content-range":
                if content_range is None:
                    content_range = value
            elif lname == "cache-control":
                cache_control.append(value)
            elif lname == "vary":
                has_vary = True
        if content_range:
            return None, False
        if cache_control and "no-transform" in (
            token.strip().lower() for value in cache_control for token in value.split(",")
        ):
            return None, False
        if not self.types(content_type):
            return None, False
        # From here the representation depends on Accept-Encoding, whatever this request carried.
        if has_vary:
            merge_header_tokens(headers, "Vary", "Accept-Encoding")
        else:
            headers.append(("Vary", "Accept-Encoding"))
        if method == "HEAD":
            return None, False
        size = (
            int(length)
            if length is not None and length.strip().isascii() and length.strip().isdigit()
            else -1
        )
        if 0 <= size < self.minimum_size:
            return None, False
        encoding = choose_encoding(accept_encoding, self.encodings)
        if encoding is None:
            return None, False
        remove_header(headers, "Content-Length")
        remove_header(headers, "Accept-Ranges")  # ranges would address the identity bytes
        etag = get_header(headers, "ETag")
        if etag is not None and etag.startswith('"'):
            remove_header(headers, "ETag")
            headers.append(("ETag", "W/" + etag))
        headers.append(("Content-Encoding", encoding))
        media_type = (content_type or "").partition(";")[0].strip().lower()
        flush_each = self.flush or media_type in _STREAMING_TYPES
        if encoding == "gzip" and self.large_body_engine is not None and size >= LARGE_BODY:
            return make_compressor(encoding, self.level, self.large_body_engine, large=True), flush_each
        return make_compressor(encoding, self.level, self.gzip_engine), flush_each


class _Responder(SendTracker):
    """Per-request state: what the app said, and the compressor when the body is being compressed.

    As a :class:`~wsgikit.wsgi.SendTracker` it forwards ``start_response`` (with ``exc_info`` when
    given) and counts the bytes it hands to the server — compressed bytes when compressing.
    """

    __slots__ = ("accept_encoding", "compressor", "flush_each", "method", "middleware", "passthrough")

    def __init__(
        self, middleware: GzipMiddleware, environ: WSGIEnvironment, start_response: StartResponse
    ) -> None:
        SendTracker.__init__(self, start_response)
        self.middleware = middleware
        self.method: str = environ.get("REQUEST_METHOD", "GET")
        self.accept_encoding: str | None = environ.get("HTTP_ACCEPT_ENCODING")
        self.compressor: Compressor | None = None
        self.flush_each = False
        self.passthrough = False

    @property
    def started(self) -> bool:
        return self.status is not None

    def start_response(
        self, status: str, headers: Headers, exc_info: OptExcInfo | None = None
    ) -> WriteCallable:
        headers = list(headers)
        if self.passthrough:
            # The app's iterable went to the server untouched; a replacement response (exc_info) must
            # not be compressed either.
            self.compressor = None
        else:
            self.compressor, self.flush_each = self.middleware.decide(
                status, headers, self.method, self.accept_encoding
            )
        return SendTracker.start_response(self, status, headers, exc_info)

    def write(self, data: bytes) -> None:
        # write() promises the data is on its way when it returns, so each call ends in a sync flush.
        compressor = self.compressor
        if compressor is None:
            SendTracker.write(self, data)
            return
        out = compressor.compress(data) + compressor.flush() if data else b""
        if out:
            SendTracker.write(self, out)

    def chunks(self, iterable: WSGIIterable) -> Iterator[bytes]:
        # The first chunk is flushed so that the client can start decoding before the app produces the
        # next one. A list or tuple has all its chunks already: the stream ends right after them, and a
        # flush would only cost a second deflate call (a fifth of the work on a 2 KB body) and 5 bytes.
        flushed_first = type(iterable) is list or type(iterable) is tuple
        for chunk in iterable:
            compressor = self.compressor
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
        if self.compressor is not None:
            tail = self.compressor.finish()
            self.bytes_sent += len(tail)
            yield tail
