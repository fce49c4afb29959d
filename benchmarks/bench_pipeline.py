"""The production pipeline in process: what each layer adds to a request, and where its time goes.

The pipeline is ``server_apps.pipeline()``, the one ``bench_server.py`` serves under gunicorn --
request_id, errors, access_log (to a file), sizelimit, gzip, token_auth, the router on nova's table and
a ``wsgify`` handler returning a 60-byte dict (below gzip's minimum) -- called here with the environ a
server gives it (``Accept-Encoding: gzip``, a valid ``X-Auth-Token``, ``GET`` of the last GET route of
nova's table), the body iterated and closed as a server does.

A layer's cost is the time of the pipeline from that layer inwards minus the time of the pipeline from
the next layer inwards, all of them timed in the same interleaved rounds (``_harness.run``); the first
row is a bare WSGI hello, for scale. With ``--profile`` it instead runs 20,000 requests through the full
pipeline under ``cProfile`` and prints the functions sorted by their own time. Run::

    .venv/bin/python benchmarks/bench_pipeline.py [--quick] [--profile] [--json out.json]
"""

from __future__ import annotations

import cProfile
import hashlib
import io
import os
import pstats
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness
import bench_server
import server_apps

QUICK = "--quick" in sys.argv
ROUNDS = 5 if QUICK else 15
TARGET = 0.01 if QUICK else 0.02
PROFILE_REQUESTS = 20_000


def environ(path: str) -> dict[str, Any]:
    """What gunicorn's sync worker passes for wrk's request (``bench_server.py``)."""
    return {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "RAW_URI": path,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8080",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "SERVER_SOFTWARE": "gunicorn/23.0.0",
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "50000",
        "HTTP_HOST": "127.0.0.1:8080",
        "HTTP_ACCEPT_ENCODING": "gzip",
        "HTTP_X_AUTH_TOKEN": server_apps.TOKEN,
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.input_terminated": True,
    }


def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
    return None


def request(app: Any, path: str) -> bytes:
    result = app(environ(path), start_response)
    try:
        return b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()


def apps() -> dict[str, Any]:
    """The bare hello, the router alone, then the pipeline from each layer inwards (innermost first)."""
    built: dict[str, Any] = {"bare WSGI hello": server_apps.hello, "router + wsgify handler": None}
    layers = server_apps.LAYERS
    for index in range(len(layers) - 1, -1, -1):
        built[layers[index]] = server_apps.pipeline(layers=layers[index:])
    built["router + wsgify handler"] = server_apps.router()
    return built


def setup(workdir: Path) -> None:
    digest = hashlib.sha256(server_apps.TOKEN.encode()).hexdigest()
    (workdir / "tokens").write_text(f"{digest} bench bench-project reader\n")
    os.environ["BENCH_TOKENS"] = str(workdir / "tokens")
    os.environ["BENCH_ACCESS_LOG"] = str(workdir / "access.log")
    os.environ.pop("BENCH_TIMING", None)


def measure(path: str) -> dict[str, Any]:
    built = apps()
    for name, app in built.items():
        if not request(app, path):
            raise SystemExit(f"{name}: empty answer")
    medians = _harness.run(
        {name: (lambda a=app: request(a, path)) for name, app in built.items()}, rounds=ROUNDS, target=TARGET
    )
    layers = server_apps.LAYERS
    # outermost first, as the pipeline reads: the pipeline from layer i inwards minus the pipeline from
    # layer i + 1 inwards, then the router with its handler
    costs = {"bare WSGI hello": medians["bare WSGI hello"]}
    for index, name in enumerate(layers):
        inner = layers[index + 1] if index + 1 < len(layers) else "router + wsgify handler"
        costs[name] = medians[name] - medians[inner]
    costs["router + wsgify handler"] = medians["router + wsgify handler"]
    middleware = medians[layers[0]] - medians["router + wsgify handler"]
    print(f"the production pipeline in process: GET {path}")
    print(f"{'layer':<28}{'µs per request':>16}")
    print("-" * 44)
    for name, value in costs.items():
        print(f"{name:<28}{value * 1e6:>16.2f}")
    print(f"{'middleware, all six':<28}{middleware * 1e6:>16.2f}")
    print(f"{'full pipeline':<28}{medians[layers[0]] * 1e6:>16.2f}")
    return {
        "request": f"GET {path}",
        "layer_cost_us": {name: value * 1e6 for name, value in costs.items()},
        "middleware_us": middleware * 1e6,
        "pipeline_us": medians[layers[0]] * 1e6,
    }


def profile(path: str) -> None:
    app = server_apps.pipeline()
    for _ in range(200):  # warm: compiled matcher, caches, the log file's first rotation check
        request(app, path)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(PROFILE_REQUESTS):
        request(app, path)
    profiler.disable()
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.sort_stats("tottime").print_stats(int(os.environ.get("BENCH_PROFILE_ROWS", "40")))


def main() -> int:
    path = bench_server.request_path()
    with tempfile.TemporaryDirectory() as directory:
        setup(Path(directory))
        if "--profile" in sys.argv:
            profile(path)
            return 0
        result = measure(path)
    _harness.write_json(_harness.json_arg(), result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
