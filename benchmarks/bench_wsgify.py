"""wsgify overhead: a bare WSGI callable vs ``webob.dec.wsgify`` vs ``wsgikit.wsgify``.

Three handlers (return a str; return a Response; return a dict as JSON), each called in-process with a
fresh environ, interleaved rounds in one run. Run: ``python benchmarks/bench_wsgify.py [--json out.json]``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import webob
import webob.dec

sys.path.insert(0, str(Path(__file__).parent))

import _harness

import wsgikit

PAYLOAD = {"server": {"id": "b7c1e0a2", "name": "web-1", "status": "ACTIVE", "flavor": {"id": "1"}}}


def call(app: Any) -> bytes:
    return _harness.call(app, "GET", "/servers/b7c1e0a2")


def bare_str(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    body = b"hello, world"
    start_response(
        "200 OK", [("Content-Type", "text/html; charset=UTF-8"), ("Content-Length", str(len(body)))]
    )
    return [body]


def bare_json(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    body = json.dumps(PAYLOAD, separators=(",", ":")).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def cases() -> dict[str, dict[str, Any]]:
    def str_handler(req: Any) -> str:
        return "hello, world"

    def response_handler(req: Any) -> webob.Response:
        return webob.Response("hello, world", content_type="text/plain")

    def webob_json(req: Any) -> webob.Response:
        return webob.Response(json_body=PAYLOAD)

    def wsgikit_json(req: Any) -> dict[str, Any]:
        return PAYLOAD

    return {
        "str": {
            "bare WSGI": bare_str,
            "webob.dec.wsgify": webob.dec.wsgify(str_handler),
            "wsgikit.wsgify": wsgikit.wsgify(str_handler),
        },
        "Response": {
            "bare WSGI": bare_str,
            "webob.dec.wsgify": webob.dec.wsgify(response_handler),
            "wsgikit.wsgify": wsgikit.wsgify(response_handler),
        },
        "JSON": {
            "bare WSGI": bare_json,
            "webob.dec.wsgify": webob.dec.wsgify(webob_json),
            "wsgikit.wsgify": wsgikit.wsgify(wsgikit_json),
        },
    }


def main() -> dict[str, Any]:
    results: dict[str, Any] = {}
    for name, apps in cases().items():
        bodies = {label: call(app) for label, app in apps.items()}
        if name == "JSON":
            assert len({json.dumps(json.loads(body), sort_keys=True) for body in bodies.values()}) == 1
        medians = _harness.run(
            {label: (lambda app=app: call(app)) for label, app in apps.items()},
            rounds=5 if "--quick" in sys.argv else 15,
        )
        print(_harness.table(f"\nhandler returns {name}", medians, baseline="webob.dec.wsgify"))
        results[name] = {
            "medians_us": {label: value * 1e6 for label, value in medians.items()},
            "ratio_vs_webob": medians["wsgikit.wsgify"] / medians["webob.dec.wsgify"],
        }
    print(
        f"\nwsgikit/webob: str {results['str']['ratio_vs_webob']:.2f}x (target <= 1.0x), "
        f"JSON {results['JSON']['ratio_vs_webob']:.2f}x (target <= 0.6x)"
    )
    return results


if __name__ == "__main__":
    _harness.write_json(_harness.json_arg(), main())
