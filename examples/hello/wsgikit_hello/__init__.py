"""Hello: the smallest wsgikit service.

``GET /`` answers text, ``GET /hello/<name>`` (or ``/?name=``) answers JSON.
"""

from __future__ import annotations

from typing import Any

from wsgikit import Request, exc, wsgify


@wsgify
def hello(req: Request) -> Any:
    if req.path_info in ("", "/"):
        return "Hello from wsgikit!\n"
    prefix = "/hello/"
    if req.path_info.startswith(prefix) and len(req.path_info) > len(prefix):
        return {"hello": req.path_info[len(prefix) :]}
    raise exc.HTTPNotFound()


def app_factory(global_conf: dict[str, str], **local_conf: str) -> Any:
    """PasteDeploy ``paste.app_factory``: ``use = egg:wsgikit-hello``."""
    if local_conf:
        raise ValueError(f"hello takes no options, got {sorted(local_conf)}")
    return hello
