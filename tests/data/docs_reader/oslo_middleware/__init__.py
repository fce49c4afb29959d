"""Stand-in for ``paste.filter_factory = oslo_middleware:RequestBodySizeLimiter.factory`` (the "before" file
of docs/deploy/migration.rst): oslo's body size limit, 112 KiB by default, answering 413 above it."""

from __future__ import annotations

from typing import Any

from wsgikit.types import StartResponse, WSGIApplication, WSGIEnvironment, WSGIIterable


class RequestBodySizeLimiter:
    def __init__(self, app: WSGIApplication, limit: int = 112 * 1024) -> None:
        self.app = app
        self.limit = limit

    @classmethod
    def factory(cls, global_conf: dict[str, str], **local_conf: str) -> Any:
        return lambda app: cls(app)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
        if int(environ.get("CONTENT_LENGTH") or 0) > self.limit:
            start_response("413 Request Entity Too Large", [("Content-Type", "text/plain")])
            return [b"Request is too large."]
        return self.app(environ, start_response)
