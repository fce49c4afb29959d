"""Authentication
==============

Authenticate every request before it reaches the application, and hand the application an identity it
can trust. One mechanism, :class:`AuthMiddleware`, and small backends:

* :class:`BasicBackend` — HTTP Basic against an ``htpasswd`` file (bcrypt, SHA-crypt and, with a warning,
  MD5 ``$apr1$`` hashes, verified by libpass), re-read when it changes; an unknown user costs the same hash
  operations as a wrong password;
* :class:`TokenBackend` — ``Authorization: Bearer`` or ``X-Auth-Token`` against a file of SHA-256 token
  hashes, or against your own validator callable;
* :class:`NoAuthBackend` — development only: a fixed (or header-given) identity, with a loud warning.

Whatever the backend, the middleware first removes every identity header a client could have sent
(``X-Identity-Status``, ``X-User-Id``, ``X-Roles``, ``X-Service-*``, ``REMOTE_USER``, … including their
underscore spellings, which servers fold into the same environ key), then sets ``REMOTE_USER``,
``environ["wsgikit.identity"]`` (an :class:`Identity`) and the identity headers from the credentials alone.
Missing or malformed credentials get ``401`` with a ``WWW-Authenticate`` challenge — never a 500, never an
empty-credentials login. The application's own response and errors pass through untouched.

``OPTIONS`` follows one rule: a **CORS preflight** (``OPTIONS`` with ``Origin`` and
``Access-Control-Request-Method``) passes without credentials — browsers never send any with a preflight —
with the client's identity headers removed and no identity set, so a CORS filter before or after auth (or
the router's automatic ``204`` with ``Allow``) answers it; **any other** ``OPTIONS`` needs credentials like
every other method.

.. code-block:: python

    from wsgikit.middleware.auth import AuthMiddleware, BasicBackend

    app = AuthMiddleware(app, backend=BasicBackend("/etc/myapp/htpasswd"), exempt=["/healthcheck"])
"""

from __future__ import annotations

import base64
import binascii
import logging
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from wsgikit.exc import error_response
from wsgikit.middleware._authfiles import (
    Htpasswd,
    TokenEntry,
    WatchedFile,
    find_token,
    load_htpasswd,
    parse_tokens,
)
from wsgikit.options import (
    REQUIRED,
    Option,
    OptionTable,
    to_bool,
    to_callable,
    to_duration,
    to_list,
    to_path,
    to_str,
)
from wsgikit.types import (
    Headers,
    OptExcInfo,
    StartResponse,
    WriteCallable,
    WSGIApplication,
    WSGIEnvironment,
    WSGIIterable,
)
from wsgikit.wsgi import check_header_value, has_header

__all__ = [
    "ENVIRON_KEY",
    "AuthBackend",
    "AuthMiddleware",
    "AuthUnavailable",
    "BasicAuthMiddleware",
    "BasicBackend",
    "Identity",
    "NoAuthBackend",
    "TokenAuthMiddleware",
    "TokenBackend",
    "is_preflight",
    "require_roles",
    "strip_identity_headers",
]

ENVIRON_KEY = "wsgikit.identity"
logger = logging.getLogger("wsgikit.auth")

MAX_CREDENTIALS = 8192  # longer Authorization / token values are refused without decoding them
TOKEN_CACHE_SIZE = 1024  # tokens a TokenBackend remembers as found in its file's current content

# Identity headers the middleware owns, as environ keys. Dashes and underscores fold into the same key
# ("X-User_Id" and "X-User-Id" both become HTTP_X_USER_ID), so matching on keys covers both spellings.
_STRIP_EXACT = frozenset(
    {
        "REMOTE_USER",
        "AUTH_TYPE",
        "HTTP_REMOTE_USER",
        "HTTP_X_REMOTE_USER",
        "HTTP_X_IDENTITY_STATUS",
        "HTTP_X_ROLES",
        "HTTP_X_ROLE",
        "HTTP_X_USER",
        "HTTP_X_TENANT",
        "HTTP_X_IS_ADMIN_PROJECT",
        "HTTP_X_AUTHENTICATED_USER",
        "HTTP_X_FORWARDED_USER",
    }
)
_STRIP_PREFIXES = (
    "HTTP_X_IDENTITY_",
    "HTTP_X_USER_",
    "HTTP_X_PROJECT_",
    "HTTP_X_DOMAIN_",
    "HTTP_X_TENANT_",
    "HTTP_X_SERVICE_",
    "HTTP_X_ROLES_",
)


