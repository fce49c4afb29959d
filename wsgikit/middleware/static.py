"""Static files
============

Serve a directory: ``GET`` and ``HEAD``, ``ETag``/``Last-Modified`` with ``304 Not Modified``, byte
ranges (``206``/``416``, through WebOb's conditional responses), and content types that do not depend on
the host's ``mime.types``. Requests never leave the directory: ``..`` and ``.`` segments (however they
were encoded before the server decoded them), backslashes, drive letters, Windows device names, hidden
files and symbolic links that point outside the root all get ``404``; a NUL byte gets ``400``.
Error bodies never show a filesystem path.

.. code-block:: python

    from wsgikit.middleware.static import StaticApp

    assets = StaticApp("/srv/myapp/static", cache_max_age=3600)

Mount it under a prefix with ``urlmap``: it serves ``PATH_INFO`` relative to its directory.
"""

from __future__ import annotations

import mimetypes
import os
import re
import stat as stat_module
from collections.abc import Iterator
from typing import IO
from urllib.parse import quote

import webob
import webob.byterange

from wsgikit.exc import error_response
from wsgikit.options import (
    REQUIRED,
    Converter,
    Option,
    OptionTable,
    to_bool,
    to_path,
    to_seconds,
    to_str,
)
from wsgikit.types import StartResponse, WSGIEnvironment, WSGIIterable

__all__ = ["StaticApp", "content_type_for", "safe_path_segments"]

BLOCK_SIZE = 64 * 1024

# Types that must not depend on the host's mime.types (which differ between distributions and are
# missing in slim containers); mimetypes fills in the rest.
_TYPES = {
    ".html": "text/html",
    ".htm": "text/html",
    ".css": "text/css",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".json": "application/json",
    ".map": "application/json",
    ".txt": "text/plain",
    ".xml": "application/xml",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/x-icon",
    ".wasm": "application/wasm",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".pdf": "application/pdf",
}
# A compressed file is served as what it is — never with Content-Encoding, or browsers would unpack it.
_COMPRESSED = {
    "gzip": "application/gzip",
    "bzip2": "application/x-bzip2",
    "xz": "application/x-xz",
    "br": "application/x-brotli",
    "compress": "application/x-compress",
}
_WINDOWS_DEVICES = re.compile(r"^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$", re.IGNORECASE)


def content_type_for(filename: str, fallback: str = "application/octet-stream") -> str:
    """The media type to serve ``filename`` as."""
    _base, ext = os.path.splitext(filename.lower())
    guessed, encoding = mimetypes.guess_type(filename, strict=False)
    if encoding:
        return _COMPRESSED.get(encoding, fallback)
    return _TYPES.get(ext) or guessed or fallback


class BadPath(ValueError):
    """A path that must not be served; ``status`` is 400 or 404."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def safe_path_segments(path: str, *, allow_hidden: bool = False) -> list[str]:
    """The segments of a decoded URL path that are safe to join onto a directory.

    :raises BadPath: 400 for a NUL byte; 404 for ``.``/``..``, backslashes, drive letters, control
        characters, Windows device names and (unless ``allow_hidden``) names starting with a dot.
    """
    if "\x00" in path:
        raise BadPath(400)
    segments = []
    for segment in path.split("/"):
        if not segment:
            continue
        if (
            segment in (".", "..")
            or "\\" in segment
            or ":" in segment
            or not segment.isprintable()
            or _WINDOWS_DEVICES.match(segment)
            or (segment.startswith(".") and not allow_hidden)
        ):
            raise BadPath(404)
        segments.append(segment)
    return segments


class _FileIter:
    """A file's bytes (up to ``size``), in blocks; ``close()`` closes the file; WebOb asks it for ranges."""

    def __init__(self, file: IO[bytes], size: int, start: int = 0) -> None:
        self.file = file
        self.size = size
        self.start = start

    def __iter__(self) -> Iterator[bytes]:
        self.file.seek(self.start)
        remaining = self.size - self.start
        while remaining > 0:
            block = self.file.read(min(BLOCK_SIZE, remaining))
            if not block:
                return
            remaining -= len(block)
            yield block

    def app_iter_range(self, start: int, stop: int | None) -> _FileIter:
        return _FileIter(self.file, self.size if stop is None else min(stop, self.size), start)

    def close(self) -> None:
        self.file.close()


def _range_parses(value: str | None) -> bool:
    """False for a ``Range`` header WebOb's parser raises on instead of ignoring."""
    if value is None:
        return True
    try:
        webob.byterange.Range.parse(value)
    except ValueError:
        return False
    return True


def _parse_index(value: str) -> str | None:
    """A file name, or empty / ``none`` for no index file."""
    stripped = value.strip()
    return None if stripped.lower() in ("", "none") else stripped


def _check_index(index: str | None) -> str | None:
    if index is not None and (
        not isinstance(index, str) or "/" in index or "\\" in index or index in ("", ".", "..")
    ):
        raise ValueError(f"must be a plain file name, got {index!r}")
    return index


