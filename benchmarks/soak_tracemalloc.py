"""Where a soak's memory goes: the soak's valid request mix, in one process, under :mod:`tracemalloc`.

The compute example (``paste-configs/nova-style.ini``, SQLite in a temporary directory) is called directly
as a WSGI application: a warm-up, then ``--rounds`` rounds of ``--requests`` requests, and after each round
the RSS of this process next to the memory Python objects hold (``tracemalloc``). At the end, the lines
whose allocations grew most between the first and the last round. When RSS grows and traced memory does
not, the growth is native (the C allocator, SQLite), not Python objects kept alive.

    python benchmarks/soak_tracemalloc.py --requests 1500 --rounds 3
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import logging
import os
import random
import sys
import tempfile
import tracemalloc
from pathlib import Path
from typing import Any
from wsgiref.util import setup_testing_defaults

ROOT = Path(__file__).resolve().parents[1]


def rss_kb() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        return int(status.read().split("VmRSS:")[1].split()[0])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--requests", type=int, default=1500, help="requests per round (default 1500)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds after the warm-up (default 3)")
    args = parser.parse_args(argv)
    tmp = tempfile.mkdtemp(prefix="wsgikit-tracemalloc-")
    os.environ["WSGIKIT_COMPUTE_DB"] = str(Path(tmp) / "compute.sqlite3")
    os.environ["WSGIKIT_COMPUTE_AUTH"] = "token"
    logging.disable(logging.CRITICAL)  # the access log would be most of the work
    from wsgikit.deploy import loadapp

    app = loadapp(f"config:{ROOT / 'paste-configs' / 'nova-style.ini'}")

    def call(method: str, path: str, body: Any = None) -> tuple[str, bytes]:
        environ: dict[str, Any] = {"REQUEST_METHOD": method, "PATH_INFO": path.split("?")[0]}
        environ["QUERY_STRING"] = path.partition("?")[2]
        environ["HTTP_X_AUTH_TOKEN"] = "demo-token"
        setup_testing_defaults(environ)
        data = json.dumps(body).encode() if body is not None else b""
        environ["wsgi.input"] = io.BytesIO(data)
        environ["CONTENT_LENGTH"] = str(len(data))
        if body is not None:
            environ["CONTENT_TYPE"] = "application/json"
        statuses: list[str] = []
        result = app(environ, lambda status, headers, exc_info=None: statuses.append(status))
        try:
            out = b"".join(result)
        finally:
            getattr(result, "close", lambda: None)()
        return statuses[0], out

    rng = random.Random(1)
    mine: list[str] = []
    counter = [0]

    def step() -> None:
        roll = rng.random()
        if roll < 0.3:
            counter[0] += 1
            server = {"name": f"t-{counter[0]}", "flavorRef": "1", "metadata": {"n": str(counter[0])}}
            status, out = call("POST", "/v2.1/servers", {"server": server})
            if status.startswith("202"):
                mine.append(json.loads(out)["server"]["id"])
        elif roll < 0.45 and mine:
            call("DELETE", f"/v2.1/servers/{mine.pop(rng.randrange(len(mine)))}")
        elif roll < 0.6 and mine:
            call("GET", f"/v2.1/servers/{rng.choice(mine)}")
        else:
            call("GET", "/v2.1/servers/detail?limit=20")

    for _ in range(500):
        step()
    gc.collect()
    tracemalloc.start()
    snapshots = []
    print(f"after warm-up: RSS {rss_kb()} kB")
    for number in range(1, args.rounds + 1):
        for _ in range(args.requests):
            step()
        gc.collect()
        snapshots.append(tracemalloc.take_snapshot())
        traced, _ = tracemalloc.get_traced_memory()
        done = number * args.requests
        print(f"after {done} requests: RSS {rss_kb()} kB, Python objects {traced // 1024} kB")
    print("largest growth between the first and the last round:")
    for stat in snapshots[-1].compare_to(snapshots[0], "lineno")[:10]:
        print(f"  {stat.size_diff / 1024:+8.1f} kB  {stat.count_diff:+6d} blocks  {stat.traceback}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
