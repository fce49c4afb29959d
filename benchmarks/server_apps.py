"""The applications ``bench_server.py`` runs under gunicorn (``server_apps:pipeline("small")`` ...).

Settings come from the environment that ``bench_server.py`` gives each server:

* ``BENCH_TOKENS`` -- the tokens file for ``token_auth``;
* ``BENCH_ACCESS_LOG`` -- the access log file (one per server, written by all its workers);
* ``BENCH_TIMING`` -- a directory: when set, every layer of the pipeline is wrapped in a timing shim and
  each worker writes ``<pid>.json`` there (per-layer seconds and request count), so that each
  middleware's cost is measured inside the running server.
"""

from __future__ import annotations

import atexit
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _nova
import bench_routing

import wsgikit
from wsgikit.middleware.access_log import AccessLogMiddleware
from wsgikit.middleware.auth import TokenAuthMiddleware
from wsgikit.middleware.errors import ErrorCatcherMiddleware
from wsgikit.middleware.gzip import GzipMiddleware
from wsgikit.middleware.request_id import RequestIdMiddleware
from wsgikit.middleware.sizelimit import SizeLimitMiddleware
from wsgikit.routing import Router

# CPU time of the worker thread: on a shared machine, wall time inside a layer would also count the time
# other processes held the CPU.
_clock = time.thread_time

TOKEN = "bench-token"
HELLO = b"Hello, world!"
SMALL = {"server": {"id": bench_routing.UUID, "status": "ACTIVE"}}  # 60 bytes: below gzip's minimum
TWO_KB = _nova.server_list(2)  # 2.2 KB of nova JSON: compressed


def hello(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(HELLO)))])
    return [HELLO]


def router(body: str = "small") -> Router:
    """wsgikit's Router on nova's table (419 routes), every route answering ``body`` from a wsgify handler
    returning a dict."""
    document = SMALL if body == "small" else TWO_KB

    @wsgikit.wsgify
    def handler(req: wsgikit.Request, **params: str) -> dict[str, Any]:
        return document

    table, _ = bench_routing.nova_table()
    controllers = {controller: handler for _, methods in table for controller, _ in methods.values()}
    return Router(bench_routing.fill_mapper(bench_routing.NovaMapper(), table, True, controllers))


def router_with_stat(body: str = "small") -> Any:
    """:func:`router` plus one ``stat(2)`` of the tokens file per request, which is what ``token_auth``
    does to see a changed file: the row prices one system call inside a gunicorn worker."""
    app = router(body)
    tokens = os.environ["BENCH_TOKENS"]
    stat = os.stat

    def stat_then_route(environ: dict[str, Any], start_response: Any) -> Any:
        stat(tokens)
        return app(environ, start_response)

    return stat_then_route


LAYERS = ("request_id", "errors", "access_log", "sizelimit", "gzip", "token_auth")


def pipeline(
    body: str = "small", engine: str | None = None, layers: tuple[str, ...] = LAYERS, *, traded: bool = False
) -> Any:
    """The production pipeline, outermost first: request_id, errors, access_log (file), sizelimit, gzip,
    token_auth, then the router (``layers``: the middleware to include, in that order). ``traded``: with
    the two opt-in trades of a system call per request -- access lines written 64 KiB at a time, at most a
    second late (``buffer = 64KiB``, nginx's ``buffer=``), and the tokens file looked at once a second
    (``check_interval = 1s``)."""
    buffering: dict[str, Any] = {"buffer": 64 * 1024, "flush": 1.0} if traded else {}
    interval = 1.0 if traded else 0.0
    factories = {
        "request_id": lambda app: RequestIdMiddleware(app),
        "errors": lambda app: ErrorCatcherMiddleware(app),
        "access_log": lambda app: AccessLogMiddleware(
            app, format="combined", file=os.environ.get("BENCH_ACCESS_LOG", os.devnull), **buffering
        ),
        "sizelimit": lambda app: SizeLimitMiddleware(app, max_body_size=2 * 1024 * 1024),
        "gzip": lambda app: GzipMiddleware(app, level=6, minimum_size=500, engine=engine),
        "token_auth": lambda app: TokenAuthMiddleware(
            app, tokens_file=os.environ["BENCH_TOKENS"], check_interval=interval
        ),
    }
    timing = os.environ.get("BENCH_TIMING")
    stats = _Stats(Path(timing)) if timing else None
    app: Any = router(body)
    if stats:
        app = _Timed(app, "router + wsgify handler", stats)
        # a layer doing nothing: its measured cost is what a shim adds, subtracted from the others
        app = _Timed(_passthrough(app), "pass-through (shim cost)", stats)
    for name in reversed(layers):
        app = factories[name](app)
        if stats:
            app = _Timed(app, name, stats)
    return app


def _passthrough(app: Any) -> Any:
    def layer(environ: dict[str, Any], start_response: Any) -> Any:
        return app(environ, start_response)

    return layer


# -- timing shims ------------------------------------------------------------------------------------------


class _Stats:
    """Per-layer inclusive seconds in one worker, written to ``<dir>/<pid>.json`` now and then and at exit."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.seconds: dict[str, float] = {}
        self.requests = 0
        self.pid = 0
        atexit.register(self.dump)

    def dump(self) -> None:
        if self.requests:
            payload = {"requests": self.requests, "seconds": self.seconds}
            (self.directory / f"{os.getpid()}.json").write_text(json.dumps(payload))


class _Timed:
    """CPU time spent inside ``app`` for each request: the call, each ``next()`` of its body and its
    ``close()`` -- not the server's own work between them (writing to the socket)."""

    def __init__(self, app: Any, name: str, stats: _Stats) -> None:
        self.app = app
        self.name = name
        self.stats = stats
        stats.seconds[name] = 0.0
        self.outermost = name == LAYERS[0]

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        start = _clock()
        body = self.app(environ, start_response)
        self.stats.seconds[self.name] += _clock() - start
        return _TimedBody(body, self)


class _TimedBody:
    __slots__ = ("body", "timed")

    def __init__(self, body: Any, timed: _Timed) -> None:
        self.body = body
        self.timed = timed

    def __iter__(self) -> Iterator[bytes]:
        seconds = self.timed.stats.seconds
        name = self.timed.name
        iterator = iter(self.body)
        while True:
            start = _clock()
            try:
                chunk = next(iterator)
            except StopIteration:
                seconds[name] += _clock() - start
                return
            seconds[name] += _clock() - start
            yield chunk

    def close(self) -> None:
        start = _clock()
        try:
            close = getattr(self.body, "close", None)
            if close is not None:
                close()
        finally:
            stats = self.timed.stats
            stats.seconds[self.timed.name] += _clock() - start
            if self.timed.outermost:
                stats.requests += 1
                if stats.requests % 2000 == 0:
                    stats.dump()
