"""One database interface over SQLite and PostgreSQL
==================================================

:func:`open_database` takes what ``WSGIKIT_COMPUTE_DB`` holds — a ``postgresql://`` URL or a SQLite file
path — and returns a :class:`Database`. The store writes every query once, in the SQL both engines speak
(``INSERT … ON CONFLICT``, ``UPDATE … WHERE state = …``, ``DELETE … RETURNING``), with ``?`` placeholders;
a :class:`Dialect` holds the few differences (the placeholder, the schema's insertion-order
column, which exceptions mean what).

SQLite (``sqlite3``, the embedded default)
    one connection per thread and process (a connection inherited over ``fork()`` is never reused); WAL
    mode; every write transaction starts with ``BEGIN IMMEDIATE`` so that concurrent writers wait
    (``busy_timeout``) instead of deadlocking.

PostgreSQL (psycopg 3 and ``psycopg_pool``, the ``postgres`` extra)
    one :class:`psycopg_pool.ConnectionPool` per worker process, opened on first use in that process (the
    application is loaded in the gunicorn master and inherited by the workers: a pool and its threads
    must not cross a ``fork()``); connections are checked when taken from the pool, so a restarted
    database costs one failed check, not a failed request. The schema is created at start-up in one
    transaction that holds an advisory lock, so nodes starting together create it once.

Start-up fails with a :class:`DatabaseError` naming the (password-masked) URL when the URL's scheme is not
one of these, when psycopg is missing, or when PostgreSQL cannot be reached: a node that cannot reach its
database would only answer 503. While it runs, an unreachable database raises :class:`Unavailable` (503
for the client, who may retry) and fails the health check (:func:`Database.ping`).

.. code-block:: python

    db = open_database("postgresql://compute@db.example/compute", pool_size=4)
    db.create_schema(["CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY)"])
    with db.transaction() as tx:
        tx.execute("INSERT INTO t (k) VALUES (?) ON CONFLICT DO NOTHING", ("a",))
"""

from __future__ import annotations

import functools
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

__all__ = [
    "POSTGRES",
    "SQLITE",
    "Database",
    "DatabaseError",
    "Dialect",
    "PostgresDatabase",
    "SQLiteDatabase",
    "Transaction",
    "Unavailable",
    "open_database",
]

POSTGRES_SCHEMES = ("postgresql", "postgres")
SCHEMA_LOCK = 0x7773676B  # "wsgk": the advisory lock the nodes' schema creations queue on


class DatabaseError(ValueError):
    """The database cannot be used at all: a bad URL, a missing driver, an unreachable server at start-up."""


class Unavailable(Exception):
    """The database did not answer this time (no connection within the timeout, connection lost, lock
    timeout); the request may be retried."""


class Conflict(Exception):
    """A uniqueness or foreign-key constraint refused the write."""


@dataclass(frozen=True)
class Dialect:
    """What differs between the engines, and nothing else.

    :param name: ``sqlite`` or ``postgresql``.
    :param paramstyle: ``qmark`` (the ``?`` the queries are written with) or ``format`` (``%s``).
    :param row_order: the column that orders rows by insertion (SQLite's implicit ``rowid``).
    :param row_order_column: the column definition a table needs for ``row_order`` (none in SQLite).
    """

    name: str
    paramstyle: str
    row_order: str
    row_order_column: str

    def sql(self, query: str) -> str:
        """``query`` with ``?`` placeholders in this dialect's paramstyle."""
        return _translate(query, self.paramstyle)

    def schema(self, statement: str) -> str:
        """A ``CREATE`` statement with ``{row_order_column}`` filled in."""
        return statement.format(row_order_column=self.row_order_column)


SQLITE = Dialect("sqlite", "qmark", "rowid", "")
POSTGRES = Dialect("postgresql", "format", "seq", "seq BIGINT GENERATED ALWAYS AS IDENTITY,")


@functools.lru_cache(maxsize=256)
def _translate(query: str, paramstyle: str) -> str:
    if paramstyle == "qmark":
        return query
    if "%" in query:  # no query of ours contains one; a literal % would need doubling for psycopg
        raise ValueError(f"'%' in a query: {query!r}")
    return query.replace("?", "%s")


