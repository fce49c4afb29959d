from __future__ import annotations

import gzip
import importlib.util
import sys
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wsgikit.deploy.components.gzip import filter_factory
from wsgikit.deploy.options import ConfigError
from wsgikit.middleware import _encoding
from wsgikit.middleware._encoding import (
    GZIP_ENGINES,
    MediaTypeMatcher,
    choose_encoding,
    gzip_engines,
    make_compressor,
    parse_accept_encoding,
)
from wsgikit.middleware.gzip import GzipMiddleware
from wsgikit.testing import TestApp

BODY = b"The quick brown fox jumps over the lazy dog. " * 40  # 1800 bytes


def make_app(
    status: str = "200 OK",
    headers: list[tuple[str, str]] | None = None,
    chunks: list[bytes] | None = None,
) -> Callable[..., Any]:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response(status, list(headers if headers is not None else [("Content-Type", "text/html")]))
        return list(chunks if chunks is not None else [BODY])

    return app


# -- Accept-Encoding ------------------------------------------------------------------------------------

ACCEPT_ENCODING = [
    ("gzip", "gzip"),
    ("GZIP", "gzip"),
    ("x-gzip", "gzip"),
    ("*", "gzip"),
    ("deflate, gzip;q=0.5", "gzip"),
    (" gzip ; q=0.001", "gzip"),
    ("*;q=0, gzip", "gzip"),
    ("gzip;q=0", None),
    ("gzip;q=0, identity", None),
    ("identity;q=1, *;q=0", None),
    ("notgzip", None),
    ("gzipx, xgzip", None),
    ("", None),
    ("identity", None),
    ("deflate", None),
    ("gzip;q=abc", None),
    ("gzip;q=1.5", None),
    ("gzip;q=-1", None),
    ("gzip, gzip;q=0", None),
    ("gzip;q=0.0000", None),
    (",,,;;;", None),
    ("gzip\r\nX-Evil: 1", None),
    ("br;q=1, gzip;q=0.5", "br"),
    ("gzip, br;q=0.5", "gzip"),
    ("gzip, br", "gzip"),
    ("zstd;q=1, gzip;q=0.9, br;q=0.8", "zstd"),
]

CODEC_PACKAGES = {"br": "brotli", "zstd": "zstandard"}
"""The optional codecs and the package each needs (the ``compress`` extra)."""


@pytest.mark.parametrize(("header", "expected"), ACCEPT_ENCODING, ids=[repr(h) for h, _ in ACCEPT_ENCODING])
def test_accept_encoding_table(
    header: str, expected: str | None, serve: Callable[..., Any], python_package: Callable[[str, str], None]
) -> None:
    if expected in CODEC_PACKAGES:
        python_package(CODEC_PACKAGES[expected], "pip install -e '.[compress]'")
    served = serve(GzipMiddleware(make_app()), headers={"Accept-Encoding": header})
    assert served.error is None
    assert served.header("Content-Encoding") == expected
    assert served.decoded() == BODY
    assert served.header("Vary") == "Accept-Encoding"


def test_no_accept_encoding_header_means_identity(serve: Callable[..., Any]) -> None:
    served = serve(GzipMiddleware(make_app()))
    assert served.header("Content-Encoding") is None
    assert served.body == BODY
    assert served.header("Vary") == "Accept-Encoding"  # the representation still varies


def test_parse_accept_encoding_drops_malformed_members() -> None:
    assert parse_accept_encoding("gzip;q=0.5, br;q=x, *;level=1, x-gzip;q=0.2") == {"gzip": 0.2, "*": 1.0}
    assert choose_encoding(None, ("gzip",)) is None
    assert choose_encoding("gzip;q=0.5", ()) is None


def test_preference_order_breaks_ties() -> None:
    assert choose_encoding("br, gzip", ("gzip", "br")) == "gzip"
    assert choose_encoding("br, gzip", ("br", "gzip")) == "br"


# -- headers --------------------------------------------------------------------------------------------


