"""Fixtures shared by every test directory."""

from __future__ import annotations

import contextlib
import gc
import importlib.util
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# What running the suite may write into the checkout: caches, virtualenvs, build output, the coverage data.
# Anything else a test writes (an example's SQLite file next to its ini, a log, a pid file) belongs in a
# temporary directory.
WRITABLE_DIRS = {"__pycache__", "build", "dist", "_build"}


def checkout_files() -> dict[str, tuple[int, int]]:
    """``{path: (size, mtime_ns)}`` of the checkout's files, but for :data:`WRITABLE_DIRS`, ``*.egg-info``
    and hidden files and directories (``.git``, ``.venv*``, ``.hypothesis``, ``.coverage``...)."""
    found = {}
    for directory, subdirs, files in os.walk(ROOT):
        subdirs[:] = [
            name
            for name in subdirs
            if not name.startswith(".") and name not in WRITABLE_DIRS and not name.endswith(".egg-info")
        ]
        for name in files:
            if not name.startswith("."):
                path = os.path.join(directory, name)
                with contextlib.suppress(FileNotFoundError):
                    info = os.stat(path)
                    found[os.path.relpath(path, ROOT)] = (info.st_size, info.st_mtime_ns)
    return found


@pytest.fixture(scope="session", autouse=True)
def checkout_left_alone() -> Iterator[None]:
    """Fail the run when a test created or changed a file in the checkout (outside :data:`WRITABLE_DIRS`):
    a stale ``paste-configs/compute.sqlite3`` with an old schema once broke later runs this way."""
    before = checkout_files()
    yield
    after = checkout_files()
    written = sorted(path for path, stamp in after.items() if before.get(path) != stamp)
    assert not written, f"tests wrote into the checkout (use tmp_path): {written}"


@pytest.fixture(scope="session", autouse=True)
def database_pools_closed() -> Iterator[None]:
    """Fail the run when a psycopg connection pool is still open at its end: the interpreter would stop it
    in ``ConnectionPool.__del__`` while shutting down, when its threads' log lines can no longer be written
    (Python 3.13 printed "--- Logging error ---"). A test closes the pools it opens."""
    yield
    pools = sys.modules.get("psycopg_pool")
    if pools is not None:
        left = [obj for obj in gc.get_objects() if isinstance(obj, pools.ConnectionPool) and not obj.closed]
        assert not left, f"tests left psycopg pools open: {[pool.name for pool in left]}"


@pytest.fixture(autouse=True)
def compute_stores_closed() -> Iterator[None]:
    """The compute example's database filter keeps the stores it opens while they are used, for its health
    check (``wsgikit_compute.database._stores``). Stores opened during a test are closed and forgotten after
    it: a later test's health check would otherwise ping a closed store, which reopens its pool."""
    database = sys.modules.get("wsgikit_compute.database")
    before = list(database._stores) if database is not None else []
    yield
    database = sys.modules.get("wsgikit_compute.database")
    if database is None:
        return
    for store in [store for store in database._stores if not any(store is old for old in before)]:
        database._stores.remove(store)
        store.close()


def hidden_tools() -> set[str]:
    """Tools named in ``WSGIKIT_TEST_HIDE_TOOLS`` (comma or space separated), which tests treat as missing.

    It simulates a fresh machine on one where they are installed: ``WSGIKIT_TEST_HIDE_TOOLS="nginx logrotate"
    make test`` shows what a new user without them sees.
    """
    return set(os.environ.get("WSGIKIT_TEST_HIDE_TOOLS", "").replace(",", " ").split())


def find_tool(name: str, hint: str, *, path: str | None = None) -> str:
    """The path of a system tool a test runs; skip when it is missing, or fail when ``CI=true``.

    Outside CI a fresh machine without nginx or logrotate still passes ``make test``: the test skips and
    pytest's ``-ra`` summary prints why. ``.ci/run`` installs every tool, so in CI a missing one is a failure.
    """
    found = None if name in hidden_tools() else shutil.which(name, path=path)
    if found is None and path is None and name not in hidden_tools():
        for directory in ("/usr/sbin", "/sbin"):
            candidate = os.path.join(directory, name)
            if os.access(candidate, os.X_OK):
                found = candidate
                break
    if found is not None:
        return found
    message = f"{name} is not installed ({hint})"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}; CI=true: a missing tool fails the run")
    pytest.skip(message)


@pytest.fixture
def tool() -> Callable[..., str]:
    """:func:`find_tool`: ``tool("nginx", "apt-get install nginx")`` gives the binary's path or skips."""
    return find_tool


def find_package(name: str, hint: str) -> None:
    """Skip unless the Python package ``name`` is installed for the Python running the tests.

    The same rule as :func:`find_tool`: a venv built without an extra (``pip install -e '.[test]'`` on another
    Python) skips what needs it, with the reason printed; ``make venv`` installs every extra, so in CI
    (``CI=true``) a missing package fails.
    """
    if importlib.util.find_spec(name) is not None:
        return
    message = f"{name} is not installed for {sys.executable} ({hint})"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}; CI=true: a missing package fails the run")
    pytest.skip(message)


@pytest.fixture(scope="session")
def python_package() -> Callable[[str, str], None]:
    """:func:`find_package`: ``python_package("brotli", "pip install -e '.[compress]'")`` or skip."""
    return find_package


@pytest.fixture(scope="session")
def gunicorn() -> None:
    """Skip (or fail in CI) unless gunicorn, from the ``servers`` extra, is installed for this Python."""
    find_package("gunicorn", "pip install -e '.[servers]'")


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


# -- PostgreSQL (a throw-away server per test session, started only when a test asks for it) ---------------


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[object]:
    """A PostgreSQL server of this session (:class:`compute_cluster.Postgres`), in a temporary directory on
    127.0.0.1; skipped outside CI when PostgreSQL or psycopg is missing (``.ci/run`` installs both)."""
    from compute_cluster import Postgres, postgres_bindir_path

    initdb = find_tool("initdb", "apt-get install postgresql", path=postgres_bindir_path())
    try:
        import psycopg  # noqa: F401
        import psycopg_pool  # noqa: F401
    except ImportError:  # pragma: no cover - depends on the environment
        message = "psycopg is not installed (pip install -e '.[postgres]')"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}; CI=true: a missing tool fails the run")
        pytest.skip(message)
    server = Postgres(initdb).start()
    yield server
    server.stop()


@pytest.fixture
def postgres_url(postgres_server: object) -> str:
    """The URL of a new, empty database on the session's PostgreSQL server."""
    url: str = postgres_server.create_database()  # type: ignore[attr-defined]
    return url
