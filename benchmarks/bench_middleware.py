"""wsgikit middleware against the anchors, in one run, as ratios.

* gzip streaming throughput: ``GzipMiddleware`` vs raw ``zlib`` (gzip framing, same level) vs Paste's
  ``gzipper``, on a 100 x 64 KB generator body (target: wsgikit >= 0.95x raw zlib);
* peak memory (tracemalloc) while serving 100 x 64 KB and 1000 x 64 KB bodies: flat for a streaming
  compressor, growing for a buffering one;
* access log to a file, cost per request: ``AccessLogMiddleware(file=...)`` (one ``O_APPEND`` write per
  line) vs Paste's ``TransLogger`` through a ``logging.FileHandler`` -- the only way it can write a
  file -- each to its own file on the same disk (target: <= 0.25x); wsgikit through the same kind of
  ``FileHandler`` is the third row;
* access log through ``logging``, cost per request: ``AccessLogMiddleware`` vs ``TransLogger``, both
  through an identical ``StreamHandler``, writing to memory and to /dev/null. Both pay the same stdlib
  handler chain per line (``Logger.handle`` of a ready record, measured separately), which alone is
  about an eighth of TransLogger's cost; the ratio is also given without it;
* error catcher cost per request on a generator app: ``ErrorCatcherMiddleware`` vs Paste's
  ``ErrorMiddleware`` (target: <= 1.0x).

"cost" is the time of the wrapped app minus the time of the bare app, per request. Every figure is the
median of several repeats. Run standalone::

    .venv/bin/python benchmarks/bench_middleware.py [--quick] [--json results.json]

Paste is a benchmark-only dependency (``pip install -e '.[bench]'``); wsgikit never imports it.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from wsgikit.middleware.access_log import AccessLogMiddleware
from wsgikit.middleware.errors import ErrorCatcherMiddleware
from wsgikit.middleware.gzip import GzipMiddleware

CHUNK = 64 * 1024
LEVEL = 6


def start_response(
    status: str, headers: list[tuple[str, str]], exc_info: Any = None
) -> Callable[[bytes], None]:
    return _discard


def _discard(data: bytes) -> None:
    return None


def environ() -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/servers/3f1c/os-volume_attachments/9a2b",
        "QUERY_STRING": "limit=10",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8080",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:8080",
        "HTTP_USER_AGENT": "bench/1.0",
        "HTTP_REFERER": "http://127.0.0.1/",
        "HTTP_ACCEPT_ENCODING": "gzip",
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }


def consume(app: Callable[..., Any]) -> int:
    """Serve one request like a server: iterate the body, close it; returns the bytes produced."""
    body = app(environ(), start_response)
    sent = 0
    try:
        for chunk in body:
            sent += len(chunk)
    finally:
        close = getattr(body, "close", None)
        if close is not None:
            close()
    return sent


def race(runs: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Median seconds of each run, the runs interleaved round by round so that a noisy neighbour on
    a shared machine slows all of them alike instead of whichever happened to be running."""
    samples: dict[str, list[float]] = {name: [] for name in runs}
    for run in runs.values():  # warm-up
        run()
    for _ in range(repeats):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in samples.items()}


def serving(app: Callable[..., Any], requests: int) -> Callable[[], None]:
    def run() -> None:
        for _ in range(requests):
            consume(app)

    return run


# -- bodies ------------------------------------------------------------------------------------------------


def text_chunk(seed: int) -> bytes:
    """64 KB of JSON-like text that compresses about 4:1, like an API listing."""
    rng = random.Random(seed)
    words = ["server", "volume", "ACTIVE", "name", "id", "status", "flavor", "image", "true", "null"]
    parts: list[str] = []
    size = 0
    while size < CHUNK:
        part = f'{{"{rng.choice(words)}": "{rng.choice(words)}-{rng.randrange(10**8):08d}"}}, '
        parts.append(part)
        size += len(part)
    return "".join(parts).encode()[:CHUNK]


