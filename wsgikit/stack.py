"""Pipelines in Python
===================

Build the same onion a ``pipeline =`` line builds, in Python, read outermost first:

.. code-block:: python

    from wsgikit.stack import Stack
    from wsgikit.middleware.request_id import RequestIdMiddleware
    from wsgikit.middleware.gzip import GzipMiddleware

    app = Stack(
        (RequestIdMiddleware, {}),
        (GzipMiddleware, {"level": 5}),
    ).wrap(api)
    print(Stack.describe(app))
    # RequestIdMiddleware
    # └─ GzipMiddleware(level=5)
    #    └─ api

The first layer sees the request first and the response last, exactly like the first name on a
``pipeline =`` line.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from wsgikit.types import WSGIApplication

__all__ = ["Layer", "Stack", "build", "describe"]

Layer = tuple[Callable[..., WSGIApplication], Mapping[str, Any]]
"""``(MiddlewareClass, options)`` — the class is called as ``MiddlewareClass(app, **options)``."""

_OPTIONS_ATTR = "wsgikit_stack_options"


class Stack:
    """An ordered list of middleware layers, outermost first.

    :param layers: ``(MiddlewareClass, options)`` pairs, or bare classes (no options).
    """

    def __init__(self, *layers: Layer | Callable[..., WSGIApplication]) -> None:
        self.layers: list[Layer] = []
        for index, layer in enumerate(layers):
            if isinstance(layer, tuple):
                if len(layer) != 2 or not callable(layer[0]) or not isinstance(layer[1], Mapping):
                    raise TypeError(f"layer {index}: expected (MiddlewareClass, options), got {layer!r}")
                self.layers.append((layer[0], dict(layer[1])))
            elif callable(layer):
                self.layers.append((layer, {}))
            else:
                raise TypeError(f"layer {index}: expected a middleware class, got {layer!r}")

    def wrap(self, app: WSGIApplication) -> WSGIApplication:
        """Wrap ``app`` in every layer, innermost last in the list first, and return the outermost app."""
        for factory, options in reversed(self.layers):
            wrapped = factory(app, **options)
            # objects with __slots__ cannot carry their options; they are described by class name only
            with contextlib.suppress(AttributeError):
                setattr(wrapped, _OPTIONS_ATTR, dict(options))
            app = wrapped
        return app

    def describe(self, app: WSGIApplication | None = None) -> str:
        """The layers as an indented tree, ending in ``app`` when given."""
        names = [_label(factory, options) for factory, options in self.layers]
        if app is not None:
            names.append(_name(app))
        return _tree(names)

    def __iter__(self) -> Iterator[Layer]:
        return iter(self.layers)

    def __len__(self) -> int:
        return len(self.layers)

    def __repr__(self) -> str:
        return f"Stack({', '.join(_label(f, o) for f, o in self.layers)})"


def build(app: WSGIApplication, layers: Iterable[Layer | Callable[..., WSGIApplication]]) -> WSGIApplication:
    """``build(app, [(A, {...}), (B, {...})])`` is ``A(B(app, ...), ...)``."""
    return Stack(*layers).wrap(app)


def describe(app: WSGIApplication) -> str:
    """Walk a built pipeline through each layer's ``.app`` attribute (the convention every wsgikit
    middleware follows) and print it outermost first."""
    names: list[str] = []
    seen: set[int] = set()
    current: Any = app
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        options = getattr(current, _OPTIONS_ATTR, None)
        names.append(_label(type(current), options) if options is not None else _name(current))
        current = getattr(current, "app", None)
    return _tree(names)


def _name(obj: Any) -> str:
    if isinstance(obj, type) or (callable(obj) and hasattr(obj, "__qualname__")):
        return str(getattr(obj, "__qualname__", obj))
    return type(obj).__qualname__


def _label(factory: Any, options: Mapping[str, Any] | None) -> str:
    name = _name(factory)
    if options:
        name += "(" + ", ".join(f"{k}={v!r}" for k, v in options.items()) + ")"
    return name


def _tree(names: list[str]) -> str:
    lines = []
    for depth, name in enumerate(names):
        lines.append(name if depth == 0 else "   " * (depth - 1) + "└─ " + name)
    return "\n".join(lines)
