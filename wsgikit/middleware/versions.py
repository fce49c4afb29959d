"""API microversions
=================

OpenStack-style microversions: the client asks for ``OpenStack-API-Version: compute 2.53`` (or
``compute latest``), the service answers with the version it used, and the application reads the chosen
version from ``environ["wsgikit.api_version"]`` (an :class:`APIVersion`, ordered, printable as ``2.53``).

* a missing header, or one that names only other services, means ``default_version``;
* a malformed version is a 400, a version outside ``min_version``..``max_version`` a 406 — both say the
  supported range;
* every response (errors included) carries the version header and ``Vary: OpenStack-API-Version``;
* ``legacy_header`` (nova's ``X-OpenStack-Nova-API-Version``, whose value is the bare version: ``2.5``)
  is honoured too, when the standard header does not name the service: a version asked there is served,
  a malformed one is a 400 and an unsupported one a 406 as well. With a legacy header configured, every
  response echoes the version in both headers, as nova does, and ``Vary`` names both.

.. code-block:: python

    app = VersionsMiddleware(api, service="compute", min_version="2.1", max_version="2.90")

.. code-block:: ini

    [filter:versions]
    use = egg:wsgikit#versions
    service = compute
    min_version = 2.1
    max_version = 2.90
    legacy_header = X-OpenStack-Nova-API-Version
"""

from __future__ import annotations

import re
from typing import NamedTuple

from wsgikit.options import REQUIRED, Converter, Option, OptionTable, to_str
from wsgikit.types import Headers, OptExcInfo, StartResponse, WSGIApplication, WSGIEnvironment, WSGIIterable
from wsgikit.wsgi import check_header_value, merge_header_tokens, set_header

__all__ = ["ENVIRON_KEY", "APIVersion", "VersionsMiddleware", "parse_version", "requested_version"]

ENVIRON_KEY = "wsgikit.api_version"
_VERSION_RE = re.compile(r"^(0|[1-9][0-9]{0,5})\.(0|[1-9][0-9]{0,5})$")


class APIVersion(NamedTuple):
    """A ``major.minor`` API version; compares numerically (``2.10 > 2.9``)."""

    major: int
    minor: int

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"


def parse_version(value: str | APIVersion) -> APIVersion:
    """``"2.53"`` → ``APIVersion(2, 53)``.

    :raises ValueError: for anything but ``digits.digits`` (no leading zeros, no signs, no spaces).
    """
    if isinstance(value, APIVersion):
        return value
    match = _VERSION_RE.match(value.strip())
    if match is None:
        raise ValueError(f"expected a version such as 2.1, got {value!r}")
    return APIVersion(int(match.group(1)), int(match.group(2)))


def requested_version(header_value: str, service: str) -> str | None:
    """The version string that ``header_value`` asks of ``service`` (``"2.53"``, ``"latest"``), or
    ``None`` when it names only other services. Entries are comma-separated ``service version`` pairs;
    the service name is case-insensitive.

    :raises ValueError: for an entry naming ``service`` without exactly one version word.
    """
    for entry in header_value.split(","):
        words = entry.split()
        if words and words[0].lower() == service.lower():
            if len(words) != 2:
                raise ValueError(f"expected '{service} X.Y' or '{service} latest'")
            return words[1]
    return None


def _check_service(service: str) -> None:
    if not service or not service.replace("-", "").replace("_", "").isalnum():
        raise ValueError(f"expected a name such as 'compute', got {service!r}")


def _check_header(name: str) -> None:
    if not re.fullmatch(r"[A-Za-z0-9-]+", name):
        raise ValueError(f"not a header name: {name!r}")


_SERVICE = to_str.checked(_check_service)
_HEADER = to_str.checked(_check_header)
_VERSION = Converter("to_version", parse_version, parse_version)
"""``X.Y``; from Python also an :class:`APIVersion`."""


