"""SQLite storage for the compute service
======================================

One :class:`Store` per process holds the database path; every thread gets its own ``sqlite3`` connection
(SQLite connections must not be shared between threads), and a connection inherited over ``fork()`` — a
gunicorn worker of an app loaded in the master — is never reused: the process id is part of the key.
A connection is opened on first use and lives until :meth:`Store.close` in that thread: the database filter
closes it when the request's response is closed, and a ``with Store(path) as store:`` block closes it on exit,
so no connection is left for the garbage collector (Python 3.13 warns about those).

The schema is created on first start; the database runs in WAL mode so that readers never block the writer
and several processes can write one after another (``busy_timeout`` makes them wait, not fail). Every write
is one short ``BEGIN IMMEDIATE`` transaction, so nothing acknowledged is lost on a restart or a crash.

.. code-block:: python

    with Store("/tmp/compute.sqlite3") as store:
        server = store.create_server(project_id="demo", user_id="alice", name="web-1", flavor_id="1")
        assert store.get_server("demo", server.id).status == "ACTIVE"
"""

from __future__ import annotations

import os
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

__all__ = ["FLAVORS", "Flavor", "Keypair", "Server", "Store"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS flavors (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    vcpus INTEGER NOT NULL,
    ram INTEGER NOT NULL,
    disk INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS servers (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    flavor_id TEXT NOT NULL REFERENCES flavors(id),
    key_name TEXT,
    status TEXT NOT NULL,
    created TEXT NOT NULL,
    updated TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS servers_by_project ON servers(project_id, created);
CREATE TABLE IF NOT EXISTS server_metadata (
    server_id TEXT NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (server_id, key)
);
CREATE TABLE IF NOT EXISTS keypairs (
    user_id TEXT NOT NULL,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    public_key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    created TEXT NOT NULL,
    PRIMARY KEY (user_id, name)
);
"""


@dataclass(frozen=True)
class Flavor:
    id: str
    name: str
    vcpus: int
    ram: int
    disk: int


FLAVORS = (
    Flavor("1", "m1.tiny", 1, 512, 1),
    Flavor("2", "m1.small", 1, 2048, 20),
    Flavor("3", "m1.medium", 2, 4096, 40),
    Flavor("4", "m1.large", 4, 8192, 80),
)
"""The flavors seeded into a new database."""


@dataclass(frozen=True)
class Server:
    id: str
    project_id: str
    user_id: str
    name: str
    description: str | None
    flavor_id: str
    key_name: str | None
    status: str
    created: str
    updated: str
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Keypair:
    user_id: str
    name: str
    type: str
    public_key: str
    fingerprint: str
    created: str


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Store:
    """The compute service's database.

    :param path: the SQLite file; its directory is created if missing.
    :param timeout: seconds a writer waits for another process's write lock before failing.
    """

    def __init__(self, path: str, *, timeout: float = 10.0) -> None:
        if not path:
            raise ValueError("database: path must not be empty")
        self.path = os.path.abspath(path)
        self.timeout = timeout
        self._local = threading.local()
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        # Create the schema with a throw-away connection, so no connection outlives a fork().
        connection = self._connect()
        try:
            with connection:
                connection.executescript(SCHEMA)
                connection.executemany(
                    "INSERT OR IGNORE INTO flavors (id, name, vcpus, ram, disk) VALUES (?, ?, ?, ?, ?)",
                    [(f.id, f.name, f.vcpus, f.ram, f.disk) for f in FLAVORS],
                )
        finally:
            connection.close()

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
        connection.row_factory = sqlite3.Row
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute("PRAGMA foreign_keys=ON")
        connection.execute(f"PRAGMA busy_timeout={int(self.timeout * 1000)}")
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
        """Close this thread's connection, if it has one; the next use opens a new one.

        Each thread that used the store calls this when it is done (the database filter does, per request).
        """
        cached = getattr(self._local, "connection", None)
        if cached is not None:
            del self._local.connection
            cached[1].close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: the write lock is taken at the start, so it never deadlocks halfway."""
        connection = self.connection
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield connection
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")

    # -- flavors --------------------------------------------------------------------------------------------

    def list_flavors(self) -> list[Flavor]:
        rows = self.connection.execute("SELECT * FROM flavors ORDER BY CAST(id AS INTEGER), id").fetchall()
        return [Flavor(**dict(row)) for row in rows]

    def get_flavor(self, flavor_id: str) -> Flavor | None:
        row = self.connection.execute("SELECT * FROM flavors WHERE id = ?", (flavor_id,)).fetchone()
        return Flavor(**dict(row)) if row else None

    # -- servers --------------------------------------------------------------------------------------------

    def _server(self, row: sqlite3.Row) -> Server:
        metadata = dict(
            self.connection.execute(
                "SELECT key, value FROM server_metadata WHERE server_id = ? ORDER BY key", (row["id"],)
            ).fetchall()
        )
        return Server(**dict(row), metadata=metadata)

    def list_servers(self, project_id: str) -> list[Server]:
        rows = self.connection.execute(
            "SELECT * FROM servers WHERE project_id = ? ORDER BY created, rowid", (project_id,)
        ).fetchall()
        return [self._server(row) for row in rows]

    def get_server(self, project_id: str, server_id: str) -> Server | None:
        row = self.connection.execute(
            "SELECT * FROM servers WHERE id = ? AND project_id = ?", (server_id, project_id)
        ).fetchone()
        return self._server(row) if row else None

    def create_server(
        self,
        *,
        project_id: str,
        user_id: str,
        name: str,
        flavor_id: str,
        description: str | None = None,
        key_name: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> Server:
        server_id = str(uuid.uuid4())
        now = _now()
        with self.write() as db:
            db.execute(
                "INSERT INTO servers (id, project_id, user_id, name, description, flavor_id, key_name,"
                " status, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, 'ACTIVE', ?, ?)",
                (server_id, project_id, user_id, name, description, flavor_id, key_name, now, now),
            )
            db.executemany(
                "INSERT INTO server_metadata (server_id, key, value) VALUES (?, ?, ?)",
                [(server_id, key, value) for key, value in (metadata or {}).items()],
            )
        server = self.get_server(project_id, server_id)
        assert server is not None
        return server

    def update_server(self, project_id: str, server_id: str, **fields: str | None) -> Server | None:
        allowed = {"name", "description"}
        unknown = set(fields) - allowed
        if unknown:
            raise ValueError(f"cannot update {sorted(unknown)}")
        with self.write() as db:
            assignments = "".join(f"{name} = ?, " for name in fields)
            cursor = db.execute(
                f"UPDATE servers SET {assignments}updated = ? WHERE id = ? AND project_id = ?",
                (*fields.values(), _now(), server_id, project_id),
            )
        return self.get_server(project_id, server_id) if cursor.rowcount else None

    def delete_server(self, project_id: str, server_id: str) -> bool:
        with self.write() as db:
            cursor = db.execute(
                "DELETE FROM servers WHERE id = ? AND project_id = ?", (server_id, project_id)
            )
        return cursor.rowcount > 0

    def transition(self, project_id: str, server_id: str, expected: str, new: str) -> str | None:
        """Move a server from status ``expected`` to ``new`` atomically.

        :returns: ``None`` if the server does not exist, else the status it had (equal to ``expected`` when
            the transition happened).
        """
        with self.write() as db:
            row = db.execute(
                "SELECT status FROM servers WHERE id = ? AND project_id = ?", (server_id, project_id)
            ).fetchone()
            if row is None:
                return None
            if row["status"] == expected:
                db.execute(
                    "UPDATE servers SET status = ?, updated = ? WHERE id = ?", (new, _now(), server_id)
                )
            status: str = row["status"]
            return status

    # -- metadata -------------------------------------------------------------------------------------------

    def set_metadata(
        self, project_id: str, server_id: str, metadata: dict[str, str], *, replace: bool
    ) -> dict[str, str] | None:
        """Merge ``metadata`` into the server's (or replace it all). ``None`` if there is no such server."""
        with self.write() as db:
            if not db.execute(
                "SELECT 1 FROM servers WHERE id = ? AND project_id = ?", (server_id, project_id)
            ).fetchone():
                return None
            if replace:
                db.execute("DELETE FROM server_metadata WHERE server_id = ?", (server_id,))
            db.executemany(
                "INSERT OR REPLACE INTO server_metadata (server_id, key, value) VALUES (?, ?, ?)",
                [(server_id, key, value) for key, value in metadata.items()],
            )
            db.execute("UPDATE servers SET updated = ? WHERE id = ?", (_now(), server_id))
        server = self.get_server(project_id, server_id)
        return server.metadata if server else None

    def delete_metadata_item(self, project_id: str, server_id: str, key: str) -> bool | None:
        """``None`` if there is no such server, ``False`` if it has no such key."""
        with self.write() as db:
            if not db.execute(
                "SELECT 1 FROM servers WHERE id = ? AND project_id = ?", (server_id, project_id)
            ).fetchone():
                return None
            cursor = db.execute(
                "DELETE FROM server_metadata WHERE server_id = ? AND key = ?", (server_id, key)
            )
        return cursor.rowcount > 0

    # -- keypairs -------------------------------------------------------------------------------------------

    def list_keypairs(self, user_id: str) -> list[Keypair]:
        rows = self.connection.execute(
            "SELECT * FROM keypairs WHERE user_id = ? ORDER BY name", (user_id,)
        ).fetchall()
        return [Keypair(**dict(row)) for row in rows]

    def get_keypair(self, user_id: str, name: str) -> Keypair | None:
        row = self.connection.execute(
            "SELECT * FROM keypairs WHERE user_id = ? AND name = ?", (user_id, name)
        ).fetchone()
        return Keypair(**dict(row)) if row else None

    def create_keypair(
        self, *, user_id: str, name: str, type: str, public_key: str, fingerprint: str
    ) -> Keypair | None:
        """The new keypair, or ``None`` when the user already has one by that name."""
        keypair = Keypair(user_id, name, type, public_key, fingerprint, _now())
        try:
            with self.write() as db:
                db.execute(
                    "INSERT INTO keypairs (user_id, name, type, public_key, fingerprint, created)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (user_id, name, type, public_key, fingerprint, keypair.created),
                )
        except sqlite3.IntegrityError:
            return None
        return keypair

    def delete_keypair(self, user_id: str, name: str) -> bool:
        with self.write() as db:
            cursor = db.execute("DELETE FROM keypairs WHERE user_id = ? AND name = ?", (user_id, name))
        return cursor.rowcount > 0

    def count_servers(self) -> int:
        """Every server in the database, all projects (for tests and operators)."""
        count: int = self.connection.execute("SELECT COUNT(*) FROM servers").fetchone()[0]
        return count