# Environ keys met before that are not identity keys, shared by every auth middleware of the process. Most
# requests carry only keys met before (the server's, the client's usual headers, outer middleware's), and
# one ``issuperset`` over the environ -- a hash lookup per key, no string built -- answers for all of
# them; only a key never met is tested against the exact names and prefixes. Bounded, and only short keys
# are remembered, so that a client inventing header names costs memory once and then only the test.
_KNOWN_SAFE: set[object] = set()
KNOWN_SAFE_MAX = 1024
_KNOWN_SAFE_KEY_LENGTH = 64


def _is_identity_key(key: object) -> bool:
    return key in _STRIP_EXACT or (
        isinstance(key, str) and key[:7] == "HTTP_X_" and key.startswith(_STRIP_PREFIXES)
    )


def strip_identity_headers(environ: WSGIEnvironment) -> list[str]:
    """Remove every client-sent identity header (and ``REMOTE_USER``) from ``environ``; return the keys."""
    known = _KNOWN_SAFE
    if known.issuperset(environ):
        environ.pop(ENVIRON_KEY, None)
        return []
    removed: list[str] = []
    learn = len(known) < KNOWN_SAFE_MAX
    for key in environ:
        if key in known:
            continue
        if _is_identity_key(key):
            removed.append(key)
        elif learn and (not isinstance(key, str) or len(key) <= _KNOWN_SAFE_KEY_LENGTH):
            known.add(key)
    for key in removed:
        del environ[key]
    environ.pop(ENVIRON_KEY, None)
    return removed


@dataclass(frozen=True)
class Identity:
    """Who a request is.

    :param user_id: stable user id (``X-User-Id``).
    :param user_name: user name (``X-User-Name``, ``REMOTE_USER``).
    :param project_id: project / tenant (``X-Project-Id``), may be empty.
    :param roles: role names (``X-Roles``, comma-separated).
    """

    user_id: str
    user_name: str
    project_id: str = ""
    roles: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.user_id or not self.user_name:
            raise ValueError("Identity needs a user_id and a user_name")
        object.__setattr__(self, "roles", tuple(self.roles))
        for name, value in (
            ("user_id", self.user_id),
            ("user_name", self.user_name),
            ("project_id", self.project_id),
            *(("roles", role) for role in self.roles),
        ):
            check_header_value(value, name)
            if name == "roles" and ("," in value or not value.strip()):
                raise ValueError(f"invalid role name {value!r}")

    def has_roles(self, *roles: str) -> bool:
        """True when the identity holds every one of ``roles``."""
        return set(roles).issubset(self.roles)


class AuthUnavailable(Exception):
    """Raised by a backend (or a token validator) when it cannot decide, e.g. its identity service is
    down: the request gets ``503`` (or ``X-Identity-Status: Invalid`` with ``delay_auth_decision``)."""


class AuthBackend(Protocol):
    """What :class:`AuthMiddleware` needs from a backend."""

    auth_type: str
    """``AUTH_TYPE`` for authenticated requests (``Basic``, ``Bearer``, ...)."""

    def challenge(self, realm: str) -> str:
        """The ``WWW-Authenticate`` value for a 401."""

    def authenticate(self, environ: WSGIEnvironment) -> Identity | None:
        """The identity of the request, or None for missing, malformed or wrong credentials.

        :raises AuthUnavailable: when the backend cannot decide.
        """


# -- credential parsing (pure) ---------------------------------------------------------------------------

_TOKEN68_RE = re.compile(r"^[A-Za-z0-9\-._~+/]+=*$")
_API_TOKEN_RE = re.compile(r"^[\x21-\x7e]+$")  # visible ASCII: no space, no control, no non-ASCII


