"""The PEP 3333 conformance matrix: every wsgikit filter x a set of hostile inner applications.

The registry is built from the ``paste.filter_factory`` entry points of the ``wsgikit`` distribution, so
a new middleware joins the matrix by being declared in pyproject.toml. Filters that need options get them
from ``SAMPLE_CONF``; a filter that needs options and has none there fails (it is never skipped).

Each cell runs one request through ``validator(filter(validator(hostile_app)))`` in a small recording
server (see conftest.py) and checks what every wrapper owes, whatever it does:

* the inner iterable is closed exactly once;
* no body on HEAD, 204 and 304;
* a Content-Length equals the bytes sent;
* no status after the headers went out (a late ``start_response`` is rejected and the failure reaches the
  server, with no body after it);
* an error after the first body byte reaches the server (a truncated response), never a completed one;
* an error before the first byte ends as a 5xx or reaches the server, never as a 2xx;
* a well-behaved response arrives with the body the application produced (after Content-Encoding).
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest
from cycles import cyclic_garbage

# Entry points whose module is still being written; each is excluded only while its module does not
# import. Empty this set once every declared filter exists.
PENDING: set[str] = set()

# Paste spellings that point at the same factory as a wsgikit name; the matrix runs the wsgikit name.
ALIASES = {"auth_basic": "basic_auth", "error_catcher": "errors", "translogger": "access_log"}


@dataclass
class Sample:
    """What a filter needs to let a plain request through to the inner app."""

    conf: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


def _basic_auth(tmp_path: Path) -> Sample:
    import bcrypt

    hashed = bcrypt.hashpw(b"s3cret", bcrypt.gensalt(rounds=4)).decode()
    htpasswd = tmp_path / "htpasswd"
    htpasswd.write_text(f"alice:{hashed}\n")
    credentials = base64.b64encode(b"alice:s3cret").decode()
    return Sample({"htpasswd": str(htpasswd)}, {"Authorization": f"Basic {credentials}"})


def _token_auth(tmp_path: Path) -> Sample:
    tokens = tmp_path / "tokens"
    digest = hashlib.sha256(b"tok-123").hexdigest()
    tokens.write_text(f"{digest} alice demo member,reader\n")
    return Sample({"tokens_file": str(tokens)}, {"X-Auth-Token": "tok-123"})


SAMPLE_CONF: dict[str, Callable[[Path], Sample]] = {
    "basic_auth": _basic_auth,
    "token_auth": _token_auth,
    "noauth": lambda _: Sample({"user": "alice", "project": "demo", "roles": "member"}),
    "cors": lambda _: Sample({"allowed_origins": "https://app.example"}, {"Origin": "https://app.example"}),
    "versions": lambda _: Sample({"service": "compute", "min_version": "2.1", "max_version": "2.90"}),
}


def _importable(value: str) -> bool:
    module = value.partition(":")[0]
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


def _registry() -> dict[str, Any]:
    """``{name: entry point}`` for every wsgikit filter, aliases folded into their wsgikit name."""
    found: dict[str, Any] = {}
    for ep in entry_points(group="paste.filter_factory"):
        if ep.dist is None or ep.dist.name != "wsgikit" or ep.name in ALIASES:
            continue
        if ep.name in PENDING and not _importable(ep.value):
            continue
        found[ep.name] = ep
    return dict(sorted(found.items()))


REGISTRY = _registry()


def build_filter(name: str, tmp_path: Path) -> tuple[Callable[[Any], Any], dict[str, str]]:
    sample = SAMPLE_CONF.get(name, lambda _: Sample())(tmp_path)
    factory = REGISTRY[name].load()
    return factory(
        {"__file__": str(tmp_path / "paste.ini"), "here": str(tmp_path)}, **sample.conf
    ), sample.headers


# -- hostile inner applications ------------------------------------------------------------------------


class Body:
    """A response iterable with a separate iterator and a counted ``close()``.

    :param before: called at the first ``next()`` (a lazy ``start_response``).
    :param fail_at: index of the chunk that raises instead of being produced.
    :param after_first: called right after the first chunk was taken.
    """

    def __init__(
        self,
        chunks: list[bytes],
        *,
        before: Callable[[], object] | None = None,
        fail_at: int | None = None,
        after_first: Callable[[], object] | None = None,
    ) -> None:
        self.chunks = chunks
        self.before = before
        self.fail_at = fail_at
        self.after_first = after_first
        self.closed = 0

    def __iter__(self) -> Iterator[bytes]:
        if self.before is not None:
            self.before()
        for index, chunk in enumerate(self.chunks):
            if index == self.fail_at:
                raise RuntimeError("boom")
            yield chunk
            if index == 0 and self.after_first is not None:
                self.after_first()

    def close(self) -> None:
        self.closed += 1


TEXT = [b"alpha " * 60, b"beta " * 60, b"gamma " * 60]
TEXT_BODY = b"".join(TEXT)
PLAIN = [("Content-Type", "text/plain; charset=utf-8")]


@dataclass
class Hostile:
    """One hostile inner app; ``make()`` returns a fresh app and the probe that records its body."""

    name: str
    make: Callable[[], tuple[Callable[..., Any], dict[str, Any]]]
    method: str = "GET"
    fails: str | None = None  # "before" / "after" the first body byte
    body: bytes | None = TEXT_BODY  # expected (decoded) body when the response completes
    no_body: bool = False
    stop_after: int | None = None  # the client goes away after this many chunks


def _app(build: Callable[[Callable[..., Any], dict[str, Any]], Any]) -> Callable[[], Any]:
    def make() -> tuple[Callable[..., Any], dict[str, Any]]:
        probe: dict[str, Any] = {}

        def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
            probe["body"] = build(start_response, probe)
            return probe["body"]

        return app, probe

    return make


def _counted(start_response: Callable[..., Any], probe: dict[str, Any]) -> Body:
    start_response("200 OK", [*PLAIN, ("Content-Length", str(len(TEXT_BODY)))])
    return Body(list(TEXT))


def _lazy(start_response: Callable[..., Any], probe: dict[str, Any]) -> Body:
    return Body(list(TEXT), before=lambda: start_response("200 OK", list(PLAIN)))


def _write(start_response: Callable[..., Any], probe: dict[str, Any]) -> Body:
    write = start_response("200 OK", list(PLAIN))
    write(b"A" * 1000)
    return Body([b"B" * 10])


def _fail_before(start_response: Callable[..., Any], probe: dict[str, Any]) -> Body:
    start_response("200 OK", [("Content-Type", "application/json")])
    return Body([b'{"a":', b"1}"], fail_at=0)


def _fail_after(start_response: Callable[..., Any], probe: dict[str, Any]) -> Body:
    start_response("200 OK", [("Content-Type", "application/json")])
    return Body([b'{"a":', b"1}"], fail_at=1)


def _exc_info_before_body(start_response: Callable[..., Any], probe: dict[str, Any]) -> Body:
    start_response("200 OK", list(PLAIN))
    try:
        raise ValueError("changed my mind")
    except ValueError:
        start_response("503 Service Unavailable", list(PLAIN), sys.exc_info())
    return Body(list(TEXT))


def _exc_info_after_body(start_response: Callable[..., Any], probe: dict[str, Any]) -> Body:
    def fail_late() -> None:
        try:
            raise ValueError("too late")
        except ValueError:
            start_response("500 Internal Server Error", list(PLAIN), sys.exc_info())

    start_response("200 OK", list(PLAIN))
    return Body(list(TEXT), after_first=fail_late)


def _head(start_response: Callable[..., Any], probe: dict[str, Any]) -> Body:
    start_response("200 OK", [*PLAIN, ("Content-Length", str(len(TEXT_BODY)))])
    return Body([])


def _no_content(start_response: Callable[..., Any], probe: dict[str, Any]) -> Body:
    start_response("204 No Content", [("ETag", '"v1"')])
    return Body([])


def _not_modified(start_response: Callable[..., Any], probe: dict[str, Any]) -> Body:
    start_response("304 Not Modified", [("ETag", '"v1"'), ("Cache-Control", "max-age=60")])
    return Body([])


def _raise_in_call(start_response: Callable[..., Any], probe: dict[str, Any]) -> Body:
    raise RuntimeError("boom before anything")


HOSTILE = [
    Hostile("counted-iterable-with-length", _app(_counted)),
    Hostile("client-gone-after-first-chunk", _app(_counted), stop_after=1),
    Hostile("lazy-start-response", _app(_lazy)),
    Hostile("write-callable", _app(_write), body=b"A" * 1000 + b"B" * 10),
    Hostile("fails-before-first-chunk", _app(_fail_before), fails="before"),
    Hostile("fails-after-first-chunk", _app(_fail_after), fails="after"),
    Hostile("raises-in-call", _app(_raise_in_call), fails="before"),
    Hostile("exc-info-before-body", _app(_exc_info_before_body)),
    Hostile("exc-info-after-body", _app(_exc_info_after_body), fails="after"),
    Hostile("head", _app(_head), method="HEAD", no_body=True),
    Hostile("204", _app(_no_content), no_body=True),
    Hostile("304", _app(_not_modified), no_body=True),
]


# -- the matrix ------------------------------------------------------------------------------------------


def _stack(names: list[str], tmp_path: Path) -> tuple[Callable[[Any], Any], dict[str, str]]:
    filters = [build_filter(name, tmp_path) for name in names]
    headers: dict[str, str] = {}
    for _, extra in filters:
        headers.update(extra)

    def wrap(app: Any) -> Any:
        for make, _ in reversed(filters):
            app = make(app)
        return app

    return wrap, headers


@pytest.mark.parametrize("hostile", HOSTILE, ids=lambda h: h.name)
@pytest.mark.parametrize("name", [*REGISTRY, "stack-of-all"])
def test_conformance(name: str, hostile: Hostile, tmp_path: Path, serve: Callable[..., Any]) -> None:
    from wsgiref.validate import validator

    if name == "stack-of-all":
        make_filter, headers = _stack(list(REGISTRY), tmp_path)
    else:
        make_filter, headers = build_filter(name, tmp_path)
    app, probe = hostile.make()
    served = serve(
        make_filter(validator(app)),
        "/resource",
        method=hostile.method,
        headers={"Accept-Encoding": "gzip", "Accept": "application/json", **headers},
        REMOTE_ADDR="192.0.2.10",
        stop_after=hostile.stop_after,
    )

    if "body" in probe:  # the app returned an iterable: it must be closed exactly once
        assert probe["body"].closed == 1, f"inner close() called {probe['body'].closed} times"
    assert all(with_exc_info for _, with_exc_info in served.late_calls), "status sent after headers"
    if served.late_calls:
        assert served.error is not None, "a rejected late start_response must end the response"
        assert served.chunks_after_rejection == 0, "body chunks sent after a rejected status"
    if hostile.fails == "after":
        assert served.error is not None, "an error after the first byte must reach the server"
    elif hostile.fails == "before":
        assert served.error is not None or served.code >= 500, f"error answered {served.status}"
    else:
        assert served.error is None, f"{served.error!r}"
    if served.error is None and hostile.stop_after is None:
        if hostile.no_body or hostile.method == "HEAD":
            assert served.body == b""
            assert served.header("Content-Encoding") is None or hostile.method == "HEAD"
        length = served.header("Content-Length")
        if length is not None and hostile.method != "HEAD":
            assert int(length) == len(served.body)
        if hostile.fails is None and not hostile.no_body and served.code < 300:
            assert served.decoded() == hostile.body


def test_registry_covers_every_declared_filter() -> None:
    declared = {
        ep.name for ep in entry_points(group="paste.filter_factory") if ep.dist and ep.dist.name == "wsgikit"
    }
    missing = declared - set(REGISTRY) - set(ALIASES) - PENDING
    assert not missing, f"declared filters outside the matrix: {sorted(missing)}"
    assert {"errors", "gzip", "request_id", "access_log", "sizelimit", "lint"} <= set(REGISTRY)


def test_aliases_load_the_same_factory() -> None:
    eps = {
        ep.name: ep
        for ep in entry_points(group="paste.filter_factory")
        if ep.dist and ep.dist.name == "wsgikit"
    }
    for alias, name in ALIASES.items():
        if name in REGISTRY:
            assert eps[alias].value == eps[name].value


def test_every_registered_filter_has_an_option_table() -> None:
    for name, ep in REGISTRY.items():
        module = importlib.import_module(ep.value.partition(":")[0])
        assert hasattr(module, "OPTIONS"), f"{name}: no OPTIONS table in {module.__name__}"


def test_hostile_apps_behave_as_described_without_middleware(serve: Callable[..., Any]) -> None:
    """The matrix's expectations hold for the bare apps: the hostile apps are valid WSGI."""
    from wsgiref.validate import validator

    for hostile in HOSTILE:
        app, probe = hostile.make()
        served = serve(validator(app), method=hostile.method)
        if "body" in probe:
            assert probe["body"].closed == 1, hostile.name
        assert (served.error is not None) == (hostile.fails is not None), hostile.name


