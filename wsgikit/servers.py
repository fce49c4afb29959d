"""Servers
=======

Run a WSGI application on the bundled ``wsgiref`` dev server, on **waitress** (the default) or on
**gunicorn** with N worker processes — and ``wsgikit serve CONFIG[#name]``, which loads a ``paste.ini``,
applies its logging sections, honours its ``[server:main]`` section and serves it.

.. code-block:: console

    $ wsgikit serve paste-configs/example.ini
    wsgikit: serving config:/srv/paste-configs/example.ini#main with waitress on http://127.0.0.1:8080
    $ wsgikit serve production.ini --server gunicorn --workers 4 --port 9000

Each server library is imported only inside its runner, so waitress-only deployments never import
gunicorn. Every runner stops gracefully on SIGTERM and SIGINT (Ctrl-C): in-flight requests finish, the
listening socket closes and ``serve`` exits 0 without a traceback.

``--reload`` (development only) runs the server in a child process and polls the modification times of the
ini file and of every Python module imported while loading the application, once a second; when one
changes, the child is stopped with SIGTERM and started again. If the new code fails to load, the reloader
waits for the next change instead of exiting.
"""

from __future__ import annotations

import argparse
import configparser
import json
import logging
import logging.config
import os
import signal
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from types import FrameType
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

from wsgikit.types import WSGIApplication

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "SERVERS",
    "run_gunicorn",
    "run_server",
    "run_waitress",
    "run_wsgiref",
    "serve_command",
]

log = logging.getLogger("wsgikit.servers")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
RELOADER_ENV = "WSGIKIT_RELOADER_FILES"
"""Set in the child of ``--reload``: where it writes the files (and their mtimes) it loaded."""


def _announce(server: str, host: str, port: int, what: str | None = None) -> None:
    where = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
    subject = f"serving {what} " if what else "serving "
    # stderr, unconditionally: the one line an operator needs even when logging is not configured.
    print(f"wsgikit: {subject}with {server} on {where}", file=sys.stderr, flush=True)


@contextmanager
def _stop_on_signals() -> Iterator[None]:
    """Turn SIGTERM into KeyboardInterrupt (SIGINT already is one) for the duration of a serve loop.

    waitress and socketserver both unwind cleanly from KeyboardInterrupt raised in their main loop.
    """

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    if threading.current_thread() is not threading.main_thread():
        yield  # signals can only be handled in the main thread; the caller stops the server itself
        return
    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


# -- wsgiref ------------------------------------------------------------------------------------------------


class _QuietHandler(WSGIRequestHandler):
    """wsgiref's handler, logging requests to ``wsgikit.servers`` instead of printing to stderr."""

    timeout = 60  # a stalled client must not pin a thread (and block shutdown) forever

    def log_message(self, format: str, *args: Any) -> None:
        log.info("%s - %s", self.address_string(), format % args)


class ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    """wsgiref's server with one thread per request, at most ``threads`` at once.

    Threads are not daemons and ``server_close`` joins them, so a stop lets in-flight requests finish.
    """

    daemon_threads = False
    block_on_close = True
    allow_reuse_address = True

    def __init__(self, *args: Any, threads: int = 8, **kwargs: Any) -> None:
        self._slots = threading.BoundedSemaphore(threads)
        super().__init__(*args, **kwargs)

    def process_request(self, request: Any, client_address: Any) -> None:
        self._slots.acquire()
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()


def make_wsgiref_server(
    app: WSGIApplication, *, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, threads: int = 8
) -> ThreadingWSGIServer:
    """A bound, not yet serving, threaded wsgiref server (``port=0`` picks a free port)."""
    if threads < 1:
        raise ValueError(f"threads must be at least 1, got {threads}")
    server = ThreadingWSGIServer((host, port), _QuietHandler, threads=threads)
    server.set_app(app)
    return server


