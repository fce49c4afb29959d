"""``checks = compute.health:database``: the reader's own health check (the page's Python example)."""

from __future__ import annotations


def database() -> tuple[bool, str]:
    return True, "primary reachable"
