"""The ``wsgikit`` command
=======================

``wsgikit serve|check|show|routes CONFIG`` (also ``python -m wsgikit``). Each verb is a thin shell over a
library function, so everything the command does can also be done — and tested — from Python.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wsgikit", description="Load, check, inspect and serve paste.ini pipelines."
    )
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="COMMAND")

    serve = verbs.add_parser("serve", help="load CONFIG[#name] and serve it")
    serve.add_argument("config", metavar="CONFIG[#name]")
    serve.add_argument("--server", choices=["wsgiref", "waitress", "gunicorn"], default=None)
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--workers", type=int, default=None)
    serve.add_argument("--reload", action="store_true", help="restart when a source or config file changes")

    check = verbs.add_parser("check", help="validate every section; exit 1 with one line per problem")
    check.add_argument("config", metavar="CONFIG[#name]")
    check.add_argument(
        "--load", action="store_true", help="also build the app, to catch what only its factories find"
    )

    show = verbs.add_parser("show", help="print the resolved pipeline tree")
    show.add_argument("config", metavar="CONFIG[#name]")
    show.add_argument("--format", choices=["text", "dot"], default="text")

    routes = verbs.add_parser("routes", help="print the route table of every router in the pipeline")
    routes.add_argument("config", metavar="CONFIG[#name]")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.verb == "serve":
        from wsgikit.servers import serve_command

        return serve_command(args)
    if args.verb == "check":
        from wsgikit.deploy.check import check_command

        return check_command(args)
    if args.verb == "show":
        from wsgikit.deploy.tree import show_command

        return show_command(args)
    from wsgikit.deploy.tree import routes_command

    return routes_command(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
