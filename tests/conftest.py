"""Fixtures shared by every test directory."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


class CountingIterable:
    """A response iterable whose iterator is a separate generator and whose ``close()`` is counted."""

    def __init__(self, chunks: list[bytes], fail_at: int | None = None) -> None:
        self.chunks = chunks
        self.fail_at = fail_at
        self.closed = 0

    def __iter__(self) -> Iterator[bytes]:
        for index, chunk in enumerate(self.chunks):
            if index == self.fail_at:
                raise RuntimeError("boom while iterating")
            yield chunk
        if self.fail_at is not None and self.fail_at >= len(self.chunks):
            raise RuntimeError("boom while iterating")

    def close(self) -> None:
        self.closed += 1


@pytest.fixture
def counting() -> type[CountingIterable]:
    """:class:`CountingIterable`: a response iterable with a separate iterator and a counted close()."""
    return CountingIterable
