"""JSON codecs side by side: wsgikit's codec with msgspec against the stdlib path, on nova documents.

* encode and decode a nova ``GET /servers/detail`` answer (100 servers, about 110 KB) with
  ``wsgikit._json`` using msgspec and using the stdlib, plus plain ``json.dumps`` / ``json.loads`` as
  the anchor (target: >= 2x the stdlib);
* the same through the full wsgify path: a handler returning the server list as a ``dict``, and a
  handler returning ``req.json`` of a POSTed 100-server body;
* the ceiling: every JSON parser on PyPI that is installed (the ``bench`` extra installs them: orjson,
  yyjson, ujson, python-rapidjson, pysimdjson), called directly on the same document, each giving the
  same Python objects, beside ``json.loads``: what any codec could give ``req.json``;
* msgspec with the cyclic garbage collector paused during the parse (which wsgikit does not do), twice:
  in a loop that drops each document at once, and followed by a handler's use of the document while it
  is alive, where the collections the pause put off come due.

Run: ``.venv/bin/python benchmarks/bench_json.py [--quick] [--json out.json]``.
"""

from __future__ import annotations

import gc
import io
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import _harness
import _nova

import wsgikit
from wsgikit import _json

CODECS = [name for name in _json.CODECS if name != "msgspec" or _json.codec() == "msgspec"]


def with_codec(name: str, func: Any) -> Any:
    def run() -> Any:
        previous = _json.use(name)
        try:
            return func()
        finally:
            _json.use(previous)

    return run


def decoders(raw: bytes) -> dict[str, Any]:
    """A parse of ``raw`` into Python objects by each installed JSON library (direct calls)."""
    found: dict[str, Any] = {"json.loads": lambda: json.loads(raw)}
    try:
        import msgspec

        decode = msgspec.json.Decoder().decode
        found["msgspec"] = lambda: decode(raw)
    except ImportError:
        pass
    try:
        import orjson

        found["orjson"] = lambda: orjson.loads(raw)
    except ImportError:
        pass
    try:
        import yyjson

        found["yyjson"] = lambda: yyjson.Document(raw).as_obj
    except ImportError:
        pass
    try:
        import ujson

        found["ujson"] = lambda: ujson.loads(raw)
    except ImportError:
        pass
    try:
        import rapidjson

        found["python-rapidjson"] = lambda: rapidjson.loads(raw)
    except ImportError:
        pass
    try:
        import simdjson

        parser = simdjson.Parser()
        found["pysimdjson"] = lambda: parser.parse(raw, recursive=True)
    except ImportError:
        pass
    return found


def gc_paused(parse: Any) -> Any:
    """``parse`` with the cyclic garbage collector off while it runs (and on again after)."""

    def run() -> Any:
        if not gc.isenabled():
            return parse()
        gc.disable()
        try:
            return parse()
        finally:
            gc.enable()

    return run


def then_used(parse: Any) -> Any:
    """``parse``, then a handler's work with the document still alive (a list of each server's id and
    name): the first allocations after a paused parse run the collection the pause put off."""

    def run() -> Any:
        document = parse()
        return [{"id": server["id"], "name": server["name"]} for server in document["servers"]]

    return run


def post_environ(body: bytes) -> dict[str, Any]:
    environ = _harness.environ("POST", "/servers")
    environ.update(
        CONTENT_TYPE="application/json", CONTENT_LENGTH=str(len(body)), **{"wsgi.input": io.BytesIO(body)}
    )
    return environ


def main() -> dict[str, Any]:
    rounds = 5 if "--quick" in sys.argv else 11
    document = _nova.server_list(100)
    raw = json.dumps(document, separators=(",", ":")).encode()
    for name in CODECS:
        assert with_codec(name, lambda: _json.dumps(document))() == raw, name
        assert with_codec(name, lambda: _json.loads(raw))() == document, name

    listing = wsgikit.wsgify(lambda req: document)
    echo = wsgikit.wsgify(lambda req: {"count": len(req.json["servers"])})

    def get() -> bytes:
        return b"".join(listing(_harness.environ("GET", "/servers/detail"), _harness.start_response))

    def post() -> bytes:
        return b"".join(echo(post_environ(raw), _harness.start_response))

    groups: dict[str, dict[str, Any]] = {
        "encode 100 servers": {"json.dumps (compact)": lambda: json.dumps(document, separators=(",", ":"))},
        "decode 100 servers": {"json.loads": lambda: json.loads(raw)},
        "wsgify returns 100 servers": {},
        "wsgify reads req.json of 100 servers": {},
    }
    for name in CODECS:
        groups["encode 100 servers"][f"wsgikit, {name}"] = with_codec(name, lambda: _json.dumps(document))
        groups["decode 100 servers"][f"wsgikit, {name}"] = with_codec(name, lambda: _json.loads(raw))
        groups["wsgify returns 100 servers"][f"wsgikit, {name}"] = with_codec(name, get)
        groups["wsgify reads req.json of 100 servers"][f"wsgikit, {name}"] = with_codec(name, post)

    results: dict[str, Any] = {"document_bytes": len(raw), "codecs": CODECS}
    print(f"nova server list: {len(raw):,} bytes; codecs installed: {', '.join(CODECS)}")
    parsers = decoders(raw)
    for name, parse in parsers.items():
        assert parse() == document, name
    groups["decode 100 servers, every parser installed (direct calls)"] = parsers
    if "msgspec" in parsers:
        stdlib, fast = parsers["json.loads"], parsers["msgspec"]
        groups["decode 100 servers, GC paused during the parse (document dropped at once)"] = {
            "json.loads": stdlib,
            "msgspec": fast,
            "msgspec, GC paused": gc_paused(fast),
        }
        groups["decode 100 servers, GC paused during the parse (document then used)"] = {
            "json.loads": then_used(stdlib),
            "msgspec": then_used(fast),
            "msgspec, GC paused": then_used(gc_paused(fast)),
        }
    for group, cases in groups.items():
        medians = _harness.run(cases, rounds=rounds)
        baseline = "wsgikit, json" if "wsgikit, json" in cases else "json.loads"
        print(_harness.table(f"\n{group} (ratio to {baseline})", medians, baseline=baseline))
        results[group] = {
            "medians_us": {name: value * 1e6 for name, value in medians.items()},
            "speedup": {name: medians[baseline] / value for name, value in medians.items()},
        }
    return results


if __name__ == "__main__":
    _harness.write_json(_harness.json_arg(), main())
