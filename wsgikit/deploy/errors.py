"""Configuration errors
====================

:class:`ConfigError` is what every part of :mod:`wsgikit.deploy` raises for a configuration problem, created
with what is known of where it is — file, line, section, key; :class:`ConfigLookupError` is the one for what
PasteDeploy reports as :class:`LookupError` (a missing section, distribution or entry point).
"""

from __future__ import annotations

from typing import Any

__all__ = ["ConfigError", "ConfigLookupError"]


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
        self.file = file
        self.line = line
        self.section = section
        self.key = key

    def located(self, **where: Any) -> ConfigError:
        """Fill in location fields that are still unknown; returns ``self``."""
        for name in ("file", "line", "section", "key"):
            if getattr(self, name) is None and where.get(name) is not None:
                setattr(self, name, where[name])
        return self

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
