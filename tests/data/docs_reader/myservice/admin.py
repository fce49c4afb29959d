"""``use = call:myservice.admin:make_flask_app``: stands for the reader's Flask application.

Any WSGI application mounts the same way; tests/integration/test_any_wsgi_app.py mounts a real Flask one.
This one needs no Flask, so the docs' INI blocks are checked in any venv.
"""

from __future__ import annotations

from wsgikit.types import StartResponse, WSGIApplication, WSGIEnvironment, WSGIIterable


def make_flask_app(global_conf: dict[str, str]) -> WSGIApplication:
    def app(environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [f"admin at {environ['SCRIPT_NAME']}".encode()]

    return app
