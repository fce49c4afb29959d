"""Transformed response bodies
===========================

:class:`TransformedBody` pairs the iterator a middleware wants the server to consume (usually one of its
own generators over the inner body) with the inner iterable that must be closed. ``close()`` stops the
middleware's generator first (so its ``finally`` blocks run) and then closes the inner iterable exactly
once (with the callbacks, through :class:`wsgikit.wsgi.ClosingIterator`).

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

    __slots__ = ("_callbacks", "_closed", "_iterable", "_iterator")

    def __init__(
        self,
        iterable: WSGIIterable,
        iterator: Iterator[bytes],
        callbacks: Iterable[Callable[[], object]] | None = None,
    ) -> None:
        # What ClosingIterator(iterable, callbacks) would hold, kept here: one object less per request
        # and per layer; a body without callbacks (the usual case) closes through no ClosingIterator.
        self._iterable = iterable
        self._iterator = iterator
        self._callbacks = callbacks
        self._closed = False

    def __iter__(self) -> Iterator[bytes]:
        return self._iterator

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            close_iterable(self._iterator)
        finally:
            if self._callbacks is None:
                close_iterable(self._iterable)
            else:
                closer = ClosingIterator(self._iterable, self._callbacks)
                self._callbacks = None
                closer.close()

    @property
    def closed(self) -> bool:
        return self._closed
