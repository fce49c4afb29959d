"""``egg:myservice#versions`` and ``egg:myservice#version``: the reader's version documents."""

from __future__ import annotations

import json
from typing import Any

from wsgikit.types import StartResponse, WSGIApplication, WSGIEnvironment, WSGIIterable


def json_app(document: dict[str, Any]) -> WSGIApplication:
    body = json.dumps(document).encode()

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    return app


def versions_factory(global_conf: dict[str, str]) -> WSGIApplication:
    return json_app({"versions": [{"id": "v2.1", "status": "CURRENT"}]})


def version_factory(global_conf: dict[str, str]) -> WSGIApplication:
    return json_app({"version": {"id": "v2.1", "status": "CURRENT"}})
