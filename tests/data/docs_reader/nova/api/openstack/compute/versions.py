"""``paste.app_factory = nova.api.openstack.compute.versions:Versions.factory`` (and ``VersionsV2``)."""

from __future__ import annotations

import json
from typing import Any

from wsgikit.types import StartResponse, WSGIEnvironment, WSGIIterable


class Versions:
    document: dict[str, Any] = {"versions": [{"id": "v2.1", "status": "CURRENT"}]}

    @classmethod
    def factory(cls, global_conf: dict[str, str], **local_conf: str) -> Versions:
        return cls()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
        body = json.dumps(self.document).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]


class VersionsV2(Versions):
    document = {"version": {"id": "v2.1", "status": "CURRENT"}}
