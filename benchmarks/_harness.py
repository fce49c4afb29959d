"""Shared benchmark harness: interleaved rounds, medians, ratio tables.

Each case is a zero-argument callable doing one unit of work. :func:`run` times every case in turn,
round after round (interleaved, so that machine noise hits every contender alike), and reports the median
time per call of each.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any


def calibrate(func: Callable[[], object], target: float = 0.02) -> int:
    """How many calls take about ``target`` seconds."""
    number = 1
    while True:
        start = time.perf_counter()
        for _ in range(number):
            func()
        elapsed = time.perf_counter() - start
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
            start = time.perf_counter()
            for _ in range(number):
                func()
            samples[name].append((time.perf_counter() - start) / number)
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
