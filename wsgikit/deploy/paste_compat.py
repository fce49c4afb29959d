"""Paste-era entry points and what replaces them
=============================================

``egg:Paste#urlmap`` and friends fail today with "no installed distribution named 'Paste'" (Paste is not a
dependency: it is in maintenance mode and breaks on modern setuptools). wsgikit registers the same names,
so such a line migrates by changing the distribution name only; :func:`replacement` says which.
"""

from __future__ import annotations

__all__ = ["PASTE_REPLACEMENTS", "replacement"]

PASTE_REPLACEMENTS: dict[str, str] = {
    # Paste's entry point → wsgikit's (``egg:wsgikit#NAME``)
    "urlmap": "urlmap",
    "cascade": "cascade",
    "gzip": "gzip",
    "translogger": "translogger",
    "error_catcher": "error_catcher",
    "auth_basic": "auth_basic",
    "lint": "lint",
    "static": "static",
    "proxy": "proxy",
    "http": "waitress",
}
"""Each Paste entry point wsgikit has a replacement for (the value is wsgikit's entry-point name)."""


def replacement(dist: str, name: str) -> str | None:
    """``egg:wsgikit#...`` for ``egg:{dist}#{name}`` when ``dist`` is Paste and wsgikit replaces it."""
    if dist.strip().lower() != "paste":
        return None
    found = PASTE_REPLACEMENTS.get((name or "main").strip())
    return f"egg:wsgikit#{found}" if found else None
