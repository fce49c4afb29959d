"""Content codings
===============

The pure parts of :mod:`wsgikit.middleware.gzip`: parsing ``Accept-Encoding`` with q-values, choosing a
coding, deciding whether a media type is worth compressing, and one incremental compressor per coding
(``gzip`` from the stdlib; ``br`` and ``zstd`` only when the :mod:`brotli` / :mod:`zstandard` packages are
installed), with a :class:`Coding` that also compresses a whole body in one call. Nothing here knows
about WSGI.

``gzip`` has three deflate engines, all writing standard gzip that any client (and the stdlib's
:mod:`gzip`) decodes: ISA-L through :mod:`isal` (fastest), zlib-ng through :mod:`zlib_ng`, and the
stdlib's :mod:`zlib`. :func:`gzip_engine` picks the first one installed (``pip install wsgikit[compress]``
brings ISA-L); ``GzipMiddleware(engine=...)`` forces one.

.. code-block:: python

    >>> choose_encoding("gzip;q=0, identity", ("gzip",))
    >>> choose_encoding("br;q=0.5, gzip", ("gzip", "br"))
    'gzip'
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import re
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

__all__ = [
    "DEFAULT_TYPES",
    "GZIP_ENGINES",
    "Coding",
    "Compressor",
    "MediaTypeMatcher",
    "available_encodings",
    "choose_encoding",
    "gzip_engine",
    "gzip_engines",
    "large_body_engine",
    "make_compressor",
    "parse_accept_encoding",
]

DEFAULT_TYPES: tuple[str, ...] = (
    "text/*",
    "application/json",
    "application/javascript",
    "application/x-javascript",
    "application/ecmascript",
    "application/xml",
    "application/xhtml+xml",
    "image/svg+xml",
    "*/*+json",
    "*/*+xml",
)
"""Media types compressed by default: text, JSON, XML, JavaScript, SVG and the ``+json`` / ``+xml``
structured-syntax suffixes. Images, video, audio, archives, PDF and ``octet-stream`` are already
compressed or opaque and are left alone."""

# RFC 9110 §12.4.2: qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
_QVALUE = re.compile(r"^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$")
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_ALIASES = {"x-gzip": "gzip"}


def parse_accept_encoding(value: str) -> dict[str, float]:
    """``Accept-Encoding`` → ``{coding: q}`` (codings lower-cased, ``x-gzip`` folded into ``gzip``).

    Malformed members (bad token, bad or out-of-range q) are dropped rather than guessed at, so a garbled
    header can only ever lead to *less* compression. When a coding is listed twice the lower q wins.
    """
    result: dict[str, float] = {}
    for member in value.split(","):
        coding, _, params = member.partition(";")
        coding = coding.strip().lower()
        if not coding or not _TOKEN.match(coding):
            continue
        q = 1.0
        valid = True
        for param in params.split(";") if params else ():
            name, eq, raw = param.partition("=")
            if name.strip().lower() != "q":
                continue  # RFC 9110 defines only q; other parameters are ignored
            raw = raw.strip()
            if not eq or not _QVALUE.match(raw):
                valid = False
                break
            q = float(raw)
        if not valid:
            continue
        coding = _ALIASES.get(coding, coding)
        result[coding] = min(q, result.get(coding, q))
    return result


def choose_encoding(accept_encoding: str | None, offers: Sequence[str]) -> str | None:
    """The coding from ``offers`` (server preference order) the client accepts with the highest q, or
    ``None`` for identity.

    A missing or empty header means identity. ``*`` covers every coding not listed explicitly; a coding
    with ``q=0`` (explicitly, or through ``*;q=0``) is never chosen. Ties go to the earlier offer.
    """
    if not accept_encoding:
        return None
    return _choose(accept_encoding, tuple(offers))


# Why not webob.acceptparse: it answers differently and is slower (benchmarks/bench_compress.py, "Accept-
# Encoding"). It treats a header it cannot parse as no header at all, so "gzip;q=0.0000", "gzip;q=abc" or
# ",,,;;;" get gzip where this module sends identity; it does not fold x-gzip into gzip; and a listed
# coding's first q wins where this takes the lower. It also costs about 5x this parser per header
# (29 vs 6 µs uncached, measured side by side in one run), and clients send few distinct values, so the
# answers are cached: a bounded LRU, so that a client sending a new value each time only misses.
@functools.lru_cache(maxsize=512)
def _choose(accept_encoding: str, offers: tuple[str, ...]) -> str | None:
    accepted = parse_accept_encoding(accept_encoding)
    star = accepted.get("*")
    best: str | None = None
    best_q = 0.0
    for offer in offers:
        q = accepted.get(offer, star)
        if q is not None and q > best_q:
            best, best_q = offer, q
    return best


class MediaTypeMatcher:
    """Match a ``Content-Type`` against an allow-list of ``type/subtype``, ``type/*`` and ``*/*+suffix``
    patterns (a bare ``+json`` means ``*/*+json``)."""

    def __init__(self, patterns: Iterable[str]) -> None:
        self.exact: set[str] = set()
        self.major: set[str] = set()
        self.suffixes: set[str] = set()
        self._known: dict[str, bool] = {}
        for raw in patterns:
            pattern = raw.strip().lower()
            if pattern.startswith("+"):
                self.suffixes.add(pattern)
            elif pattern.startswith("*/*+"):
                self.suffixes.add(pattern[3:])
            elif pattern == "*/*":
                self.major.add("*")
            elif pattern.endswith("/*") and "/" not in pattern[:-2] and pattern[:-2]:
                self.major.add(pattern[:-2])
            elif pattern.count("/") == 1 and all(pattern.split("/")):
                self.exact.add(pattern)
            else:
                raise ValueError(f"not a media type pattern: {raw!r}")

    def __call__(self, content_type: str | None) -> bool:
        if not content_type:
            return False
        # Applications send few distinct Content-Type values: remember the answers (bounded).
        known = self._known.get(content_type)
        if known is None:
            if len(self._known) >= 256:
                self._known.clear()
            known = self._known[content_type] = self._match(content_type)
        return known

    def _match(self, content_type: str) -> bool:
        media_type = content_type.partition(";")[0].strip().lower()
        if media_type in self.exact:
            return True
        major, slash, subtype = media_type.partition("/")
        if not slash:
            return False
        if "*" in self.major or major in self.major:
            return True
        plus = subtype.rfind("+")
        return plus >= 0 and subtype[plus:] in self.suffixes


# -- compressors --------------------------------------------------------------------------------------------


class Compressor(Protocol):
    """An incremental compressor: ``compress`` may return ``b""`` while it buffers; ``flush`` makes every
    byte given so far decodable by the client; ``finish`` ends the stream."""

    def compress(self, data: bytes) -> bytes: ...

    def flush(self) -> bytes: ...

    def finish(self) -> bytes: ...


GZIP_ENGINES: tuple[str, ...] = ("isal", "zlib-ng", "zlib")
"""The deflate engines for ``gzip``, in the order :func:`gzip_engine` prefers them."""

_ENGINE_MODULES = {"isal": "isal.isal_zlib", "zlib-ng": "zlib_ng.zlib_ng", "zlib": "zlib"}

# wsgikit's levels are zlib's (1-9). ISA-L has four (0-3), and its level 0 is a fast, large one (+40 %
# on JSON). Measured side by side on nova's server list (benchmarks/bench_compress.py): ISA-L 2 runs 7-8x
# zlib 6's throughput for 10 % larger output (1-5 % on 1-3 KB bodies, 1.3-1.7x faster there); ISA-L 3 is
# only 1 % smaller than ISA-L 2 and 4x slower, so it serves levels 7-9 only.
_ISAL_LEVELS = (1, 1, 1, 1, 2, 2, 2, 3, 3, 3)  # index: zlib level 0-9

#: Bodies declared (``Content-Length``) at least this long go to :func:`large_body_engine`'s engine.
LARGE_BODY = 16 * 1024

# ISA-L 2's output grows with the body (against zlib 6 on nova JSON: +1-5 % at 1-4 KB, +8 % at 16 KB,
# +10 % from 32 KB on), while zlib-ng 2 stays within +5 % at 3-4x zlib 6's speed on large bodies but is
# barely faster than zlib on small ones (its fixed cost per stream is higher). So with the engine left to
# wsgikit, levels 4-6 use ISA-L below LARGE_BODY and zlib-ng 2 from there (benchmarks/bench_compress.py).
_ZLIB_NG_LARGE_LEVELS = {4: 2, 5: 2, 6: 2}


def large_body_engine(level: int, engine: str) -> str | None:
    """The engine for bodies of at least :data:`LARGE_BODY` bytes at ``level`` when ``engine`` was chosen
    automatically, or ``None`` for ``engine`` itself: ``"zlib-ng"`` when ``engine`` is ISA-L, zlib-ng is
    installed and ``level`` is 4 to 6."""
    if engine == "isal" and level in _ZLIB_NG_LARGE_LEVELS and _engine_module("zlib-ng") is not None:
        return "zlib-ng"
    return None


def gzip_engines() -> tuple[str, ...]:
    """The deflate engines installed here, fastest first (``zlib`` is always there)."""
    return tuple(name for name in GZIP_ENGINES if _engine_module(name) is not None)


def gzip_engine(engine: str | None = None) -> str:
    """The engine to use: ``engine`` when given (``ValueError`` if unknown or not installed), else the
    fastest installed."""
    if engine is None:
        return gzip_engines()[0]
    if engine not in GZIP_ENGINES:
        raise ValueError(f"expected one of {', '.join(GZIP_ENGINES)}, got {engine!r}")
    if _engine_module(engine) is None:
        package = "isal" if engine == "isal" else "zlib-ng"
        raise ValueError(f"{engine} needs the {package} package, which is not installed")
    return engine


@functools.cache
def _engine_module(engine: str) -> Any:
    try:
        return importlib.import_module(_ENGINE_MODULES[engine])
    except ImportError:
        return None


class GzipCompressor:
    """gzip framing (wbits 16 + 15) over a zlib-compatible ``compressobj`` of the chosen engine."""

    __slots__ = ("_finish", "_stream", "_sync", "compress")

    def __init__(self, level: int, engine: str = "zlib", *, large: bool = False) -> None:
        module = _engine_module(engine)
        if engine == "isal":
            level = _ISAL_LEVELS[level]
        elif large and engine == "zlib-ng":
            level = _ZLIB_NG_LARGE_LEVELS.get(level, level)
        self._stream = module.compressobj(level, module.DEFLATED, 31)
        self._sync: int = module.Z_SYNC_FLUSH
        self._finish: int = module.Z_FINISH
        self.compress = self._stream.compress

    def flush(self) -> bytes:
        out: bytes = self._stream.flush(self._sync)
        return out

    def finish(self) -> bytes:
        out: bytes = self._stream.flush(self._finish)
        return out


class BrotliCompressor:
    __slots__ = ("_brotli",)

    def __init__(self, level: int) -> None:
        import brotli

        self._brotli: Any = brotli.Compressor(quality=level)

    def compress(self, data: bytes) -> bytes:
        out: bytes = self._brotli.process(data)
        return out

    def flush(self) -> bytes:
        out: bytes = self._brotli.flush()
        return out

    def finish(self) -> bytes:
        out: bytes = self._brotli.finish()
        return out


class ZstdCompressor:
    __slots__ = ("_block", "_zstd")

    def __init__(self, level: int) -> None:
        import zstandard

        self._zstd: Any = zstandard.ZstdCompressor(level=level).compressobj()
        self._block: int = zstandard.COMPRESSOBJ_FLUSH_BLOCK

    def compress(self, data: bytes) -> bytes:
        out: bytes = self._zstd.compress(data)
        return out

    def flush(self) -> bytes:
        out: bytes = self._zstd.flush(self._block)
        return out

    def finish(self) -> bytes:
        out: bytes = self._zstd.flush()
        return out


_COMPRESSORS: dict[str, tuple[str | None, type[GzipCompressor | BrotliCompressor | ZstdCompressor]]] = {
    "gzip": (None, GzipCompressor),
    "br": ("brotli", BrotliCompressor),
    "zstd": ("zstandard", ZstdCompressor),
}


def available_encodings() -> tuple[str, ...]:
    """The codings this interpreter can produce: ``gzip`` always, ``br`` and ``zstd`` when installed."""
    return tuple(
        name
        for name, (module, _) in _COMPRESSORS.items()
        if module is None or importlib.util.find_spec(module) is not None
    )


def make_compressor(
    encoding: str, level: int, gzip_engine: str = "zlib", *, large: bool = False
) -> Compressor:
    """A fresh compressor for ``encoding`` (one of :func:`available_encodings`) at ``level`` (1 to 9);
    ``gzip`` uses the deflate engine ``gzip_engine`` (one of :func:`gzip_engines`). ``large`` says the
    engine is :func:`large_body_engine`'s choice for a large body, which zlib-ng compresses at its
    level 2 where the level is 4 to 6."""
    if encoding == "gzip":
        return GzipCompressor(level, gzip_engine, large=large)
    return _COMPRESSORS[encoding][1](level)


class Coding:
    """One content coding at one level, prepared once (by the middleware) for every response it compresses.

    :meth:`stream` gives a fresh incremental :class:`Compressor`; :meth:`whole` compresses a body that is
    all there in one call, without a compressor object and the calls to it. Both write the same format
    with the same engine and level, so that a client cannot tell them apart. For ``gzip``,
    ``large_body_engine`` (:func:`large_body_engine`'s answer, or None) takes bodies of at least
    :data:`LARGE_BODY` bytes: declared ones for :meth:`stream`, measured ones for :meth:`whole`.
    """

    __slots__ = ("_large", "_large_level", "_large_module", "_level", "_module", "engine", "level", "name")

    def __init__(
        self, encoding: str, level: int, gzip_engine: str = "zlib", large_body_engine: str | None = None
    ) -> None:
        #: the ``Content-Encoding`` token
        self.name = encoding
        self.level = level
        self.engine = gzip_engine
        self._large = large_body_engine
        self._large_module: Any = None
        self._level = self._large_level = level
        if encoding == "gzip":
            self._module: Any = _engine_module(gzip_engine)
            self._level = _ISAL_LEVELS[level] if gzip_engine == "isal" else level
            if large_body_engine is not None:
                self._large_module = _engine_module(large_body_engine)
                if large_body_engine == "zlib-ng":
                    self._large_level = _ZLIB_NG_LARGE_LEVELS.get(level, level)
        else:
            self._module = importlib.import_module(_COMPRESSORS[encoding][0] or encoding)

    def stream(self, size: int = -1) -> Compressor:
        """A fresh compressor for a body of ``size`` bytes (``-1``: not known)."""
        if self._large is not None and size >= LARGE_BODY:
            return make_compressor(self.name, self.level, self._large, large=True)
        return make_compressor(self.name, self.level, self.engine)

    def whole(self, data: bytes) -> bytes:
        """``data`` compressed in one call, a complete stream."""
        out: bytes
        if self.name == "gzip":
            if self._large_module is not None and len(data) >= LARGE_BODY:
                out = self._large_module.compress(data, self._large_level, 31)
            else:
                out = self._module.compress(data, self._level, 31)
        elif self.name == "br":
            out = self._module.compress(data, quality=self.level)
        else:
            out = self._module.ZstdCompressor(level=self.level).compress(data)
        return out
