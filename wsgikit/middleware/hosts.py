"""Allowed hosts
=============

Answer ``400 Bad Request`` before the application runs when a request's ``Host`` is missing (HTTP/1.1),
malformed, or not one of the names the service answers to. Absolute URLs built from the request -- the
``links`` of nova-style views, ``Location`` after a create, redirects -- then never carry a host a
client made up (Host header poisoning), and a malformed ``Host`` gets the ``400`` that RFC 9112 (3.2)
requires of the server. waitress, gunicorn, uWSGI and wsgiref pass any ``Host`` to the application;
nginx refuses a malformed one itself, so behind nginx only the allow-list is new.

* **Well-formed** is a host name (labels of letters, digits, ``-`` and ``_``, joined by dots, an optional
  trailing dot), an IPv4 address, or an IPv6 address in brackets, with an optional port of 1 to 65535.
  Spaces, paths, user info, control and non-ASCII bytes, several comma-joined values (servers join a
  repeated ``Host`` that way), an empty value and ``host:`` are not. The underscore is accepted, as
  nginx does, for container and compose service names.
* **Allowed** is matched on the name alone, without the port, case-insensitively and without a
  trailing dot: ``api.example.com`` exactly, ``*.example.com`` any name below it, ``.example.com`` the
  name and any name below it (Django's ``ALLOWED_HOSTS`` spelling), ``*`` any well-formed host (the
  default: only malformed and missing ``Host`` values are refused).
* **HTTP/1.0** requests without ``Host`` pass: the server's own ``SERVER_NAME`` stands for it.

Put it inside :mod:`~wsgikit.middleware.proxy_fix` (which replaces ``HTTP_HOST`` from a trusted
``X-Forwarded-Host``), so that the host checked is the one URLs are built from, and inside ``errors``
and ``access_log``, so that refusals carry the pipeline's fault format and are logged.

.. code-block:: ini

    [filter:allowed_hosts]
    use = egg:wsgikit#allowed_hosts
    hosts = api.example.com .internal.example.com 127.0.0.1
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable

from wsgikit.exc import HTTPBadRequest
from wsgikit.options import Option, OptionTable, to_list
from wsgikit.types import StartResponse, WSGIApplication, WSGIEnvironment, WSGIIterable

__all__ = ["AllowedHostsMiddleware", "host_name"]

_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
_NAME_RE = re.compile(rf"{_LABEL}(?:\.{_LABEL})*\.?")
_PORT_RE = re.compile(r"[0-9]{1,5}")
MAX_HOST = 300
"""Longer ``Host`` values are refused without being parsed (a name is at most 253 characters)."""
CACHE_SIZE = 256
"""Distinct ``Host`` values whose verdict is remembered; the memory is cleared when it is full, so a
client inventing values costs a parse per request and nothing more."""


def _port_ok(text: str) -> bool:
    return _PORT_RE.fullmatch(text) is not None and 0 < int(text) < 65536


def host_name(value: str | None) -> str | None:
    """The name part of a ``Host`` value -- lower-case, without port or trailing dot; IPv6 addresses in
    brackets -- or ``None`` when the value is not a well-formed host (see the module's rules)."""
    if not value or len(value) > MAX_HOST:
        return None
    if value[0] == "[":
        end = value.find("]")
        literal = value[1:end]
        if end < 0 or "%" in literal:  # no zone ids: they name an interface of the client's machine
            return None
        try:
            address = ipaddress.IPv6Address(literal)
        except ValueError:
            return None
        rest = value[end + 1 :]
        if rest and not (rest[0] == ":" and _port_ok(rest[1:])):
            return None
        return f"[{address.compressed}]"  # one spelling of each address: [0:0::1] is [::1]
    name, colon, port = value.partition(":")
    if colon and not _port_ok(port):
        return None
    if len(name) > 254 or _NAME_RE.fullmatch(name) is None:
        return None
    return name.rstrip(".").lower()


def _bare_name(text: str) -> str | None:
    """A name or an address without a port, as :func:`host_name` gives it; ``None`` for anything else."""
    if text.startswith("["):
        return host_name(text) if text.endswith("]") else None
    if ":" in text:  # an IPv6 address written without brackets (host_name parses it), or a name with a port
        return host_name(f"[{text}]")
    return host_name(text)


def _pattern(value: str) -> str:
    """A ``hosts`` entry, normalised as :func:`host_name` normalises a request's; ``ValueError`` for an
    entry that could never match."""
    if value == "*":
        return value
    prefix = "*." if value.startswith("*.") else "." if value.startswith(".") else ""
    name = _bare_name(value[len(prefix) :])
    if name is None or (prefix and name.startswith("[")):
        raise ValueError(
            f"not a host name, *.name, .name, IP address or *: {value!r} (ports are not compared: give "
            "names without one)"
        )
    return prefix + name


def _patterns(values: Iterable[str]) -> None:
    for value in values:
        _pattern(value)


class AllowedHostsMiddleware:
    """Refuse requests whose ``Host`` is missing, malformed or not allowed, with ``400``.

    :param app: the WSGI application to wrap.
    :param hosts: the names served: ``api.example.com``, ``*.example.com`` (names below it),
        ``.example.com`` (the name and names below it), IP addresses, or ``*`` (default: any well-formed
        host). Ports are not compared.
    """

    OPTIONS = OptionTable(
        "allowed_hosts",
        Option(
            "hosts",
            to_list.checked(_patterns),
            ("*",),
            "names served: api.example.com, *.example.com, .example.com, IP addresses, or * (any "
            "well-formed host)",
        ),
    )

    def __init__(self, app: WSGIApplication, *, hosts: Iterable[str] = OPTIONS.default("hosts")) -> None:
        hosts = tuple(hosts)
        self.OPTIONS.validate(hosts=hosts)
        patterns = [_pattern(value) for value in hosts]
        exact: set[str] = set()
        suffixes: list[str] = []
        for pattern in patterns:
            if pattern.startswith("*."):
                suffixes.append(pattern[1:])  # names below it, not the name itself
            elif pattern.startswith("."):
                exact.add(pattern[1:])
                suffixes.append(pattern)
            elif pattern != "*":
                exact.add(pattern)
        self.app = app
        #: every well-formed host is allowed
        self.any_host = "*" in patterns
        self._exact = frozenset(exact)
        self._suffixes = tuple(suffixes)
        self._verdicts: dict[str, str | None] = {}  # Host value -> None (allowed) or why it is refused

    def allowed(self, name: str) -> bool:
        """Whether ``name`` (as :func:`host_name` gives it) is one of the hosts served."""
        return self.any_host or name in self._exact or name.endswith(self._suffixes)

    def refusal(self, value: str) -> str | None:
        """Why a ``Host`` value is refused, or ``None`` when it is allowed."""
        verdicts = self._verdicts
        if value in verdicts:
            return verdicts[value]
        name = host_name(value)
        if name is None:
            why: str | None = "The Host header is not a valid host."
        elif not self.allowed(name):
            why = "The Host header names a host this service does not answer to."
        else:
            why = None
        if len(value) <= MAX_HOST:
            if len(verdicts) >= CACHE_SIZE:
                verdicts.clear()
            verdicts[value] = why
        return why

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
        value = environ.get("HTTP_HOST")
        if value is None:
            if environ.get("SERVER_PROTOCOL") != "HTTP/1.0":
                error = HTTPBadRequest("The request has no Host header.")
                return error(environ, start_response)
        else:
            why = self.refusal(value)
            if why is not None:
                return HTTPBadRequest(why)(environ, start_response)
        return self.app(environ, start_response)