_INDEX = Converter("to_index", _parse_index, _check_index)


class StaticApp:
    """Serve the files under ``directory``.

    :param directory: the root; must exist.
    :param index: the file served for a directory (``None`` to answer 404 for directories). A directory
        requested without its trailing slash is redirected (301) to it.
    :param cache_max_age: seconds for ``Cache-Control: public, max-age=N`` (None sends no Cache-Control).
    :param allow_hidden: serve names starting with a dot (``.well-known``); off by default, so that
        ``.git`` or ``.htpasswd`` inside the root stay private.
    :param fallback_type: the media type of files whose type is unknown.
    """

    OPTIONS = OptionTable(
        "static",
        Option("directory", to_path, REQUIRED, "the directory to serve", must_exist="dir"),
        Option("index", _INDEX, "index.html", "file served for a directory (none: 404)"),
        Option("cache_max_age", to_seconds, None, "Cache-Control max-age (default: none sent)"),
        Option("allow_hidden", to_bool, False, "serve names starting with a dot"),
        Option("fallback_type", to_str, "application/octet-stream", "media type of unknown files"),
    )

    def __init__(
        self,
        directory: str,
        *,
        index: str | None = OPTIONS.default("index"),
        cache_max_age: int | None = OPTIONS.default("cache_max_age"),
        allow_hidden: bool = OPTIONS.default("allow_hidden"),
        fallback_type: str = OPTIONS.default("fallback_type"),
    ) -> None:
        self.OPTIONS.validate(
            directory=directory,
            index=index,
            cache_max_age=cache_max_age,
            allow_hidden=allow_hidden,
            fallback_type=fallback_type,
        )
        if not os.path.isdir(directory):
            raise ValueError(f"directory: not a directory: {directory!r}")
        self.root = os.path.realpath(directory)
        self.index = index
        self.cache_max_age = cache_max_age
        self.allow_hidden = allow_hidden
        self.fallback_type = fallback_type

    def resolve(self, path: str) -> str:
        """The real path of the file for URL path ``path`` (may not exist).

        :raises BadPath: for unsafe paths, and for paths whose real location is outside the root.
        """
        segments = safe_path_segments(path, allow_hidden=self.allow_hidden)
        real = os.path.realpath(os.path.join(self.root, *segments))
        if real != self.root and not real.startswith(self.root + os.sep):
            raise BadPath(404)  # a symbolic link pointing out of the root
        return real

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
        method = environ.get("REQUEST_METHOD", "GET")
        if method not in ("GET", "HEAD"):
            return error_response(405, headers=[("Allow", "GET, HEAD")])(environ, start_response)
        path = environ.get("PATH_INFO", "")
        try:
            filename = self.resolve(path)
            info = os.stat(filename)
            if stat_module.S_ISDIR(info.st_mode):
                if self.index is None:
                    raise BadPath(404)
                if not path.endswith("/"):
                    return self._redirect_to_directory(environ, start_response, path)
                filename = self.resolve(path + self.index)
                info = os.stat(filename)
            if not stat_module.S_ISREG(info.st_mode):
                raise BadPath(404)
            file = open(filename, "rb")  # noqa: SIM115 -- closed by the response iterable
        except BadPath as error:
            return error_response(error.status)(environ, start_response)
        except (OSError, ValueError):  # missing, unreadable, or a name the OS refuses
            return error_response(404)(environ, start_response)
        response = webob.Response(
            app_iter=_FileIter(file, info.st_size),
            content_type=content_type_for(filename, self.fallback_type),
            content_length=info.st_size,
            last_modified=info.st_mtime,
            etag=f"{info.st_mtime_ns:x}-{info.st_size:x}",
            accept_ranges="bytes",
            conditional_response=True,
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        if self.cache_max_age is not None:
            response.headers["Cache-Control"] = f"public, max-age={self.cache_max_age}"
        if not _range_parses(environ.get("HTTP_RANGE")):
            # WebOb raises ValueError on "bytes=-"; an invalid Range is ignored (RFC 9110 §14.2): 200
            environ = {key: value for key, value in environ.items() if key != "HTTP_RANGE"}
        result: WSGIIterable = response.conditional_response_app(environ, start_response)
        return result

    def _redirect_to_directory(
        self, environ: WSGIEnvironment, start_response: StartResponse, path: str
    ) -> WSGIIterable:
        # A relative reference to the last segment plus "/": it cannot point to another host.
        if not path:  # mounted without a trailing slash: the last segment is the mount point's
            path = environ.get("SCRIPT_NAME", "")
        location = quote(path.rsplit("/", 1)[-1]) + "/"
        query = environ.get("QUERY_STRING")
        if query:
            location += "?" + quote(query, safe="=&;%+/?:@!$'()*,~")
        return error_response(301, location=location)(environ, start_response)