def test_vary_is_merged_with_the_apps_value(serve: Callable[..., Any]) -> None:
    app = make_app(headers=[("Content-Type", "application/json"), ("Vary", "Origin")])
    served = serve(GzipMiddleware(app), headers={"Accept-Encoding": "gzip"})
    assert served.header("Vary") == "Origin, Accept-Encoding"
    app = make_app(headers=[("Content-Type", "application/json"), ("Vary", "accept-encoding")])
    assert serve(GzipMiddleware(app), headers={"Accept-Encoding": "gzip"}).header("Vary") == "accept-encoding"
    app = make_app(headers=[("Content-Type", "application/json"), ("Vary", "*")])
    assert serve(GzipMiddleware(app), headers={"Accept-Encoding": "gzip"}).header("Vary") == "*"


def test_strong_etag_becomes_weak_only_when_compressed(serve: Callable[..., Any]) -> None:
    app = make_app(headers=[("Content-Type", "text/plain"), ("ETag", '"abc"')])
    assert serve(GzipMiddleware(app), headers={"Accept-Encoding": "gzip"}).header("ETag") == 'W/"abc"'
    assert serve(GzipMiddleware(app)).header("ETag") == '"abc"'
    weak = make_app(headers=[("Content-Type", "text/plain"), ("ETag", 'W/"abc"')])
    assert serve(GzipMiddleware(weak), headers={"Accept-Encoding": "gzip"}).header("ETag") == 'W/"abc"'


def test_content_length_is_the_compressed_one_or_dropped(serve: Callable[..., Any]) -> None:
    """A body returned whole is compressed before the headers go out: it is sent with its compressed
    length (not chunked). A streamed body's length is unknown: no Content-Length. Accept-Ranges goes."""
    headers = [("Content-Type", "text/plain"), ("Content-Length", str(len(BODY))), ("Accept-Ranges", "bytes")]
    served = serve(GzipMiddleware(make_app(headers=headers)), headers={"Accept-Encoding": "gzip"})
    assert [value for name, value in served.headers if name.lower() == "content-length"] == [
        str(len(served.body))
    ]
    assert len(served.body) < len(BODY)
    assert served.header("Accept-Ranges") is None
    assert gzip.decompress(served.body) == BODY
    streamed = make_app(headers=headers, chunks=[BODY[:40], BODY[40:]])
    served = serve(GzipMiddleware(streamed), headers={"Accept-Encoding": "gzip"})
    assert served.header("Content-Length") is None and served.header("Accept-Ranges") is None
    assert gzip.decompress(served.body) == BODY


