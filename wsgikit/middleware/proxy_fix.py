"""Proxy headers
=============

Behind nginx or a load balancer, the client address, scheme, host and mount prefix reach the application
only as ``X-Forwarded-*`` or RFC 7239 ``Forwarded`` headers — which any client can also send. This
middleware believes them only as far as you say: for each header, the number of proxies in front of the
application that set it, counted from the right (the value the outermost trusted proxy added), and
optionally only when the direct peer is one of your proxies. Untrusted, missing or malformed values
leave the environ as it was; the original values are kept in ``environ["wsgikit.proxy_fix.orig"]``.

.. code-block:: python

    from wsgikit.middleware.proxy_fix import ProxyFixMiddleware

    # one nginx in front, using proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for
    app = ProxyFixMiddleware(app, x_for=1, x_proto=1, trusted_networks=["10.0.0.0/8"])
"""

from __future__ import annotations

from collections.abc import Iterable

from wsgikit.middleware._forwarded import (
    comma_values,
    parse_forwarded,
    parse_host,
    parse_node,
    parse_port,
    parse_prefix,
    parse_proto,
    pick,
)
from wsgikit.middleware._networks import Network, address_in
from wsgikit.options import Option, OptionTable, to_int, to_networks
from wsgikit.types import StartResponse, WSGIApplication, WSGIEnvironment, WSGIIterable

__all__ = ["ORIG_KEY", "ProxyFixMiddleware"]

ORIG_KEY = "wsgikit.proxy_fix.orig"
_SAVED = ("REMOTE_ADDR", "wsgi.url_scheme", "HTTP_HOST", "SERVER_NAME", "SERVER_PORT", "SCRIPT_NAME")


def _hops(name: str, header: str) -> Option:
    return Option(name, to_int(0, 32), 0, f"proxies trusted to set {header}")


