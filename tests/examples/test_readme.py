"""README.md's promises: the 15-line example runs and behaves as described; the two commands come first."""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path

from wsgikit.testing import TestApp

README = Path(__file__).resolve().parents[2] / "README.md"


def test_fifteen_line_example_runs_as_described() -> None:
    text = README.read_text(encoding="utf-8")
    (code,) = re.findall(r"```python\n(.*?)```", text, re.DOTALL)
    assert len(code.strip().splitlines()) <= 15
    module = types.ModuleType("readme_example")
    sys.modules[module.__name__] = module
    try:
        exec(compile(code, "README.md", "exec"), module.__dict__)
    finally:
        del sys.modules[module.__name__]
    client = TestApp(module.app)
    assert client.get("/servers/1").json == {"server": {"id": "1", "name": "web-1"}}
    assert client.get("/servers/2", status=404).content_type == "application/problem+json"
    assert client.delete("/servers/1", status=405).headers["Allow"] == "GET, HEAD, OPTIONS"


def test_two_commands_come_before_anything_else() -> None:
    text = README.read_text(encoding="utf-8")
    first_block = re.search(r"```console\n(.*?)```", text, re.DOTALL)
    assert first_block is not None
    commands = [line.split("#")[0].strip() for line in first_block.group(1).splitlines()]
    assert commands == ["make run", "make test"]
    assert text.index("make run") < text.index("```python")
