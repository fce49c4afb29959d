"""``wsgikit check``
================

``wsgikit check CONFIG[#name]...`` checks each file (and the files it refers to) without building or
serving anything — :func:`wsgikit.deploy.check_config` — and prints one ``file:line [section] key: message``
line per problem, then a count on stderr; a clean file prints ``CONFIG: OK``. The exit status is 1 when any
file has a problem. ``--load`` also builds each application when its file is otherwise clean
(:func:`wsgikit.deploy.check.load_problems`).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from wsgikit.cli import EXIT_PROBLEM

__all__ = ["add_parser", "check_one", "run"]


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "check",
        help="check one or more paste.ini files; one line per problem",
        description="Check every section of each file (and of the files it refers to) without building "
        "anything. Exit status 1 when any file has a problem.",
    )
    parser.add_argument(
        "config",
        metavar="CONFIG[#name]",
        nargs="+",
        help="paste.ini files; #name also checks that the section exists (main by default)",
    )
    parser.add_argument(
        "--load", action="store_true", help="also build each app, to catch what only its factories find"
    )


def check_one(spec: str, *, load: bool = False) -> bool:
    """Check one ``CONFIG[#name]`` and print its report; whether it is clean."""
    from wsgikit.deploy.check import check_config, load_problems
    from wsgikit.deploy.spec import parse_config_spec

    config = parse_config_spec(spec)
    problems = check_config(config.path, name=config.name)
    if load and not any(problem.severity == "error" for problem in problems):
        problems += load_problems(config.path, config.name)
    cwd = os.getcwd()
    for problem in problems:
        print(problem.format(relative_to=cwd))
    if problems:
        errors = sum(problem.severity == "error" for problem in problems)
        warnings = len(problems) - errors
        print(
            f"{spec}: {len(problems)} problem(s): {errors} error(s), {warnings} warning(s)", file=sys.stderr
        )
        return False
    print(f"{spec}: OK")
    return True


def run(args: argparse.Namespace) -> int:
    """``wsgikit check [--load] CONFIG[#name]...``: a report per file; 1 when any has a problem."""
    results = [check_one(spec, load=args.load) for spec in args.config]
    return 0 if all(results) else EXIT_PROBLEM
