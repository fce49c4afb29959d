"""wsgikit.testing.TestApp validates every request with wsgiref.validate."""

from __future__ import annotations

from pathlib import Path

import pytest

from wsgikit.testing import TestApp
from wsgikit.types import StartResponse, WSGIEnvironment, WSGIIterable


def bad_status(environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
    start_response("OK", [])  # not "200 OK": PEP 3333 violation
    return [b""]


def test_pep3333_violations_fail_the_test() -> None:
    with pytest.raises(AssertionError):
        TestApp(bad_status).get("/")


def test_loads_a_paste_deploy_uri(tmp_path: Path) -> None:
    config = tmp_path / "app.ini"
    config.write_text("[app:main]\nuse = egg:wsgikit-hello\n")
    app = TestApp(f"config:{config}")
    assert app.get("/").text == "Hello from wsgikit!\n"
    assert app.get("/hello/ada").json == {"hello": "ada"}
    app.get("/missing", status=404)
