"""The ``wsgikit`` command
=======================

``wsgikit serve|check|show|routes|cgi`` (also ``python -m wsgikit``). One module per command, each with
``add_parser(commands)`` and ``run(args) -> exit status``; each is a thin shell over a library function, so
everything the command does can also be done — and tested — from Python.

Exit status (documented in ``docs/reference/cli.rst``):

=====  ============================================================================================
0      success (``serve``: stopped by SIGTERM or Ctrl-C)
1      a configuration problem, an app that cannot be imported or built, a server that failed
2      a usage error (an unknown option, a missing argument)
130    interrupted by Ctrl-C (every command but ``serve``, which stops gracefully and exits 0)
141    standard output was closed early (``wsgikit show ... | head``); nothing is printed about it
=====  ============================================================================================
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import os
import sys
from collections.abc import Sequence

__all__ = ["COMMANDS", "EXIT_INTERRUPTED", "EXIT_PIPE", "EXIT_PROBLEM", "build_parser", "main", "version"]

COMMANDS = ("serve", "check", "show", "routes", "cgi")
"""The command modules, ``wsgikit.cli.<name>``, in the order ``--help`` lists them."""

EXIT_PROBLEM = 1
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what a shell reports for a process stopped by Ctrl-C
EXIT_PIPE = 141  # 128 + SIGPIPE, what `yes | head` reports for `yes`


def version() -> str:
    """The installed distribution's version (``0+unknown`` when wsgikit runs from a bare checkout)."""
    try:
        return importlib.metadata.version("wsgikit")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - always installed in tests
        return "0+unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wsgikit",
        description="Load, check, inspect and serve WSGI applications and paste.ini pipelines.",
    )
    parser.add_argument(
        "--version", action="version", version=f"wsgikit {version()}", help="print the version and exit"
    )
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", help="wsgikit COMMAND --help tells more"
    )
    for name in COMMANDS:
        module = importlib.import_module(f"wsgikit.cli.{name}")
        module.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (``sys.argv[1:]`` by default); the exit status."""
    args = build_parser().parse_args(argv)
    module = importlib.import_module(f"wsgikit.cli.{args.command}")
    try:
        status: int = module.run(args)
        sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
    except KeyboardInterrupt:
        print(file=sys.stderr)  # end the line the ^C was echoed on
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_PIPE
    return status


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that the interpreter's final flush does not complain again."""
    try:
        fileno = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # a replaced stdout (pytest's capture)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fileno)
    os.close(devnull)


def add_config_argument(parser: argparse.ArgumentParser, *, nargs: str | None = None) -> None:
    """The positional ``CONFIG[#name]`` every command takes, with one help text."""
    parser.add_argument(
        "config",
        metavar="CONFIG[#name]",
        nargs=nargs,
        help="a paste.ini file (or config:URI); #name picks a section other than main",
    )


def add_target_argument(parser: argparse.ArgumentParser) -> None:
    """The positional ``CONFIG[#name]`` or ``module:callable`` of the commands that run an application."""
    parser.add_argument(
        "config",
        metavar="CONFIG[#name]|module:callable",
        help="a paste.ini file (#name picks a section other than main), or module:callable / "
        "module:factory() naming a WSGI application",
    )


def error(command: str, message: object) -> int:
    """Print ``wsgikit COMMAND: error: MESSAGE`` on one line of stderr; :data:`EXIT_PROBLEM`."""
    text = " ".join(str(message).split("\n"))
    print(f"wsgikit {command}: error: {text}", file=sys.stderr)
    return EXIT_PROBLEM
