"""The compute example on 1, 2 and 3 nodes behind nginx, one PostgreSQL — on one 2-core machine.

Each node is ``wsgikit serve paste-configs/compute-cluster.ini --server gunicorn --workers 2``; nginx runs
``paste-configs/nginx-cluster.conf``; wrk drives nginx. Two workloads: ``read`` (``GET
/v2.1/servers/{id}``, a server with metadata) and ``write`` (``POST /v2.1/servers``, a new name each time).

On one machine with two cores, more nodes cannot mean more throughput: every process — wrk, nginx,
PostgreSQL and the Python workers — shares the same two cores, which are already busy with one node. The
result is the flat line the docs predict, and the table shows where the CPU goes, per process group, read
from ``/proc/<pid>/stat`` before and after each run (wrk's from the rusage of the reaped child). The
ratio column is each run against the 1-node anchor of the same workload, measured in the same run.

``python benchmarks/bench_cluster.py [--quick] [--json FILE]``; needs PostgreSQL's server binaries, nginx
and wrk (``apt-get install postgresql nginx wrk``).
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
sys.path.insert(0, str(HERE))

from _harness import json_arg, write_json  # noqa: E402
from compute_cluster import (  # noqa: E402
    TOKEN,
    Postgres,
    cluster,
    cpu_seconds,
    descendants,
    postgres_bindir_path,
    request,
)

WRITE_LUA = """
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local n = 0
function request()
  n = n + 1
  local body = string.format('{"server": {"name": "bench-%d-%d", "flavorRef": "1"}}', tid, n)
  return wrk.format("POST", "/v2.1/servers", {["Content-Type"] = "application/json",
                    ["X-Auth-Token"] = "%s"}, body)
end
"""


CASES = [(1, 2), (2, 2), (3, 2), (1, 6)]
"""(nodes, gunicorn workers per node); the first is the anchor, the last the control: as many worker
processes as three nodes, in one node."""


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all CPUs, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def wrk(argv: list[str]) -> tuple[dict[str, float], float]:
    """Run wrk; its figures and the CPU seconds it used."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=300).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    figures: dict[str, float] = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}  # type: ignore[union-attr]
    figures["requests"] = float(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    figures["non_2xx"] = float(bad.group(1)) if bad else 0.0
    for pct in ("50", "99"):
        match = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, flags=re.M)
        if match:
            scale = {"us": 1e-3, "ms": 1.0, "s": 1e3}[match.group(2)]
            figures[f"p{pct}_ms"] = float(match.group(1)) * scale
    return figures, used


def run_case(
    nginx_bin: str, wrk_bin: str, postgres: Postgres, nodes: int, workers: int, workload: str, seconds: int
) -> dict[str, Any]:
    url = postgres.create_database(f"bench{nodes}x{workers}{workload}")
    with tempfile.TemporaryDirectory(prefix="wsgikit-bench-") as tmp:
        work = Path(tmp)
        with cluster(nginx_bin, work, url, nodes, workers=workers, pool_size=2) as (proxy, started):
            status, _, answer = request(
                proxy.port, "POST", "/v2.1/servers",
                {"server": {"name": "target", "flavorRef": "1", "metadata": {"role": "bench"}}},
            )  # fmt: skip
            assert status == 202, (status, answer)
            target = answer["server"]["id"]
            pg_pid = postgres.server.process.pid  # type: ignore[union-attr]
            groups: dict[str, list[int]] = {
                "nginx": descendants(proxy.process.process.pid),
                "postgres": descendants(pg_pid),
                "app nodes": [pid for node in started for pid in descendants(node.process.process.pid)],  # type: ignore[union-attr]
            }
            argv = [wrk_bin, "-t2", "-c16", f"-d{seconds}s", "--latency", "-H", f"X-Auth-Token: {TOKEN}"]
            if workload == "read":
                argv.append(f"http://127.0.0.1:{proxy.port}/v2.1/servers/{target}")
            else:
                script = work / "write.lua"
                script.write_text(WRITE_LUA.replace('"%s"', f'"{TOKEN}"'))
                argv += ["-s", str(script), f"http://127.0.0.1:{proxy.port}/"]
            # postgres forks a backend per connection: sample its group again once connections exist
            cpu_before = {g: {pid: cpu_seconds(pid) for pid in pids} for g, pids in groups.items()}
            busy0, total0 = machine_busy()
            start = time.monotonic()
            figures, wrk_cpu = wrk(argv)
            elapsed = time.monotonic() - start
            busy1, total1 = machine_busy()
            groups["postgres"] = descendants(pg_pid)
            cpu = {
                g: sum(cpu_seconds(pid) - cpu_before[g].get(pid, 0.0) for pid in pids)
                for g, pids in groups.items()
            }
            cpu["wrk"] = wrk_cpu
    cpu_total = sum(cpu.values())
    cpus = os.cpu_count() or 1
    return {
        "nodes": nodes,
        "workers": workers,
        "workload": workload,
        **figures,
        "seconds": round(elapsed, 2),
        "machine_busy": round((busy1 - busy0) / max(1, total1 - total0), 3),
        # how much of the machine this deployment got (other work may share it), and what the CPU cost
        # per request says the whole machine could serve: cores / CPU seconds per request
        "our_share": round(cpu_total / (elapsed * cpus), 3),
        "capacity_rps": round(cpus * figures["requests"] / cpu_total) if cpu_total else 0,
        "cpu_seconds": {g: round(v, 2) for g, v in cpu.items()},
        "cpu_share": {g: round(v / cpu_total, 3) for g, v in cpu.items()} if cpu_total else {},
        "cpu_ms_per_request": {g: round(1000 * v / max(1.0, figures["requests"]), 3) for g, v in cpu.items()},
    }


