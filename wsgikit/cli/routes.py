"""``wsgikit routes``
=================

``wsgikit routes CONFIG[#name]`` loads the application (serving nothing) and prints the route table of every
:class:`~wsgikit.routing.Router` in it, under the prefix it is mounted at.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from wsgikit.cli import EXIT_PROBLEM, add_config_argument, error

__all__ = ["add_parser", "run"]


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "routes",
        help="print the route table of every router in the pipeline",
        description="Load the pipeline (serving nothing) and print each router's routes in matching order.",
    )
    add_config_argument(parser)


def run(args: argparse.Namespace) -> int:
    from wsgikit.deploy.options import ConfigError
    from wsgikit.deploy.tree import find_routers, load_tree
    from wsgikit.routing.table import format_route_table, route_rows

    try:
        app, session = load_tree(args.config)
    except ConfigError as problem:
        return error("routes", problem)
    routers = find_routers(session.tree, app)
    if not routers:
        print(f"{args.config}: no wsgikit.routing.Router in this pipeline", file=sys.stderr)
        return EXIT_PROBLEM
    for index, (prefix, node, router) in enumerate(routers):
        if index:
            print()
        where = f"{node.name}  ({node.origin})" if node is not None else type(router).__name__
        print(f"# {where}  mounted at {prefix}")
        print(format_route_table(route_rows(router.mapper, router.routes)))
    return 0
