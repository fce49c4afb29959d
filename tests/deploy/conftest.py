from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data")
CONFIGS = os.path.join(DATA, "configs")
BROKEN = os.path.join(DATA, "broken")


@pytest.fixture(autouse=True)
def kitapps_on_path(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """``call:kitapps:...`` / ``paste.app_factory = kitapps:...`` in the test configs."""
    monkeypatch.syspath_prepend(CONFIGS)
    import kitapps

    kitapps.BUILT.clear()
    yield
