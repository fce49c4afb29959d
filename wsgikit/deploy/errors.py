"""Configuration errors (moved to :mod:`wsgikit.config_errors`, which the middleware can import too; every
name is still here)."""

from wsgikit.config_errors import (
    ConfigError,
    ConfigLookupError,
    Place,
    building,
    current_place,
    referring,
    resolving,
)

__all__ = ["ConfigError", "ConfigLookupError", "Place", "building", "current_place", "referring", "resolving"]