def chunked_app(chunks: list[bytes], repeat: int = 1) -> Callable[..., Iterator[bytes]]:
    """A streaming app: ``start_response`` first, then a generator body (Paste's gzipper crashes on
    generator apps that call ``start_response`` lazily, so this one calls it eagerly)."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "application/json")])
        return (chunk for _ in range(repeat) for chunk in chunks)

    return app


def raw_zlib(chunks: Iterable[bytes]) -> int:
    compressor = zlib.compressobj(LEVEL, zlib.DEFLATED, 31)
    sent = 0
    for chunk in chunks:
        sent += len(compressor.compress(chunk))
    return sent + len(compressor.flush())


# -- sections ----------------------------------------------------------------------------------------------


def bench_gzip(paste: dict[str, Any], repeats: int) -> dict[str, Any]:
    chunks = [text_chunk(seed) for seed in range(100)]
    total = len(chunks) * CHUNK
    app = chunked_app(chunks)
    results: dict[str, Any] = {"body_bytes": total}
    runs: dict[str, Callable[[], object]] = {
        "raw zlib": lambda: raw_zlib(chunks),
        "wsgikit GzipMiddleware": lambda: consume(GzipMiddleware(app, level=LEVEL)),
    }
    if "gzipper" in paste:
        runs["Paste gzipper"] = lambda: consume(paste["gzipper"](app, compress_level=LEVEL))
    timings = race(runs, repeats)
    for name, seconds in timings.items():
        results[name] = {"seconds": seconds, "MB/s": total / seconds / 1e6}
    results["wsgikit / raw zlib throughput"] = timings["raw zlib"] / timings["wsgikit GzipMiddleware"]
    return results


def peak_memory(app: Callable[..., Any]) -> int:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        consume(app)
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


def bench_memory(paste: dict[str, Any]) -> dict[str, Any]:
    chunks = [text_chunk(seed) for seed in range(100)]  # the app re-yields these: its own memory is flat
    results: dict[str, Any] = {}
    for count in (100, 1000):
        app = chunked_app(chunks, repeat=count // 100)
        row = {"wsgikit GzipMiddleware": peak_memory(GzipMiddleware(app, level=LEVEL))}
        if "gzipper" in paste:
            row["Paste gzipper"] = peak_memory(paste["gzipper"](app, compress_level=LEVEL))
        results[f"{count} x 64 KB"] = row
    small, large = results["100 x 64 KB"], results["1000 x 64 KB"]
    results["wsgikit growth 1000 vs 100"] = large["wsgikit GzipMiddleware"] / small["wsgikit GzipMiddleware"]
    if "gzipper" in paste:
        results["Paste growth 1000 vs 100"] = large["Paste gzipper"] / small["Paste gzipper"]
    return results


class MemorySink(io.StringIO):
    """A stream that keeps nothing: formatting and the handler run, the write costs no system call."""

    def write(self, text: str) -> int:
        return len(text)


def null_logger(name: str, sink: str) -> logging.Logger:
    logger = logging.getLogger(name)
    logger.handlers.clear()
    stream = MemorySink() if sink == "memory" else open(os.devnull, "w")  # noqa: SIM115 - lives for the run
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return logger


def hello(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "13")])
    return [b"Hello, world!"]


def hello_generator(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "13")])
    yield b"Hello, world!"


def compare(
    base_app: Callable[..., Any], candidates: dict[str, Callable[..., Any]], requests: int, repeats: int
) -> dict[str, Any]:
    runs = {"bare app": serving(base_app, requests)}
    runs.update((name, serving(app, requests)) for name, app in candidates.items())
    timings = {name: seconds / requests for name, seconds in race(runs, repeats).items()}
    base = timings.pop("bare app")
    results: dict[str, Any] = {"bare app (us/request)": base * 1e6}
    for name, seconds in timings.items():
        results[name] = {"us/request": seconds * 1e6, "cost us": (seconds - base) * 1e6}
    return results


def bench_access_log(paste: dict[str, Any], requests: int, repeats: int, sink: str) -> dict[str, Any]:
    null_logger("bench.wsgikit", sink)
    candidates = {"wsgikit AccessLogMiddleware": AccessLogMiddleware(hello, logger_name="bench.wsgikit")}
    if "TransLogger" in paste:
        null_logger("bench.paste", sink)
        candidates["Paste TransLogger"] = paste["TransLogger"](
            hello, logger_name="bench.paste", setup_console_handler=False
        )
    results = compare(hello, candidates, requests, repeats)
    # the part both pay identically: the handler chain for one ready-made line
    logger = logging.getLogger("bench.wsgikit")
    record = logger.makeRecord(logger.name, logging.INFO, __file__, 0, "x" * 120, (), None)
    handler_chain = race({"handle": lambda: [logger.handle(record) for _ in range(requests)]}, repeats)
    results["handler chain per line (us)"] = handler_chain["handle"] / requests * 1e6
    if "TransLogger" in paste:
        ours = results["wsgikit AccessLogMiddleware"]["cost us"]
        theirs = results["Paste TransLogger"]["cost us"]
        shared = results["handler chain per line (us)"]
        results["wsgikit / TransLogger cost"] = ours / theirs
        results["wsgikit / TransLogger cost without the handler chain"] = (ours - shared) / (theirs - shared)
    return results


def bench_access_log_file(paste: dict[str, Any], requests: int, repeats: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="wsgikit-bench-") as directory:

        def file_logger(name: str) -> logging.Logger:
            logger = logging.getLogger(name)
            logger.handlers.clear()
            handler = logging.FileHandler(os.path.join(directory, f"{name}.log"))
            handler.setFormatter(logging.Formatter("%(message)s"))
            logger.addHandler(handler)
            logger.setLevel(logging.INFO)
            logger.propagate = False
            return logger

        candidates = {
            "wsgikit AccessLogMiddleware, file": AccessLogMiddleware(
                hello, file=os.path.join(directory, "wsgikit-direct.log")
            ),
            "wsgikit AccessLogMiddleware, FileHandler": AccessLogMiddleware(
                hello, logger_name=file_logger("bench.wsgikit.file").name
            ),
        }
        if "TransLogger" in paste:
            candidates["Paste TransLogger, FileHandler"] = paste["TransLogger"](
                hello, logger_name=file_logger("bench.paste.file").name, setup_console_handler=False
            )
        results = compare(hello, candidates, requests, repeats)
        for name in ("bench.wsgikit.file", "bench.paste.file"):
            for handler in logging.getLogger(name).handlers:
                handler.close()
    if "TransLogger" in paste:
        theirs = results["Paste TransLogger, FileHandler"]["cost us"]
        results["wsgikit / TransLogger cost"] = (
            results["wsgikit AccessLogMiddleware, file"]["cost us"] / theirs
        )
        results["wsgikit through logging / TransLogger cost"] = (
            results["wsgikit AccessLogMiddleware, FileHandler"]["cost us"] / theirs
        )
    return results


def bench_errors(paste: dict[str, Any], requests: int, repeats: int) -> dict[str, Any]:
    candidates = {"wsgikit ErrorCatcherMiddleware": ErrorCatcherMiddleware(hello_generator)}
    if "ErrorMiddleware" in paste:
        candidates["Paste ErrorMiddleware"] = paste["ErrorMiddleware"](hello_generator, {}, debug=False)
    results = compare(hello_generator, candidates, requests, repeats)
    if "ErrorMiddleware" in paste:
        ours, theirs = results["wsgikit ErrorCatcherMiddleware"], results["Paste ErrorMiddleware"]
        results["wsgikit / ErrorMiddleware cost"] = ours["cost us"] / theirs["cost us"]
        results["wsgikit / ErrorMiddleware total"] = ours["us/request"] / theirs["us/request"]
    return results


def load_paste() -> dict[str, Any]:
    found: dict[str, Any] = {}
    try:
        from paste.exceptions.errormiddleware import ErrorMiddleware
        from paste.gzipper import middleware as gzipper
        from paste.translogger import TransLogger
    except ImportError as error:  # pragma: no cover - the bench extra is not installed
        print(f"Paste not importable ({error}); comparing against raw zlib only", file=sys.stderr)
        return found
    found.update(gzipper=gzipper, ErrorMiddleware=ErrorMiddleware, TransLogger=TransLogger)
    return found


# -- report ------------------------------------------------------------------------------------------------

TARGETS = [
    ("gzip", "wsgikit / raw zlib throughput", ">=", 0.95),
    ("access_log_file", "wsgikit / TransLogger cost", "<=", 0.25),
    ("errors", "wsgikit / ErrorMiddleware cost", "<=", 1.0),
]


def report(results: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    gzip_results = results["gzip"]
    lines.append(f"gzip streaming, {gzip_results['body_bytes'] // CHUNK} x 64 KB, level {LEVEL}")
    for name, row in gzip_results.items():
        if isinstance(row, dict):
            lines.append(f"  {name:<28} {row['seconds'] * 1e3:8.1f} ms  {row['MB/s']:7.1f} MB/s")
    lines.append("peak memory while serving (tracemalloc)")
    for size, row in results["memory"].items():
        if isinstance(row, dict):
            cells = "  ".join(f"{name}: {value / 1024:,.0f} KiB" for name, value in row.items())
            lines.append(f"  {size:<14} {cells}")
        else:
            lines.append(f"  {size}: {row:.2f}x")
    for section, title in (
        ("access_log_file", "access log to a file"),
        ("access_log", "access log through logging, handler writing to memory"),
        ("access_log_devnull", "access log, handler writing to /dev/null (flush per line)"),
        ("errors", "error catcher, generator app"),
    ):
        lines.append(f"{title} (per request)")
        for name, row in results[section].items():
            if isinstance(row, dict):
                lines.append(f"  {name:<32} {row['us/request']:7.2f} us   cost {row['cost us']:6.2f} us")
            elif name.startswith(("bare", "handler")):
                lines.append(f"  {name:<32} {row:7.2f} us")
    lines.append("ratios")
    for section, key, op, target in TARGETS:
        value = results[section].get(key)
        if value is None:
            continue
        met = value >= target if op == ">=" else value <= target
        label = f"{key} (file)" if section == "access_log_file" else key
        lines.append(f"  {label:<72} {value:6.2f}x   target {op} {target}  {'met' if met else 'MISSED'}")
    # Through logging, both contenders pay the stdlib handler chain, which alone is about an eighth of
    # TransLogger's cost: reported for comparison; the target is for the file output above.
    through_logging = (
        ("access_log_file", "wsgikit through logging / TransLogger cost", "FileHandler"),
        ("access_log", "wsgikit / TransLogger cost", "memory"),
        ("access_log", "wsgikit / TransLogger cost without the handler chain", "memory"),
        ("access_log_devnull", "wsgikit / TransLogger cost", "/dev/null"),
    )
    for section, key, sink in through_logging:
        value = results[section].get(key)
        if value is not None:
            label = key.replace("wsgikit /", "wsgikit through logging /") + f" ({sink})"
            lines.append(f"  {label:<72} {value:6.2f}x")
    for key in ("wsgikit growth 1000 vs 100", "Paste growth 1000 vs 100"):
        if key in results["memory"]:
            lines.append(f"  peak memory, {key:<22} {results['memory'][key]:6.2f}x")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON to PATH")
    parser.add_argument("--quick", action="store_true", help="fewer repeats (a smoke run, noisier)")
    args = parser.parse_args(argv)
    repeats = 3 if args.quick else 7
    requests = 2000 if args.quick else 20000
    paste = load_paste()
    results = {
        "python": sys.version.split()[0],
        "gzip": bench_gzip(paste, repeats),
        "memory": bench_memory(paste),
        "access_log_file": bench_access_log_file(paste, requests, repeats),
        "access_log": bench_access_log(paste, requests, repeats, "memory"),
        "access_log_devnull": bench_access_log(paste, requests, repeats, "/dev/null"),
        "errors": bench_errors(paste, requests, repeats),
    }
    print("\n".join(report(results)))
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(results, handle, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
