from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from wsgikit.deploy.components.lint import filter_factory
from wsgikit.deploy.options import ConfigError
from wsgikit.middleware.lint import LintMiddleware
from wsgikit.testing import TestApp


def good(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"fine"]


def test_valid_traffic_passes() -> None:
    assert TestApp(LintMiddleware(good)).get("/").text == "fine"


BAD_APPS: dict[str, Callable[..., Any]] = {
    "str-body": lambda e, sr: (sr("200 OK", [("Content-Type", "text/plain")]), ["text"])[1],
    "bad-status": lambda e, sr: (sr("099 Too Low", [("Content-Type", "text/plain")]), [b""])[1],
    "no-content-type": lambda e, sr: (sr("200 OK", []), [b""])[1],
    "content-type-on-204": lambda e, sr: (sr("204 No Content", [("Content-Type", "text/plain")]), [])[1],
    "header-tuple-types": lambda e, sr: (sr("200 OK", [("Content-Type", b"text/plain")]), [b""])[1],
    "never-starts": lambda e, sr: [b"x"],
}


@pytest.mark.parametrize("name", list(BAD_APPS))
def test_violations_raise(name: str, environ_for: Callable[..., Any]) -> None:
    app = LintMiddleware(BAD_APPS[name])
    with pytest.raises(AssertionError):
        result = app(environ_for(), lambda status, headers, exc_info=None: None)
        try:
            list(result)
        finally:
            result.close()


def test_input_read_without_size_is_flagged(environ_for: Callable[..., Any]) -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        environ["wsgi.input"].read()  # PEP 3333 servers may hang on this
        return good(environ, start_response)

    with pytest.raises(AssertionError):
        LintMiddleware(app)(environ_for(method="POST", body=b"abc"), lambda *a: None)


def test_factory_has_no_options() -> None:
    assert isinstance(filter_factory({})(good), LintMiddleware)
    with pytest.raises(ConfigError, match="unknown option for lint"):
        filter_factory({"__file__": "paste.ini"}, strict="true")


def test_questionable_status_warns(environ_for: Callable[..., Any]) -> None:
    from wsgiref.validate import WSGIWarning

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("200", [("Content-Type", "text/plain")])
        return [b""]

    with pytest.warns(WSGIWarning):
        LintMiddleware(app)(environ_for(), lambda *a: None).close()
