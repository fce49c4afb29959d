"""``call:nova.api.auth:pipeline_factory_v21`` and ``nova.api.auth:NovaKeystoneContext.factory``."""

from __future__ import annotations

import os
from typing import Any

from wsgikit.types import StartResponse, WSGIApplication, WSGIEnvironment, WSGIIterable


def pipeline_factory_v21(loader: Any, global_conf: dict[str, str], **local_conf: str) -> WSGIApplication:
    """The pipeline named by nova's ``[api] auth_strategy`` (here the environment's NOVA_AUTH_STRATEGY,
    ``keystone`` by default, as in nova), filters outermost first."""
    *filters, app_name = local_conf[os.environ.get("NOVA_AUTH_STRATEGY", "keystone")].split()
    app: WSGIApplication = loader.get_app(app_name)
    for name in reversed(filters):
        app = loader.get_filter(name)(app)
    return app


class NovaKeystoneContext:
    """Builds nova's request context from the identity the auth filter in front of it confirmed."""

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    @classmethod
    def factory(cls, global_conf: dict[str, str], **local_conf: str) -> Any:
        return cls

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
        environ["nova.context"] = {"user_id": environ.get("REMOTE_USER")}
        return self.app(environ, start_response)
