"""Forwarding header parsers
=========================

Pure parsers for what proxies add to a request: RFC 7239 ``Forwarded`` and the ``X-Forwarded-*`` family.
They take header strings and return values, or ``None`` for anything malformed — a spoofed or broken
header is ignored, never an error.
"""

from __future__ import annotations

import ipaddress
import re

__all__ = [
    "comma_values",
    "parse_forwarded",
    "parse_host",
    "parse_node",
    "parse_port",
    "parse_prefix",
    "parse_proto",
    "pick",
]

MAX_HEADER = 8192
_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_QUOTED = r'"(?:[^"\\\x00-\x08\x0a-\x1f\x7f]|\\[\t\x20-\x7e])*"'
_PAIR_RE = re.compile(rf"\s*({_TOKEN})=({_TOKEN}|{_QUOTED})\s*")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME_RE = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*\.?$")
_PORT_RE = re.compile(r"^[0-9]{1,5}$")
# SCRIPT_NAME is a decoded path, so percent-escapes are refused rather than decoded (no %2e%2e games).
_PREFIX_RE = re.compile(r"^/[A-Za-z0-9\-._~!$&'()*+,;=:@/]*$")


def comma_values(value: str | None) -> list[str]:
    """The comma-separated values of an ``X-Forwarded-*`` header (servers join repeated headers with
    commas), stripped; an empty list for a missing or oversized header."""
    if not value or len(value) > MAX_HEADER:
        return []
    return [item.strip() for item in value.split(",")]


def pick(values: list[str], hops: int) -> str | None:
    """The value added by the outermost of ``hops`` trusted proxies: ``values[-hops]``, or None when
    there are fewer values than hops (the request did not come through all of them)."""
    if hops <= 0 or len(values) < hops:
        return None
    return values[-hops] or None


def _unquote(value: str) -> str:
    if value.startswith('"'):
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def parse_forwarded(value: str | None) -> list[dict[str, str]] | None:
    """RFC 7239 ``Forwarded`` → one dict per element (lower-case parameter names, unquoted values).

    :returns: None when the header is absent, oversized or malformed anywhere (a half-understood chain
        cannot be counted from the right).
    """
    if not value or len(value) > MAX_HEADER:
        return None
    elements: list[dict[str, str]] = [{}]
    position = 0
    while position < len(value):
        match = _PAIR_RE.match(value, position)
        if match is None:
            return None
        name = match.group(1).lower()
        if name in elements[-1]:
            return None  # a parameter repeated inside one element is malformed (RFC 7239 §4)
        elements[-1][name] = _unquote(match.group(2))
        position = match.end()
        if position == len(value):
            break
        separator = value[position]
        position += 1
        if separator == ",":
            elements.append({})
        elif separator != ";":
            return None
        if position == len(value):
            return None  # trailing separator
    return elements if elements[-1] else None


def parse_node(value: str | None) -> str | None:
    """A client address from ``X-Forwarded-For`` or ``Forwarded: for=``: ``203.0.113.9``,
    ``203.0.113.9:4711``, ``2001:db8::1``, ``[2001:db8::1]:4711`` → the IP as text; obfuscated
    (``_hidden``), ``unknown`` and anything else → None."""
    if not value:
        return None
    text = value.strip()
    if text.startswith("["):
        end = text.find("]")
        if end < 0 or (text[end + 1 :] and not re.fullmatch(r":[0-9]{1,5}", text[end + 1 :])):
            return None
        text = text[1:end]
    elif text.count(":") == 1:
        text, _, port = text.partition(":")
        if not _PORT_RE.match(port):
            return None
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def parse_proto(value: str | None) -> str | None:
    """``http`` or ``https`` (case-insensitive); anything else → None."""
    if value and value.strip().lower() in ("http", "https"):
        return value.strip().lower()
    return None


def parse_port(value: str | None) -> str | None:
    """A TCP port 1 to 65535 as text, or None."""
    if value and _PORT_RE.match(value.strip()) and 0 < int(value) < 65536:
        return str(int(value))
    return None


def parse_host(value: str | None) -> tuple[str, str | None] | None:
    """``example.com``, ``example.com:8443``, ``[2001:db8::1]:8443`` → ``(host, port or None)``; None
    for anything else (user info, paths, spaces, bad ports...)."""
    if not value or len(value) > 300:
        return None
    text = value.strip()
    port: str | None = None
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            return None
        try:
            ipaddress.IPv6Address(text[1:end])
        except ValueError:
            return None
        host, rest = text[: end + 1], text[end + 1 :]
        if rest:
            if not rest.startswith(":"):
                return None
            port = parse_port(rest[1:])
            if port is None:
                return None
        return host, port
    host, colon, port_text = text.partition(":")
    if colon:
        port = parse_port(port_text)
        if port is None:
            return None
    if not _HOSTNAME_RE.match(host):
        return None
    return host.lower(), port


def parse_prefix(value: str | None) -> str | None:
    """An ``X-Forwarded-Prefix`` path: absolute, without ``.``/``..`` segments or control characters;
    returned without a trailing slash (``/`` → ``""``)."""
    if not value or len(value) > 1024:
        return None
    text = value.strip()
    if not _PREFIX_RE.match(text):
        return None
    if any(segment in (".", "..") for segment in text.split("/")) or "//" in text:
        return None
    return text.rstrip("/")