def test_held_back_headers_go_out_before_a_write(serve: Callable[..., Any]) -> None:
    """write() during the call sends the held-back headers first (no length: the body is a stream)."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        write(BODY[:40])
        return [BODY[40:]]

    served = serve(GzipMiddleware(app), headers={"Accept-Encoding": "gzip"})
    assert served.error is None and served.header("Content-Length") is None
    assert gzip.decompress(served.body) == BODY


def test_a_replacement_of_held_back_headers_reaches_the_server_as_a_first_call() -> None:
    """The server never saw the first status: the replacement comes without exc_info (uWSGI fails a
    first start_response that carries one), and it is compressed with its own length."""
    calls: list[tuple[str, bool]] = []

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        try:
            raise ValueError("changed my mind")
        except ValueError:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")], sys.exc_info())
        return [BODY]

    def server_start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        calls.append((status, exc_info is not None))
        sent_headers.extend(headers)
        return lambda data: None

    sent_headers: list[tuple[str, str]] = []
    environ = {"REQUEST_METHOD": "GET", "HTTP_ACCEPT_ENCODING": "gzip"}
    body = GzipMiddleware(app)(environ, server_start_response)
    assert calls == [("503 Service Unavailable", False)]
    data = b"".join(body)
    assert ("Content-Encoding", "gzip") in sent_headers
    assert ("Content-Length", str(len(data))) in sent_headers
    assert gzip.decompress(data) == BODY


# -- when not to compress -----------------------------------------------------------------------------------

SKIPS = [
    ("already-gzip", "200 OK", [("Content-Type", "text/plain"), ("Content-Encoding", "gzip")], "GET"),
    ("already-identity", "200 OK", [("Content-Type", "text/plain"), ("Content-Encoding", "identity")], "GET"),
    ("already-br", "200 OK", [("Content-Type", "text/plain"), ("Content-Encoding", "br")], "GET"),
    (
        "no-transform",
        "200 OK",
        [("Content-Type", "text/plain"), ("Cache-Control", "public, No-Transform")],
        "GET",
    ),
    (
        "206",
        "206 Partial Content",
        [("Content-Type", "text/plain"), ("Content-Range", "bytes 0-9/50")],
        "GET",
    ),
    ("content-range", "200 OK", [("Content-Type", "text/plain"), ("Content-Range", "bytes 0-9/50")], "GET"),
    ("small", "200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(BODY)))], "SMALL"),
    ("image/png", "200 OK", [("Content-Type", "image/png")], "GET"),
    ("octet-stream", "200 OK", [("Content-Type", "application/octet-stream")], "GET"),
    ("zip", "200 OK", [("Content-Type", "application/zip")], "GET"),
    ("pdf", "200 OK", [("Content-Type", "application/pdf")], "GET"),
    ("video", "200 OK", [("Content-Type", "video/mp4")], "GET"),
    ("gzip-type", "200 OK", [("Content-Type", "application/gzip")], "GET"),
    ("no-content-type", "200 OK", [], "NOCT"),
]


@pytest.mark.parametrize(("status", "headers", "mode"), [s[1:] for s in SKIPS], ids=[s[0] for s in SKIPS])
def test_responses_left_alone(
    status: str, headers: list[tuple[str, str]], mode: str, serve: Callable[..., Any]
) -> None:
    middleware = GzipMiddleware(make_app(status, headers), minimum_size=10_000 if mode == "SMALL" else 500)
    served = serve(middleware, headers={"Accept-Encoding": "gzip"}, validate=mode != "NOCT")
    assert served.error is None
    assert served.body == BODY  # byte-identical
    assert served.header("Content-Encoding") == dict((k.lower(), v) for k, v in headers).get(
        "content-encoding"
    )


@pytest.mark.parametrize(
    ("status", "headers"), [("204 No Content", []), ("304 Not Modified", [("ETag", '"x"')])]
)
def test_no_body_statuses_get_no_gzip_framing(
    status: str, headers: list[tuple[str, str]], serve: Callable[..., Any]
) -> None:
    served = serve(GzipMiddleware(make_app(status, headers, [])), headers={"Accept-Encoding": "gzip"})
    assert served.body == b""
    assert served.header("Content-Encoding") is None
    assert served.header("ETag") == dict(headers).get("ETag")


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_a_body_below_minimum_size_varies_with_nothing(method: str, serve: Callable[..., Any]) -> None:
    """Sent as it is whatever Accept-Encoding says: no Vary, on GET and on HEAD alike."""
    app = make_app(headers=[("Content-Type", "text/html"), ("Content-Length", str(len(BODY)))])
    served = serve(
        GzipMiddleware(app, minimum_size=len(BODY) + 1), method=method, headers={"Accept-Encoding": "gzip"}
    )
    assert served.header("Vary") is None and served.header("Content-Encoding") is None
    served = serve(
        GzipMiddleware(app, minimum_size=len(BODY)), method=method, headers={"Accept-Encoding": "gzip"}
    )
    assert served.header("Vary") == "Accept-Encoding"


def test_head_gets_no_body_and_no_encoding(serve: Callable[..., Any]) -> None:
    app = make_app(headers=[("Content-Type", "text/html"), ("Content-Length", str(len(BODY)))], chunks=[])
    served = serve(GzipMiddleware(app), method="HEAD", headers={"Accept-Encoding": "gzip"})
    assert served.body == b""
    assert served.header("Content-Encoding") is None
    assert served.header("Vary") == "Accept-Encoding"


def test_unknown_length_is_compressed_even_if_small(serve: Callable[..., Any]) -> None:
    served = serve(GzipMiddleware(make_app(chunks=[b"tiny"])), headers={"Accept-Encoding": "gzip"})
    assert served.header("Content-Encoding") == "gzip"
    assert gzip.decompress(served.body) == b"tiny"


@pytest.mark.parametrize(
    ("content_type", "compressed"),
    [
        ("text/css; charset=utf-8", True),
        ("application/json", True),
        ("application/problem+json", True),
        ("application/vnd.api+json", True),
        ("application/atom+xml", True),
        ("image/svg+xml", True),
        ("application/javascript", True),
        ("TEXT/PLAIN", True),
        ("application/x-www-form-urlencoded", False),
        ("image/jpeg", False),
        ("audio/ogg", False),
        ("multipart/form-data; boundary=x", False),
        ("garbage", False),
    ],
)
def test_default_type_allow_list(content_type: str, compressed: bool, serve: Callable[..., Any]) -> None:
    served = serve(
        GzipMiddleware(make_app(headers=[("Content-Type", content_type)])),
        headers={"Accept-Encoding": "gzip"},
    )
    assert (served.header("Content-Encoding") == "gzip") is compressed
    assert served.decoded() == BODY


def test_custom_types_replace_the_default(serve: Callable[..., Any]) -> None:
    middleware = GzipMiddleware(
        make_app(headers=[("Content-Type", "application/x-custom")]), types=["application/x-custom"]
    )
    assert serve(middleware, headers={"Accept-Encoding": "gzip"}).header("Content-Encoding") == "gzip"
    middleware = GzipMiddleware(make_app(headers=[("Content-Type", "text/html")]), types=["application/*"])
    assert serve(middleware, headers={"Accept-Encoding": "gzip"}).header("Content-Encoding") is None


def test_media_type_matcher_patterns() -> None:
    matcher = MediaTypeMatcher(["text/*", "+json", "*/*+xml", "application/wasm"])
    assert matcher("text/anything") and matcher("application/ld+json") and matcher("image/svg+xml")
    assert matcher("application/wasm; x=1") and not matcher("application/json") and not matcher(None)
    for bad in ["text", "/json", "a/b/c", "*/", "text/"]:
        with pytest.raises(ValueError):
            MediaTypeMatcher([bad])


# -- streaming -----------------------------------------------------------------------------------------------


def test_write_callable_data_is_compressed_in_order(serve: Callable[..., Any]) -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        write(b"A" * 1000)
        write(b"")
        return [b"B"]

    served = serve(GzipMiddleware(app), headers={"Accept-Encoding": "gzip"})
    assert gzip.decompress(served.body) == b"A" * 1000 + b"B"


def test_write_only_app(serve: Callable[..., Any]) -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])(BODY)
        return []

    assert gzip.decompress(serve(GzipMiddleware(app), headers={"Accept-Encoding": "gzip"}).body) == BODY


def test_first_chunk_leaves_before_the_second_is_produced(
    environ_for: Callable[..., Any], inflate: Callable[[bytes], bytes]
) -> None:
    produced: list[int] = []

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        for index in range(3):
            produced.append(index)
            yield f"chunk {index} ".encode() * 50

    from wsgiref.validate import validator

    environ = environ_for(headers={"Accept-Encoding": "gzip"})
    result = validator(GzipMiddleware(app))(environ, lambda s, h, e=None: None)
    try:
        iterator = iter(result)
        received = b""
        while not inflate(received):
            received += next(iterator)
        assert produced == [0]
        assert inflate(received) == b"chunk 0 " * 50
    finally:
        result.close()


def test_event_stream_is_flushed_per_chunk(serve: Callable[..., Any]) -> None:
    events = [f"data: {i}\n\n".encode() for i in range(5)]
    app = make_app(headers=[("Content-Type", "text/event-stream")], chunks=events)
    served = serve(GzipMiddleware(app), headers={"Accept-Encoding": "gzip"})
    decoder = zlib.decompressobj(31)
    decoded = [decoder.decompress(chunk) for chunk in served.chunks]
    assert decoded[: len(events)] == events


def test_flush_option_flushes_every_chunk(serve: Callable[..., Any]) -> None:
    chunks = [b"x" * 100, b"y" * 100, b"z" * 100]
    served = serve(GzipMiddleware(make_app(chunks=chunks), flush=True), headers={"Accept-Encoding": "gzip"})
    decoder = zlib.decompressobj(31)
    assert [decoder.decompress(chunk) for chunk in served.chunks][:3] == chunks


def test_lazy_generator_app(serve: Callable[..., Any]) -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(BODY)))])
        yield BODY

    served = serve(GzipMiddleware(app), headers={"Accept-Encoding": "gzip"})
    assert served.header("Content-Encoding") == "gzip"
    assert served.header("Content-Length") is None
    assert gzip.decompress(served.body) == BODY


def test_replacement_response_with_exc_info_is_decided_afresh(serve: Callable[..., Any]) -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        try:
            raise ValueError
        except ValueError:
            start_response("500 Internal Server Error", [("Content-Type", "image/png")], sys.exc_info())
        return [BODY]

    served = serve(GzipMiddleware(app), headers={"Accept-Encoding": "gzip"})
    assert served.status == "500 Internal Server Error"
    assert served.header("Content-Encoding") is None
    assert served.body == BODY


@pytest.mark.parametrize(("encoding", "package"), CODEC_PACKAGES.items())
def test_optional_codecs(
    encoding: str, package: str, serve: Callable[..., Any], python_package: Callable[[str, str], None]
) -> None:
    python_package(package, "pip install -e '.[compress]'")
    served = serve(
        GzipMiddleware(make_app(chunks=[BODY, BODY])), headers={"Accept-Encoding": f"{encoding}, gzip;q=0.5"}
    )
    assert served.header("Content-Encoding") == encoding
    assert served.decoded() == BODY * 2


def test_encodings_option_limits_the_offer(serve: Callable[..., Any]) -> None:
    served = serve(GzipMiddleware(make_app(), encodings=["gzip"]), headers={"Accept-Encoding": "br"})
    assert served.header("Content-Encoding") is None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    chunks=st.lists(st.binary(max_size=2000) | st.sampled_from([b"", b"a", b"ab" * 700]), max_size=25),
    flush=st.booleans(),
    level=st.integers(1, 9),
    engine=st.sampled_from(gzip_engines()),
)
def test_round_trip_property(
    chunks: list[bytes], flush: bool, level: int, engine: str, serve: Callable[..., Any]
) -> None:
    from wsgiref.validate import validator

    app = validator(make_app(headers=[("Content-Type", "text/plain")], chunks=chunks))
    middleware = GzipMiddleware(app, level=level, flush=flush, engine=engine)
    served = serve(middleware, headers={"Accept-Encoding": "gzip"})
    assert served.error is None
    assert served.header("Content-Length") is None
    assert gzip.decompress(served.body) == b"".join(chunks)


# -- deflate engines ---------------------------------------------------------------------------------------

JSON_BODY = b"".join(
    b'{"id":"%08x-1f2e-4d3c-8b4a-%012x","name":"web-%d","status":"ACTIVE","links":[{"rel":"self",'
    b'"href":"http://compute.example.com/v2.1/servers/%d"}]},' % (i * 7919, i * 104729, i, i)
    for i in range(40)
)


def installed(engine: str) -> bool:
    """Whether ``engine``'s module imports here, asked of the import system rather than of wsgikit."""
    module = {"isal": "isal", "zlib-ng": "zlib_ng", "zlib": "zlib"}[engine]
    return importlib.util.find_spec(module) is not None


