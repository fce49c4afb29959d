"""``wsgikit show``
===============

``wsgikit show CONFIG[#name] [--format text|dot]`` prints the pipeline tree (see :mod:`wsgikit.deploy.tree`).
"""

from __future__ import annotations

import argparse
from typing import Any

from wsgikit.cli import add_config_argument, error

__all__ = ["add_parser", "run"]


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "show",
        help="print the pipeline tree of CONFIG[#name]",
        description="Print the structure of a configuration: composites, pipelines, filters and apps, "
        "with where each comes from.",
    )
    add_config_argument(parser)
    parser.add_argument(
        "--format",
        choices=["text", "dot"],
        default="text",
        help="text (a tree, the default) or dot (Graphviz: | dot -Tsvg > pipeline.svg)",
    )


def run(args: argparse.Namespace) -> int:
    from wsgikit.deploy.options import ConfigError
    from wsgikit.deploy.tree import format_dot, format_tree, load_tree

    try:
        _, session = load_tree(args.config)
    except ConfigError as problem:
        return error("show", problem)
    tree = session.tree
    if tree is None:  # pragma: no cover - a load always records its top section
        return error("show", "nothing was built")
    print(format_dot(tree) if args.format == "dot" else format_tree(tree))
    return 0
