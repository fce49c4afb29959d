"""URL map
=======

Mount applications under path prefixes — and optionally host names and ports — in one process. The
longest matching prefix wins; it moves from ``PATH_INFO`` to ``SCRIPT_NAME``, so every mounted
application sees itself at the root and builds correct URLs. Nothing mounted → a plain 404 that says
nothing about the mounts (Paste's leaks the mount list, SCRIPT_NAME and Host into an HTML comment).

Keys are ``/prefix``, ``/prefix/+`` (nova's form: the prefix must be followed by ``/`` and something more,
so ``/v2.1`` and ``/v2.1/`` can go to a versions document while ``/v2.1/servers`` goes to the API),
``domain example.com /prefix``, ``port 8080 /prefix`` and ``http://example.com:8080/prefix``.

With ``negotiate_version`` on, the map also does what nova's ``URLMap`` does: a version asked for in
``Accept`` or ``Content-Type`` (``application/json;version=2.1``) selects the ``/v2.1`` mount even when the
path does not start with it; a ``.json`` path suffix or the ``Accept`` header picks the response media
type. The chosen version is put in ``environ["wsgikit.api_version"]`` (an
:class:`~wsgikit.middleware.versions.APIVersion`) and the media type in ``environ["wsgikit.content_type"]``.

.. code-block:: python

    app = URLMap({"/": versions_doc, "/v2.1": versions_v21, "/v2.1/+": api}, negotiate_version=True)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from webob.acceptparse import create_accept_header

from wsgikit.middleware.versions import ENVIRON_KEY as VERSION_KEY
from wsgikit.middleware.versions import APIVersion
from wsgikit.types import StartResponse, WSGIApplication, WSGIEnvironment, WSGIIterable

__all__ = ["CONTENT_TYPE_KEY", "Mount", "URLMap", "parse_mount_key"]

CONTENT_TYPE_KEY = "wsgikit.content_type"
_VERSION_PREFIX_RE = re.compile(r"^/v(\d+)(?:\.(\d+))?$")
_VERSION_PARAM_RE = re.compile(r";\s*version\s*=\s*\"?[^;,\"]*\"?", re.IGNORECASE)


@dataclass(frozen=True)
class Mount:
    """One entry of the map.

    :ivar prefix: the path prefix, without a trailing slash (``""`` for the root).
    :ivar wildcard: nova's ``/prefix/+``: something must follow ``prefix/``.
    :ivar domain: the host name to match (lower case), or ``None`` for any.
    :ivar port: the port to match, or ``None`` for any.
    """

    key: str
    prefix: str
    app: WSGIApplication
    wildcard: bool = False
    domain: str | None = None
    port: str | None = None

    def matches(self, host: str, port: str, path: str) -> bool:
        if self.domain is not None and self.domain != host:
            return False
        if self.port is not None and self.port != port:
            return False
        if self.wildcard:
            return path.startswith(self.prefix + "/") and len(path) > len(self.prefix) + 1
        return not self.prefix or path == self.prefix or path.startswith(self.prefix + "/")

    @property
    def version(self) -> APIVersion | None:
        match = _VERSION_PREFIX_RE.match(self.prefix)
        if match is None:
            return None
        return APIVersion(int(match.group(1)), int(match.group(2) or 0))


def parse_mount_key(key: str) -> tuple[str | None, str | None, str, bool]:
    """``"domain api.example.com port 8080 /v2.1/+"`` → ``("api.example.com", "8080", "/v2.1", True)``.

    :raises ValueError: for a malformed key.
    """
    domain = port = None
    path: str | None = None
    text = key.strip()
    url = re.match(r"^https?://(?P<host>[^/:]+)(?::(?P<port>\d+))?(?P<path>/.*)?$", text, re.IGNORECASE)
    if url:
        domain, port, path = url.group("host").lower(), url.group("port"), url.group("path") or "/"
    else:
        words = text.split()
        while words:
            word = words.pop(0)
            if word in ("domain", "port"):
                if not words:
                    raise ValueError(f"{key!r}: {word!r} must be followed by a value")
                value = words.pop(0)
                if word == "domain":
                    if domain is not None:
                        raise ValueError(f"{key!r}: 'domain' given twice")
                    domain = value.lower()
                else:
                    if port is not None or not value.isdigit():
                        raise ValueError(f"{key!r}: 'port' must be given once, as a number")
                    port = value
            elif path is None:
                path = word
            else:
                raise ValueError(f"{key!r}: more than one path ({path!r} and {word!r})")
    path = path or "/"
    if not path.startswith("/"):
        raise ValueError(f"{key!r}: the path must start with '/'")
    wildcard = path.endswith("/+")
    if wildcard:
        path = path[:-2]
    if "+" in path or "//" in path:
        raise ValueError(f"{key!r}: '+' is allowed only as the last segment, and '//' not at all")
    return domain, port, path.rstrip("/"), wildcard


class URLMap:
    """Dispatch to the application mounted under the longest matching prefix.

    :param mapping: mount key (see :func:`parse_mount_key`) → WSGI application.
    :param not_found_app: answers when nothing matches (a 404 without details by default).
    :param negotiate_version: nova-style version negotiation from ``Accept`` / ``Content-Type``.
    :param content_types: the media types the service can answer with (for ``.ext`` suffixes and
        ``Accept``); the first is the default.
    """

    def __init__(
        self,
        mapping: Mapping[str, WSGIApplication] | Iterable[tuple[str, WSGIApplication]],
        *,
        not_found_app: WSGIApplication | None = None,
        negotiate_version: bool = False,
        content_types: Iterable[str] = ("application/json",),
    ) -> None:
        items = mapping.items() if isinstance(mapping, Mapping) else mapping
        mounts: list[Mount] = []
        seen: set[tuple[str | None, str | None, str, bool]] = set()
        for key, app in items:
            domain, port, prefix, wildcard = parse_mount_key(key)
            if (domain, port, prefix, wildcard) in seen:
                raise ValueError(f"mapping: {key!r} is mounted twice")
            seen.add((domain, port, prefix, wildcard))
            mounts.append(Mount(key, prefix, app, wildcard, domain, port))
        # Host-specific first, then the longest prefix; at equal length `/prefix/+` before `/prefix`.
        mounts.sort(key=lambda m: (m.domain is None, m.port is None, -len(m.prefix), not m.wildcard))
        self.mounts = mounts
        self.not_found_app = not_found_app
        self.negotiate_version = negotiate_version
        self.content_types = list(content_types)
        if not self.content_types:
            raise ValueError("content_types: at least one media type is needed")

    # -- matching ------------------------------------------------------------------------------------

    def match(self, environ: WSGIEnvironment, path: str | None = None) -> Mount | None:
        """The mount for this request (``path`` defaults to ``PATH_INFO``)."""
        host, port = _host_and_port(environ)
        path = environ.get("PATH_INFO", "") if path is None else path
        for mount in self.mounts:
            if mount.matches(host, port, path):
                return mount
        return None

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
        path: str = environ.get("PATH_INFO", "")
        if not self.negotiate_version:
            mount = self.match(environ, path)
            if mount is None:
                return self._not_found(environ, start_response)
            return self._dispatch(mount, environ, start_response, shift=True)
        return self._negotiated(environ, start_response, path)

    def _negotiated(self, environ: WSGIEnvironment, start_response: StartResponse, path: str) -> WSGIIterable:
        # nova's order: a version prefix in the path; else a ;version= parameter in Content-Type; else in
        # Accept; else whatever the path matches (the root). The media type: a .ext suffix, else Accept.
        media_type: str | None = None
        _, dot, ext = path.rpartition(".")
        if dot and "/" not in ext and f"application/{ext}" in self.content_types:
            media_type = f"application/{ext}"
        mount = self.match(environ, path)
        shift = True
        if mount is not None and not mount.prefix:
            mount = None  # the root matches everything: only use it when nothing more specific does
        if mount is None:
            mount = self._by_version_param(environ, _media_params(environ.get("CONTENT_TYPE", ""))[1])
            shift = False
        accept = environ.get("HTTP_ACCEPT", "")
        if accept and (media_type is None or mount is None):
            accepted, params = self._best_accept(accept)
            media_type = media_type or accepted
            if mount is None:
                mount = self._by_version_param(environ, params)
                shift = False
        if mount is None:
            mount = self.match(environ, path)
            shift = True
        if mount is None:
            return self._not_found(environ, start_response)
        environ[CONTENT_TYPE_KEY] = media_type or self.content_types[0]
        version = mount.version
        if version is not None:
            environ[VERSION_KEY] = version
        return self._dispatch(mount, environ, start_response, shift=shift)

    def _by_version_param(self, environ: WSGIEnvironment, params: dict[str, str]) -> Mount | None:
        version = params.get("version")
        if not version or not re.fullmatch(r"\d+(?:\.\d+)?", version):
            return None
        target = self.match(environ, f"/v{version}")
        return target if target is not None and target.prefix and not target.wildcard else None

    def _best_accept(self, accept: str) -> tuple[str | None, dict[str, str]]:
        # The version parameter is ours, not a media-type parameter: WebOb would refuse to match it.
        cleaned = ",".join(_VERSION_PARAM_RE.sub("", item) for item in accept.split(","))
        acceptable = create_accept_header(cleaned).acceptable_offers(self.content_types)
        best = acceptable[0][0] if acceptable else None
        for item in accept.split(","):
            media, params = _media_params(item)
            if "version" in params and media in (best, "*/*", "application/*"):
                return best, params
        return best, {}

    def _dispatch(
        self, mount: Mount, environ: WSGIEnvironment, start_response: StartResponse, *, shift: bool
    ) -> WSGIIterable:
        if shift and mount.prefix:
            path: str = environ.get("PATH_INFO", "")
            environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + mount.prefix
            environ["PATH_INFO"] = path[len(mount.prefix) :]
        elif not shift and mount.prefix:
            environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + mount.prefix
        return mount.app(environ, start_response)

    def _not_found(self, environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
        if self.not_found_app is not None:
            return self.not_found_app(environ, start_response)
        from wsgikit.exc import error_response

        result: WSGIIterable = error_response(404)(environ, start_response)
        return result


def _host_and_port(environ: WSGIEnvironment) -> tuple[str, str]:
    host: str = (environ.get("HTTP_HOST") or environ.get("SERVER_NAME") or "").lower()
    if host.startswith("["):  # IPv6 literal
        end = host.find("]")
        name, rest = host[: end + 1], host[end + 1 :]
        port = rest[1:] if rest.startswith(":") else ""
    else:
        name, _, port = host.partition(":")
    if not port:
        port = str(
            environ.get("SERVER_PORT") or ("443" if environ.get("wsgi.url_scheme") == "https" else "80")
        )
    return name, port


def _media_params(value: str) -> tuple[str, dict[str, str]]:
    media, *raw_params = value.split(";")
    params = {}
    for raw in raw_params:
        name, eq, param_value = raw.partition("=")
        if eq:
            params[name.strip().lower()] = param_value.strip().strip('"')
    return media.strip().lower(), params
