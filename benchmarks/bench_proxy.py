"""The balancing proxy against nginx's ``upstream``, in front of the same three backends, in one run.

* backends: one nginx process listening on three ports, each answering a fixed 13-byte body (``return
  200``), so that neither contender waits on a slow backend and the figure is the proxy's own cost;
* anchor: nginx (2 workers) with ``upstream { server ...; keepalive 16; }`` and ``proxy_pass``;
* wsgikit: ``egg:wsgikit#proxy`` with the same three backends (round robin, keep-alive pool), served by
  gunicorn (2 ``gthread`` workers x 8 threads) and, separately, by waitress (``wsgikit serve``: one
  process, 4 threads);
* load: ``wrk -t2 -c16`` for a few seconds per round, contenders interleaved round by round; the
  figures are the medians of the rounds: requests/s and the 99th percentile latency.

The machine has two cores, shared with the load generator and the backends: the absolute numbers mean
little, the ratio (wsgikit / nginx) is the result. Run standalone::

    .venv/bin/python benchmarks/bench_proxy.py [--quick] [--json results.json]
"""

from __future__ import annotations

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

ROUNDS = 5
DURATION = "8s"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for(port: int, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{process.args!r} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing listens on {port} after {timeout}s")


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if found is None:
        raise SystemExit("nginx is not installed (apt-get install nginx): it is the anchor")
    return found


def nginx_conf(body: str) -> str:
    user = "user root;\n" if os.geteuid() == 0 else ""
    return f"""{user}worker_processes 2;
pid nginx.pid;
error_log error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path client_body;
    proxy_temp_path proxy;
    fastcgi_temp_path fastcgi;
    uwsgi_temp_path uwsgi;
    scgi_temp_path scgi;
{body}
}}
"""


def start_nginx(nginx: str, prefix: Path, body: str) -> subprocess.Popen[bytes]:
    prefix.mkdir(parents=True, exist_ok=True)
    conf = prefix / "nginx.conf"
    conf.write_text(nginx_conf(body))
    return subprocess.Popen(
        [nginx, "-p", f"{prefix}/", "-c", str(conf), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def wrk(port: int, duration: str) -> tuple[float, float]:
    """(requests/s, p99 in ms) of one wrk run."""
    out = subprocess.run(
        ["wrk", "-t2", "-c16", f"-d{duration}", "--latency", f"http://127.0.0.1:{port}/"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise SystemExit(f"port {port}: {errors.group(1)} error responses:\n{out}")
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
    p99 = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    return rps, p99


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


def main(argv: list[str]) -> None:
    quick = "--quick" in argv
    rounds, duration = (2, "3s") if quick else (ROUNDS, DURATION)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    nginx = nginx_binary()
    backend_ports = [free_port() for _ in range(3)]
    nginx_port, wsgikit_port, waitress_port = free_port(), free_port(), free_port()
    processes: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory(prefix="bench-proxy-") as tmp:
        root = Path(tmp)
        try:
            servers = "\n".join(
                f'    server {{ listen 127.0.0.1:{port}; location / {{ return 200 "hello, world\\n"; }} }}'
                for port in backend_ports
            )
            processes.append(start_nginx(nginx, root / "backends", servers))
            upstream = "\n".join(f"        server 127.0.0.1:{port};" for port in backend_ports)
            anchor = f"""    upstream backends {{
{upstream}
        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{nginx_port};
        location / {{
            proxy_pass http://backends;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }}
    }}"""
            processes.append(start_nginx(nginx, root / "anchor", anchor))
            ini = root / "proxy.ini"
            backends = " ".join(f"http://127.0.0.1:{port}" for port in backend_ports)
            ini.write_text(f"[app:main]\nuse = egg:wsgikit#proxy\nbackends = {backends}\n")
            gunicorn = [sys.executable, "-m", "gunicorn", "--paste", str(ini), "--bind"]
            gunicorn += [f"127.0.0.1:{wsgikit_port}", "-k", "gthread", "--workers", "2", "--threads", "8"]
            gunicorn += ["--log-level", "warning"]
            processes.append(
                subprocess.Popen(gunicorn, stdout=subprocess.DEVNULL, start_new_session=True, cwd=tmp)
            )
            waitress = [sys.executable, "-m", "wsgikit", "serve", str(ini), "--server", "waitress"]
            waitress += ["--port", str(waitress_port)]
            processes.append(
                subprocess.Popen(waitress, stdout=subprocess.DEVNULL, start_new_session=True, cwd=tmp)
            )
            for port, process in zip(
                [*backend_ports, nginx_port, wsgikit_port, waitress_port],
                [processes[0]] * 3 + processes[1:],
                strict=True,
            ):
                wait_for(port, process)
            contenders = {
                "nginx upstream": nginx_port,
                "wsgikit, gunicorn": wsgikit_port,
                "wsgikit, waitress": waitress_port,
            }
            for port in contenders.values():
                wrk(port, "1s")  # warm up (connections, code paths)
            results: dict[str, list[tuple[float, float]]] = {name: [] for name in contenders}
            for _ in range(rounds):
                for name, port in contenders.items():
                    results[name].append(wrk(port, duration))
        finally:
            for process in reversed(processes):
                stop(process)

    summary = {
        name: {
            "requests_per_s": statistics.median(r for r, _ in runs),
            "p99_ms": statistics.median(p for _, p in runs),
            "rounds": [{"requests_per_s": r, "p99_ms": p} for r, p in runs],
        }
        for name, runs in results.items()
    }
    anchor_rps = summary["nginx upstream"]["requests_per_s"]
    anchor_p99 = summary["nginx upstream"]["p99_ms"]
    print(f"proxy: 3 backends (nginx return 200), wrk -t2 -c16 -d{duration}, {rounds} rounds, medians")
    print(f"{'contender':<20}{'requests/s':>12}{'ratio':>8}{'p99 ms':>10}{'ratio':>8}")
    for name, figures in summary.items():
        rps, p99 = figures["requests_per_s"], figures["p99_ms"]
        print(f"{name:<20}{rps:>12.0f}{rps / anchor_rps:>7.2f}x{p99:>10.2f}{p99 / anchor_p99:>7.2f}x")
    if "--json" in argv:
        Path(argv[argv.index("--json") + 1]).write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
