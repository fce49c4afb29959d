"""Transformed response bodies
===========================

:class:`TransformedBody` pairs the iterator a middleware wants the server to consume (usually one of its
own generators over the inner body) with the inner iterable that must be closed. ``close()`` stops the
middleware's generator first (so its ``finally`` blocks run) and then closes the inner iterable exactly
once through :class:`wsgikit.wsgi.ClosingIterator`.

``__iter__`` hands the server the generator itself, so streaming through a middleware costs one generator
step per chunk and no extra method call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from wsgikit.types import WSGIIterable
from wsgikit.wsgi import ClosingIterator, close_iterable

__all__ = ["TransformedBody"]


class TransformedBody:
    """A response iterable whose chunks come from ``iterator`` and whose ``close()`` closes ``iterable``.

    :param iterable: the inner application's response iterable (closed exactly once).
    :param iterator: what the server iterates, typically a generator over ``iter(iterable)``.
    :param callbacks: run after the inner ``close()``, as in :class:`~wsgikit.wsgi.ClosingIterator`.
    """

    __slots__ = ("_closer", "_iterator")

    def __init__(
        self,
        iterable: WSGIIterable,
        iterator: Iterator[bytes],
        callbacks: Iterable[Callable[[], object]] | None = None,
    ) -> None:
        self._closer = ClosingIterator(iterable, callbacks)
        self._iterator = iterator

    def __iter__(self) -> Iterator[bytes]:
        return self._iterator

    def close(self) -> None:
        try:
            close_iterable(self._iterator)
        finally:
            self._closer.close()

    @property
    def closed(self) -> bool:
        return self._closer.closed
