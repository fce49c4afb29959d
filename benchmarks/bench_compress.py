"""gzip engines side by side: ISA-L (``isal``) and zlib-ng (``zlib-ng``) against the stdlib's ``zlib``.

* throughput at wsgikit's level 6 on a nova ``GET /servers/detail`` document (100 servers, about 110 KB),
  sent through ``GzipMiddleware`` in 16 KB chunks, and the size of the output against zlib's
  (targets: >= 2x zlib's MB/s with <= 10 % larger output);
* per-request cost of ``GzipMiddleware`` compressing small JSON bodies (1, 2 and 3 servers: 1.1-3.3 KB)
  with each engine (target: >= 1.5x faster than zlib);
* ``Accept-Encoding``: wsgikit's parser against ``webob.acceptparse`` on the header table of
  ``tests/middleware/test_gzip.py`` -- how many answers differ, and the cost per header, uncached.

Engines that are not installed are skipped (``pip install -e '.[compress]'`` brings them). Run::

    .venv/bin/python benchmarks/bench_compress.py [--quick] [--json out.json]
"""

from __future__ import annotations

import gzip
import sys
import warnings
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import _harness
import _nova

from wsgikit.middleware import _encoding
from wsgikit.middleware._encoding import gzip_engines
from wsgikit.middleware.gzip import GzipMiddleware

LEVEL = 6
CHUNK = 16 * 1024
HEADERS = [
    "gzip, deflate, br",
    "gzip, deflate, br, zstd",
    "gzip",
    "x-gzip",
    "*",
    "deflate, gzip;q=0.5",
    "br;q=1, gzip;q=0.5",
    "*;q=0, gzip",
    "gzip;q=0, identity",
    "identity;q=1, *;q=0",
    "gzip;q=abc",
    "gzip;q=1.5",
    "gzip;q=0.0000",
    "gzip, gzip;q=0",
    ",,,;;;",
    "",
]


def engine_names() -> list[str]:
    """Each installed engine by name, then ``auto``: the engine left to wsgikit (``engine=None``), which
    sends a body declared 16 KiB or more to zlib-ng when ISA-L is the fastest."""
    return [*gzip_engines(), "auto"]


def middleware(app: Any, engine: str) -> GzipMiddleware:
    return GzipMiddleware(app, level=LEVEL, engine=None if engine == "auto" else engine)


def json_app(body: bytes, chunk: int | None = None) -> Any:
    pieces = [body[i : i + chunk] for i in range(0, len(body), chunk)] if chunk else [body]
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", list(headers))
        return pieces

    return app


def gzip_environ() -> dict[str, Any]:
    environ = _harness.environ("GET", "/servers/detail")
    environ["HTTP_ACCEPT_ENCODING"] = "gzip, deflate, br"
    return environ


def serve(app: Any) -> bytes:
    body = app(gzip_environ(), _harness.start_response)
    try:
        return b"".join(body)
    finally:
        if hasattr(body, "close"):
            body.close()


def bench_throughput(rounds: int) -> dict[str, Any]:
    document = _nova.server_list_bytes(100)
    apps = {engine: middleware(json_app(document, CHUNK), engine) for engine in engine_names()}
    sizes = {}
    for engine, app in apps.items():
        out = serve(app)
        assert gzip.decompress(out) == document, engine
        sizes[engine] = len(out)
    medians = _harness.run({engine: (lambda app=app: serve(app)) for engine, app in apps.items()}, rounds)
    results: dict[str, Any] = {"document_bytes": len(document)}
    for engine, seconds in medians.items():
        results[engine] = {
            "MB/s": len(document) / seconds / 1e6,
            "speed vs zlib": medians["zlib"] / seconds,
            "output bytes": sizes[engine],
            "size vs zlib": sizes[engine] / sizes["zlib"],
        }
    return results