class ProxyFixMiddleware:
    """Apply trusted ``X-Forwarded-*`` / ``Forwarded`` values to the environ.

    :param app: the WSGI application to wrap.
    :param x_for: proxies trusted to set ``X-Forwarded-For`` → ``REMOTE_ADDR``.
    :param x_proto: proxies trusted to set ``X-Forwarded-Proto`` → ``wsgi.url_scheme``.
    :param x_host: proxies trusted to set ``X-Forwarded-Host`` → ``HTTP_HOST``, ``SERVER_NAME``
        (and ``SERVER_PORT`` when it holds a port).
    :param x_port: proxies trusted to set ``X-Forwarded-Port`` → ``SERVER_PORT`` and the port of
        ``HTTP_HOST``.
    :param x_prefix: proxies trusted to set ``X-Forwarded-Prefix`` → prepended to ``SCRIPT_NAME``.
    :param forwarded: proxies trusted to set RFC 7239 ``Forwarded`` (its ``for``, ``proto`` and ``host``
        parameters; applied after, and so winning over, the ``X-Forwarded-*`` values).
    :param trusted_networks: when given, the headers are used only if the direct peer
        (``REMOTE_ADDR``) is in one of these networks (``"10.0.0.0/8"``, ``"::1"``, or network objects).

    Every count defaults to 0: nothing is trusted until configured. A count of N uses the N-th value
    from the right, so a client can prepend whatever it likes without effect; with fewer values than
    N the header is ignored.
    """

    OPTIONS = OptionTable(
        "proxy_fix",
        _hops("x_for", "X-Forwarded-For (client address)"),
        _hops("x_proto", "X-Forwarded-Proto (scheme)"),
        _hops("x_host", "X-Forwarded-Host (host)"),
        _hops("x_port", "X-Forwarded-Port (port)"),
        _hops("x_prefix", "X-Forwarded-Prefix (SCRIPT_NAME prefix)"),
        _hops("forwarded", "the RFC 7239 Forwarded header"),
        Option("trusted_networks", to_networks, None, "use the headers only from these peers (default: any)"),
    )

    def __init__(
        self,
        app: WSGIApplication,
        *,
        x_for: int = OPTIONS.default("x_for"),
        x_proto: int = OPTIONS.default("x_proto"),
        x_host: int = OPTIONS.default("x_host"),
        x_port: int = OPTIONS.default("x_port"),
        x_prefix: int = OPTIONS.default("x_prefix"),
        forwarded: int = OPTIONS.default("forwarded"),
        trusted_networks: Iterable[str | Network] | None = OPTIONS.default("trusted_networks"),
    ) -> None:
        checked = self.OPTIONS.validate(
            x_for=x_for,
            x_proto=x_proto,
            x_host=x_host,
            x_port=x_port,
            x_prefix=x_prefix,
            forwarded=forwarded,
            trusted_networks=trusted_networks,
        )
        self.app = app
        self.x_for = x_for
        self.x_proto = x_proto
        self.x_host = x_host
        self.x_port = x_port
        self.x_prefix = x_prefix
        self.forwarded = forwarded
        self.trusted_networks: tuple[Network, ...] = tuple(checked["trusted_networks"] or ())

    def trusted_peer(self, remote_addr: str | None) -> bool:
        if not self.trusted_networks:
            return True
        return address_in(parse_node(remote_addr), self.trusted_networks)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
        environ[ORIG_KEY] = {key: environ.get(key) for key in _SAVED}
        if self.trusted_peer(environ.get("REMOTE_ADDR")):
            self.apply(environ)
        return self.app(environ, start_response)

    def apply(self, environ: WSGIEnvironment) -> None:
        """Rewrite ``environ`` from the trusted headers (the peer check is the caller's)."""
        if self.x_for:
            node = parse_node(pick(comma_values(environ.get("HTTP_X_FORWARDED_FOR")), self.x_for))
            if node:
                environ["REMOTE_ADDR"] = node
        if self.x_proto:
            proto = parse_proto(pick(comma_values(environ.get("HTTP_X_FORWARDED_PROTO")), self.x_proto))
            if proto:
                environ["wsgi.url_scheme"] = proto
        if self.x_host:
            self._set_host(environ, pick(comma_values(environ.get("HTTP_X_FORWARDED_HOST")), self.x_host))
        if self.x_port:
            port = parse_port(pick(comma_values(environ.get("HTTP_X_FORWARDED_PORT")), self.x_port))
            if port:
                self._set_port(environ, port)
        if self.x_prefix:
            prefix = parse_prefix(pick(comma_values(environ.get("HTTP_X_FORWARDED_PREFIX")), self.x_prefix))
            if prefix is not None:
                environ["SCRIPT_NAME"] = prefix + environ.get("SCRIPT_NAME", "")
        if self.forwarded:
            elements = parse_forwarded(environ.get("HTTP_FORWARDED"))
            if elements and len(elements) >= self.forwarded:
                element = elements[-self.forwarded]
                node = parse_node(element.get("for"))
                if node:
                    environ["REMOTE_ADDR"] = node
                proto = parse_proto(element.get("proto"))
                if proto:
                    environ["wsgi.url_scheme"] = proto
                if "host" in element:
                    self._set_host(environ, element["host"])

    @staticmethod
    def _set_host(environ: WSGIEnvironment, value: str | None) -> None:
        parsed = parse_host(value)
        if parsed is None:
            return
        host, port = parsed
        environ["HTTP_HOST"] = f"{host}:{port}" if port else host
        environ["SERVER_NAME"] = host.strip("[]")
        environ["SERVER_PORT"] = port or ("443" if environ.get("wsgi.url_scheme") == "https" else "80")

    @staticmethod
    def _set_port(environ: WSGIEnvironment, port: str) -> None:
        environ["SERVER_PORT"] = port
        host = environ.get("HTTP_HOST")
        if host:
            parsed = parse_host(host)
            if parsed is not None:
                environ["HTTP_HOST"] = f"{parsed[0]}:{port}"
