"""Run every benchmark, keep the tables and JSON in ``benchmarks/results/``, draw the plots the
performance page shows into ``docs/_static/bench/``.

``make bench`` calls this. Each ``bench_*.py`` runs in its own process, one after the other (the machine
has two cores; running them side by side would measure contention), and prints its own table, which is
kept verbatim in ``results/<name>.txt``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
PLOTS = HERE.parent / "docs" / "_static" / "bench"


def run_benchmarks(names: list[str]) -> dict[str, Any]:
    RESULTS.mkdir(exist_ok=True)
    collected: dict[str, Any] = {}
    for script in sorted(HERE.glob("bench_*.py")):
        name = script.stem.removeprefix("bench_")
        if names and name not in names:
            continue
        json_path = RESULTS / f"{name}.json"
        print(f"== {script.name}", flush=True)
        proc = subprocess.run(
            [sys.executable, str(script), "--json", str(json_path)],
            capture_output=True,
            text=True,
            check=False,
        )
        sys.stdout.write(proc.stdout)
        if proc.returncode != 0:
            sys.stderr.write(proc.stderr)
            raise SystemExit(f"{script.name} failed with exit status {proc.returncode}")
        (RESULTS / f"{name}.txt").write_text(proc.stdout.strip() + "\n")
        collected[name] = json.loads(json_path.read_text())
    return collected


def bar_chart(path: Path, title: str, groups: dict[str, dict[str, float]], unit: str) -> None:
    """Grouped horizontal bars: one group per case, one bar per contender."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = list(next(iter(groups.values())))
    cases = list(groups)
    height = 0.8 / len(labels)
    fig, ax = plt.subplots(figsize=(10, 0.6 + 0.45 * len(cases) * len(labels) ** 0.5))
    for index, label in enumerate(labels):
        values = [groups[case].get(label, 0.0) for case in cases]
        positions = [row + index * height for row in range(len(cases))]
        ax.barh(positions, values, height=height, label=label)
    ax.set_yticks([row + height * (len(labels) - 1) / 2 for row in range(len(cases))])
    ax.set_yticklabels(cases)
    ax.invert_yaxis()
    ax.set_xlabel(unit)
    ax.set_title(title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    fig.tight_layout()
    PLOTS.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot(results: dict[str, Any]) -> None:
    for name, data in results.items():
        groups = _groups(name, data)
        if groups:
            bar_chart(PLOTS / f"{name}.png", f"{name}: median time per call (lower is better)", groups, "µs")
            print(f"wrote {PLOTS / f'{name}.png'}")


def _groups(name: str, data: Any) -> dict[str, dict[str, float]]:
    """Pull ``{case: {contender: µs}}`` out of a benchmark's JSON.

    Benchmarks write ``{case: {"medians_us": {contender: µs}, ...}}``; any other entries are ignored.
    """
    groups: dict[str, dict[str, float]] = {}
    if isinstance(data, dict):
        for case, value in data.items():
            if isinstance(value, dict) and isinstance(value.get("medians_us"), dict):
                groups[str(case)] = {str(k): float(v) for k, v in value["medians_us"].items()}
    return groups


def main(argv: list[str]) -> None:
    plot(run_benchmarks(argv))


if __name__ == "__main__":
    main(sys.argv[1:])