def bench_small(rounds: int) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for servers in (1, 2, 3):
        body = _nova.server_list_bytes(servers)
        cases: dict[str, Any] = {
            "no gzip (minimum_size above the body)": GzipMiddleware(
                json_app(body), minimum_size=len(body) + 1
            )
        }
        for engine in engine_names():
            cases[engine] = middleware(json_app(body), engine)
            assert gzip.decompress(serve(cases[engine])) == body
        medians = _harness.run({name: (lambda app=app: serve(app)) for name, app in cases.items()}, rounds)
        results[f"{len(body) / 1000:.1f} KB ({servers} server{'s' if servers > 1 else ''})"] = {
            "medians_us": {name: value * 1e6 for name, value in medians.items()},
            "speed vs zlib": {engine: medians["zlib"] / medians[engine] for engine in engine_names()},
        }
    return results


def bench_accept_encoding(rounds: int) -> dict[str, Any]:
    from webob.acceptparse import create_accept_encoding_header

    offers = ("gzip", "br", "zstd")

    def webob_choice(header: str) -> str | None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            accepted = create_accept_encoding_header(header).acceptable_offers(offers)
        return accepted[0][0] if accepted else None

    def ours_uncached(header: str) -> str | None:
        return _encoding._choose.__wrapped__(header, offers) if header else None

    differ = {
        header: {"wsgikit": ours_uncached(header), "webob": webob_choice(header)}
        for header in HEADERS
        if ours_uncached(header) != webob_choice(header)
    }
    medians = _harness.run(
        {
            "wsgikit parser (uncached)": lambda: [ours_uncached(header) for header in HEADERS],
            "wsgikit choose_encoding (cached)": lambda: [
                _encoding.choose_encoding(header, offers) for header in HEADERS
            ],
            "webob.acceptparse": lambda: [webob_choice(header) for header in HEADERS],
        },
        rounds,
    )
    return {
        "headers": len(HEADERS),
        "medians_us": {name: value * 1e6 / len(HEADERS) for name, value in medians.items()},
        "answers that differ": differ,
    }


def report(results: dict[str, Any]) -> list[str]:
    lines = []
    throughput = results["throughput"]
    lines.append(
        f"gzip level {LEVEL}, nova server list ({throughput['document_bytes']:,} bytes, {CHUNK // 1024} KB "
        "chunks) through GzipMiddleware"
    )
    lines.append(f"{'engine':<10} {'MB/s':>8} {'vs zlib':>8} {'output':>8} {'size vs zlib':>13}")
    for engine in engine_names():
        row = throughput[engine]
        lines.append(
            f"{engine:<10} {row['MB/s']:>8.1f} {row['speed vs zlib']:>7.2f}x {row['output bytes']:>8,} "
            f"{row['size vs zlib']:>12.3f}x"
        )
    lines.append("")
    lines.append("per request, GzipMiddleware on a small JSON body (µs; speed = zlib's time / engine's)")
    for case, row in results["small"].items():
        cells = "  ".join(f"{name} {value:.1f}" for name, value in row["medians_us"].items())
        speed = "  ".join(f"{engine} {value:.2f}x" for engine, value in row["speed vs zlib"].items())
        lines.append(f"{case}: {cells}")
        lines.append(f"{' ' * len(case)}  speed: {speed}")
    lines.append("")
    accept = results["accept_encoding"]
    lines.append(f"Accept-Encoding, µs per header ({accept['headers']} headers)")
    for name, value in accept["medians_us"].items():
        lines.append(f"  {name:<34} {value:>7.2f}")
    lines.append(f"  answers that differ: {len(accept['answers that differ'])} of {accept['headers']}")
    for header, answers in accept["answers that differ"].items():
        lines.append(f"    {header!r:<24} wsgikit {answers['wsgikit']!s:<5} webob {answers['webob']}")
    return lines


def main() -> dict[str, Any]:
    rounds = 5 if "--quick" in sys.argv else 11
    auto = GzipMiddleware(json_app(b""))
    print(f"auto: {auto.gzip_engine}, {auto.large_body_engine or auto.gzip_engine} from 16 KiB\n")
    results = {
        "engines": engine_names(),
        "throughput": bench_throughput(rounds),
        "small": bench_small(rounds),
        "accept_encoding": bench_accept_encoding(rounds),
    }
    print("\n".join(report(results)))
    return results


if __name__ == "__main__":
    _harness.write_json(_harness.json_arg(), main())