def main() -> None:
    quick = "--quick" in sys.argv
    seconds = 4 if quick else 10
    initdb = shutil.which("initdb", path=postgres_bindir_path())
    nginx_bin = shutil.which("nginx", path=f"{os.environ.get('PATH', '')}:/usr/sbin")
    wrk_bin = shutil.which("wrk")
    missing = [
        name for name, path in (("initdb", initdb), ("nginx", nginx_bin), ("wrk", wrk_bin)) if not path
    ]
    if missing:
        raise SystemExit(f"bench_cluster needs {', '.join(missing)} (apt-get install postgresql nginx wrk)")
    postgres = Postgres(initdb).start()  # type: ignore[arg-type]
    results: list[dict[str, Any]] = []
    try:
        for workload in ("read", "write"):
            for nodes, workers in CASES:
                case = run_case(nginx_bin, wrk_bin, postgres, nodes, workers, workload, seconds)  # type: ignore[arg-type]
                results.append(case)
    finally:
        postgres.stop()

    print(f"compute example behind nginx on one machine ({os.cpu_count()} CPUs), wrk -t2 -c16 -d{seconds}s")
    print("nodes x gunicorn workers; 'vs anchor' = req/s against 1 x 2 of the same workload, this run;")
    print("busy = the whole machine's CPU use during the run, ours = the part this deployment used;")
    print("CPU ms per request by process group; capacity = req/s the whole machine could serve at that cost")
    print(
        f"{'workload':<8} {'nodes':>7} {'req/s':>7} {'vs anchor':>9} {'p50 ms':>7} {'p99 ms':>7} {'busy':>5}"
        f" {'ours':>5}  {'app':>5} {'pg':>5} {'nginx':>5} {'wrk':>5}  {'capacity':>8} {'vs anchor':>9}"
    )
    capacity = {r["workload"]: r["capacity_rps"] for r in results if (r["nodes"], r["workers"]) == CASES[0]}
    anchors = {r["workload"]: r["rps"] for r in results if (r["nodes"], r["workers"]) == CASES[0]}
    for r in results:
        per = r["cpu_ms_per_request"]
        print(
            f"{r['workload']:<8} {r['nodes']:>3} x {r['workers']:<1} {r['rps']:>7.0f}"
            f" {r['rps'] / anchors[r['workload']]:>8.2f}x"
            f" {r.get('p50_ms', 0):>7.1f} {r.get('p99_ms', 0):>7.1f}"
            f" {r['machine_busy']:>5.0%} {r['our_share']:>5.0%}"
            f"  {per['app nodes']:>5.2f} {per['postgres']:>5.2f}"
            f" {per['nginx']:>5.2f} {per['wrk']:>5.2f}  {r['capacity_rps']:>8}"
            f" {r['capacity_rps'] / max(1, capacity[r['workload']]):>8.2f}x"
        )
        if r["non_2xx"]:
            print(f"         ({r['non_2xx']:.0f} non-2xx answers)")
    write_json(json_arg(), {"seconds": seconds, "cpus": os.cpu_count(), "runs": results})


if __name__ == "__main__":
    main()
