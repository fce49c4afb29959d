"""The production pipeline under a real server, over real sockets, against a bare WSGI hello.

Every app runs under gunicorn (sync worker, 2 workers), all servers up at once; ``wrk -t2 -c32`` loads
each in turn for several interleaved rounds (each request a new connection: gunicorn's sync worker
closes it), sending ``Accept-Encoding: gzip`` and a valid ``X-Auth-Token`` to ``GET`` the last GET route
of nova's table (419 routes). The figure is the median requests/s of the rounds, as a ratio to the bare
hello of the same run.

* bare WSGI hello (13 bytes);
* wsgikit Router + wsgify returning a dict, nothing else;
* the full production pipeline -- request_id, errors, access_log (to a file), sizelimit, gzip,
  token_auth, router, a wsgify handler returning a dict -- with a 60-byte answer (below gzip's
  ``minimum_size``; target >= 0.85x bare), and with a 2.2 KB nova JSON answer that gzip compresses,
  with the fastest installed deflate engine and with the stdlib's zlib (target >= 0.7x bare);
* both pipelines again with the two opt-in trades of a system call per request: ``access_log`` with
  ``buffer = 64KiB`` / ``flush = 1s`` and ``token_auth`` with ``check_interval = 1s``;
* the full pipeline again with a timing shim around every layer: each middleware's cost in µs per
  request, measured inside the running workers (the shims' own cost, measured on a pass-through layer,
  is subtracted).

Also reported: p50 / p99 latency, each worker's peak RSS (``VmHWM``) after the load, and the CPU time
the workers used per request (``utime + stime`` from ``/proc``, divided by the requests wrk completed).
On a machine shared with other work, requests/s also measures how much CPU the neighbours took, while
CPU per request does not: its ratio to the bare hello's is the steadier figure of what the pipeline
costs.
Needs ``wrk`` (Debian package ``wrk``) and gunicorn (the ``servers`` extra). Run::

    .venv/bin/python benchmarks/bench_server.py [--quick] [--json out.json]
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness
import bench_routing
import server_apps

from wsgikit.middleware._encoding import gzip_engines

HERE = Path(__file__).resolve().parent
QUICK = "--quick" in sys.argv
ROUNDS = 2 if QUICK else 5
DURATION = 3 if QUICK else 8
CONNECTIONS = 32
THREADS = 2
BASELINE = "bare WSGI hello"


def request_path() -> str:
    table, _ = bench_routing.nova_table()
    last_get = [path for path, methods in table if "GET" in methods and path not in ("", "/")][-1]
    return "/" + "6f70656e737461636b20342065766572" + bench_routing.fill(last_get)


PIPELINE_2K = 'server_apps:pipeline("2k")'
PIPELINE_2K_ZLIB = 'server_apps:pipeline("2k", "zlib")'
PIPELINE_2K_TRADED = 'server_apps:pipeline("2k", traded=True)'


def servers() -> dict[str, dict[str, Any]]:
    engine = gzip_engines()[0]
    cases = {
        BASELINE: {"app": "server_apps:hello"},
        "Router + wsgify, nothing else": {"app": "server_apps:router()"},
        "Router + wsgify + one stat(2) per request": {"app": "server_apps:router_with_stat()"},
        "full pipeline, 60 B answer (gzip skips it)": {"app": "server_apps:pipeline()"},
        "the same, lines buffered + tokens looked at each 1 s": {"app": "server_apps:pipeline(traded=True)"},
        f"full pipeline, 2.2 KB JSON gzipped ({engine})": {"app": PIPELINE_2K, "gzip": True},
        "full pipeline, 2.2 KB JSON gzipped (zlib)": {"app": PIPELINE_2K_ZLIB, "gzip": True},
        f"the same ({engine}), lines buffered + tokens each 1 s": {"app": PIPELINE_2K_TRADED, "gzip": True},
        "full pipeline with timing shims, 60 B": {"app": "server_apps:pipeline()", "timing": True},
    }
    if engine == "zlib":
        del cases["full pipeline, 2.2 KB JSON gzipped (zlib)"]
    return cases


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(name: str, case: dict[str, Any], workdir: Path) -> dict[str, Any]:
    port = free_port()
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    env = dict(os.environ)
    env["BENCH_TOKENS"] = str(workdir / "tokens")
    env["BENCH_ACCESS_LOG"] = str(workdir / f"{slug}.access.log")
    env.pop("BENCH_TIMING", None)
    if case.get("timing"):
        timing = workdir / f"{slug}.timing"
        timing.mkdir()
        env["BENCH_TIMING"] = str(timing)
        case["timing_dir"] = timing
    command = [
        sys.executable, "-m", "gunicorn", "-k", "sync", "-w", "2", "--log-level", "warning",
        "--no-control-socket", "-b", f"127.0.0.1:{port}", "--chdir", str(HERE), case["app"],
    ]  # fmt: skip
    log = open(workdir / f"{slug}.server.log", "wb")  # noqa: SIM115 - closed in stop()
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    case.update(port=port, process=process, log=log, slug=slug)
    return case


def wait_ready(case: dict[str, Any], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if case["process"].poll() is not None:
            raise SystemExit(f"gunicorn for {case['app']} exited; see its log")
        try:
            with socket.create_connection(("127.0.0.1", case["port"]), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"gunicorn for {case['app']} did not listen within {timeout} s")


def check(name: str, case: dict[str, Any], path: str) -> None:
    """One request before the load: 200, gzip exactly where expected, the body decodes."""
    connection = http.client.HTTPConnection("127.0.0.1", case["port"], timeout=10)
    connection.request("GET", path, headers={"Accept-Encoding": "gzip", "X-Auth-Token": server_apps.TOKEN})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    if response.status != 200:
        raise SystemExit(f"{name}: status {response.status}: {body[:200]!r}")
    encoding = response.getheader("Content-Encoding")
    if bool(case.get("gzip")) != (encoding == "gzip"):
        raise SystemExit(f"{name}: Content-Encoding {encoding!r}")
    if encoding == "gzip":
        body = gzip.decompress(body)
    if case["app"] != "server_apps:hello":
        json.loads(body)


def wrk(case: dict[str, Any], path: str) -> dict[str, float]:
    command = [
        "wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{DURATION}s", "--latency",
        "-H", "Accept-Encoding: gzip", "-H", f"X-Auth-Token: {server_apps.TOKEN}",
        f"http://127.0.0.1:{case['port']}{path}",
    ]  # fmt: skip
    out = subprocess.run(command, capture_output=True, text=True, check=True, timeout=DURATION + 60).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)

    def latency(percent: str) -> float:
        found = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE)
        if not found:
            return float("nan")
        return float(found.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[found.group(2)]

    completed = re.search(r"(\d+) requests in", out)
    return {
        "rps": rate,
        "requests": float(completed.group(1)) if completed else 0.0,
        "p50_ms": latency("50"),
        "p99_ms": latency("99"),
        "non_2xx": float(bad.group(1)) if bad else 0.0,
        "socket_errors": float(sum(int(n) for n in errors.groups())) if errors else 0.0,
    }


def worker_pids(case: dict[str, Any]) -> list[str]:
    master = case["process"].pid
    try:
        return Path(f"/proc/{master}/task/{master}/children").read_text().split()
    except OSError:
        return []


TICK = os.sysconf("SC_CLK_TCK")


def workers_cpu_seconds(case: dict[str, Any]) -> float:
    """User + system CPU seconds used so far by the workers of the gunicorn master."""
    total = 0.0
    for pid in worker_pids(case):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / TICK  # utime, stime (fields 14 and 15)
    return total


def workers_peak_rss(case: dict[str, Any]) -> list[float]:
    """``VmHWM`` (peak resident set) of each worker of the gunicorn master, in MiB."""
    peaks = []
    for pid in worker_pids(case):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        found = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
        if found:
            peaks.append(int(found.group(1)) / 1024)
    return peaks


def stop(case: dict[str, Any]) -> None:
    process: subprocess.Popen[bytes] = case["process"]
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    case["log"].close()


def layer_costs(directory: Path) -> dict[str, Any]:
    """Per-request µs of each layer: inclusive time minus the next layer's, minus the shims' own cost."""
    seconds: dict[str, float] = {}
    requests = 0
    for path in directory.glob("*.json"):
        data = json.loads(path.read_text())
        requests += data["requests"]
        for name, value in data["seconds"].items():
            seconds[name] = seconds.get(name, 0.0) + value
    if not requests:
        return {}
    order = [*server_apps.LAYERS, "pass-through (shim cost)", "router + wsgify handler"]
    inclusive = {name: seconds[name] / requests * 1e6 for name in order}
    own = {}
    for index, name in enumerate(order):
        inner = inclusive[order[index + 1]] if index + 1 < len(order) else 0.0
        own[name] = inclusive[name] - inner
    shim = own.pop("pass-through (shim cost)")
    costs = {name: (value - shim if name in server_apps.LAYERS else value) for name, value in own.items()}
    return {
        "requests": requests,
        "shim_us": shim,
        "cost_us": costs,
        "middleware_total_us": sum(costs[name] for name in server_apps.LAYERS),
        "whole_pipeline_us": inclusive[order[0]] - shim * len(server_apps.LAYERS),
    }


def main() -> dict[str, Any]:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    path = request_path()
    cases = servers()
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in cases}
    with tempfile.TemporaryDirectory(prefix="wsgikit-bench-") as tmp:
        workdir = Path(tmp)
        digest = hashlib.sha256(server_apps.TOKEN.encode()).hexdigest()
        (workdir / "tokens").write_text(f"{digest} bench bench-project reader\n")
        try:
            for name, case in cases.items():
                start(name, case, workdir)
            for name, case in cases.items():
                wait_ready(case)
                check(name, case, path)
            for _ in range(ROUNDS):
                for name, case in cases.items():
                    before = workers_cpu_seconds(case)
                    sample = wrk(case, path)
                    sample["cpu_s"] = workers_cpu_seconds(case) - before
                    samples[name].append(sample)
            memory = {name: workers_peak_rss(case) for name, case in cases.items()}
        finally:
            for case in cases.values():
                if "process" in case:
                    stop(case)
        timing = next((case["timing_dir"] for case in cases.values() if "timing_dir" in case), None)
        costs = layer_costs(timing) if timing else {}

    base = statistics.median(sample["rps"] for sample in samples[BASELINE])

    def cpu_per_request(rounds: list[dict[str, float]]) -> float:
        requests = sum(sample["requests"] for sample in rounds)
        return sum(sample["cpu_s"] for sample in rounds) / requests * 1e6 if requests else float("nan")

    base_cpu = cpu_per_request(samples[BASELINE])
    results: dict[str, Any] = {
        "request": f"GET {path}",
        "method": (
            f"gunicorn sync x2; wrk -t{THREADS} -c{CONNECTIONS} -d{DURATION}s, {ROUNDS} interleaved rounds"
        ),
        "engine": gzip_engines()[0],
        "servers": {},
        "layer_costs": costs,
    }
    print(f"{results['method']}; GET {path}")
    header = f"{'app under gunicorn':<48} {'req/s':>8} {'range':>13} {'vs bare':>8}"
    header += f" {'p50 ms':>7} {'p99 ms':>7}"
    print(header + f" {'peak RSS/worker MiB':>20} {'CPU µs/req':>10} {'bare/this':>9}")
    print("-" * (len(header) + 42))
    for name, rounds in samples.items():
        rates = [sample["rps"] for sample in rounds]
        median = statistics.median(rates)
        row = {
            "rps": median,
            "rps_range": [min(rates), max(rates)],
            "ratio": median / base,
            "p50_ms": statistics.median(sample["p50_ms"] for sample in rounds),
            "p99_ms": statistics.median(sample["p99_ms"] for sample in rounds),
            "non_2xx": sum(sample["non_2xx"] for sample in rounds),
            "socket_errors": sum(sample["socket_errors"] for sample in rounds),
            "peak_rss_mib": memory.get(name, []),
            "cpu_us_per_request": cpu_per_request(rounds),
        }
        row["cpu_ratio"] = base_cpu / row["cpu_us_per_request"]
        results["servers"][name] = row
        rss = "/".join(f"{value:.1f}" for value in row["peak_rss_mib"]) or "?"
        print(
            f"{name:<48} {median:>8.0f} {min(rates):>6.0f}-{max(rates):<6.0f} {row['ratio']:>7.2f}x "
            f"{row['p50_ms']:>7.2f} {row['p99_ms']:>7.2f} {rss:>20} {row['cpu_us_per_request']:>10.0f} "
            f"{row['cpu_ratio']:>8.2f}x"
        )
        if row["non_2xx"] or row["socket_errors"]:
            print(f"  !! {row['non_2xx']:.0f} non-2xx responses, {row['socket_errors']:.0f} socket errors")
    if costs:
        print(
            "\neach middleware's cost inside the running pipeline (CPU µs per request, "
            f"{costs['requests']:,} requests; shim cost {costs['shim_us']:.2f} µs subtracted)"
        )
        for name, value in costs["cost_us"].items():
            print(f"  {name:<28} {value:>7.2f}")
        print(f"  {'middleware, all six':<28} {costs['middleware_total_us']:>7.2f}")
    return results


if __name__ == "__main__":
    _harness.write_json(_harness.json_arg(), main())