class VersionsMiddleware:
    """Negotiate a microversion from a request header.

    :param app: the WSGI application to wrap.
    :param service: the service name in the header (``compute``, ``volume``).
    :param min_version: the oldest version served.
    :param max_version: the newest version served (``latest`` means this).
    :param default_version: used when the request does not ask; ``min_version`` by default.
    :param header: the request and response header.
    :param environ_key: where the chosen :class:`APIVersion` is put.
    :param legacy_header: a header carrying the bare version (nova's ``X-OpenStack-Nova-API-Version``),
        read when ``header`` does not name the service, and echoed on every response.
    """

    OPTIONS = OptionTable(
        "versions",
        Option("service", _SERVICE, REQUIRED, "service name in the header (compute, volume, ...)"),
        Option("min_version", _VERSION, "1.0", "oldest version served (X.Y)"),
        Option(
            "max_version", _VERSION, None, "newest version served, what 'latest' means (min_version if unset)"
        ),
        Option(
            "default_version", _VERSION, None, "version when the request asks none (min_version if unset)"
        ),
        Option("header", _HEADER, "OpenStack-API-Version", "request and response header"),
        Option("environ_key", to_str, ENVIRON_KEY, "environ key for the chosen APIVersion"),
        Option(
            "legacy_header",
            _HEADER,
            None,
            "a bare-version header also honoured (X-OpenStack-Nova-API-Version)",
        ),
    )

    def __init__(
        self,
        app: WSGIApplication,
        *,
        service: str,
        min_version: str | APIVersion = OPTIONS.default("min_version"),  # noqa: B008 (a str or None)
        max_version: str | APIVersion | None = OPTIONS.default("max_version"),  # noqa: B008 (a str or None)
        default_version: str | APIVersion | None = OPTIONS.default("default_version"),  # noqa: B008 (a str or None)
        header: str = OPTIONS.default("header"),
        environ_key: str = OPTIONS.default("environ_key"),
        legacy_header: str | None = OPTIONS.default("legacy_header"),
    ) -> None:
        checked = self.OPTIONS.validate(
            service=service,
            min_version=min_version,
            max_version=max_version,
            default_version=default_version,
            header=header,
            environ_key=environ_key,
            legacy_header=legacy_header,
        )
        self.app = app
        self.service = service
        self.min_version: APIVersion = checked["min_version"]
        self.max_version: APIVersion = checked["max_version"] or self.min_version
        if self.max_version < self.min_version:
            raise ValueError(f"max_version: {self.max_version} is older than min_version {self.min_version}")
        self.default_version: APIVersion = checked["default_version"] or self.min_version
        if not self.min_version <= self.default_version <= self.max_version:
            raise ValueError(
                f"default_version: {self.default_version} is outside {self.min_version}..{self.max_version}"
            )
        self.header = header
        self.environ_name = _environ_name(header)
        self.environ_key = environ_key
        if legacy_header is not None and _environ_name(legacy_header) == self.environ_name:
            raise ValueError(f"legacy_header: {legacy_header} is the header itself")
        self.legacy_header = legacy_header
        self.legacy_environ_name = _environ_name(legacy_header) if legacy_header else None
        self.vary = f"{header}, {legacy_header}" if legacy_header else header

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
        raw = environ.get(self.environ_name)
        legacy = environ.get(self.legacy_environ_name) if self.legacy_environ_name else None
        try:
            version = self.choose(raw, legacy)
        except LookupError as error:
            return self._error(environ, start_response, 406, str(error))
        except ValueError as error:
            return self._error(environ, start_response, 400, str(error))
        environ[self.environ_key] = version
        echo = self._echo(version)

        def versioned_start_response(
            status: str, headers: Headers, exc_info: OptExcInfo | None = None
        ) -> object:
            headers = list(headers)
            for name, value in echo:
                set_header(headers, name, value)
            merge_header_tokens(headers, "Vary", self.vary)
            if exc_info is not None:
                return start_response(status, headers, exc_info)
            return start_response(status, headers)

        return self.app(environ, versioned_start_response)  # type: ignore[arg-type]

    def _echo(self, version: APIVersion) -> list[tuple[str, str]]:
        echo = [(self.header, f"{self.service} {version}")]
        if self.legacy_header:
            echo.append((self.legacy_header, str(version)))
        return echo

    def choose(self, raw: str | None, legacy: str | None = None) -> APIVersion:
        """The version for a request whose header value is ``raw`` (and legacy header value ``legacy``).

        :raises ValueError: malformed (→ 400).
        :raises LookupError: outside the supported range (→ 406).
        """
        asked: str | None = None
        header = self.header
        if raw is not None and raw.strip():
            try:
                asked = requested_version(raw, self.service)
            except ValueError as error:
                raise ValueError(
                    f"invalid {self.header}: {error} (supported: {self.min_version} to {self.max_version})"
                ) from None
        if asked is None and legacy is not None and legacy.strip() and self.legacy_header:
            asked, header = legacy.strip(), self.legacy_header
        if asked is None:
            return self.default_version
        if asked.lower() == "latest":
            return self.max_version
        try:
            version = parse_version(asked)
        except ValueError:
            raise ValueError(
                f"invalid {header} {self.service!r} version; expected X.Y or 'latest' "
                f"(supported: {self.min_version} to {self.max_version})"
            ) from None
        if not self.min_version <= version <= self.max_version:
            raise LookupError(
                f"{self.service} version {version} is not supported "
                f"(supported: {self.min_version} to {self.max_version})"
            )
        return version

    def _error(
        self, environ: WSGIEnvironment, start_response: StartResponse, code: int, detail: str
    ) -> WSGIIterable:
        from wsgikit.exc import error_response

        headers = [(name, check_header_value(value, name)) for name, value in self._echo(self.min_version)]
        headers.append(("Vary", self.vary))
        response = error_response(code, detail, headers=headers)
        result: WSGIIterable = response(environ, start_response)
        return result


def _environ_name(header: str) -> str:
    return "HTTP_" + header.upper().replace("-", "_")
