"""``mysite.wsgi:application``: stands for the callable Django's ``startproject`` writes here.

tests/integration/test_any_wsgi_app.py serves a real Django project this way; this one needs no Django.
"""

from __future__ import annotations

from wsgikit.types import StartResponse, WSGIEnvironment, WSGIIterable


def application(environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"mysite's Django application"]
