"""Fixtures of the example tests: the compute store on each database engine."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(params=["sqlite", "postgresql"])
def database_location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """What ``WSGIKIT_COMPUTE_DB`` would hold: a new SQLite file, or a new database on the session's
    PostgreSQL server (skipped when PostgreSQL or psycopg is missing, failed when ``CI=true``)."""
    if request.param == "sqlite":
        return str(tmp_path / "compute.sqlite3")
    url: str = request.getfixturevalue("postgres_url")
    return url
