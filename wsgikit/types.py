"""WSGI type aliases
=================

The PEP 3333 shapes every module in wsgikit is written against, named once so that signatures read the
same everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from types import TracebackType
from typing import TypeAlias
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

ExcInfo: TypeAlias = tuple[type[BaseException], BaseException, TracebackType]
OptExcInfo: TypeAlias = ExcInfo | tuple[None, None, None]
Headers: TypeAlias = list[tuple[str, str]]
WriteCallable: TypeAlias = Callable[[bytes], object]
WSGIIterable: TypeAlias = Iterable[bytes]


__all__ = [
    "ExcInfo",
    "Headers",
    "OptExcInfo",
    "StartResponse",
    "WSGIApplication",
    "WSGIEnvironment",
    "WSGIIterable",
    "WriteCallable",
]