@pytest.fixture
def no_fast_engines(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Make ``isal`` and ``zlib_ng`` unimportable, as on a machine without the ``compress`` extra."""
    for module in ("isal", "isal.isal_zlib", "zlib_ng", "zlib_ng.zlib_ng"):
        monkeypatch.setitem(sys.modules, module, None)
    _encoding._engine_module.cache_clear()
    yield
    monkeypatch.undo()
    _encoding._engine_module.cache_clear()


def test_the_fastest_installed_engine_is_chosen() -> None:
    expected = next(engine for engine in GZIP_ENGINES if installed(engine))
    assert gzip_engines()[0] == expected
    assert GzipMiddleware(make_app()).gzip_engine == expected


@pytest.mark.usefixtures("no_fast_engines")
def test_without_the_compress_extra_the_stdlib_is_used(serve: Callable[..., Any]) -> None:
    assert gzip_engines() == ("zlib",)
    middleware = GzipMiddleware(make_app(headers=[("Content-Type", "application/json")], chunks=[JSON_BODY]))
    assert middleware.gzip_engine == "zlib"
    served = serve(middleware, headers={"Accept-Encoding": "gzip"})
    assert served.header("Content-Encoding") == "gzip"
    assert gzip.decompress(served.body) == JSON_BODY
    with pytest.raises(ValueError, match=r"^engine: isal needs the isal package"):
        GzipMiddleware(make_app(), engine="isal")
    with pytest.raises(ConfigError, match="zlib-ng needs the zlib-ng package"):
        filter_factory({"__file__": "paste.ini"}, engine="zlib-ng")


@pytest.mark.parametrize("engine", GZIP_ENGINES)
@pytest.mark.parametrize("level", [1, 6, 9])
def test_every_engine_writes_standard_gzip(engine: str, level: int, serve: Callable[..., Any]) -> None:
    if not installed(engine):
        pytest.skip(f"{engine} is not installed (pip install wsgikit[compress])")
    app = make_app(headers=[("Content-Type", "application/json")], chunks=[JSON_BODY[:700], JSON_BODY[700:]])
    middleware = GzipMiddleware(app, level=level, engine=engine)
    assert middleware.gzip_engine == engine
    served = serve(middleware, headers={"Accept-Encoding": "gzip"})
    assert served.header("Content-Encoding") == "gzip"
    assert served.body[:2] == b"\x1f\x8b"  # gzip magic, as RFC 1952 and every client expect
    assert gzip.decompress(served.body) == JSON_BODY
    assert len(served.body) < len(JSON_BODY) / 3


@pytest.mark.parametrize("engine", GZIP_ENGINES)
def test_every_engine_sync_flushes(engine: str) -> None:
    if not installed(engine):
        pytest.skip(f"{engine} is not installed (pip install wsgikit[compress])")
    compressor = make_compressor("gzip", 6, engine)
    first = compressor.compress(b"first chunk ") + compressor.flush()
    decoder = zlib.decompressobj(31)
    assert decoder.decompress(first) == b"first chunk "  # decodable before the stream ends
    rest = compressor.compress(b"second") + compressor.finish()
    assert decoder.decompress(rest) == b"second" and decoder.eof


LARGE_JSON = JSON_BODY * 5  # 22 KB: above LARGE_BODY


def expected_gzip(
    chunks: list[bytes], level: int, engine: str, *, large: bool = False, flush_first: bool = False
) -> bytes:
    """What GzipMiddleware sends for ``chunks`` with one engine, computed directly: one continuous stream
    for a list body, the first chunk sync-flushed for a streamed one."""
    compressor = make_compressor("gzip", level, engine, large=large)
    out = [compressor.compress(chunks[0]) + (compressor.flush() if flush_first else b"")]
    out += [compressor.compress(chunk) for chunk in chunks[1:]]
    return b"".join(out) + compressor.finish()


def json_app(body: bytes, chunks: int = 2, *, length: bool = True) -> tuple[Callable[..., Any], list[bytes]]:
    size = -(-len(body) // chunks)
    pieces = [body[i : i + size] for i in range(0, len(body), size)]
    headers = [("Content-Type", "application/json")]
    if length:
        headers.append(("Content-Length", str(len(body))))
    return make_app(headers=headers, chunks=pieces), pieces


@pytest.mark.skipif(not (installed("isal") and installed("zlib-ng")), reason="needs isal and zlib-ng")
@pytest.mark.parametrize("level", [4, 5, 6])
def test_auto_engine_sends_large_bodies_to_zlib_ng(level: int, serve: Callable[..., Any]) -> None:
    app, pieces = json_app(LARGE_JSON)
    middleware = GzipMiddleware(app, level=level)
    assert (middleware.gzip_engine, middleware.large_body_engine) == ("isal", "zlib-ng")
    served = serve(middleware, headers={"Accept-Encoding": "gzip"})
    assert gzip.decompress(served.body) == LARGE_JSON
    assert served.body == expected_gzip(pieces, level, "zlib-ng", large=True)
    assert served.body != expected_gzip(pieces, level, "isal")
    # zlib-ng's level 2, not the level given: that is what keeps it 3-4x faster than zlib 6
    assert served.body == expected_gzip(pieces, 2, "zlib-ng")


@pytest.mark.skipif(not (installed("isal") and installed("zlib-ng")), reason="needs isal and zlib-ng")
@pytest.mark.parametrize(
    ("body", "length", "level", "engine"),
    [
        (JSON_BODY, True, 6, None),  # 4.4 KB: below LARGE_BODY
        (LARGE_JSON[: _encoding.LARGE_BODY - 1], True, 6, None),  # one byte short of it
        (LARGE_JSON, False, 6, None),  # no Content-Length: the size is not known when the engine is chosen
        (LARGE_JSON, True, 7, None),  # levels 7-9 stay with ISA-L's level 3
        (LARGE_JSON, True, 3, None),  # levels 1-3 with ISA-L's level 1
        (LARGE_JSON, True, 6, "isal"),  # an engine asked for is the engine used
    ],
)
def test_auto_engine_keeps_isal(
    body: bytes, length: bool, level: int, engine: str | None, serve: Callable[..., Any]
) -> None:
    app, pieces = json_app(body, length=length)
    middleware = GzipMiddleware(app, level=level, engine=engine)
    served = serve(middleware, headers={"Accept-Encoding": "gzip"})
    assert gzip.decompress(served.body) == body
    assert served.body == expected_gzip(pieces, level, "isal")


def test_exactly_large_body_goes_to_the_large_body_engine(serve: Callable[..., Any]) -> None:
    body = LARGE_JSON[: _encoding.LARGE_BODY]
    app, pieces = json_app(body)
    middleware = GzipMiddleware(app, level=6)
    served = serve(middleware, headers={"Accept-Encoding": "gzip"})
    assert gzip.decompress(served.body) == body
    engine = middleware.large_body_engine or middleware.gzip_engine
    assert served.body == expected_gzip(pieces, 6, engine, large=middleware.large_body_engine is not None)


@pytest.mark.usefixtures("no_fast_engines")
def test_without_the_fast_engines_large_bodies_stay_with_zlib(serve: Callable[..., Any]) -> None:
    assert _encoding.large_body_engine(6, "isal") is None
    app, pieces = json_app(LARGE_JSON)
    middleware = GzipMiddleware(app, level=6)
    assert (middleware.gzip_engine, middleware.large_body_engine) == ("zlib", None)
    served = serve(middleware, headers={"Accept-Encoding": "gzip"})
    assert served.body == expected_gzip(pieces, 6, "zlib")


@pytest.mark.parametrize("engine", GZIP_ENGINES)
@pytest.mark.parametrize("kind", [list, tuple, iter])
def test_a_list_body_is_one_stream_a_streamed_one_flushes_its_first_chunk(
    engine: str, kind: Callable[[list[bytes]], Any], serve: Callable[..., Any]
) -> None:
    if not installed(engine):
        pytest.skip(f"{engine} is not installed (pip install wsgikit[compress])")
    pieces = [JSON_BODY[:700], JSON_BODY[700:]]

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        start_response("200 OK", [("Content-Type", "application/json")])
        return kind(pieces)

    served = serve(GzipMiddleware(app, engine=engine), headers={"Accept-Encoding": "gzip"})
    assert gzip.decompress(served.body) == JSON_BODY
    # every chunk of a list is there already: no flush to make the first decodable early, which would
    # cost a second deflate call; an iterator's next chunk may take a while, so its first is flushed
    assert served.body == expected_gzip(pieces, 6, engine, flush_first=kind is iter)


@pytest.mark.parametrize("engine", GZIP_ENGINES)
@pytest.mark.parametrize("kind", [list, tuple])
@pytest.mark.parametrize("body", [b"", JSON_BODY, LARGE_JSON], ids=["empty", "4KB", "22KB"])
def test_a_body_in_one_chunk_is_compressed_in_one_call(
    engine: str, kind: Callable[[list[bytes]], Any], body: bytes, serve: Callable[..., Any]
) -> None:
    if not installed(engine):
        pytest.skip(f"{engine} is not installed (pip install wsgikit[compress])")

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        start_response("200 OK", [("Content-Type", "application/json")])
        return kind([body])

    served = serve(GzipMiddleware(app, engine=engine), headers={"Accept-Encoding": "gzip"})
    assert served.header("Content-Encoding") == "gzip"
    assert served.chunks == [served.body]  # one chunk out for one chunk in
    assert served.body[:2] == b"\x1f\x8b"
    assert gzip.decompress(served.body) == body
    # the same engine and level as the stream would use: the one-shot output is the engine's own
    module = _encoding._engine_module(engine)
    assert served.body == module.compress(body, _encoding._ISAL_LEVELS[6] if engine == "isal" else 6, 31)


@pytest.mark.skipif(not (installed("isal") and installed("zlib-ng")), reason="needs isal and zlib-ng")
def test_a_large_body_in_one_chunk_goes_to_zlib_ng_without_a_content_length(
    serve: Callable[..., Any],
) -> None:
    # all of it is there, so its size is known even when the application declares none
    app, _ = json_app(LARGE_JSON, chunks=1, length=False)
    served = serve(GzipMiddleware(app), headers={"Accept-Encoding": "gzip"})
    assert served.body == _encoding._engine_module("zlib-ng").compress(LARGE_JSON, 2, 31)
    app, _ = json_app(JSON_BODY, chunks=1, length=False)
    served = serve(GzipMiddleware(app), headers={"Accept-Encoding": "gzip"})
    assert served.body == _encoding._engine_module("isal").compress(JSON_BODY, 2, 31)


@pytest.mark.parametrize("encoding", ["gzip", "br", "zstd"])
def test_write_then_one_chunk_is_one_stream(
    encoding: str, serve: Callable[..., Any], python_package: Callable[[str, str], None]
) -> None:
    if encoding in CODEC_PACKAGES:
        python_package(CODEC_PACKAGES[encoding], "pip install -e '.[compress]'")

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "application/json")])(JSON_BODY[:100])
        return [JSON_BODY[100:]]

    served = serve(GzipMiddleware(app), headers={"Accept-Encoding": encoding})
    assert served.header("Content-Encoding") == encoding
    assert served.decoded() == JSON_BODY


@pytest.mark.parametrize("encoding", ["br", "zstd"])
def test_other_codings_compress_one_chunk_in_one_call(
    encoding: str, serve: Callable[..., Any], python_package: Callable[[str, str], None]
) -> None:
    python_package(CODEC_PACKAGES[encoding], "pip install -e '.[compress]'")
    served = serve(GzipMiddleware(make_app(chunks=[BODY])), headers={"Accept-Encoding": encoding})
    assert served.header("Content-Encoding") == encoding
    assert len(served.chunks) == 1
    assert served.decoded() == BODY


def test_engine_option_is_checked() -> None:
    with pytest.raises(ValueError, match=r"^engine: expected one of isal, zlib-ng, zlib"):
        GzipMiddleware(make_app(), engine="pigz")
    assert filter_factory({}, engine="zlib")(make_app()).gzip_engine == "zlib"
    assert filter_factory({}, engine="auto")(make_app()).gzip_engine == gzip_engines()[0]
    with pytest.raises(ConfigError, match="engine"):
        filter_factory({"__file__": "paste.ini"}, engine="pigz")


# -- options -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "option"),
    [
        ({"level": 0}, "level"),
        ({"level": 10}, "level"),
        ({"level": "6"}, "level"),
        ({"level": True}, "level"),
        ({"minimum_size": -1}, "minimum_size"),
        ({"types": "text/*"}, "types"),
        ({"types": ["text"]}, "types"),
        ({"encodings": ["lzma"]}, "encodings"),
        ({"encodings": []}, "encodings"),
    ],
)
def test_bad_options_name_the_option(kwargs: dict[str, Any], option: str) -> None:
    with pytest.raises(ValueError, match=f"^{option}:"):
        GzipMiddleware(make_app(), **kwargs)


def test_factory_converts_ini_strings() -> None:
    make = filter_factory({}, level="9", minimum_size="1KB", types="text/* application/json", flush="true")
    middleware = make(make_app())
    assert (middleware.level, middleware.minimum_size, middleware.flush) == (9, 1000, True)
    assert middleware.types("application/json") and not middleware.types("image/svg+xml")


@pytest.mark.parametrize(
    ("conf", "message"),
    [
        ({"levle": "5"}, "did you mean 'level'"),
        ({"level": "11"}, "at most 9"),
        ({"minimum_size": "lots"}, "size"),
        ({"types": "text"}, "not a media type"),
        ({"flush": "maybe"}, "boolean"),
    ],
)
def test_factory_rejects_bad_config_at_load_time(conf: dict[str, str], message: str) -> None:
    with pytest.raises((ConfigError, ValueError), match=message):
        filter_factory({"__file__": "paste.ini"}, **conf)


def test_through_testapp_for_identity_clients() -> None:
    response = TestApp(GzipMiddleware(make_app())).get("/")
    assert response.body == BODY
    assert response.headers["Vary"] == "Accept-Encoding"


def test_write_callable_on_an_uncompressed_response(serve: Callable[..., Any]) -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "image/png")])(b"\x89PNG" * 300)
        return [b"!"]

    served = serve(GzipMiddleware(app), headers={"Accept-Encoding": "gzip"})
    assert served.header("Content-Encoding") is None
    assert served.body == b"\x89PNG" * 300 + b"!"
