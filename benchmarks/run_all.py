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
import textwrap
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
PLOTS = HERE.parent / "docs" / "_static" / "bench"


def run_benchmarks(names: list[str], extra: list[str]) -> dict[str, Any]:
    RESULTS.mkdir(exist_ok=True)
    collected: dict[str, Any] = {}
    for script in sorted(HERE.glob("bench_*.py")):
        name = script.stem.removeprefix("bench_")
        if names and name not in names:
            continue
        json_path = RESULTS / f"{name}.json"
        print(f"== {script.name}", flush=True)
        proc = subprocess.run(
            [sys.executable, str(script), "--json", str(json_path), *extra],
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


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def bar_chart(
    path: Path, title: str, groups: dict[str, dict[str, float]], unit: str, *, log: bool = False
) -> None:
    """Grouped horizontal bars: one group per case, one bar per contender (a contender keeps its colour
    across groups; each group holds only its own contenders' bars)."""
    plt = _pyplot()
    from matplotlib.ticker import FormatStrFormatter, LogLocator, NullFormatter

    labels = list(dict.fromkeys(label for values in groups.values() for label in values))
    cases = list(groups)
    most = max(len(values) for values in groups.values())
    height = 0.8 / most
    fig, ax = plt.subplots(figsize=(10, 0.8 + 0.3 * len(cases) * most))
    colours = plt.get_cmap("tab10" if len(labels) <= 10 else "tab20").colors
    for number, label in enumerate(labels):
        rows = [row for row, case in enumerate(cases) if label in groups[case]]
        slots = [list(groups[cases[row]]).index(label) for row in rows]
        values = [groups[cases[row]][label] for row in rows]
        ax.barh(
            [row + slot * height for row, slot in zip(rows, slots, strict=True)],
            values,
            height=height,
            label=label,
            color=colours[number % len(colours)],
        )
    ax.set_yticks([row + height * (len(groups[case]) - 1) / 2 for row, case in enumerate(cases)])
    ax.set_yticklabels([textwrap.fill(case, 32) for case in cases])
    ax.invert_yaxis()
    if log:
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_major_formatter(FormatStrFormatter("%g"))
        ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel(unit)
    ax.set_title(title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    fig.tight_layout()
    _save(fig, path)


def line_chart(path: Path, title: str, series: dict[str, dict[int, float]], xlabel: str, ylabel: str) -> None:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for label, points in series.items():
        xs = sorted(points)
        ax.plot(xs, [points[x] for x in xs], marker="o", label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    from matplotlib.ticker import FormatStrFormatter, ScalarFormatter

    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
    ax.yaxis.set_minor_formatter(FormatStrFormatter("%g"))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize="small")
    fig.tight_layout()
    _save(fig, path)


def _save(fig: Any, path: Path) -> None:
    PLOTS.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    _pyplot().close(fig)
    print(f"wrote {path.relative_to(HERE.parent)}")


def plot(results: dict[str, Any]) -> None:
    if "wsgify" in results:
        bar_chart(
            PLOTS / "wsgify.png",
            "wsgify: median time per call (lower is better)",
            _groups(results["wsgify"]),
            "µs",
        )
    if "routing" in results:
        plot_routing(results["routing"])
    if "middleware" in results:
        plot_middleware(results["middleware"])
    if "server" in results:
        plot_server(results["server"])
    if "pipeline" in results:
        costs = results["pipeline"]["layer_cost_us"]
        bar_chart(
            PLOTS / "pipeline-layers.png",
            "the production pipeline in process: what each layer adds (µs per request)",
            {"µs per request": costs},
            "µs",
        )
    if "compress" in results:
        plot_compress(results["compress"])
    if "json" in results:
        bar_chart(
            PLOTS / "json.png",
            "JSON codecs on a 100-server nova list: median time (lower is better)",
            _groups(results["json"]),
            "µs",
            log=True,
        )


def plot_routing(data: dict[str, Any]) -> None:
    bar_chart(
        PLOTS / "routing-nova.png",
        "matching on nova's 419 routes: median µs per match (log scale)",
        _groups(data["nova"]),
        "µs per match",
        log=True,
    )
    series: dict[str, dict[int, float]] = {}
    for size, routers in data["growth"]["last"].items():
        for router, value in routers.items():
            series.setdefault(router, {})[int(size)] = value
    line_chart(
        PLOTS / "routing-growth.png",
        "growth: last route of a CRUD table",
        series,
        "routes in the table",
        "µs per match",
    )
    bar_chart(
        PLOTS / "routing-full.png",
        "a full routed request, in-process (lower is better)",
        {"GET, JSON answer": data["full_request"]["medians_us"]},
        "µs per request",
    )


def plot_middleware(data: dict[str, Any]) -> None:
    gzip = {name: value["MB/s"] for name, value in data["gzip"].items() if isinstance(value, dict)}
    bar_chart(
        PLOTS / "gzip-throughput.png", "gzip throughput (higher is better)", {"100 x 64 KB": gzip}, "MB/s"
    )
    memory = {
        case: {name: bytes_ / 1024 for name, bytes_ in row.items()}
        for case, row in data["memory"].items()
        if isinstance(row, dict)
    }
    bar_chart(
        PLOTS / "gzip-memory.png",
        "gzip peak memory while streaming (lower is better)",
        memory,
        "KiB",
        log=True,
    )

    # one colour per contender across the groups: wsgikit as configured for the case, wsgikit through
    # logging, Paste
    def contender(name: str) -> str:
        if name.startswith("Paste"):
            return "Paste"
        if name.endswith(", file") or "ErrorCatcher" in name:
            return "wsgikit"
        return "wsgikit through logging"

    cost: dict[str, dict[str, float]] = {}
    for section, label in (
        ("access_log_file", "access log to a file"),
        ("access_log", "access log, same logging handler"),
        ("errors", "error catcher, generator app"),
    ):
        cost[label] = {
            contender(name): value["cost us"]
            for name, value in data[section].items()
            if isinstance(value, dict) and "cost us" in value
        }
    bar_chart(PLOTS / "middleware-cost.png", "added cost per request (lower is better)", cost, "µs")


def plot_server(data: dict[str, Any]) -> None:
    servers = data["servers"]
    bar_chart(
        PLOTS / "server-throughput.png",
        "under gunicorn (sync x2), wrk -c32: requests/s as a ratio to a bare hello (higher is better)",
        {"requests/s vs bare hello": {name: row["ratio"] for name, row in servers.items()}},
        "ratio",
    )
    memory = {name: max(row["peak_rss_mib"]) for name, row in servers.items() if row["peak_rss_mib"]}
    if memory:
        bar_chart(PLOTS / "server-memory.png", "peak RSS per worker", {"MiB": memory}, "MiB")
    costs = data.get("layer_costs", {}).get("cost_us")
    if costs:
        bar_chart(
            PLOTS / "server-layers.png",
            "each layer's cost inside the running pipeline (µs per request)",
            {"µs per request": costs},
            "µs",
        )


def plot_compress(data: dict[str, Any]) -> None:
    engines = data["engines"]
    bar_chart(
        PLOTS / "compress-engines.png",
        "gzip level 6 on a 110 KB nova server list: throughput (higher is better)",
        {"MB/s": {engine: data["throughput"][engine]["MB/s"] for engine in engines}},
        "MB/s",
    )
    bar_chart(
        PLOTS / "compress-small.png",
        "GzipMiddleware per request on small JSON bodies (lower is better)",
        _groups(data["small"]),
        "µs",
    )


def _groups(data: Any) -> dict[str, dict[str, float]]:
    """Pull ``{case: {contender: µs}}`` out of ``{case: {"medians_us": {contender: µs}, ...}}``."""
    groups: dict[str, dict[str, float]] = {}
    if isinstance(data, dict):
        for case, value in data.items():
            if isinstance(value, dict) and isinstance(value.get("medians_us"), dict):
                groups[str(case)] = {str(k): float(v) for k, v in value["medians_us"].items()}
    return groups


def replot() -> None:
    """Draw the plots again from the kept JSON, without running anything."""
    plot({path.stem: json.loads(path.read_text()) for path in sorted(RESULTS.glob("*.json"))})


def main(argv: list[str]) -> None:
    """``run_all.py [--quick] [NAME ...]``: every benchmark, or the named ones (``routing``, ...);
    ``run_all.py --replot``: only redraw the plots from ``results/*.json``."""
    if "--replot" in argv:
        replot()
        return
    extra = [arg for arg in argv if arg.startswith("--")]
    names = [arg for arg in argv if not arg.startswith("--")]
    plot(run_benchmarks(names, extra))


if __name__ == "__main__":
    main(sys.argv[1:])
