"""``wsgikit show`` and ``wsgikit routes``
======================================

``wsgikit show CONFIG[#name]`` loads the pipeline (without serving it) and prints what was built, outermost
first, with where each piece came from — section, file and line, and the ``egg:`` / ``call:`` / factory
that made it. A section built once and referenced again is marked ``(shared)``; what a ``select`` chose is
shown next to it. ``--format dot`` prints the same tree for Graphviz (``| dot -Tsvg > pipeline.svg``)::

    composite:main  egg:wsgikit#urlmap  (nova-style.ini:17)
    ├── / → app:versions  egg:wsgikit-compute#versions  (nova-style.ini:23)
    └── /v2.1/+ → composite:api_v21  egg:wsgikit#select  (nova-style.ini:29)  [key = token]
        ├── filter:request_id  egg:wsgikit#request_id  (nova-style.ini:34)
        └── app:compute  egg:wsgikit#router  (nova-style.ini:71)

``wsgikit routes CONFIG[#name]`` prints the route table of every :class:`~wsgikit.routing.Router` in the
loaded pipeline, with the prefix it is mounted under.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

from wsgikit.deploy.loader import LoadSession, Node, load
from wsgikit.deploy.spec import parse_config_spec

__all__ = ["find_routers", "format_dot", "format_tree", "load_tree"]


def load_tree(config: str) -> tuple[Any, LoadSession]:
    """Load ``CONFIG[#name]`` (a path or a ``config:`` URI) and return the app and the load record."""
    scheme = config.partition(":")[0].lower()
    if scheme in ("egg", "call") and not os.path.exists(config.partition("#")[0]):
        return load(config, relative_to=os.getcwd())
    spec = parse_config_spec(config)
    return load(f"config:{spec.path}", spec.name if spec.explicit_name else None)


# -- text ------------------------------------------------------------------------------------------------


class Drawable(Protocol):
    """What :func:`format_tree` and :func:`format_dot` draw: a loaded :class:`~wsgikit.deploy.loader.Node`
    or a :class:`~wsgikit.deploy.structure.Piece` read from the INI alone."""

    @property
    def kind(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def file(self) -> str | None: ...
    @property
    def spec(self) -> str | None: ...
    @property
    def label(self) -> str | None: ...
    @property
    def origin(self) -> str: ...
    @property
    def detail(self) -> str | None: ...
    @property
    def shared(self) -> bool: ...
    @property
    def children(self) -> Sequence[Drawable]: ...


def describe(node: Drawable) -> str:
    parts = [f"{node.label} → {node.name}" if node.label else node.name]
    if node.spec:
        parts.append(node.spec)
    if node.origin:
        parts.append(f"({node.origin})")
    if node.detail:
        parts.append(f"[{node.detail}]")
    if node.shared:
        parts.append("(shared)")
    return "  ".join(parts)


def format_tree(root: Drawable) -> str:
    """The tree as text, one node per line, with box-drawing branches."""
    lines = [describe(root)]

    def walk(node: Drawable, indent: str) -> None:
        for index, child in enumerate(node.children):
            last = index == len(node.children) - 1
            lines.append(f"{indent}{'└── ' if last else '├── '}{describe(child)}")
            walk(child, indent + ("    " if last else "│   "))

    walk(root, "")
    return "\n".join(lines)


# -- Graphviz ----------------------------------------------------------------------------------------------

_SHAPES = {
    "composite": "diamond",
    "pipeline": "folder",
    "filter": "box",
    "filter-app": "box",
    "app": "ellipse",
    "choice": "folder",
    "missing": "octagon",
}


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def format_dot(root: Drawable) -> str:
    """The tree as a Graphviz ``digraph``; a shared section is one node with several incoming edges."""
    ids: dict[tuple[str | None, str], str] = {}
    lines = ["digraph pipeline {", "  rankdir=TB;", '  node [fontname="monospace", fontsize=10];']

    def node_id(node: Drawable) -> str:
        # a section is one node however often it is referenced; a choice or a missing name is its own
        key = (node.file, node.name) if node.kind not in ("choice", "missing") else (None, str(id(node)))
        if key not in ids:
            ids[key] = f"n{len(ids)}"
            label = "\\n".join(
                _quote(part)[1:-1]
                for part in (node.name, node.spec or "", node.origin, node.detail or "")
                if part
            )
            shape = _SHAPES.get(node.kind, "box")
            lines.append(f'  {ids[key]} [label="{label}", shape={shape}];')
        return ids[key]

    def walk(node: Drawable) -> None:
        parent = node_id(node)
        for child in node.children:
            child_id = node_id(child)
            attributes = f" [label={_quote(child.label)}]" if child.label else ""
            lines.append(f"  {parent} -> {child_id}{attributes};")
            if not child.shared:
                walk(child)

    walk(root)
    lines.append("}")
    return "\n".join(lines)


# -- routers -----------------------------------------------------------------------------------------------


def _mount_prefix(label: str | None) -> str:
    if not label:
        return ""
    from wsgikit.middleware.urlmap import parse_mount_key

    try:
        _, _, prefix, _ = parse_mount_key(label)
    except ValueError:
        return ""  # a select choice or a cascade key: not a path
    return prefix


def find_routers(root: Node | None, app: Any = None) -> list[tuple[str, Node | None, Any]]:
    """Every :class:`~wsgikit.routing.Router` in a loaded pipeline: ``(mount prefix, node, router)``.

    Routers built as sections are found in the load record (with the urlmap prefixes above them); any
    other router reachable from ``app`` through the usual attributes (``app``, ``apps``, ``mounts``, ...)
    is found by walking the objects.
    """
    from wsgikit.routing import Router

    found: list[tuple[str, Node | None, Any]] = []
    seen: set[int] = set()

    def walk_nodes(node: Node, prefix: str) -> None:
        prefix += _mount_prefix(node.label)
        if isinstance(node.obj, Router) and id(node.obj) not in seen:
            seen.add(id(node.obj))
            found.append((prefix or "/", node, node.obj))
        for child in node.children:
            walk_nodes(child, prefix)

    if root is not None:
        walk_nodes(root, "")
    for prefix, router in _walk_objects(app, ""):
        if isinstance(router, Router) and id(router) not in seen:
            seen.add(id(router))
            found.append((prefix or "/", None, router))
    return found


_FOLLOW = ("app", "application", "wrapped_app", "next_app", "_app", "apps", "applications", "filter")


def _walk_objects(
    obj: Any, prefix: str, depth: int = 0, seen: set[int] | None = None
) -> Iterator[tuple[str, Any]]:
    seen = set() if seen is None else seen
    if obj is None or id(obj) in seen or depth > 64:
        return
    seen.add(id(obj))
    yield prefix, obj
    mounts = getattr(obj, "mounts", None)
    if isinstance(mounts, list):
        for mount in mounts:
            yield from _walk_objects(
                getattr(mount, "app", None), prefix + getattr(mount, "prefix", ""), depth + 1, seen
            )
    for name in _FOLLOW:
        value = getattr(obj, name, None)
        values = value if isinstance(value, list | tuple) else [value]
        for item in values:
            if item is not None and callable(item):
                yield from _walk_objects(item, prefix, depth + 1, seen)
    for cell in getattr(obj, "__closure__", None) or ():
        try:
            content = cell.cell_contents
        except ValueError:  # an empty cell
            continue
        if callable(content):
            yield from _walk_objects(content, prefix, depth + 1, seen)
