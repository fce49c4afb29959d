"""Reference cycles that requests leave behind (`from cycles import cyclic_garbage`)."""

from __future__ import annotations

import gc
from collections.abc import Callable


def cyclic_garbage(request: Callable[[], object], times: int = 5) -> list[str]:
    """The type names of what ``times`` calls of ``request`` leave for the cyclic collector (objects that
    reference counting could not free), after one call to fill first-use caches. Empty when the requests
    make no reference cycle."""
    request()
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for _ in range(times):
            request()
        gc.collect()
        return [type(thing).__qualname__ for thing in gc.garbage]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if enabled:
            gc.enable()
