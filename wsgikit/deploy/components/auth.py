"""Auth filters: ``egg:wsgikit#basic_auth`` (alias ``auth_basic``), ``#token_auth`` and ``#noauth``
=================================================================================================

.. code-block:: ini

    [filter:auth]
    use = egg:wsgikit#basic_auth
    htpasswd = %(here)s/htpasswd
    realm = compute
    exempt = /healthcheck

Relative file paths are resolved against the directory of the ini file.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wsgikit.deploy.factory import declares
from wsgikit.deploy.options import (
    REQUIRED,
    ConfigError,
    Option,
    OptionTable,
    resolve_path,
    to_bool,
    to_callable,
    to_list,
    to_path,
    to_str,
)
from wsgikit.middleware.auth import AuthMiddleware, BasicBackend, NoAuthBackend, TokenBackend
from wsgikit.types import WSGIApplication

__all__ = [
    "BASIC_OPTIONS",
    "FILTER_OPTIONS",
    "NOAUTH_OPTIONS",
    "OPTIONS",
    "TOKEN_OPTIONS",
    "basic_filter_factory",
    "noauth_filter_factory",
    "token_filter_factory",
]


def _common() -> tuple[Option, ...]:
    return (
        Option(
            "delay_auth_decision",
            to_bool,
            False,
            "pass unauthenticated requests on with X-Identity-Status: Invalid instead of answering 401",
        ),
        Option("exempt", to_list, [], "paths (and everything below them) that need no credentials"),
    )


BASIC_OPTIONS = OptionTable(
    "basic_auth",
    Option(
        "htpasswd",
        to_path,
        REQUIRED,
        "htpasswd file (bcrypt or SHA-crypt hashes), re-read on change",
        must_exist="file",
    ),
    Option("realm", to_str, "wsgikit", "realm of the WWW-Authenticate challenge"),
    *_common(),
)
TOKEN_OPTIONS = OptionTable(
    "token_auth",
    Option(
        "tokens_file",
        to_path,
        None,
        "file of '<sha256-hex> <user> <project> <roles>' lines",
        must_exist="file",
    ),
    Option("validator", to_callable, None, "module:callable taking the token, returning an Identity or None"),
    Option("header", to_str, "X-Auth-Token", "token header (Authorization: Bearer always works)"),
    Option("realm", to_str, "wsgikit", "realm of the WWW-Authenticate challenge"),
    *_common(),
    exclusive=[("tokens_file", "validator", "tokens are checked against a file or by a validator")],
)
NOAUTH_OPTIONS = OptionTable(
    "noauth",
    Option("user", to_str, "noauth", "the user of every request"),
    Option("project", to_str, "noauth", "the project of every request"),
    Option("roles", to_list, [], "the roles of every request"),
    *_common(),
)
OPTIONS = BASIC_OPTIONS
"""The table of ``egg:wsgikit#basic_auth``."""

FILTER_OPTIONS: dict[str, OptionTable] = {
    "basic_auth": BASIC_OPTIONS,
    "auth_basic": BASIC_OPTIONS,
    "token_auth": TOKEN_OPTIONS,
    "noauth": NOAUTH_OPTIONS,
}
"""Each filter's option table, by entry-point name."""


def _backend(build: Callable[[], Any], component: str, key: str, global_conf: dict[str, Any]) -> Any:
    """Build a backend now, turning a missing or malformed credentials file into a located ConfigError."""
    try:
        return build()
    except (OSError, ValueError) as error:
        raise ConfigError(
            str(error), file=global_conf.get("__file__"), section=f"<{component}>", key=key
        ) from None


@declares(BASIC_OPTIONS)
def basic_filter_factory(
    global_conf: dict[str, Any], **local_conf: str
) -> Callable[[WSGIApplication], WSGIApplication]:
    """``use = egg:wsgikit#basic_auth``: HTTP Basic against an htpasswd file."""
    options = BASIC_OPTIONS.convert(local_conf, global_conf)
    path = resolve_path(options.pop("htpasswd"), global_conf)
    backend = _backend(lambda: BasicBackend(path), "basic_auth", "htpasswd", global_conf)
    return lambda app: AuthMiddleware(app, backend=backend, **options)


@declares(TOKEN_OPTIONS)
def token_filter_factory(
    global_conf: dict[str, Any], **local_conf: str
) -> Callable[[WSGIApplication], WSGIApplication]:
    """``use = egg:wsgikit#token_auth``: Bearer / X-Auth-Token against a token file or a validator."""
    options = TOKEN_OPTIONS.convert(local_conf, global_conf)
    tokens_file = options.pop("tokens_file", None)
    backend_options = {
        "tokens_file": tokens_file and resolve_path(tokens_file, global_conf),
        "validator": options.pop("validator", None),
        "header": options.pop("header", "X-Auth-Token"),
    }
    backend = _backend(lambda: TokenBackend(**backend_options), "token_auth", "tokens_file", global_conf)
    return lambda app: AuthMiddleware(app, backend=backend, **options)


@declares(NOAUTH_OPTIONS)
def noauth_filter_factory(
    global_conf: dict[str, Any], **local_conf: str
) -> Callable[[WSGIApplication], WSGIApplication]:
    """``use = egg:wsgikit#noauth``: a fixed identity, for development (logs a warning)."""
    options = NOAUTH_OPTIONS.convert(local_conf, global_conf)
    backend = NoAuthBackend(
        user=options.pop("user", "noauth"),
        project=options.pop("project", "noauth"),
        roles=options.pop("roles", []),
    )
    return lambda app: AuthMiddleware(app, backend=backend, **options)
