"""wsgikit — WSGI middleware, a compiled Routes-compatible router and checked PasteDeploy pipelines.

The public API re-exported here: :func:`wsgify`, :class:`Request`, :class:`Response` and the
:mod:`wsgikit.exc` module of HTTP exceptions.
"""

from wsgikit import exc
from wsgikit.dec import Request, Response, wsgify

__all__ = ["Request", "Response", "exc", "wsgify"]
__version__ = "0.1.0"
