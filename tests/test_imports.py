"""The package's import graph: no circles, and the layers of the architecture picture.

Every ``import`` counts, at module level or inside a function (a lazy import is still a dependency);
``from wsgikit import exc`` counts as importing the module ``wsgikit.exc``. Package ``__init__`` modules,
which only re-export, are left out.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "wsgikit"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}
PACKAGES = {module_name(path) for path in PACKAGE.rglob("__init__.py")}


def imports(name: str) -> set[str]:
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {module for module in found if module in MODULES and module not in PACKAGES}


GRAPH = {name: imports(name) for name in MODULES if name not in PACKAGES}


def test_no_import_circles() -> None:
    cycles: list[list[str]] = []
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in sorted(GRAPH.get(node, ())):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[node] = 2

    for name in sorted(GRAPH):
        if name not in state:
            visit(name, [name])
    assert cycles == []


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [
        ("wsgikit.middleware", ("wsgikit.deploy", "wsgikit.cli")),
        ("wsgikit.routing", ("wsgikit.deploy", "wsgikit.cli")),
        ("wsgikit.deploy", ("wsgikit.cli",)),
        ("wsgikit.options", ("wsgikit.deploy", "wsgikit.cli", "wsgikit.middleware")),
        ("wsgikit.config_errors", ("wsgikit.deploy", "wsgikit.cli", "wsgikit.middleware")),
        ("wsgikit.servers", ("wsgikit.cli", "wsgikit.deploy")),
    ],
)
def test_layers(layer: str, forbidden: tuple[str, ...]) -> None:
    wrong = {
        (name, target)
        for name, targets in GRAPH.items()
        if name == layer or name.startswith(layer + ".")
        for target in targets
        if target.startswith(forbidden)
    }
    assert wrong == set()