def mask_password(url: str) -> str:
    """``url`` with its password, if any, replaced by ``***`` (for messages and logs)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rpartition("@")
    user = netloc[0].partition(":")[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc[2]}"))


class Transaction:
    """One transaction's cursor, with the few calls the store needs; rows come back as dicts."""

    def __init__(self, cursor: Any, dialect: Dialect) -> None:
        self.cursor = cursor
        self.dialect = dialect

    def execute(self, query: str, params: Sequence[Any] = ()) -> int:
        """Run a statement; the number of rows it changed."""
        self.cursor.execute(self.dialect.sql(query), tuple(params))
        rowcount: int = self.cursor.rowcount
        return rowcount

    def executemany(self, query: str, params: Iterable[Sequence[Any]]) -> None:
        rows = [tuple(p) for p in params]
        if rows:
            self.cursor.executemany(self.dialect.sql(query), rows)

    def one(self, query: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        self.cursor.execute(self.dialect.sql(query), tuple(params))
        row = self.cursor.fetchone()
        return None if row is None else self._dict(row)

    def all(self, query: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        self.cursor.execute(self.dialect.sql(query), tuple(params))
        return [self._dict(row) for row in self.cursor.fetchall()]

    def scalar(self, query: str, params: Sequence[Any] = ()) -> Any:
        self.cursor.execute(self.dialect.sql(query), tuple(params))
        row = self.cursor.fetchone()
        if row is None:
            return None
        return next(iter(row.values())) if isinstance(row, dict) else row[0]

    def succeeds(self, query: str, params: Sequence[Any] = ()) -> bool:
        """Whether ``query`` runs without an error, leaving the transaction usable either way (a savepoint:
        PostgreSQL would otherwise abort the whole transaction on the error)."""
        self.cursor.execute("SAVEPOINT probe")
        try:
            self.cursor.execute(self.dialect.sql(query), tuple(params))
        except Exception:
            self.cursor.execute("ROLLBACK TO SAVEPOINT probe")
            return False
        finally:
            self.cursor.execute("RELEASE SAVEPOINT probe")
        return True

    def _dict(self, row: Any) -> dict[str, Any]:
        if isinstance(row, dict):
            return row
        return {
            description[0]: value for description, value in zip(self.cursor.description, row, strict=True)
        }


class Database:
    """The interface both engines implement."""

    dialect: Dialect
    url: str
    """Where the data is: the SQLite file's absolute path, or the password-masked PostgreSQL URL."""

    def transaction(self) -> AbstractContextManager[Transaction]:
        """One transaction, committed when the block ends, rolled back if it raises.

        Constraint violations raise :class:`Conflict`, an unreachable database :class:`Unavailable`.
        """
        raise NotImplementedError

    def read(self) -> AbstractContextManager[Transaction]:
        """A transaction for reading: a consistent snapshot that takes no write lock."""
        return self.transaction()

    def create_schema(
        self,
        statements: Sequence[str],
        seed: Callable[[Transaction], None] | None = None,
        *,
        check: Callable[[Transaction], None] | None = None,
    ) -> None:
        """Run ``check`` (which may refuse an existing database by raising), the idempotent ``CREATE … IF
        NOT EXISTS`` ``statements`` and ``seed``, in one transaction that no other process runs at the same
        time."""
        raise NotImplementedError

    def ping(self) -> tuple[bool, str]:
        """``(True, "...")`` when a query went through just now; for the health check."""
        try:
            with self.transaction() as tx:
                tx.scalar("SELECT 1")
        except Unavailable as error:
            return False, f"{self.dialect.name} at {self.url}: {error}"
        return True, f"{self.dialect.name} at {self.url}"

    def close(self) -> None:
        """Release this thread's (SQLite) or this process's (PostgreSQL) connections."""

    def release(self) -> None:
        """End of a request in this thread: give back what the request held between transactions."""


# -- SQLite -----------------------------------------------------------------------------------------------


class SQLiteDatabase(Database):
    """A SQLite file.

    :param path: the file; its directory is created if missing.
    :param timeout: seconds a writer waits for another writer's lock before giving up.
    """

    dialect = SQLITE

    def __init__(self, path: str, *, timeout: float = 10.0) -> None:
        if not path:
            raise DatabaseError("database: the SQLite path must not be empty")
        self.path = self.url = os.path.abspath(path)
        self.timeout = timeout
        self._local = threading.local()
        os.makedirs(os.path.dirname(self.path), exist_ok=True)

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
        try:
            # WAL is a property of the file, set once by create_schema(); these are per connection
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute("PRAGMA foreign_keys=ON")
            connection.execute(f"PRAGMA busy_timeout={int(self.timeout * 1000)}")
        except BaseException:
            connection.close()
            raise
        return connection

    @property
    def connection(self) -> sqlite3.Connection:
        """This thread's connection (a new one in a forked child)."""
        pid = os.getpid()
        cached: tuple[int, sqlite3.Connection] | None = getattr(self._local, "connection", None)
        if cached is None or cached[0] != pid:
            cached = (pid, self._connect())
            self._local.connection = cached
        return cached[1]

    def close(self) -> None:
        cached = getattr(self._local, "connection", None)
        if cached is not None:
            del self._local.connection
            if cached[0] == os.getpid():
                cached[1].close()

    def release(self) -> None:
        self.close()  # one connection per request: opening a SQLite file costs microseconds

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        connection = self.connection
        try:
            # the write lock is taken at the start, so two writers never deadlock halfway
            connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:  # "database is locked" after busy_timeout
            raise Unavailable(str(error)) from error
        cursor = connection.cursor()
        try:
            yield Transaction(cursor, self.dialect)
        except sqlite3.IntegrityError as error:
            connection.execute("ROLLBACK")
            raise Conflict(str(error)) from error
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        finally:
            cursor.close()
        connection.execute("COMMIT")

    @contextmanager
    def read(self) -> Iterator[Transaction]:
        connection = self.connection
        connection.execute("BEGIN")  # deferred: a WAL snapshot, no lock that would block a writer
        cursor = connection.cursor()
        try:
            yield Transaction(cursor, self.dialect)
        finally:
            cursor.close()
            connection.execute("COMMIT")

    def _use_wal(self, connection: sqlite3.Connection) -> None:
        """Switch the file to WAL (a no-op once it is). SQLite answers "database is locked" at once, without
        waiting for the busy timeout, when another connection holds the file while the mode changes (several
        nodes opening a new file together), so the switch is retried until the timeout."""
        deadline = time.monotonic() + self.timeout
        pause = 0.005
        while True:
            try:
                connection.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() + pause > deadline:
                    raise Unavailable(f"{self.path}: {error}") from error
            time.sleep(pause)
            pause = min(pause * 2, 0.1)

    def create_schema(
        self,
        statements: Sequence[str],
        seed: Callable[[Transaction], None] | None = None,
        *,
        check: Callable[[Transaction], None] | None = None,
    ) -> None:
        # A throw-away connection: none must outlive a fork() of the process that loads the app.
        connection = self._connect()
        try:
            self._use_wal(connection)
            connection.execute("BEGIN IMMEDIATE")  # one creator at a time, across processes
            try:
                tx = Transaction(connection.cursor(), self.dialect)
                if check is not None:
                    check(tx)
                for statement in statements:
                    connection.execute(self.dialect.schema(statement))
                if seed is not None:
                    seed(tx)
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
        finally:
            connection.close()


# -- PostgreSQL -------------------------------------------------------------------------------------------


class PostgresDatabase(Database):
    """A PostgreSQL database through a psycopg connection pool per process.

    :param url: ``postgresql://user[:password]@host[:port]/dbname[?options]`` (libpq's URI syntax).
    :param pool_size: the most connections one process holds (the pool keeps one open when idle).
    :param timeout: seconds a request waits for a pooled connection before :class:`Unavailable`.
    :param connect_timeout: seconds to wait for a new connection to the server.
    """

    dialect = POSTGRES

    def __init__(
        self, url: str, *, pool_size: int = 4, timeout: float = 5.0, connect_timeout: float = 5.0
    ) -> None:
        try:
            import psycopg
            import psycopg_pool  # noqa: F401 - checked now, used in each worker
        except ImportError:
            raise DatabaseError(
                f"database: {mask_password(url)} needs psycopg 3 and psycopg_pool: "
                "pip install 'wsgikit-compute[postgres]'"
            ) from None
        if pool_size < 1:
            raise DatabaseError(f"database: pool_size must be at least 1, got {pool_size}")
        self.conninfo = url
        self.url = mask_password(url)
        self.pool_size = pool_size
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self._errors = psycopg
        self._pool: tuple[int, Any] | None = None
        self._lock = threading.Lock()
        try:  # fail at start-up, naming the database, rather than answer 503 to every request
            psycopg.connect(url, connect_timeout=max(1, round(connect_timeout))).close()
        except psycopg.Error as error:
            raise DatabaseError(f"database: cannot connect to {self.url}: {_first_line(error)}") from None

    def _connection_kwargs(self) -> dict[str, Any]:
        from psycopg.rows import dict_row

        return {"row_factory": dict_row, "connect_timeout": max(1, round(self.connect_timeout))}

    @property
    def pool(self) -> Any:
        """This process's pool, opened on first use (never one inherited over ``fork()``)."""
        pid = os.getpid()
        cached = self._pool
        if cached is None or cached[0] != pid:
            with self._lock:
                cached = self._pool
                if cached is None or cached[0] != pid:
                    from psycopg_pool import ConnectionPool

                    pool = ConnectionPool(
                        self.conninfo,
                        min_size=1,
                        max_size=self.pool_size,
                        timeout=self.timeout,
                        kwargs=self._connection_kwargs(),
                        check=ConnectionPool.check_connection,
                        name=f"wsgikit-compute-{pid}",
                        num_workers=2,
                        open=True,
                    )
                    cached = self._pool = (pid, pool)
        return cached[1]

    def close(self) -> None:
        cached, self._pool = self._pool, None
        if cached is not None and cached[0] == os.getpid():
            cached[1].close()

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        errors = self._errors
        try:
            with self.pool.connection() as connection, connection.cursor() as cursor:
                # the pool commits when the block ends normally and rolls back when it raises
                yield Transaction(cursor, self.dialect)
        except errors.IntegrityError as error:
            raise Conflict(_first_line(error)) from error
        except errors.OperationalError as error:  # includes the pool's PoolTimeout and a lost connection
            raise Unavailable(_first_line(error)) from error

    def create_schema(
        self,
        statements: Sequence[str],
        seed: Callable[[Transaction], None] | None = None,
        *,
        check: Callable[[Transaction], None] | None = None,
    ) -> None:
        from psycopg.rows import dict_row

        psycopg = self._errors
        try:
            with (
                psycopg.connect(self.conninfo, **self._connection_kwargs()) as connection,
                connection.cursor(row_factory=dict_row) as cursor,
            ):
                # Concurrent CREATE TABLE IF NOT EXISTS can still collide in the catalogue; nodes queue here.
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
                if check is not None:
                    check(Transaction(cursor, self.dialect))
                for statement in statements:
                    cursor.execute(self.dialect.schema(statement))
                if seed is not None:
                    seed(Transaction(cursor, self.dialect))
        except psycopg.OperationalError as error:
            raise DatabaseError(
                f"database: cannot create the schema in {self.url}: {_first_line(error)}"
            ) from None


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def open_database(location: str, *, pool_size: int = 4, timeout: float = 5.0) -> Database:
    """The database at ``location``: a ``postgresql://`` (or ``postgres://``) URL, else a SQLite path.

    :raises DatabaseError: for a URL of any other scheme (``mysql://…``: never taken for a file name),
        or a PostgreSQL that cannot be used (see :class:`PostgresDatabase`).
    """
    if "://" in location:
        scheme = location.partition("://")[0].lower()
        if scheme in POSTGRES_SCHEMES:
            return PostgresDatabase(location, pool_size=pool_size, timeout=timeout)
        raise DatabaseError(
            f"database: unsupported URL scheme {scheme!r} in {mask_password(location)}: "
            "use postgresql://user@host/dbname or a SQLite file path"
        )
    return SQLiteDatabase(location, timeout=max(timeout, 10.0))
