"""Auth filters: ``egg:wsgikit#basic_auth`` (alias ``auth_basic``), ``#token_auth`` and ``#noauth``
=================================================================================================

.. code-block:: ini

    [filter:auth]
    use = egg:wsgikit#basic_auth
    htpasswd = %(here)s/htpasswd
    realm = compute
    exempt = /healthcheck

Relative file paths are resolved against the directory of the ini file.

Each filter is :class:`~wsgikit.middleware.auth.AuthMiddleware` with the backend its section describes,
built once (the file read once) for every pipeline the section is used in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from wsgikit.deploy.factory import filter_factory_for
from wsgikit.deploy.options import ConfigError, OptionTable
from wsgikit.middleware import auth
from wsgikit.middleware.auth import (
    AuthMiddleware,
    BasicAuthMiddleware,
    BasicBackend,
    NoAuthBackend,
    TokenAuthMiddleware,
    TokenBackend,
)

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

BASIC_OPTIONS = BasicAuthMiddleware.OPTIONS
TOKEN_OPTIONS = TokenAuthMiddleware.OPTIONS
NOAUTH_OPTIONS = auth.NOAUTH_OPTIONS
OPTIONS = BASIC_OPTIONS
"""The table of ``egg:wsgikit#basic_auth``."""

FILTER_OPTIONS: dict[str, OptionTable] = {
    "basic_auth": BASIC_OPTIONS,
    "auth_basic": BASIC_OPTIONS,
    "token_auth": TOKEN_OPTIONS,
    "noauth": NOAUTH_OPTIONS,
}
"""Each filter's option table, by entry-point name."""


def _backend(build: Callable[[], Any], key: str, global_conf: Mapping[str, Any]) -> Any:
    """Build a backend now, turning a missing or malformed credentials file into a located ConfigError."""
    try:
        return build()
    except (OSError, ValueError) as error:
        raise ConfigError(str(error), file=global_conf.get("__file__"), key=key) from None


def _take(options: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {key: options.pop(key) for key in keys if key in options}


def _basic(options: dict[str, Any], global_conf: Mapping[str, Any]) -> dict[str, Any]:
    path = options.pop("htpasswd")
    given = _take(options, "check_interval")
    return {**options, "backend": _backend(lambda: BasicBackend(path, **given), "htpasswd", global_conf)}


def _token(options: dict[str, Any], global_conf: Mapping[str, Any]) -> dict[str, Any]:
    given = _take(options, "tokens_file", "validator", "header", "check_interval")
    return {**options, "backend": _backend(lambda: TokenBackend(**given), "tokens_file", global_conf)}


def _noauth(options: dict[str, Any], global_conf: Mapping[str, Any]) -> dict[str, Any]:
    backend = NoAuthBackend(**_take(options, "user", "project", "roles", "header_identity"))
    return {**options, "backend": backend}


basic_filter_factory = filter_factory_for(AuthMiddleware, BASIC_OPTIONS, paths=("htpasswd",), prepare=_basic)
"""``use = egg:wsgikit#basic_auth``: HTTP Basic against an htpasswd file."""
token_filter_factory = filter_factory_for(
    AuthMiddleware, TOKEN_OPTIONS, paths=("tokens_file",), prepare=_token
)
"""``use = egg:wsgikit#token_auth``: Bearer / X-Auth-Token against a token file or a validator."""
noauth_filter_factory = filter_factory_for(AuthMiddleware, NOAUTH_OPTIONS, prepare=_noauth)
"""``use = egg:wsgikit#noauth``: a fixed identity, for development (logs a warning)."""