def parse_authorization(value: str | None, scheme: str) -> str | None:
    """The credentials of an ``Authorization`` value with the given ``scheme`` (case-insensitive), or
    None when the header is absent, of another scheme, oversized or not a single token68."""
    if not value or len(value) > MAX_CREDENTIALS:
        return None
    got_scheme, _, credentials = value.strip().partition(" ")
    credentials = credentials.strip()
    if got_scheme.lower() != scheme.lower() or not _TOKEN68_RE.match(credentials):
        return None
    return credentials


def parse_basic(value: str | None) -> tuple[str, str] | None:
    """``Authorization: Basic …`` → ``(user, password)``; None when missing or malformed in any way
    (no credentials, bad base64, no colon, not UTF-8, empty user or password)."""
    credentials = parse_authorization(value, "Basic")
    if credentials is None:
        return None
    try:
        decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):  # UnicodeDecodeError is a ValueError
        return None
    user, colon, password = decoded.partition(":")
    if not colon or not user or not password:
        return None
    if not user.isprintable() or not all(ord(char) < 0x100 for char in user):
        return None  # REMOTE_USER is a latin-1 native string
    return user, password


def _quote_realm(realm: str) -> str:
    if not realm or any(char in realm for char in '"\\') or not realm.isprintable():
        raise ValueError(f"realm: must be printable text without quotes or backslashes, got {realm!r}")
    check_header_value(realm, "realm")
    return realm


# -- backends ----------------------------------------------------------------------------------------------


class BasicBackend:
    """HTTP Basic against an ``htpasswd`` file.

    :param htpasswd: path of the file (``user:hash`` lines; bcrypt ``$2y$``/``$2b$``, SHA-crypt
        ``$5$``/``$6$`` or — weak, logged as a warning — MD5 ``$apr1$``). Read now — a missing or malformed
        file is a start-up error — and again whenever its modification time changes.
    :param check_interval: seconds between two looks at the file's modification time (``0``, the default:
        on every request). With more, a request within that time of the last look costs no system call,
        and a removed user keeps working for up to that long in each process.

    Every check verifies the password once per cost group (scheme and rounds) of the file — against the
    user's hash in the user's group, against a dummy hash of the same cost in the others — so an unknown
    user cannot be told from a wrong password by timing (:class:`~wsgikit.middleware._authfiles.Htpasswd`).

    The user becomes ``user_id`` and ``user_name``; project and roles are empty.
    """

    auth_type = "Basic"

    def __init__(self, htpasswd: str, *, check_interval: float = 0.0) -> None:
        interval = _BACKEND_OPTIONS.validate(check_interval=check_interval)["check_interval"]
        self.file: WatchedFile[Htpasswd] = WatchedFile(htpasswd, load_htpasswd, interval)

    def challenge(self, realm: str) -> str:
        return f'Basic realm="{realm}", charset="UTF-8"'

    def authenticate(self, environ: WSGIEnvironment) -> Identity | None:
        credentials = parse_basic(environ.get("HTTP_AUTHORIZATION"))
        if credentials is None:
            return None
        user, password = credentials
        if not self.file.get().check(user, password):
            return None
        return Identity(user_id=user, user_name=user)


TokenValidator = Callable[[str], "Identity | None"]


