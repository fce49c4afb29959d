"""An application that fails, behind the error catcher: ``/`` raises before ``start_response``, ``/late``
after it (the catcher must replace the 200 it had given)."""

from wsgikit.middleware.errors import ErrorCatcherMiddleware


def fails(environ, start_response):
    if environ["PATH_INFO"] == "/late":
        start_response("200 OK", [("Content-Type", "text/plain")])
    raise RuntimeError("boom")


application = ErrorCatcherMiddleware(fails)
