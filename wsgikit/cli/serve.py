"""``wsgikit serve``
================

Serve a paste.ini pipeline — ``wsgikit serve CONFIG[#name]`` loads it, applies its logging sections and
honours its ``[server:main]`` section — or any WSGI application, ``wsgikit serve module:callable`` (or
``module:factory()``), like ``waitress-serve`` and ``gunicorn``.

.. code-block:: console

    $ wsgikit serve paste-configs/example.ini
    wsgikit: serving config:/srv/paste-configs/example.ini#main with waitress on http://127.0.0.1:8080
    $ wsgikit serve production.ini --server gunicorn --workers 4 --port 9000
    $ wsgikit serve service:app --port 9000

``--reload`` (development only) runs the server under `hupper <https://pypi.org/project/hupper/>`_, the
reloader ``pserve`` uses: a monitor process restarts the server when the configuration file or any Python
module it imported changes; when the new code fails to load, it waits for the next change.
"""

from __future__ import annotations

import argparse
import configparser
import contextlib
import logging
import logging.config
import os
import sys
from collections.abc import Sequence
from typing import Any

from wsgikit.cli import add_target_argument, error
from wsgikit.cli.target import Target, TargetError, load_object, parse_target
from wsgikit.deploy.spec import ConfigSpec
from wsgikit.servers import SERVERS, run_server
from wsgikit.types import WSGIApplication

