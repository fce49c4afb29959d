"""What a command serves: ``CONFIG[#name]`` or ``module:callable``
=============================================================

``wsgikit serve`` and ``wsgikit cgi`` take either a paste.ini file (``CONFIG[#name]``) or, like
``waitress-serve`` and ``gunicorn``, a Python object: ``module:callable`` is a WSGI application and
``module:factory()`` (with literal arguments, if any: ``module:create_app(debug=True)``) calls a factory that
returns one. The current directory is importable, as with both of those servers.

An existing file always means a configuration file; ``config:`` forces it.
"""

from __future__ import annotations

import ast
import os
import re
import sys
from dataclasses import dataclass
from typing import Any

from wsgikit.deploy.options import import_object
from wsgikit.deploy.spec import ConfigSpec, parse_config_spec
from wsgikit.types import WSGIApplication

__all__ = ["Target", "TargetError", "load_object", "parse_target"]

_DOTTED = r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*"
_OBJECT_RE = re.compile(rf"^(?P<module>{_DOTTED}):(?P<attr>{_DOTTED})(?P<call>\(.*\))?$", re.DOTALL)


class TargetError(Exception):
    """A ``module:callable`` that cannot be imported, called or served; the message is one line."""


@dataclass(frozen=True)
class Target:
    """``config`` for a paste.ini section, else ``obj`` for a ``module:callable`` spelling."""

    text: str
    config: ConfigSpec | None = None
    obj: str | None = None

    @property
    def description(self) -> str:
        """How the ``serving ...`` line names it."""
        return self.config.uri if self.config is not None else str(self.obj)


def parse_target(text: str) -> Target:
    """Tell ``CONFIG[#name]`` from ``module:callable`` / ``module:factory()``."""
    is_config = text[:7].lower() == "config:" or os.path.exists(text.partition("#")[0])
    if not is_config and _OBJECT_RE.match(text.strip()):
        return Target(text, obj=text.strip())
    return Target(text, config=parse_config_spec(text))


def load_object(spec: str) -> WSGIApplication:
    """Import ``module:callable`` (calling ``module:factory(...)``) and return the WSGI application.

    :raises TargetError: with a one-line message saying what failed.
    """
    match = _OBJECT_RE.match(spec.strip())
    if match is None:
        raise TargetError(f"{spec!r} is not module:callable or module:factory()")
    module_name, attr, call = match.group("module"), match.group("attr"), match.group("call")
    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        target: Any = import_object(f"{module_name}:{attr}")
    except ValueError as error:
        raise TargetError(str(error)) from None
    if call is not None:
        args, kwargs = _literal_call(spec, call)
        if not callable(target):
            raise TargetError(f"{module_name}:{attr} is not callable, so it cannot be called as a factory")
        target = target(*args, **kwargs)
        if not callable(target):
            raise TargetError(f"{spec} returned {type(target).__name__}, not a WSGI application")
    elif not callable(target):
        raise TargetError(f"{spec} is {type(target).__name__}, not a WSGI application (a callable)")
    app: WSGIApplication = target
    return app


def _literal_call(spec: str, call: str) -> tuple[list[Any], dict[str, Any]]:
    """``(1, debug=True)`` → its arguments; only literals (numbers, strings, lists, ...) are allowed."""
    try:
        node = ast.parse(f"f{call}", mode="eval").body
        if not isinstance(node, ast.Call):
            raise ValueError
        args = [ast.literal_eval(arg) for arg in node.args]
        kwargs = {str(kw.arg): ast.literal_eval(kw.value) for kw in node.keywords if kw.arg is not None}
        if len(kwargs) != len(node.keywords):
            raise ValueError
    except (SyntaxError, ValueError):
        raise TargetError(f"{spec}: a factory's arguments must be Python literals") from None
    return args, kwargs
