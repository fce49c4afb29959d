"""``wsgikit show``
===============

``wsgikit show CONFIG[#name] [--format text|dot]`` draws the structure of a configuration from the INI
alone (:func:`wsgikit.deploy.structure.structure`): composites, pipelines, filters outermost first and
applications, each with its section, ``file:line``, the ``egg:`` / ``call:`` / factory that makes it and its
options. Nothing is built; a factory that cannot be imported here is marked ``✗`` and the drawing goes on,
so a nova or swift file shows on a machine without nova or swift::

    composite:osapi_compute  call:nova.api.openstack.urlmap:urlmap_factory  (api-paste.ini:13)  [✗ ...]
    ├── / → pipeline:oscomputeversions  (api-paste.ini:58)
    │   ├── filter:cors  paste.filter_factory = oslo_middleware.cors:filter_factory  (api-paste.ini:73)  [...]
    ...

``--format dot`` prints the same for Graphviz (``| dot -Tsvg > pipeline.svg``).
"""

from __future__ import annotations

import argparse
import configparser
from typing import Any

from wsgikit.cli import add_config_argument, error

__all__ = ["add_parser", "run"]


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "show",
        help="draw the structure of CONFIG[#name] from the INI alone",
        description="Draw a configuration's structure — composites, pipelines, filters, apps, their "
        "factories and options — without building anything; what cannot be imported is marked.",
    )
    add_config_argument(parser)
    parser.add_argument(
        "--format",
        choices=["text", "dot"],
        default="text",
        help="text (a tree, the default) or dot (Graphviz: | dot -Tsvg > pipeline.svg)",
    )


def run(args: argparse.Namespace) -> int:
    from wsgikit.deploy.spec import parse_config_spec
    from wsgikit.deploy.structure import structure
    from wsgikit.deploy.tree import format_dot, format_tree

    spec = parse_config_spec(args.config)
    try:
        root = structure(args.config)
    except OSError as problem:
        return error("show", f"{spec.path}: {problem.strerror or problem}")
    except configparser.Error as problem:
        return error("show", f"{spec.path}: not an INI file: {problem}")
    if root.kind == "missing":
        return error("show", f"{spec.path}: no section for {spec.name!r} ({root.problem})")
    print(format_dot(root) if args.format == "dot" else format_tree(root))
    return 0