__all__ = ["add_parser", "configure_logging", "reload_argv", "resolve_server", "run"]


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "serve",
        help="serve CONFIG[#name] or module:callable",
        description="Serve a paste.ini pipeline, or any WSGI application named module:callable or "
        "module:factory(). [server:main] is honoured when present; the options below override it.",
    )
    add_target_argument(parser)
    parser.add_argument(
        "--server", choices=sorted(SERVERS), default=None, help="the server to run (default: waitress)"
    )
    parser.add_argument("--host", default=None, help="address to bind (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=None, help="TCP port (default: 8080)")
    parser.add_argument(
        "--workers", type=int, default=None, help="worker processes (gunicorn only; the others run one)"
    )
    parser.add_argument(
        "--reload",
        action="store_true",
        help="restart when the config file or an imported Python module changes (development only)",
    )


# -- logging and [server:main] --------------------------------------------------------------------------


def read_ini(path: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    with open(path, encoding="utf-8") as handle:
        parser.read_file(handle)
    return parser


def configure_logging(path: str | None, parser: configparser.RawConfigParser | None = None) -> bool:
    """Apply the ini's ``[loggers]``/``[handlers]``/``[formatters]`` sections, if it has them.

    Existing loggers are kept (``disable_existing_loggers=False``): a ``[loggers]`` section that does not
    mention ``wsgikit.access`` must not silence it. Without the sections (or without a file), a basic INFO
    config on stderr is installed when nothing configured logging yet.

    :returns: whether the ini had logging sections.
    """
    if path is not None:
        parser = parser or read_ini(path)
        if parser.has_section("loggers"):
            defaults = {"here": os.path.dirname(path), "__file__": path}
            logging.config.fileConfig(path, defaults=defaults, disable_existing_loggers=False)
            return True
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s [%(name)s] %(message)s")
    return False


def resolve_server(
    path: str | None,
    *,
    server: str | None = None,
    host: str | None = None,
    port: int | None = None,
    workers: int | None = None,
    server_name: str = "main",
) -> tuple[str, dict[str, Any]]:
    """Which runner and options ``serve`` uses: ``[server:NAME]`` when present, then the CLI overrides.

    A ``[server:main]`` whose ``use`` is one of wsgikit's runners has its options converted by that
    runner's table (unknown keys fail here, naming the file, line, section and key). When ``--server``
    picks a different runner than the section names, only ``host`` and ``port`` carry over: the others
    belong to the other server.
    """
    from wsgikit.deploy.components import servers as components
    from wsgikit.deploy.loader import IniIndex
    from wsgikit.deploy.options import ConfigError

    chosen: str | None = None
    options: dict[str, Any] = {}
    parser = read_ini(path) if path is not None else None
    section = f"server:{server_name}"
    if parser is not None and not parser.has_section(section) and server_name == "main":
        section = "server" if parser.has_section("server") else section
    if path is not None and parser is not None and parser.has_section(section):
        from paste.deploy.loadwsgi import SERVER, loadcontext

        with open(path, encoding="utf-8") as handle:
            index = IniIndex(handle.read())
        context = loadcontext(SERVER, f"config:{path}", name=server_name)
        from_section = components.runner_name(context.object)
        if from_section is None:
            raise ConfigError(
                "wsgikit serve runs waitress, gunicorn or wsgiref "
                "(use = egg:wsgikit#waitress, #gunicorn, #wsgiref, or egg:waitress#main)",
                file=path,
                line=index.line_of(section, "use"),
                section=section,
                key="use",
            )
        local_conf = dict(context.local_conf)
        if server is not None and server != from_section:
            # workers and threads mean different things to another server; the address does not
            local_conf = {k: v for k, v in local_conf.items() if k in ("host", "port")}
        chosen = server or from_section
        table = components.RUNNER_OPTIONS[chosen]
        lines = index.keys.get(section, {})
        options = table.convert(local_conf, context.global_conf, section=section, lines=lines)
    chosen = server or chosen or "waitress"
    overrides = {"host": host, "port": port, "workers": workers}
    options.update({key: value for key, value in overrides.items() if value is not None})
    return chosen, options


# -- the command -----------------------------------------------------------------------------------------


def reload_argv(args: argparse.Namespace) -> list[str]:
    """The command line the ``--reload`` worker runs: the same ``serve`` with the same options."""
    argv = ["serve", args.config, "--reload"]
    for flag in ("server", "host", "port", "workers"):
        value = getattr(args, flag, None)
        if value is not None:
            argv += [f"--{flag}", str(value)]
    return argv


def reload_worker(argv: Sequence[str]) -> None:
    """Runs in hupper's worker process (``worker_path`` must be importable by name)."""
    from wsgikit.cli import main

    sys.exit(main(list(argv)))


def run(args: argparse.Namespace) -> int:
    """``wsgikit serve TARGET [--server S] [--host H] [--port P] [--workers N] [--reload]``."""
    import hupper

    if getattr(args, "reload", False) and not hupper.is_active():
        # The monitor: runs reload_worker in a child and exits with its status when stopped.
        hupper.start_reloader(
            "wsgikit.cli.serve.reload_worker", worker_args=[reload_argv(args)], shutdown_interval=30
        )
        return 0  # pragma: no cover - start_reloader exits
    target = parse_target(args.config)
    if target.config is not None and hupper.is_active():
        hupper.get_reloader().watch_files([target.config.path])
    try:
        app, server, options = _load(target, args)
    except _Failed as failed:
        return error("serve", failed)
    try:
        return run_server(server, app, what=target.description, **options)
    except ValueError as problem:
        return error("serve", problem)
    except KeyboardInterrupt:  # a second Ctrl-C during shutdown
        return 0


class _Failed(Exception):
    """Loading failed; the message is what ``serve`` prints."""


def _load(target: Target, args: argparse.Namespace) -> tuple[WSGIApplication, str, dict[str, Any]]:
    overrides = {"server": args.server, "host": args.host, "port": args.port, "workers": args.workers}
    if target.config is None:
        try:
            configure_logging(None)
            app = load_object(str(target.obj))
            return (app, *resolve_server(None, **overrides))
        except (TargetError, ValueError) as problem:
            raise _Failed(problem) from None
        except Exception as problem:  # the user's module raised while importing or building the app
            raise _Failed(f"{target.obj}: {type(problem).__name__}: {problem}") from None
    return _load_config(target.config, overrides)


def _load_config(
    config: ConfigSpec, overrides: dict[str, Any]
) -> tuple[WSGIApplication, str, dict[str, Any]]:
    from wsgikit.deploy import loadapp
    from wsgikit.deploy.options import ConfigError

    if not os.path.isfile(config.path):
        raise _Failed(f"no such config file: {config.path}")
    try:
        with contextlib.suppress(configparser.Error):  # not an INI file: the loader says so, with the line
            configure_logging(config.path)
        app = loadapp(config.uri)
        server, options = resolve_server(config.path, **overrides)
    except ConfigError as problem:
        hint = ""
        if config.path.endswith(".py") and problem.message.startswith("not an INI file"):
            module = os.path.splitext(os.path.basename(config.path))[0]
            hint = f" (to serve a WSGI application in it: wsgikit serve {module}:app)"
        raise _Failed(f"{problem}{hint}") from None
    except (LookupError, ValueError, ImportError, OSError, SyntaxError) as problem:
        import hupper

        if isinstance(problem, SyntaxError) and problem.filename and hupper.is_active():
            hupper.get_reloader().watch_files([problem.filename])
        raise _Failed(problem) from None
    return app, server, options