def run_wsgiref(
    app: WSGIApplication,
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    workers: int = 1,
    threads: int = 8,
    what: str | None = None,
) -> None:
    """Serve ``app`` with the stdlib's wsgiref server, one thread per request (development only).

    :param host: address to bind; the default is loopback only.
    :param port: TCP port.
    :param workers: must be 1 — wsgiref runs in one process.
    :param threads: most requests handled at once.
    """
    if workers != 1:
        raise ValueError(f"workers: wsgiref runs in one process, got {workers}; use gunicorn for more")
    server = make_wsgiref_server(app, host=host, port=port, threads=threads)
    _announce("wsgiref", host, server.server_address[1], what)
    try:
        with _stop_on_signals():
            server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        log.info("wsgiref: stopping")
    finally:
        server.server_close()


# -- waitress -----------------------------------------------------------------------------------------------


def run_waitress(
    app: WSGIApplication,
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    workers: int = 1,
    threads: int = 4,
    what: str | None = None,
    **extra: Any,
) -> None:
    """Serve ``app`` with waitress.

    :param host: address to bind; the default is loopback only.
    :param port: TCP port.
    :param workers: must be 1 — waitress runs in one process (use ``threads``).
    :param threads: worker threads.
    :param extra: any other waitress adjustment (``url_scheme``, ``trusted_proxy``, ``connection_limit``,
        ...), as Python values or INI strings; waitress rejects unknown names.
    """
    if workers != 1:
        raise ValueError(f"workers: waitress runs in one process, got {workers}; use threads")
    from waitress.server import create_server

    if "listen" not in extra:
        extra.update(host=host, port=port)
    server = create_server(app, threads=threads, **extra)
    listening: list[tuple[Any, Any]] = getattr(server, "effective_listen", None) or [
        (getattr(server, "effective_host", host), getattr(server, "effective_port", port))
    ]
    for bound_host, bound_port in listening:
        _announce("waitress", str(bound_host), int(bound_port), what)
    try:
        with _stop_on_signals():
            # waitress's run() catches KeyboardInterrupt itself and shuts its task threads down.
            server.run()
    except KeyboardInterrupt:
        server.task_dispatcher.shutdown()
    finally:
        server.close()


# -- gunicorn -----------------------------------------------------------------------------------------------


def gunicorn_setting_names() -> frozenset[str]:
    """Names gunicorn accepts as settings (imports gunicorn)."""
    from gunicorn.config import KNOWN_SETTINGS

    return frozenset(setting.name for setting in KNOWN_SETTINGS)


