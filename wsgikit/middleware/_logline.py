"""Access log fields
==================

The pure helpers of :mod:`wsgikit.middleware.access_log`: Apache-style escaping of client-supplied values,
percent-encoding of paths, and the ``[22/Nov/2026:10:05:00 +0000]`` timestamp (which the middleware
formats once a second). Nothing here knows about WSGI or logging.
"""

from __future__ import annotations

import re
import time
from urllib.parse import quote

__all__ = ["PLAIN_TOKENS", "apache_time", "escape", "needs_escape", "path_needs_quoting", "quote_path"]

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"
_ESCAPES = {i: f"\\x{i:02x}" for i in (*range(0x20), *range(0x7F, 0x100))} | {0x22: '\\"', 0x5C: "\\\\"}


# Values a server normally passes; anything else goes through escape.
PLAIN_TOKENS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HTTP/1.0", "HTTP/1.1", "HTTP/2", "HTTP/2.0"}
)


#: ``needs_escape(value)`` is ``None`` when :func:`escape` would return ``value`` unchanged: it is all
#: printable ASCII other than ``"`` and ``\``. One search over several values joined together answers
#: for all of them at once.
needs_escape = re.compile(r"[^ !#-\[\]-~]").search


def escape(value: str) -> str:
    """Apache-style escaping of a client-supplied value for a quoted log field."""
    if needs_escape(value) is None:
        return value
    return value.translate(_ESCAPES)


#: ``path_needs_quoting(path)`` is ``None`` when :func:`quote_path` would return ``path`` unchanged (a
#: search that finds nothing allocates no match object, unlike a successful ``fullmatch``)
path_needs_quoting = re.compile(r"[^A-Za-z0-9/:@!$&'()*+,;=._~%-]").search


def quote_path(path: str) -> str:
    """A WSGI path (latin-1 decoded bytes) percent-encoded where it would be ambiguous in a log line."""
    if path_needs_quoting(path) is None:
        return path
    return quote(path.encode("latin-1", "replace"), safe=_PATH_SAFE)


def apache_time(now: float) -> str:
    """``22/Nov/2026:10:05:00 +0000``: ``now`` (whole seconds) in local time."""
    tm = time.localtime(int(now))
    offset = tm.tm_gmtoff // 60
    sign = "-" if offset < 0 else "+"
    offset = abs(offset)
    text = (
        f"{tm.tm_mday:02d}/{_MONTHS[tm.tm_mon - 1]}/{tm.tm_year}:{tm.tm_hour:02d}:{tm.tm_min:02d}:"
        f"{tm.tm_sec:02d} {sign}{offset // 60:02d}{offset % 60:02d}"
    )
    return text
