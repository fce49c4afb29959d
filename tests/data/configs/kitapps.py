"""Tiny factories for the deploy tests (put on sys.path by tests/deploy/conftest.py)."""

from __future__ import annotations

import json
from typing import Any

from wsgikit.types import StartResponse, WSGIApplication, WSGIEnvironment, WSGIIterable

BUILT: list[str] = []


class Echo:
    """Answers JSON with its name, SCRIPT_NAME, PATH_INFO and the wsgikit.* environ keys."""

    def __init__(self, name: str, status: str = "200 OK") -> None:
        self.name = name
        self.status = status

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
        body = json.dumps(
            {
                "app": self.name,
                "script_name": environ.get("SCRIPT_NAME", ""),
                "path_info": environ.get("PATH_INFO", ""),
                "tags": environ.get("kitapps.tags", []),
                "api_version": str(environ["wsgikit.api_version"])
                if "wsgikit.api_version" in environ
                else None,
                "content_type": environ.get("wsgikit.content_type"),
            }
        ).encode()
        start_response(
            self.status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        )
        return [body]


def echo_factory(global_conf: dict[str, Any], name: str = "echo", status: str = "200 OK") -> WSGIApplication:
    BUILT.append(name)
    return Echo(name, status)


class Tag:
    def __init__(self, app: WSGIApplication, tag: str) -> None:
        if not tag.isidentifier():
            raise ValueError(f"tag: must be an identifier, got {tag!r}")
        self.app = app
        self.tag = tag

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
        environ["kitapps.tags"] = [*environ.get("kitapps.tags", []), self.tag]
        return self.app(environ, start_response)


def tag_factory(global_conf: dict[str, Any], tag: str = "t") -> Any:
    return lambda app: Tag(app, tag)


def flask_factory(global_conf: dict[str, Any]) -> WSGIApplication:
    import flask

    app = flask.Flask("kitapps_flask")

    @app.route("/hello/<name>")
    def hello(name: str) -> Any:
        return {
            "app": "flask",
            "name": name,
            "script_name": flask.request.environ["SCRIPT_NAME"],
            "path_info": flask.request.environ["PATH_INFO"],
            "url": flask.url_for("hello", name=name),
        }

    result: WSGIApplication = app.wsgi_app
    return result


def make_mapper() -> Any:
    from wsgikit import wsgify
    from wsgikit.routing import Mapper

    @wsgify
    def show(req: Any, id: str) -> dict[str, str]:
        return {
            "app": "router",
            "id": id,
            "script_name": req.environ["SCRIPT_NAME"],
            "path_info": req.environ["PATH_INFO"],
            "url": req.application_url,
        }

    mapper = Mapper()
    mapper.connect("show", "/items/{id}", controller=show, conditions={"method": ["GET"]})
    return mapper


def plain_app(environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
    """A bare WSGI callable, for ``egg:wsgikit#wsgi``."""
    body = f"plain {environ.get('PATH_INFO', '')}".encode("latin-1")
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
