"""Server runners
==============

Run a WSGI application on the bundled ``wsgiref`` dev server, on **waitress** (the default) or on
**gunicorn** with N worker processes. ``wsgikit serve`` (:mod:`wsgikit.cli.serve`) and the
``egg:wsgikit#waitress`` / ``#gunicorn`` / ``#wsgiref`` server entry points both end here.

.. code-block:: python

    from wsgikit.servers import run_waitress

    run_waitress(app, host="127.0.0.1", port=8080, threads=8)

Each server library is imported only inside its runner, so waitress-only deployments never import
gunicorn. Every runner stops gracefully on SIGTERM and SIGINT (Ctrl-C): in-flight requests finish and the
listening socket closes, without a traceback.
"""

from __future__ import annotations

import logging
import signal
import socketserver
import sys
import threading
from collections.abc import Callable, Iterator
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
]

log = logging.getLogger("wsgikit.servers")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080


def _announce(server: str, host: str, port: int, what: str | None = None) -> None:
    where = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
    subject = f"serving {what} " if what else "serving "
    # stderr, unconditionally: the one line an operator needs even when logging is not configured.
    print(f"wsgikit: {subject}with {server} on {where}", file=sys.stderr, flush=True)


@contextmanager
def _stop_on_signals(stop: Callable[[], None] | None = None) -> Iterator[None]:
    """Stop the serve loop on SIGTERM and SIGINT (Ctrl-C) for the duration of the block.

    With ``stop``, a signal calls it from a helper thread (``socketserver``'s ``shutdown()`` must not run
    on the thread of ``serve_forever()``, and raising into that thread could land inside
    ``process_request`` and print a traceback); without it, the signal raises KeyboardInterrupt, from
    which waitress's main loop unwinds cleanly.
    """

    def handler(signum: int, frame: FrameType | None) -> None:
        if stop is None:
            raise KeyboardInterrupt(signal.Signals(signum).name)
        threading.Thread(target=stop, name="wsgikit-stop", daemon=True).start()

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
        with _stop_on_signals(server.shutdown):
            server.serve_forever(poll_interval=0.5)
        log.info("wsgiref: stopping")
    except KeyboardInterrupt:  # raised by the application's own code or a signal outside the main thread
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