def _list_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    start_response("200 OK", [*PLAIN, ("Content-Length", str(len(TEXT_BODY)))])
    return list(TEXT)


def _generator_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
    start_response("200 OK", list(PLAIN))
    yield from TEXT


@pytest.mark.parametrize("app", [_list_app, _generator_app], ids=["list", "generator"])
@pytest.mark.parametrize("name", [*REGISTRY, "stack-of-all"])
def test_requests_leave_no_reference_cycles(
    name: str, app: Any, tmp_path: Path, environ_for: Callable[..., Any]
) -> None:
    """A request's objects (the environ, the server's input, each layer's body) are freed by reference
    counting when the server lets go of them: a cycle among them would leave the whole request for the
    cyclic collector, which under a busy server runs every few requests and walks all that is left."""
    if name == "stack-of-all":
        make_filter, headers = _stack(list(REGISTRY), tmp_path)
    else:
        make_filter, headers = build_filter(name, tmp_path)
    wrapped = make_filter(app)

    def one_request() -> None:
        environ = environ_for(
            "/resource",
            headers={"Accept-Encoding": "gzip", "Accept": "application/json", **headers},
        )
        environ["REMOTE_ADDR"] = "192.0.2.10"
        body = wrapped(environ, lambda status, headers, exc_info=None: None)
        try:
            b"".join(body)
        finally:
            getattr(body, "close", lambda: None)()

    garbage = cyclic_garbage(one_request)
    assert garbage == []
