"""wsgikit.stack: building and describing pipelines in Python."""

from __future__ import annotations

from typing import Any

import pytest

from wsgikit import wsgify
from wsgikit.stack import Stack, build, describe
from wsgikit.testing import TestApp
from wsgikit.types import StartResponse, WSGIApplication, WSGIEnvironment, WSGIIterable


class Tag:
    """Appends its name to X-Order on the way in (request header) and out (response header)."""

    def __init__(self, app: WSGIApplication, *, name: str = "tag") -> None:
        self.app = app
        self.name = name

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
        environ["HTTP_X_ORDER"] = environ.get("HTTP_X_ORDER", "") + self.name + ">"

        def tagging(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            headers.append(("X-Out", self.name))
            return start_response(status, headers, exc_info)

        return self.app(environ, tagging)


@wsgify
def app(req: Any) -> str:
    return req.headers.get("X-Order", "")


def test_outermost_first() -> None:
    wrapped = Stack((Tag, {"name": "outer"}), (Tag, {"name": "inner"})).wrap(app)
    res = TestApp(wrapped).get("/")
    assert res.text == "outer>inner>"
    assert res.headers.getall("X-Out") == ["inner", "outer"]


def test_build_and_describe() -> None:
    wrapped = build(app, [(Tag, {"name": "a"}), Tag])
    text = describe(wrapped)
    assert text.splitlines() == ["Tag(name='a')", "└─ Tag", "   └─ app"]
    stack = Stack((Tag, {"name": "a"}))
    assert stack.describe(app) == "Tag(name='a')\n└─ app"
    assert len(stack) == 1
    assert "Tag(name='a')" in repr(stack)


@pytest.mark.parametrize("bad", [("not callable", {}), (Tag,), (Tag, "options"), 42])
def test_bad_layers_are_rejected(bad: Any) -> None:
    with pytest.raises(TypeError, match="layer 0"):
        Stack(bad)