class TokenBackend:
    """Bearer / API tokens.

    :param tokens_file: a file of ``<sha256-hex-of-token> <user> <project> <role,role,...>`` lines
        (``#`` comments), re-read when it changes.
    :param check_interval: with ``tokens_file``, seconds between two looks at the file's modification
        time (``0``, the default: on every request). With more, a request within that time of the last
        look costs no system call, and a removed token keeps working for up to that long in each process.
    :param validator: instead of a file, ``validator(token) -> Identity | None`` (raise
        :class:`AuthUnavailable` when it cannot decide).
    :param header: the header that carries the token (default ``X-Auth-Token``);
        ``Authorization: Bearer <token>`` is always accepted too.
    """

    auth_type = "Bearer"

    def __init__(
        self,
        *,
        tokens_file: str | None = None,
        validator: TokenValidator | None = None,
        header: str = "X-Auth-Token",
        check_interval: float = 0.0,
    ) -> None:
        if (tokens_file is None) == (validator is None):
            raise ValueError("tokens_file, validator: give exactly one of them")
        interval = _BACKEND_OPTIONS.validate(check_interval=check_interval)["check_interval"]
        if interval and validator is not None:
            raise ValueError("check_interval: applies to tokens_file only, not to a validator")
        if not re.fullmatch(r"[A-Za-z0-9-]+", header):
            raise ValueError(f"header: not a header name: {header!r}")
        key = "HTTP_" + header.upper().replace("-", "_")
        if _is_identity_key(key) or key == "HTTP_AUTHORIZATION":
            raise ValueError(f"header: {header!r} is an identity header and cannot carry tokens")
        self.header = header
        self.environ_key = key
        self.validator = validator
        self.file: WatchedFile[list[TokenEntry]] | None = (
            WatchedFile(tokens_file, parse_tokens, interval) if tokens_file is not None else None
        )
        # The tokens found in the file's current content and their Identity, built (and validated) once
        # rather than on every request; Identity is frozen, so requests can share it. A token seen again
        # skips the SHA-256 and the comparison with every entry. Only tokens the file holds are kept, at
        # most TOKEN_CACHE_SIZE of them, and all are dropped when the file is re-read, so a revoked token
        # stops working on the first request that sees the change (with check_interval 0: the next one), as
        # without the cache. The lookup by the token tells a client nothing a response does not: it finds
        # only tokens the file holds.
        self._verified: tuple[list[TokenEntry] | None, dict[str, Identity]] = (None, {})

    def challenge(self, realm: str) -> str:
        return f'Bearer realm="{realm}"'

    def token(self, environ: WSGIEnvironment) -> str | None:
        """The token the request carries, or None when absent or malformed."""
        value = environ.get(self.environ_key)
        if isinstance(value, str) and value.strip():
            value = value.strip()
            return value if len(value) <= MAX_CREDENTIALS and _API_TOKEN_RE.match(value) else None
        return parse_authorization(environ.get("HTTP_AUTHORIZATION"), "Bearer")

    def authenticate(self, environ: WSGIEnvironment) -> Identity | None:
        if self.validator is not None:
            token = self.token(environ)
            if token is None:
                return None
            result = self.validator(token)
            if result is not None and not isinstance(result, Identity):
                raise TypeError(f"token validator returned {type(result).__name__}, not Identity or None")
            return result
        if self.file is None:
            return None
        sent = environ.get(self.environ_key)
        if sent is None and "HTTP_AUTHORIZATION" not in environ:
            return None  # no credentials: no need to look at the file
        entries = self.file.get()
        content, verified = self._verified
        if content is not entries:
            verified = {}
            self._verified = (entries, verified)
        # A header exactly as a verified token was sent before: a token the file holds (the cache has no
        # other), so the checks of its form in token() have nothing to refuse.
        identity = verified.get(sent) if type(sent) is str else None
        if identity is not None:
            return identity
        token = self.token(environ)
        if token is None:
            return None
        identity = verified.get(token)
        if identity is not None:
            return identity
        entry = find_token(entries, token)
        if entry is None:
            return None
        identity = Identity(
            user_id=entry.user, user_name=entry.user, project_id=entry.project, roles=entry.roles
        )
        if len(verified) >= TOKEN_CACHE_SIZE:
            verified.clear()  # bounded; the tokens in use come back on their next request
        verified[token] = identity
        return identity


_NAME_RE = re.compile(r"^[A-Za-z0-9._@-]{1,255}$")


def _check_exempt(paths: list[str]) -> None:
    for path in paths:
        if not path.startswith("/"):
            raise ValueError(f"paths must start with '/', got {path!r}")


def _realm() -> Option:
    return Option("realm", to_str, "wsgikit", "realm of the WWW-Authenticate challenge")


def _check_not_negative(seconds: float) -> None:
    if not 0 <= seconds < math.inf:
        raise ValueError(f"expected seconds (0 or more), got {seconds!r}")


def _check_interval() -> Option:
    return Option(
        "check_interval",
        to_duration.checked(_check_not_negative),
        0.0,
        "seconds between looks at the file's modification time (0: every request)",
    )


# What the backends check their check_interval with (the middleware's tables hold the same option).
_BACKEND_OPTIONS = OptionTable("auth", _check_interval())


