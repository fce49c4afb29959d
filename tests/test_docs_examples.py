"""The Python examples in the guide pages run, so the docs cannot rot."""

from __future__ import annotations

import re
import sys
import textwrap
import types
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
PAGES = ["guide/wsgify.rst", "guide/errors.rst", "guide/concepts.rst", "deploy/migration.rst"]
BLOCK = re.compile(r"^\.\. code-block:: python\n\n((?:(?:   .*)?\n)+)", re.MULTILINE)


def python_blocks(page: str) -> list[str]:
    text = (DOCS / page).read_text(encoding="utf-8")
    return [textwrap.dedent(match.group(1)) for match in BLOCK.finditer(text)]


@pytest.mark.parametrize("page", PAGES)
def test_page_has_examples(page: str) -> None:
    assert python_blocks(page), f"{page} has no python examples"


@pytest.mark.parametrize(
    ("page", "index"),
    [(page, index) for page in PAGES for index in range(len(python_blocks(page)))],
)
def test_example_runs(page: str, index: int) -> None:
    code = python_blocks(page)[index]
    module = types.ModuleType(f"docs_example_{index}")
    sys.modules[module.__name__] = module  # dataclasses look their module up
    try:
        exec(compile(code, f"{page}[{index}]", "exec"), module.__dict__)
    finally:
        del sys.modules[module.__name__]
