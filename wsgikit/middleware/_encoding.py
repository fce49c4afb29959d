"""Content codings
===============

The pure parts of :mod:`wsgikit.middleware.gzip`: parsing ``Accept-Encoding`` with q-values, choosing a
coding, deciding whether a media type is worth compressing, and one incremental compressor per coding
(``gzip`` from the stdlib; ``br`` and ``zstd`` only when the :mod:`brotli` / :mod:`zstandard` packages are
installed). Nothing here knows about WSGI.

.. code-block:: python

    >>> choose_encoding("gzip;q=0, identity", ("gzip",))
    >>> choose_encoding("br;q=0.5, gzip", ("gzip", "br"))
    'gzip'
"""

from __future__ import annotations

import importlib.util
import re
import zlib
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

__all__ = [
    "DEFAULT_TYPES",
    "Compressor",
    "MediaTypeMatcher",
    "available_encodings",
    "choose_encoding",
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


class GzipCompressor:
    __slots__ = ("_zlib", "compress")

    def __init__(self, level: int) -> None:
        self._zlib = zlib.compressobj(level, zlib.DEFLATED, 31)  # wbits 16+15: gzip framing
        self.compress = self._zlib.compress

    def flush(self) -> bytes:
        return self._zlib.flush(zlib.Z_SYNC_FLUSH)

    def finish(self) -> bytes:
        return self._zlib.flush(zlib.Z_FINISH)


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


def make_compressor(encoding: str, level: int) -> Compressor:
    """A fresh compressor for ``encoding`` (one of :func:`available_encodings`) at ``level`` (1 to 9)."""
    return _COMPRESSORS[encoding][1](level)
