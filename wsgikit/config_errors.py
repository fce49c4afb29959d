"""Configuration errors
====================

:class:`ConfigError` is what every part of :mod:`wsgikit.deploy` raises for a configuration problem, created
with what is known of where it is — file, line, section, key — and what a middleware constructor raises for
a keyword argument its :class:`~wsgikit.options.OptionTable` refuses (``str(error)`` is then
``"option: message"``, a :class:`ValueError` like any other). It lives outside :mod:`wsgikit.deploy` so that
the middleware can raise it without importing the loader; :class:`ConfigLookupError` is the one for what
PasteDeploy reports as :class:`LookupError` (a missing section, distribution or entry point).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

__all__ = ["ConfigError", "ConfigLookupError", "Place", "building", "current_place", "referring", "resolving"]


@dataclass(frozen=True)
class Place:
    """A section being built or resolved: its file, name, header line and the keys written in it (with their
    lines). ``refers``: the key whose reference is being followed (see :func:`referring`)."""

    file: str
    section: str
    line: int | None = None
    keys: Mapping[str, int] = field(default_factory=dict)
    refers: str | None = None


_building: ContextVar[tuple[Place, ...]] = ContextVar("wsgikit.deploy.building", default=())


@contextmanager
def building(place: Place) -> Iterator[None]:
    """While the loader builds ``place`` (runs its factory, applies its filter), every :class:`ConfigError`
    created without a section is created located there: a component factory, which PasteDeploy never tells
    its section, still raises errors that name file, line, section and key."""
    token = _building.set((*_building.get(), place))
    try:
        yield
    finally:
        _building.reset(token)


@contextmanager
def resolving(place: Place | None = None) -> Iterator[None]:
    """While the loader reads the section at ``place`` (its keys, the sections it uses), errors created there
    are that section's (a :class:`ConfigError` with a ``key`` is located at the key's line); with no
    ``place``, no section: an error is located by whoever creates it."""
    token = _building.set((place,) if place is not None else ())
    try:
        yield
    finally:
        _building.reset(token)


@contextmanager
def referring(place: Place, key: str) -> Iterator[None]:
    """While the loader follows the reference written at ``key`` of ``place`` (``use``, ``pipeline``,
    ``next``, ``filter-with``, a composite's key), a :class:`ConfigError` created without a section — a
    section, distribution or entry point that is not there, a cycle — is created located at that key."""
    line = place.keys.get(key, place.line)
    at = Place(place.file, place.section, line, {key: line} if line is not None else {}, refers=key)
    token = _building.set((at,))
    try:
        yield
    finally:
        _building.reset(token)


def current_place() -> Place | None:
    """The section being built or resolved now, innermost first (``None`` outside the loader)."""
    places = _building.get()
    return places[-1] if places else None


def _place_for(key: str | None) -> tuple[Place, int | None] | None:
    """The innermost section being built that has ``key`` written in it (a section with ``use = another``
    passes its own keys down), else the innermost one; with the line to report."""
    places = _building.get()
    if not places:
        return None
    if key is not None:
        for place in reversed(places):
            if key in place.keys:
                return place, place.keys[key]
    return places[-1], places[-1].line


class ConfigError(ValueError):
    """A configuration problem, located as precisely as is known.

    ``str(error)`` reads ``file:line [section] key: message``, leaving out the parts that are unknown.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        section: str | None = None,
        key: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if section is None:
            found = _place_for(key)
            if found is not None and (file is None or file == found[0].file or found[0].refers is not None):
                place, place_line = found
                file, section = place.file, place.section
                line = place_line if line is None else line
                key = key if place.refers is None else place.refers
        self.file = file
        self.line = line
        self.section = section
        self.key = key

    def __str__(self) -> str:
        parts: list[str] = []
        if self.file:
            parts.append(f"{self.file}:{self.line}" if self.line else self.file)
        if self.section:
            parts.append(f"[{self.section}]")
        prefix = " ".join(parts)
        key = f"{self.key}: " if self.key else ""
        return f"{prefix} {key}{self.message}".strip() if prefix else f"{key}{self.message}"


class ConfigLookupError(ConfigError, LookupError):
    """A section, distribution or entry point that cannot be found. Also a :class:`LookupError`, which
    is what PasteDeploy raises for these, so existing ``except LookupError`` handlers keep working."""
