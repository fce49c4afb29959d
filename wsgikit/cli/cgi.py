"""``wsgikit cgi``
==============

``wsgikit cgi CONFIG[#name]`` (or ``module:callable``) answers one request as a CGI script (RFC 3875): the
request comes from the CGI environment variables and standard input, the response goes to standard output,
through the standard library's :class:`wsgiref.handlers.CGIHandler`. A web server that runs CGI programs
(lighttpd, Apache, ``fcgiwrap`` behind nginx) can start it directly:

.. code-block:: sh

    #!/bin/sh
    exec /srv/venv/bin/wsgikit cgi /srv/app/paste.ini

The application is loaded for each request — fine for low traffic, and the simplest deployment there is.
A configuration that cannot be loaded answers ``500`` and writes the located error to standard error,
which the web server puts in its error log.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any
from wsgiref.handlers import CGIHandler

from wsgikit.cli import add_target_argument, error
from wsgikit.types import StartResponse, WSGIEnvironment, WSGIIterable

__all__ = ["add_parser", "run"]


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "cgi",
        help="answer one request as a CGI script (stdin/stdout)",
        description="Answer the one request described by the CGI environment (RFC 3875) and standard "
        "input, writing the response to standard output.",
    )
    add_target_argument(parser)


def _unavailable(environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
    body = b"The application could not be loaded; the server's error log says why.\n"
    start_response(
        "500 Internal Server Error", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))]
    )
    return [body]


def run(args: argparse.Namespace) -> int:
    from wsgikit.cli.target import TargetError, load_object, parse_target
    from wsgikit.deploy import loadapp

    target = parse_target(args.config)
    status = 0
    try:
        app = loadapp(target.config.uri) if target.config is not None else load_object(str(target.obj))
    except (TargetError, LookupError, ValueError, ImportError, OSError) as problem:
        status = error("cgi", problem)
        app = _unavailable
    CGIHandler().run(app)
    sys.stdout.flush()
    return status
