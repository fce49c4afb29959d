"""``egg:wsgikit#proxy``: forward requests to another HTTP server, or balance them over several
=============================================================================================

.. code-block:: ini

    [app:legacy]
    use = egg:wsgikit#proxy
    url = http://127.0.0.1:9000/legacy
    timeout = 30s

    [app:api]
    use = egg:wsgikit#proxy
    backends = http://10.0.0.1:8080 weight=3
               http://10.0.0.2:8080
    policy = least_conn
    max_fails = 2
    fail_timeout = 10s
"""

from __future__ import annotations

from typing import Any

from wsgikit.deploy.factory import declares
from wsgikit.deploy.options import (
    ConfigError,
    Option,
    OptionTable,
    to_bool,
    to_choice,
    to_duration,
    to_int,
    to_list,
    to_size,
)
from wsgikit.middleware._balancer import POLICIES, BackendSpec, parse_backends
from wsgikit.middleware.proxy import DEFAULT_RETRY_METHODS, ProxyApp, parse_hash_key
from wsgikit.types import WSGIApplication

__all__ = ["OPTIONS", "app_factory"]


def to_url(value: str) -> str:
    url = value.strip()
    BackendSpec.parse(url)  # raises ValueError saying what is wrong
    return url


def to_backends(value: str) -> list[BackendSpec]:
    """``http://h1:8080 weight=3 http://h2:8080`` → backend specs."""
    return parse_backends(value)


def to_hash_key(value: str) -> str:
    try:
        parse_hash_key(value)
    except ValueError as error:
        raise ValueError(str(error).partition(": ")[2]) from None
    return value.strip()


def to_methods(value: str) -> list[str]:
    methods = [method.upper() for method in to_list(value)]
    for method in methods:
        if not method.isalpha():
            raise ValueError(f"not a method name: {method!r}")
    return methods


OPTIONS = OptionTable(
    "proxy",
    Option("url", to_url, None, "one backend: http://host[:port][/prefix] (or give backends)"),
    Option("backends", to_backends, None, "several backends: URL [weight=N] URL [weight=N] ..."),
    Option("policy", to_choice(*POLICIES), "round_robin", "round_robin, least_conn or hash (as nginx)"),
    Option("hash_key", to_hash_key, "remote_addr", "what the hash policy hashes: remote_addr or a header"),
    Option("max_fails", to_int(0), 1, "failures within fail_timeout that take a backend out (0: never)"),
    Option("fail_timeout", to_duration, 10.0, "window for counting failures, and time a backend stays out"),
    Option(
        "retry_methods",
        to_methods,
        sorted(DEFAULT_RETRY_METHODS),
        "methods retried on the next backend after a failed connect or a reset",
    ),
    Option("timeout", to_duration, 30.0, "seconds for connecting and for each socket read or write"),
    Option("keepalive", to_int(1), 10, "idle connections kept open per backend"),
    Option("preserve_host", to_bool, False, "send the client's Host header to the backend"),
    Option("chunk_size", to_size, 64 * 1024, "largest piece read at a time"),
    Option("forwarded_headers", to_bool, True, "add X-Forwarded-For/-Proto/-Host"),
    exclusive=[("url", "backends", "url is the one-backend spelling of backends")],
)


@declares(OPTIONS)
def app_factory(global_conf: dict[str, Any], **local_conf: str) -> WSGIApplication:
    """``use = egg:wsgikit#proxy``."""
    options = OPTIONS.convert(local_conf, global_conf)
    try:
        return ProxyApp(**options)
    except ValueError as error:
        key = str(error).partition(":")[0]
        raise ConfigError(
            str(error).partition(": ")[2] or str(error), key=key if key in OPTIONS.by_name else None
        ) from None