def _common() -> tuple[Option, ...]:
    return (
        Option(
            "delay_auth_decision",
            to_bool,
            False,
            "pass unauthenticated requests on with X-Identity-Status: Invalid instead of answering 401",
        ),
        Option(
            "exempt",
            to_list.checked(_check_exempt),
            (),
            "paths (and everything below them) that need no credentials",
        ),
    )


NOAUTH_OPTIONS = OptionTable(
    "noauth",
    Option("user", to_str, "noauth", "the user of every request"),
    Option("project", to_str, "noauth", "the project of every request"),
    Option("roles", to_list, (), "the roles of every request"),
    Option(
        "header_identity",
        to_bool,
        True,
        "honour the X-Auth-User / X-Auth-Project-Id overrides (false: always the fixed identity)",
    ),
    *_common(),
)
"""The options of ``egg:wsgikit#noauth``: :class:`NoAuthBackend`'s and :class:`AuthMiddleware`'s."""


class NoAuthBackend:
    """Development only: every request is authenticated.

    :param user: the user of every request (``X-Auth-User`` overrides it per request when present).
    :param project: the project (``X-Auth-Project-Id`` overrides it per request when present).
    :param roles: the roles of every request.
    :param header_identity: honour the ``X-Auth-User`` / ``X-Auth-Project-Id`` overrides.

    Constructing it logs a warning on ``wsgikit.auth``. A malformed override gets 401.
    """

    auth_type = "None"

    def __init__(
        self,
        *,
        user: str = NOAUTH_OPTIONS.default("user"),
        project: str = NOAUTH_OPTIONS.default("project"),
        roles: Iterable[str] = NOAUTH_OPTIONS.default("roles"),
        header_identity: bool = NOAUTH_OPTIONS.default("header_identity"),
    ) -> None:
        NOAUTH_OPTIONS.validate(user=user, project=project, roles=roles, header_identity=header_identity)
        self.identity = Identity(user_id=user, user_name=user, project_id=project, roles=tuple(roles))
        self.header_identity = header_identity
        logger.warning(
            "NOAUTH IS ENABLED: every request is accepted as user %r, project %r, roles %r%s "
            "— for development only, never expose this service",
            user,
            project,
            list(self.identity.roles),
            " (or the X-Auth-User / X-Auth-Project-Id it sends)" if header_identity else "",
        )

    def challenge(self, realm: str) -> str:
        return f'Basic realm="{realm}", charset="UTF-8"'

    def authenticate(self, environ: WSGIEnvironment) -> Identity | None:
        if not self.header_identity:
            return self.identity
        user = environ.get("HTTP_X_AUTH_USER", self.identity.user_name)
        project = environ.get("HTTP_X_AUTH_PROJECT_ID", self.identity.project_id)
        if not (isinstance(user, str) and _NAME_RE.match(user)):
            return None
        if not (isinstance(project, str) and (project == "" or _NAME_RE.match(project))):
            return None
        return Identity(user_id=user, user_name=user, project_id=project, roles=self.identity.roles)


# -- the middleware ----------------------------------------------------------------------------------------


def is_preflight(environ: WSGIEnvironment) -> bool:
    """A CORS preflight: ``OPTIONS`` with ``Origin`` and ``Access-Control-Request-Method``. Browsers never
    send credentials with one (Fetch standard), so auth lets it through, unauthenticated."""
    return (
        environ.get("REQUEST_METHOD") == "OPTIONS"
        and "HTTP_ORIGIN" in environ
        and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in environ
    )


def _segments_safe(path: str) -> bool:
    return not any(segment in (".", "..") for segment in path.split("/"))


