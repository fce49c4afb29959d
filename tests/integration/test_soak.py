"""The bounded soak: 45 s of mixed valid and hostile traffic against the compute example under gunicorn.

``benchmarks/soak.py`` does the work (``make soak`` runs it for minutes and plots RSS); here it runs for
:data:`DURATION` seconds and every one of these must hold:

* every answer is one its request allows (creates 202, deletes 204, hostile requests their 4xx — never a
  5xx), and no client error;
* no worker restart (two ``Booting worker`` lines in all), no traceback, no ERROR line in the log;
* the table ends with ``creates - deletes`` rows, in the file and through the API;
* each worker's RSS grows by less than :data:`SECOND_HALF_GROWTH_KB` in the second half of the run: the
  first half warms up (imports, caches, SQLite's page cache), the second must be flat. The measured
  growth is a few hundred kB (docs/guide/reliability.rst has the long run's plot).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DURATION = 45.0
SECOND_HALF_GROWTH_KB = 4096

pytestmark = pytest.mark.integration


def load_soak() -> Any:
    spec = importlib.util.spec_from_file_location("wsgikit_soak", ROOT / "benchmarks" / "soak.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.timeout(DURATION + 150)
def test_soak_under_gunicorn(tmp_path: Path) -> None:
    soak = load_soak()
    result = soak.soak(DURATION, tmp_path)
    summary = result.summary()
    assert result.unexpected == [], summary
    assert result.log_problems == [], summary
    assert result.booted == 2, summary
    assert result.creates > 0 and result.deletes > 0, summary
    assert result.rows == result.api_rows == result.creates - result.deletes, summary
    hostile = {name for name, *_ in soak.HOSTILE}
    assert len(hostile) >= 15
    assert sum(count for status, count in result.statuses.items() if status.startswith("4")) > 0, summary
    growth = result.growth_second_half_kb()
    assert len(growth) == 2, summary
    assert all(kb < SECOND_HALF_GROWTH_KB for kb in growth.values()), summary
