"""Shared benchmark harness: interleaved rounds, medians, ratio tables.

Each case is a zero-argument callable doing one unit of work. :func:`run` times every case in turn,
round after round (interleaved, so that machine noise hits every contender alike), and reports the median
time per call of each.

The clock is the CPU time of the benchmarking thread (``time.thread_time``), not wall time: on a shared
machine the wall clock also counts the time other processes held the CPU, which no contender caused.
``BENCH_CLOCK=wall`` switches back to ``time.perf_counter``.
"""

from __future__ import annotations

import io
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

clock = time.perf_counter if os.environ.get("BENCH_CLOCK") == "wall" else time.thread_time


def calibrate(func: Callable[[], object], target: float = 0.02) -> int:
    """How many calls take about ``target`` seconds."""
    number = 1
    while True:
        start = clock()
        for _ in range(number):
            func()
        elapsed = clock() - start
        if elapsed >= target or number >= 1 << 22:
            return max(1, int(number * target / max(elapsed, 1e-9)))
        number *= 4


def run(
    cases: Mapping[str, Callable[[], object]], rounds: int = 15, target: float = 0.02
) -> dict[str, float]:
    """Median seconds per call for every case, measured in interleaved rounds."""
    numbers = {name: calibrate(func, target) for name, func in cases.items()}
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(rounds):
        for name, func in cases.items():
            number = numbers[name]
            start = clock()
            for _ in range(number):
                func()
            samples[name].append((clock() - start) / number)
    return {name: statistics.median(values) for name, values in samples.items()}


def table(title: str, medians: Mapping[str, float], baseline: str) -> str:
    """A text table of medians (µs) and ratios against ``baseline``."""
    width = max(len(name) for name in medians)
    lines = [title, f"{'case':<{width}}  {'median µs':>10}  {'ratio':>7}", "-" * (width + 21)]
    base = medians[baseline]
    for name, value in medians.items():
        lines.append(f"{name:<{width}}  {value * 1e6:>10.2f}  {value / base:>6.2f}x")
    return "\n".join(lines)


def write_json(path: str | None, payload: Any) -> None:
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(payload, indent=2) + "\n")


def json_arg(argv: list[str] | None = None) -> str | None:
    argv = sys.argv[1:] if argv is None else argv
    if "--json" in argv:
        return argv[argv.index("--json") + 1]
    return None


def environ(method: str = "GET", path: str = "/", script_name: str = "") -> dict[str, Any]:
    """A fresh PEP 3333 environ for an in-process request."""
    return {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": script_name,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8080",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1:8080",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }


def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
    return None


def call(app: Any, method: str = "GET", path: str = "/", script_name: str = "") -> bytes:
    """One request through ``app`` as a server makes it: iterate the body, then close it."""
    result = app(environ(method, path, script_name), start_response)
    try:
        return b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close:
            close()