def run_gunicorn(
    app: WSGIApplication,
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    workers: int = 1,
    threads: int = 1,
    what: str | None = None,
    **extra: Any,
) -> int:
    """Serve ``app`` with gunicorn's arbiter and ``workers`` pre-forked worker processes.

    Unlike ``gunicorn --paste``, every option of ``[server:main]`` is honoured: ``host``/``port`` become
    ``bind``, the rest are gunicorn settings by their Python names (``timeout``, ``keepalive``,
    ``worker_class``, ``max_requests``, ...), given as INI strings or Python values. The application is
    loaded once, in the arbiter, and inherited by the workers. The control socket is off unless
    ``control_socket`` is set (several gunicorns on one host would collide on the default path).
    SIGTERM is gunicorn's graceful stop, SIGINT its quick stop.

    :returns: the arbiter's exit status.
    """
    from gunicorn.app.base import BaseApplication

    known = gunicorn_setting_names()
    unknown = sorted(set(extra) - known)
    if unknown:
        raise ValueError(f"{unknown[0]}: not a gunicorn setting")
    settings: dict[str, Any] = {"workers": workers, "threads": threads}
    if "bind" not in extra:
        settings["bind"] = [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"]
    if "control_socket" not in extra:
        settings["control_socket_disable"] = True
    settings.update(extra)

    class _Arbitered(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in settings.items():
                self.cfg.set(key, value)

        def load(self) -> WSGIApplication:
            return app

    gunicorn_app = _Arbitered()
    for address in gunicorn_app.cfg.bind:
        print(
            f"wsgikit: serving {what + ' ' if what else ''}with gunicorn ({workers} workers) on http://{address}",
            file=sys.stderr,
            flush=True,
        )
    try:
        gunicorn_app.run()
    except SystemExit as stop:  # Arbiter.halt() ends with sys.exit(status)
        return stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    return 0


SERVERS: dict[str, Callable[..., Any]] = {
    "wsgiref": run_wsgiref,
    "waitress": run_waitress,
    "gunicorn": run_gunicorn,
}
"""Runner by name, as accepted by ``wsgikit serve --server``."""


def run_server(name: str, app: WSGIApplication, **options: Any) -> int:
    """Run the server called ``name`` (a key of :data:`SERVERS`) until it is stopped; its exit status."""
    try:
        runner = SERVERS[name]
    except KeyError:
        raise ValueError(f"unknown server {name!r}; expected one of {', '.join(SERVERS)}") from None
    status = runner(app, **options)
    return status if isinstance(status, int) else 0


# -- wsgikit serve ------------------------------------------------------------------------------------------


def split_config(spec: str) -> tuple[str, str]:
    """``path/to/x.ini#api`` (optionally ``config:``-prefixed) → (absolute path, ``api``)."""
    if spec.startswith("config:"):
        spec = spec[len("config:") :]
    path, _, name = spec.partition("#")
    return os.path.abspath(path), name or "main"


def read_ini(path: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    with open(path, encoding="utf-8") as handle:
        parser.read_file(handle)
    return parser


def configure_logging(path: str, parser: configparser.RawConfigParser | None = None) -> bool:
    """Apply the ini's ``[loggers]``/``[handlers]``/``[formatters]`` sections, if it has them.

    Existing loggers are kept (``disable_existing_loggers=False``): a ``[loggers]`` section that does not
    mention ``wsgikit.access`` must not silence it. Without the sections, a basic INFO config on stderr is
    installed when nothing configured logging yet.

    :returns: whether the ini had logging sections.
    """
    parser = parser or read_ini(path)
    if parser.has_section("loggers"):
        defaults = {"here": os.path.dirname(path), "__file__": path}
        logging.config.fileConfig(path, defaults=defaults, disable_existing_loggers=False)
        return True
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s [%(name)s] %(message)s")
    return False


def resolve_server(
    path: str,
    *,
    server: str | None = None,
    host: str | None = None,
    port: int | None = None,
    workers: int | None = None,
    server_name: str = "main",
) -> tuple[str, dict[str, Any]]:
    """Which runner and options ``serve`` uses: ``[server:NAME]`` when present, then the CLI overrides.

    A ``[server:main]`` whose ``use`` is one of wsgikit's runners has its options converted by that
    runner's table (unknown keys fail here, naming the section and key). When ``--server`` picks a
    different runner than the section names, only ``host`` and ``port`` carry over: the others belong to
    the other server.
    """
    from wsgikit.deploy.components import servers as components
    from wsgikit.deploy.options import ConfigError

    parser = read_ini(path)
    section = f"server:{server_name}"
    chosen: str | None = None
    options: dict[str, Any] = {}
    if not parser.has_section(section) and server_name == "main" and parser.has_section("server"):
        section = "server"
    if parser.has_section(section):
        from paste.deploy.loadwsgi import SERVER, loadcontext

        context = loadcontext(SERVER, f"config:{path}", name=server_name)
        from_section = components.runner_name(context.object)
        if from_section is None:
            raise ConfigError(
                "wsgikit serve runs waitress, gunicorn or wsgiref "
                "(use = egg:wsgikit#waitress, #gunicorn, #wsgiref, or egg:waitress#main)",
                file=path,
                section=section,
                key="use",
            )
        local_conf = dict(context.local_conf)
        if server is not None and server != from_section:
            # workers and threads mean different things to another server; the address does not
            local_conf = {k: v for k, v in local_conf.items() if k in ("host", "port")}
        chosen = server or from_section
        table = components.RUNNER_OPTIONS[chosen]
        options = table.convert(local_conf, context.global_conf, section=section)
    chosen = server or chosen or "waitress"
    overrides = {"host": host, "port": port, "workers": workers}
    options.update({key: value for key, value in overrides.items() if value is not None})
    return chosen, options


def _reload_args(args: argparse.Namespace) -> list[str]:
    argv = ["serve", args.config, "--reload"]
    for flag in ("server", "host", "port", "workers"):
        value = getattr(args, flag, None)
        if value is not None:
            argv += [f"--{flag}", str(value)]
    return argv


def _write_watch_list(list_file: str, ini_path: str, extra: Sequence[str] = ()) -> None:
    files = {ini_path, *extra}
    for module in list(sys.modules.values()):
        filename = getattr(module, "__file__", None)
        if filename and filename.endswith(".py"):
            files.add(filename)
    mtimes = {}
    for filename in files:
        try:
            mtimes[filename] = os.stat(filename).st_mtime_ns
        except OSError:
            continue
    tmp = list_file + ".tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(mtimes, handle)
    os.replace(tmp, list_file)


def serve_command(args: argparse.Namespace) -> int:
    """``wsgikit serve CONFIG[#name] [--server S] [--host H] [--port P] [--workers N] [--reload]``."""
    path, name = split_config(args.config)
    reloader_list = os.environ.get(RELOADER_ENV)
    if getattr(args, "reload", False) and not reloader_list:
        return run_with_reloader(_reload_args(args), path)
    if not os.path.isfile(path):
        print(f"wsgikit serve: error: no such config file: {path}", file=sys.stderr)
        return 1

    from wsgikit.deploy import loadapp
    from wsgikit.deploy.options import ConfigError

    failed_file: list[str] = []
    try:
        configure_logging(path)
        app = loadapp(f"config:{path}", name=name)
        server, options = resolve_server(
            path, server=args.server, host=args.host, port=args.port, workers=args.workers
        )
    except (ConfigError, LookupError, ValueError, ImportError, OSError, SyntaxError) as error:
        if isinstance(error, SyntaxError) and error.filename:
            failed_file.append(error.filename)
        print(f"wsgikit serve: error: {error}", file=sys.stderr)
        return 1
    finally:
        if reloader_list:
            _write_watch_list(reloader_list, path, failed_file)
    try:
        return run_server(server, app, what=f"config:{path}#{name}", **options)
    except ValueError as error:
        print(f"wsgikit serve: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # a second Ctrl-C during shutdown
        return 0


# -- --reload -----------------------------------------------------------------------------------------------


def _changed(mtimes: dict[str, int]) -> str | None:
    for filename, mtime in mtimes.items():
        try:
            current = os.stat(filename).st_mtime_ns
        except OSError:
            return filename
        if current != mtime:
            return filename
    return None


def run_with_reloader(argv: Sequence[str], ini_path: str, *, interval: float = 1.0) -> int:
    """Run ``python -m wsgikit <argv>`` in a child; restart it when a watched file changes.

    The child writes the files it imported while loading (with their mtimes) to a temporary file; the
    parent polls them. SIGTERM or SIGINT to the parent stops the child and exits 0.
    """
    stopping: list[int] = []

    def stop(signum: int, frame: FrameType | None) -> None:
        stopping.append(signum)

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, stop)
    with tempfile.TemporaryDirectory(prefix="wsgikit-reload-") as tmp:
        list_file = os.path.join(tmp, "watch.json")
        env = {**os.environ, RELOADER_ENV: list_file}
        while True:
            if os.path.exists(list_file):
                os.unlink(list_file)
            child = subprocess.Popen([sys.executable, "-m", "wsgikit", *argv], env=env)
            ini_mtime = {ini_path: os.stat(ini_path).st_mtime_ns}
            mtimes: dict[str, int] | None = None
            announced_wait = False
            while True:
                if stopping:
                    _stop_child(child)
                    return 0
                if mtimes is None and os.path.exists(list_file):
                    with open(list_file, encoding="utf-8") as handle:
                        mtimes = {str(k): int(v) for k, v in json.load(handle).items()}
                changed = _changed(mtimes if mtimes is not None else ini_mtime)
                if changed:
                    print(f"wsgikit: {changed} changed; restarting", file=sys.stderr, flush=True)
                    _stop_child(child)
                    break
                status = child.poll()
                if status == 0:
                    return 0
                if status is not None and not announced_wait:
                    print(
                        "wsgikit: the server exited; waiting for a file change", file=sys.stderr, flush=True
                    )
                    announced_wait = True
                time.sleep(interval)


def _stop_child(child: subprocess.Popen[bytes]) -> None:
    if child.poll() is None:
        child.send_signal(signal.SIGTERM)
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
