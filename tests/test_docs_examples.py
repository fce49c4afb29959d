"""The Python examples of every docs page run, so the docs cannot rot.

Every ``.. code-block:: python`` block of every page is executed on its own (the tutorial, whose blocks build
on each other, has its own test in tests/examples/test_tutorial.py).
"""

from __future__ import annotations

import re
import sys
import textwrap
import types
from pathlib import Path

import pytest

from wsgikit.types import StartResponse, WSGIEnvironment, WSGIIterable

DOCS = Path(__file__).resolve().parent.parent / "docs"
PAGES = sorted(
    str(path.relative_to(DOCS))
    for path in DOCS.rglob("*.rst")
    if "_build" not in path.parts
    and path.name != "tutorial.rst"
    and ".. code-block:: python" in path.read_text()
)
BLOCK = re.compile(r"^\.\. code-block:: python\n\n((?:(?:   .*)?\n)+)", re.MULTILINE)


def python_blocks(page: str) -> list[str]:
    text = (DOCS / page).read_text(encoding="utf-8")
    return [textwrap.dedent(match.group(1)) for match in BLOCK.finditer(text)]


# Blocks that show deployment code against the reader's own files or that serve forever; what they do is
# tested elsewhere (tests/deploy, tests/test_servers.py, tests/middleware/test_static.py).
NOT_EXECUTED = {
    ("deploy/paste-ini.rst", 0): "loads the reader's paste.ini",
    ("deploy/servers.rst", 0): "serves until SIGTERM",
    ("middleware/static.rst", 0): "serves the reader's /srv directory",
}


def placeholder_app(environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
    """What middleware examples wrap: ``api``, ``app`` and ``admin_app`` stand for the reader's app."""
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"the application"]


@pytest.mark.parametrize("page", PAGES)
def test_page_has_examples(page: str) -> None:
    assert python_blocks(page), f"{page} has no python examples"


@pytest.mark.parametrize(
    ("page", "index"),
    [
        (page, index)
        for page in PAGES
        for index in range(len(python_blocks(page)))
        if (page, index) not in NOT_EXECUTED
    ],
)
def test_example_runs(page: str, index: int) -> None:
    code = python_blocks(page)[index]
    module = types.ModuleType(f"docs_example_{index}")
    module.__dict__.update(api=placeholder_app, app=placeholder_app, admin_app=placeholder_app)
    sys.modules[module.__name__] = module  # dataclasses look their module up
    try:
        exec(compile(code, f"{page}[{index}]", "exec"), module.__dict__)
    finally:
        del sys.modules[module.__name__]


def test_not_executed_blocks_still_exist() -> None:
    for page, index in NOT_EXECUTED:
        assert index < len(python_blocks(page)), f"{page}[{index}] is gone: drop it from NOT_EXECUTED"
