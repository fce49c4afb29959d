"""CORS
====

Let browsers on other origins call the API — and only the origins you name. Exact origins are compared
after normalisation (scheme and host lower-case, no trailing slash); patterns must match the whole
origin. The middleware never reflects an arbitrary ``Origin`` together with
``Access-Control-Allow-Credentials`` (``*`` plus credentials is refused at start-up), rejects the
``null`` origin, adds ``Vary: Origin`` (merged with the application's ``Vary``) whenever the answer
depends on the origin, and answers preflights itself, before the application and any auth filter
behind it, with ``204`` and no body. Nothing from the request is echoed without being validated first,
and ``Access-Control-Allow-*``/``-Expose-Headers`` set by the application are replaced by its own answer.

.. code-block:: python

    from wsgikit.middleware.cors import CorsMiddleware

    app = CorsMiddleware(
        app,
        allowed_origins=["https://app.example.com"],
        allowed_origin_patterns=[r"https://[a-z0-9-]+\\.preview\\.example\\.com"],
        allow_credentials=True,
        allow_headers=["X-Auth-Token"],
        expose_headers=["X-Request-ID"],
        max_age=600,
    )
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from wsgikit.options import Converter, Option, OptionTable, to_bool, to_list, to_regex, to_seconds
from wsgikit.types import (
    Headers,
    OptExcInfo,
    StartResponse,
    WriteCallable,
    WSGIApplication,
    WSGIEnvironment,
    WSGIIterable,
)
from wsgikit.wsgi import merge_header_tokens, remove_header

__all__ = ["DEFAULT_METHODS", "SAFELISTED_HEADERS", "CorsMiddleware", "normalize_origin"]

DEFAULT_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
SAFELISTED_HEADERS = frozenset({"accept", "accept-language", "content-language", "content-type"})
"""Request headers a preflight may list that are always allowed (the Fetch standard's safelist)."""

MAX_REQUEST_HEADERS = 64
_TOKEN_RE = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_ORIGIN_RE = re.compile(
    r"^(?P<scheme>[a-z][a-z0-9+.-]*)://"
    r"(?P<host>[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?|\[[0-9a-f:.]{2,45}\])"
    r"(?::(?P<port>[0-9]{1,5}))?$"
)
_CORS_RESPONSE_HEADERS = (
    "Access-Control-Allow-Origin",
    "Access-Control-Allow-Credentials",
    "Access-Control-Expose-Headers",
)


def normalize_origin(value: str | None) -> str | None:
    """``HTTPS://App.Example.com`` → ``https://app.example.com``; None for anything that is not a
    serialized origin (``null``, paths, user info, spaces, CR/LF, oversized values...)."""
    if not value or len(value) > 300:
        return None
    lowered = value.lower()
    if _ORIGIN_RE.match(lowered) is None:
        return None
    return lowered


def _tokens(name: str, values: Iterable[str], *, upper: bool = False) -> tuple[str, ...]:
    result = []
    for value in values:
        if not _TOKEN_RE.match(value):
            raise ValueError(f"{name}: not a valid token: {value!r}")
        result.append(value.upper() if upper else value)
    return tuple(result)


def _check_patterns(values: Iterable[str | re.Pattern[str]]) -> list[re.Pattern[str]]:
    patterns = []
    for pattern in to_list.check(values):
        patterns.append(pattern if isinstance(pattern, re.Pattern) else to_regex.parse(pattern))
    return patterns


_PATTERNS = Converter(
    "to_patterns", lambda value: [to_regex.parse(item) for item in value.split()], _check_patterns
)
"""Regular expressions; in a file, separated by whitespace only (a regular expression may contain commas)."""


class CorsMiddleware:
    """Cross-Origin Resource Sharing for the wrapped application.

    :param app: the WSGI application to wrap.
    :param allowed_origins: exact origins (``https://app.example.com``), or ``*`` for any origin
        (only without credentials; the response then says ``*`` and reflects nothing).
    :param allowed_origin_patterns: regular expressions (strings or compiled) that must match the whole,
        lower-cased origin.
    :param allow_credentials: send ``Access-Control-Allow-Credentials: true`` (cookies, HTTP auth).
    :param allow_methods: methods a preflight may ask for.
    :param allow_headers: request headers a preflight may ask for (besides the safelisted ``Accept``,
        ``Accept-Language``, ``Content-Language`` and ``Content-Type``); ``*`` allows any well-formed
        header name, echoed one by one.
    :param expose_headers: response headers scripts may read (``Access-Control-Expose-Headers``).
    :param max_age: seconds a browser may cache a preflight answer (``Access-Control-Max-Age``); None
        leaves it to the browser.
    """

    OPTIONS = OptionTable(
        "cors",
        Option(
            "allowed_origins", to_list, (), "exact origins (scheme://host[:port]), or * without credentials"
        ),
        Option("allowed_origin_patterns", _PATTERNS, (), "regular expressions matching whole origins"),
        Option("allow_credentials", to_bool, False, "send Access-Control-Allow-Credentials: true"),
        Option("allow_methods", to_list, DEFAULT_METHODS, "methods preflights may ask for"),
        Option("allow_headers", to_list, (), "request headers preflights may ask for (* for any)"),
        Option("expose_headers", to_list, (), "response headers scripts may read"),
        Option("max_age", to_seconds, None, "how long browsers may cache a preflight answer"),
    )

    def __init__(
        self,
        app: WSGIApplication,
        *,
        allowed_origins: Iterable[str] = OPTIONS.default("allowed_origins"),
        allowed_origin_patterns: Iterable[str | re.Pattern[str]] = OPTIONS.default("allowed_origin_patterns"),
        allow_credentials: bool = OPTIONS.default("allow_credentials"),
        allow_methods: Iterable[str] = OPTIONS.default("allow_methods"),
        allow_headers: Iterable[str] = OPTIONS.default("allow_headers"),
        expose_headers: Iterable[str] = OPTIONS.default("expose_headers"),
        max_age: int | None = OPTIONS.default("max_age"),
    ) -> None:
        checked = self.OPTIONS.validate(
            allowed_origins=allowed_origins,
            allowed_origin_patterns=allowed_origin_patterns,
            allow_credentials=allow_credentials,
            allow_methods=allow_methods,
            allow_headers=allow_headers,
            expose_headers=expose_headers,
            max_age=max_age,
        )
        self.app = app
        self.allow_credentials = allow_credentials
        origins: set[str] = set()
        self.any_origin = False
        for origin in checked["allowed_origins"]:
            if origin == "*":
                self.any_origin = True
                continue
            normalized = normalize_origin(origin.rstrip("/"))
            if normalized is None:
                raise ValueError(f"allowed_origins: not an origin (scheme://host[:port]): {origin!r}")
            origins.add(normalized)
        if self.any_origin and self.allow_credentials:
            raise ValueError(
                "allowed_origins: '*' cannot be combined with allow_credentials "
                "(that would let every site make credentialed requests); list the origins instead"
            )
        self.allowed_origins = frozenset(origins)
        self.allowed_origin_patterns = tuple(checked["allowed_origin_patterns"])
        self.allow_methods = _tokens("allow_methods", checked["allow_methods"], upper=True)
        headers = tuple(checked["allow_headers"])
        self.allow_any_header = "*" in headers
        self.allow_headers = frozenset(
            h.lower() for h in _tokens("allow_headers", (h for h in headers if h != "*"))
        )
        self.expose_headers = _tokens("expose_headers", checked["expose_headers"])
        self.max_age = max_age

    def origin_allowed(self, origin: str) -> bool:
        """Whether a normalized origin may make cross-origin requests."""
        if origin in self.allowed_origins:
            return True
        return any(pattern.fullmatch(origin) for pattern in self.allowed_origin_patterns)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
        raw_origin = environ.get("HTTP_ORIGIN")
        if raw_origin is None:
            return self._respond(environ, start_response, [], vary=not self.any_origin)
        origin = normalize_origin(raw_origin)
        allowed = origin is not None and (self.any_origin or self.origin_allowed(origin))
        if environ.get("REQUEST_METHOD") == "OPTIONS" and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in environ:
            return self._preflight(environ, start_response, raw_origin if allowed else None)
        headers: Headers = []
        if allowed:
            headers.append(("Access-Control-Allow-Origin", "*" if self.any_origin else raw_origin))
            if self.allow_credentials:
                headers.append(("Access-Control-Allow-Credentials", "true"))
            if self.expose_headers:
                headers.append(("Access-Control-Expose-Headers", ", ".join(self.expose_headers)))
        return self._respond(environ, start_response, headers, vary=not self.any_origin)

    def _respond(
        self, environ: WSGIEnvironment, start_response: StartResponse, extra: Headers, *, vary: bool
    ) -> WSGIIterable:
        def start(status: str, headers: Headers, exc_info: OptExcInfo | None = None) -> WriteCallable:
            headers = list(headers)
            # This middleware owns the CORS answer: the application's own grants never leak through.
            for name in _CORS_RESPONSE_HEADERS:
                remove_header(headers, name)
            headers.extend(extra)
            if vary:
                merge_header_tokens(headers, "Vary", "Origin")
            if exc_info is not None:
                return start_response(status, headers, exc_info)
            return start_response(status, headers)

        return self.app(environ, start)

    def _preflight(
        self, environ: WSGIEnvironment, start_response: StartResponse, origin: str | None
    ) -> WSGIIterable:
        headers: Headers = []
        granted = self._grant(environ) if origin is not None else None
        if origin is not None and granted is not None:
            headers.append(("Access-Control-Allow-Origin", "*" if self.any_origin else origin))
            if self.allow_credentials:
                headers.append(("Access-Control-Allow-Credentials", "true"))
            headers.append(("Access-Control-Allow-Methods", ", ".join(self.allow_methods)))
            if granted:
                headers.append(("Access-Control-Allow-Headers", ", ".join(granted)))
            if self.max_age is not None:
                headers.append(("Access-Control-Max-Age", str(self.max_age)))
        vary = ["Access-Control-Request-Method", "Access-Control-Request-Headers"]
        if not self.any_origin:
            vary.insert(0, "Origin")
        headers.append(("Vary", ", ".join(vary)))
        start_response("204 No Content", headers)
        return []

    def _grant(self, environ: WSGIEnvironment) -> list[str] | None:
        """The request headers to allow, or None when the preflight asks for something not allowed."""
        method = environ.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD", "").strip()
        if method not in self.allow_methods:  # case-sensitive, as the Fetch standard compares methods
            return None
        requested = [
            item.strip().lower()
            for item in environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS", "").split(",")
            if item.strip()
        ]
        if len(requested) > MAX_REQUEST_HEADERS:
            return None
        for name in requested:
            if not _TOKEN_RE.match(name):
                return None
            if (
                name not in SAFELISTED_HEADERS
                and name not in self.allow_headers
                and not self.allow_any_header
            ):
                return None
        return requested
