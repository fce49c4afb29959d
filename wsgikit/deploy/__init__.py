"""PasteDeploy integration: loading, checking and the factories behind ``egg:wsgikit#...``."""

from __future__ import annotations

from typing import Any

from paste.deploy import loadapp as _paste_loadapp

from wsgikit.deploy.options import ConfigError
from wsgikit.types import WSGIApplication

__all__ = ["ConfigError", "loadapp"]


def loadapp(uri: str, name: str | None = None, relative_to: str = ".", **kw: Any) -> WSGIApplication:
    """Load a WSGI application from a PasteDeploy URI such as ``config:paste.ini#main``."""
    app: WSGIApplication = _paste_loadapp(uri, name=name, relative_to=relative_to, **kw)
    return app