class AuthMiddleware:
    """Authenticate requests with a backend; the application sees only trusted identity headers.

    :param app: the WSGI application to wrap.
    :param backend: a :class:`BasicBackend`, :class:`TokenBackend`, :class:`NoAuthBackend` or anything
        with the :class:`AuthBackend` shape.
    :param delay_auth_decision: instead of answering 401, pass unauthenticated requests on with
        ``X-Identity-Status: Invalid`` and let the application decide; a 401 from the application then
        gets the ``WWW-Authenticate`` challenge added.
    :param exempt: paths (``PATH_INFO``) that need no credentials: an entry matches itself and everything
        below it (``/healthcheck`` matches ``/healthcheck`` and ``/healthcheck/db``). Paths with ``.`` or
        ``..`` segments are never exempt.
    :param realm: the realm of the challenge.

    A request that an outer :class:`AuthMiddleware` already authenticated (``environ["wsgikit.identity"]``
    is set) passes through unchanged, so two filters in a row accept either kind of credentials when the
    outer one has ``delay_auth_decision``.

    For each request: client identity headers are removed, then on success ``REMOTE_USER``,
    ``AUTH_TYPE``, ``environ["wsgikit.identity"]`` and the ``X-Identity-Status: Confirmed``,
    ``X-User-Id``, ``X-User-Name``, ``X-Project-Id`` and ``X-Roles`` headers are set. A backend that
    cannot decide (:class:`AuthUnavailable`, or an unexpected error, which is logged) gives 503.
    """

    OPTIONS = OptionTable("auth", _realm(), *_common())

    def __init__(
        self,
        app: WSGIApplication,
        *,
        backend: AuthBackend,
        delay_auth_decision: bool = OPTIONS.default("delay_auth_decision"),
        exempt: Iterable[str] = OPTIONS.default("exempt"),
        realm: str = OPTIONS.default("realm"),
    ) -> None:
        checked = AuthMiddleware.OPTIONS.validate(
            delay_auth_decision=delay_auth_decision, exempt=exempt, realm=realm
        )
        self.app = app
        self.backend = backend
        self.delay_auth_decision = delay_auth_decision
        self.exempt = tuple(path.rstrip("/") or "/" for path in checked["exempt"])
        self.realm = _quote_realm(realm)
        self.challenge = backend.challenge(self.realm)

    def is_exempt(self, path: str) -> bool:
        if not self.exempt or not _segments_safe(path):
            return False
        return any(entry == "/" or path == entry or path.startswith(entry + "/") for entry in self.exempt)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
        if isinstance(environ.get(ENVIRON_KEY), Identity):
            # An outer AuthMiddleware already authenticated this request (environ keys other than
            # HTTP_* cannot come from the client): keep its identity, so that filters can be chained,
            # e.g. Basic with delay_auth_decision in front of a token filter accepts either.
            return self.app(environ, start_response)
        strip_identity_headers(environ)
        # the calls only when they can say yes: most pipelines exempt nothing, most requests are no OPTIONS
        if (self.exempt and self.is_exempt(environ.get("PATH_INFO", ""))) or (
            environ.get("REQUEST_METHOD") == "OPTIONS" and is_preflight(environ)
        ):
            return self.app(environ, start_response)
        try:
            identity = self.backend.authenticate(environ)
        except Exception as error:
            if not isinstance(error, AuthUnavailable):
                logger.exception("auth backend %r failed", self.backend)
            else:
                logger.warning("auth backend unavailable: %s", error)
            if self.delay_auth_decision:
                return self._delayed(environ, start_response)
            return error_response(503, "Authentication is unavailable, try again later.")(
                environ, start_response
            )
        if identity is None:
            if self.delay_auth_decision:
                return self._delayed(environ, start_response)
            return error_response(
                401, "Valid credentials are required.", headers=[("WWW-Authenticate", self.challenge)]
            )(environ, start_response)
        environ[ENVIRON_KEY] = identity
        environ["REMOTE_USER"] = identity.user_name
        environ["AUTH_TYPE"] = self.backend.auth_type
        environ["HTTP_X_IDENTITY_STATUS"] = "Confirmed"
        environ["HTTP_X_USER_ID"] = identity.user_id
        environ["HTTP_X_USER_NAME"] = identity.user_name
        environ["HTTP_X_PROJECT_ID"] = identity.project_id
        environ["HTTP_X_ROLES"] = ",".join(identity.roles)
        return self.app(environ, start_response)

    def _delayed(self, environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
        environ["HTTP_X_IDENTITY_STATUS"] = "Invalid"
        challenge = self.challenge

        def start_with_challenge(
            status: str, headers: Headers, exc_info: OptExcInfo | None = None
        ) -> WriteCallable:
            if status.startswith("401") and not has_header(headers, "WWW-Authenticate"):
                headers = [*headers, ("WWW-Authenticate", challenge)]
            if exc_info is not None:
                return start_response(status, headers, exc_info)
            return start_response(status, headers)

        return self.app(environ, start_with_challenge)


class BasicAuthMiddleware(AuthMiddleware):
    """:class:`AuthMiddleware` with a :class:`BasicBackend`.

    :param htpasswd: the ``htpasswd`` file.
    :param check_interval: seconds between two looks at its modification time (:class:`BasicBackend`).

    The other options are those of :class:`AuthMiddleware`.
    """

    OPTIONS = OptionTable(
        "basic_auth",
        Option(
            "htpasswd",
            to_path,
            REQUIRED,
            "htpasswd file (bcrypt or SHA-crypt hashes), re-read on change",
            must_exist="file",
        ),
        _check_interval(),
        _realm(),
        *_common(),
    )

    def __init__(
        self,
        app: WSGIApplication,
        *,
        htpasswd: str,
        check_interval: float = OPTIONS.default("check_interval"),
        realm: str = OPTIONS.default("realm"),
        delay_auth_decision: bool = OPTIONS.default("delay_auth_decision"),
        exempt: Iterable[str] = OPTIONS.default("exempt"),
    ) -> None:
        self.OPTIONS.validate(htpasswd=htpasswd, check_interval=check_interval)
        super().__init__(
            app,
            backend=BasicBackend(htpasswd, check_interval=check_interval),
            realm=realm,
            delay_auth_decision=delay_auth_decision,
            exempt=exempt,
        )


class TokenAuthMiddleware(AuthMiddleware):
    """:class:`AuthMiddleware` with a :class:`TokenBackend` (same options as the backend, plus those of
    :class:`AuthMiddleware`)."""

    OPTIONS = OptionTable(
        "token_auth",
        Option(
            "tokens_file",
            to_path,
            None,
            "file of '<sha256-hex> <user> <project> <roles>' lines",
            must_exist="file",
        ),
        Option(
            "validator", to_callable, None, "module:callable taking the token, returning an Identity or None"
        ),
        Option("header", to_str, "X-Auth-Token", "token header (Authorization: Bearer always works)"),
        _check_interval(),
        _realm(),
        *_common(),
        exclusive=[
            ("tokens_file", "validator", "tokens are checked against a file or by a validator"),
            ("validator", "check_interval", "check_interval applies to tokens_file only"),
        ],
    )

    def __init__(
        self,
        app: WSGIApplication,
        *,
        tokens_file: str | None = OPTIONS.default("tokens_file"),
        validator: TokenValidator | None = OPTIONS.default("validator"),  # noqa: B008 (None)
        header: str = OPTIONS.default("header"),
        check_interval: float = OPTIONS.default("check_interval"),
        realm: str = OPTIONS.default("realm"),
        delay_auth_decision: bool = OPTIONS.default("delay_auth_decision"),
        exempt: Iterable[str] = OPTIONS.default("exempt"),
    ) -> None:
        self.OPTIONS.validate(
            tokens_file=tokens_file, validator=validator, header=header, check_interval=check_interval
        )
        super().__init__(
            app,
            backend=TokenBackend(
                tokens_file=tokens_file, validator=validator, header=header, check_interval=check_interval
            ),
            realm=realm,
            delay_auth_decision=delay_auth_decision,
            exempt=exempt,
        )


def require_roles(*roles: str) -> Callable[[WSGIApplication], WSGIApplication]:
    """Wrap an application so that it runs only for identities holding every one of ``roles``:
    no identity gives 401 (behind :class:`AuthMiddleware` with ``delay_auth_decision`` the challenge is
    added to it), missing roles give 403.

    .. code-block:: python

        admin_app = require_roles("admin")(admin_app)
    """
    if not roles:
        raise ValueError("require_roles: give at least one role")

    def wrap(app: WSGIApplication) -> WSGIApplication:
        def guarded(environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
            identity = environ.get(ENVIRON_KEY)
            if not isinstance(identity, Identity):
                return error_response(401, "Authentication is required.")(environ, start_response)
            if not identity.has_roles(*roles):
                return error_response(403, "This needs the role(s): " + ", ".join(roles))(
                    environ, start_response
                )
            return app(environ, start_response)

        return guarded

    return wrap
