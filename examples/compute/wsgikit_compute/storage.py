"""Storage for the compute service: SQLite or PostgreSQL
=====================================================

One :class:`Store` per process, over a :class:`~wsgikit_compute.backends.Database`: a SQLite file (the
embedded default) or a PostgreSQL database shared by several nodes (``postgresql://`` URL). Every query is
written once, for both.

Several processes — gunicorn workers, or nodes on other machines — write at the same time, so the
invariants live in the database, never in a check-then-write in Python: server names are unique per
project and keypair names per user (``UNIQUE`` constraints; a duplicate raises :class:`NameTaken`, the API's
409), a state transition is one ``UPDATE … WHERE status = <expected>`` whose row count says whether it
happened, a delete is one ``DELETE`` whose row count says whether there was anything to delete, and
metadata writes lock their server's row first. Every write is one short transaction, so nothing
acknowledged is lost when a node dies; the schema is created at start-up, idempotently, by one process at
a time.

.. code-block:: python

    store = Store("/tmp/compute.sqlite3")
    server = store.create_server(project_id="demo", user_id="alice", name="web-1", flavor_id="1")
    assert store.get_server("demo", server.id).status == "ACTIVE"
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from wsgikit_compute.backends import Conflict, Database, Transaction, open_database

__all__ = ["FLAVORS", "SCHEMA", "Flavor", "Keypair", "NameTaken", "Server", "Store"]

# Standard SQL that SQLite and PostgreSQL both accept; {row_order_column} is the dialect's insertion order.
SCHEMA = [
    """
CREATE TABLE IF NOT EXISTS flavors (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    vcpus INTEGER NOT NULL,
    ram INTEGER NOT NULL,
    disk INTEGER NOT NULL
)""",
    """
CREATE TABLE IF NOT EXISTS servers (
    {row_order_column}
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    flavor_id TEXT NOT NULL REFERENCES flavors(id),
    key_name TEXT,
    status TEXT NOT NULL,
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    UNIQUE (project_id, name)
)""",
    "CREATE INDEX IF NOT EXISTS servers_by_project ON servers(project_id, created)",
    """
CREATE TABLE IF NOT EXISTS server_metadata (
    server_id TEXT NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (server_id, key)
)""",
    """
CREATE TABLE IF NOT EXISTS keypairs (
    user_id TEXT NOT NULL,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    public_key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    created TEXT NOT NULL,
    PRIMARY KEY (user_id, name)
)""",
]


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


class NameTaken(Exception):
    """The project already has a server by that name (the database's unique constraint said so)."""


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Store:
    """The compute service's database.

    :param location: a SQLite file path (its directory is created if missing) or a ``postgresql://`` URL.
    :param pool_size: PostgreSQL connections per process, at most.
    :param timeout: seconds a request waits for a connection (PostgreSQL) or a write lock (SQLite).
    :raises ~wsgikit_compute.backends.DatabaseError: when the location cannot be used (at start-up).
    """

    def __init__(self, location: str, *, pool_size: int = 4, timeout: float = 10.0) -> None:
        self.db: Database = open_database(location, pool_size=pool_size, timeout=timeout)
        self.path = self.db.url
        """The SQLite file's absolute path, or the PostgreSQL URL (password masked)."""
        self.db.create_schema(SCHEMA, self._seed)

    @staticmethod
    def _seed(tx: Transaction) -> None:
        tx.executemany(
            "INSERT INTO flavors (id, name, vcpus, ram, disk) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [(f.id, f.name, f.vcpus, f.ram, f.disk) for f in FLAVORS],
        )

    def close(self) -> None:
        """Release this thread's (SQLite) or this process's (PostgreSQL) connections."""
        self.db.close()

    def ping(self) -> tuple[bool, str]:
        """``(ok, message)`` for the health check: can a query go through now?"""
        return self.db.ping()

    # -- flavors --------------------------------------------------------------------------------------------

    def list_flavors(self) -> list[Flavor]:
        with self.db.read() as tx:
            rows = tx.all("SELECT id, name, vcpus, ram, disk FROM flavors ORDER BY CAST(id AS INTEGER), id")
        return [Flavor(**row) for row in rows]

    def get_flavor(self, flavor_id: str) -> Flavor | None:
        with self.db.read() as tx:
            row = tx.one("SELECT id, name, vcpus, ram, disk FROM flavors WHERE id = ?", (flavor_id,))
        return Flavor(**row) if row else None

    # -- servers --------------------------------------------------------------------------------------------

    _SERVER_COLUMNS = (
        "id, project_id, user_id, name, description, flavor_id, key_name, status, created, updated"
    )

    def _servers(self, tx: Transaction, rows: list[dict[str, Any]]) -> list[Server]:
        """Servers from ``rows``, with their metadata read in the same transaction."""
        if not rows:
            return []
        marks = ", ".join("?" for _ in rows)
        metadata: dict[str, dict[str, str]] = {row["id"]: {} for row in rows}
        for item in tx.all(
            f"SELECT server_id, key, value FROM server_metadata WHERE server_id IN ({marks}) ORDER BY key",
            [row["id"] for row in rows],
        ):
            metadata[item["server_id"]][item["key"]] = item["value"]
        return [Server(**row, metadata=metadata[row["id"]]) for row in rows]

    def list_servers(self, project_id: str) -> list[Server]:
        with self.db.read() as tx:
            rows = tx.all(
                f"SELECT {self._SERVER_COLUMNS} FROM servers WHERE project_id = ?"
                f" ORDER BY created, {self.db.dialect.row_order}",
                (project_id,),
            )
            return self._servers(tx, rows)

    def get_server(self, project_id: str, server_id: str) -> Server | None:
        with self.db.read() as tx:
            return self._get_server(tx, project_id, server_id)

    def _get_server(self, tx: Transaction, project_id: str, server_id: str) -> Server | None:
        row = tx.one(
            f"SELECT {self._SERVER_COLUMNS} FROM servers WHERE id = ? AND project_id = ?",
            (server_id, project_id),
        )
        return self._servers(tx, [row])[0] if row else None

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
        """The new server, ``ACTIVE``.

        :raises NameTaken: the project has a server called ``name`` already.
        """
        server_id = str(uuid.uuid4())
        now = _now()
        try:
            with self.db.transaction() as tx:
                # ON CONFLICT (project_id, name) DO NOTHING: a taken name changes no row, in either engine,
                # and leaves the transaction usable (PostgreSQL aborts a transaction on a violation)
                inserted = tx.execute(
                    "INSERT INTO servers (id, project_id, user_id, name, description, flavor_id, key_name,"
                    " status, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, 'ACTIVE', ?, ?)"
                    " ON CONFLICT (project_id, name) DO NOTHING",
                    (server_id, project_id, user_id, name, description, flavor_id, key_name, now, now),
                )
                if inserted != 1:
                    raise NameTaken(name)
                tx.executemany(
                    "INSERT INTO server_metadata (server_id, key, value) VALUES (?, ?, ?)",
                    [(server_id, key, value) for key, value in (metadata or {}).items()],
                )
                server = self._get_server(tx, project_id, server_id)
        except Conflict as error:  # a flavor deleted meanwhile: the foreign key refused it
            raise ValueError(f"cannot create server {name!r}: {error}") from error
        assert server is not None
        return server

    def update_server(self, project_id: str, server_id: str, **fields: str | None) -> Server | None:
        """The updated server, or ``None`` if there is no such server.

        :raises NameTaken: renaming to a name the project already uses.
        """
        allowed = {"name", "description"}
        unknown = set(fields) - allowed
        if unknown:
            raise ValueError(f"cannot update {sorted(unknown)}")
        assignments = "".join(f"{name} = ?, " for name in fields)
        try:
            with self.db.transaction() as tx:
                changed = tx.execute(
                    f"UPDATE servers SET {assignments}updated = ? WHERE id = ? AND project_id = ?",
                    (*fields.values(), _now(), server_id, project_id),
                )
                return self._get_server(tx, project_id, server_id) if changed else None
        except Conflict as error:
            raise NameTaken(str(fields.get("name"))) from error

    def delete_server(self, project_id: str, server_id: str) -> bool:
        with self.db.transaction() as tx:
            deleted = tx.execute(
                "DELETE FROM servers WHERE id = ? AND project_id = ?", (server_id, project_id)
            )
        return deleted > 0

    def transition(self, project_id: str, server_id: str, expected: str, new: str) -> str | None:
        """Move a server from status ``expected`` to ``new`` atomically: one conditional ``UPDATE``.

        :returns: ``None`` if the server does not exist, else the status it had (equal to ``expected`` when
            the transition happened).
        """
        with self.db.transaction() as tx:
            if tx.execute(
                "UPDATE servers SET status = ?, updated = ? WHERE id = ? AND project_id = ? AND status = ?",
                (new, _now(), server_id, project_id, expected),
            ):
                return expected
            status: str | None = tx.scalar(
                "SELECT status FROM servers WHERE id = ? AND project_id = ?", (server_id, project_id)
            )
            return status

    # -- metadata -------------------------------------------------------------------------------------------

    def _lock_server(self, tx: Transaction, project_id: str, server_id: str) -> bool:
        """Lock the server's row until the transaction ends (a delete waits); ``False`` if there is none."""
        return (
            tx.one(
                f"SELECT id FROM servers WHERE id = ? AND project_id = ?{self.db.dialect.for_update}",
                (server_id, project_id),
            )
            is not None
        )

    def set_metadata(
        self, project_id: str, server_id: str, metadata: dict[str, str], *, replace: bool
    ) -> dict[str, str] | None:
        """Merge ``metadata`` into the server's (or replace it all). ``None`` if there is no such server."""
        with self.db.transaction() as tx:
            if not self._lock_server(tx, project_id, server_id):
                return None
            if replace:
                tx.execute("DELETE FROM server_metadata WHERE server_id = ?", (server_id,))
            tx.executemany(
                "INSERT INTO server_metadata (server_id, key, value) VALUES (?, ?, ?)"
                " ON CONFLICT (server_id, key) DO UPDATE SET value = excluded.value",
                [(server_id, key, value) for key, value in metadata.items()],
            )
            tx.execute("UPDATE servers SET updated = ? WHERE id = ?", (_now(), server_id))
            server = self._get_server(tx, project_id, server_id)
        return server.metadata if server else None

    def delete_metadata_item(self, project_id: str, server_id: str, key: str) -> bool | None:
        """``None`` if there is no such server, ``False`` if it has no such key."""
        with self.db.transaction() as tx:
            if not self._lock_server(tx, project_id, server_id):
                return None
            deleted = tx.execute(
                "DELETE FROM server_metadata WHERE server_id = ? AND key = ?", (server_id, key)
            )
        return deleted > 0

    # -- keypairs -------------------------------------------------------------------------------------------

    _KEYPAIR_COLUMNS = "user_id, name, type, public_key, fingerprint, created"

    def list_keypairs(self, user_id: str) -> list[Keypair]:
        with self.db.read() as tx:
            rows = tx.all(
                f"SELECT {self._KEYPAIR_COLUMNS} FROM keypairs WHERE user_id = ? ORDER BY name", (user_id,)
            )
        return [Keypair(**row) for row in rows]

    def get_keypair(self, user_id: str, name: str) -> Keypair | None:
        with self.db.read() as tx:
            row = tx.one(
                f"SELECT {self._KEYPAIR_COLUMNS} FROM keypairs WHERE user_id = ? AND name = ?",
                (user_id, name),
            )
        return Keypair(**row) if row else None

    def create_keypair(
        self, *, user_id: str, name: str, type: str, public_key: str, fingerprint: str
    ) -> Keypair | None:
        """The new keypair, or ``None`` when the user already has one by that name."""
        keypair = Keypair(user_id, name, type, public_key, fingerprint, _now())
        with self.db.transaction() as tx:
            inserted = tx.execute(
                "INSERT INTO keypairs (user_id, name, type, public_key, fingerprint, created)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, name) DO NOTHING",
                (user_id, name, type, public_key, fingerprint, keypair.created),
            )
        return keypair if inserted == 1 else None

    def delete_keypair(self, user_id: str, name: str) -> bool:
        with self.db.transaction() as tx:
            deleted = tx.execute("DELETE FROM keypairs WHERE user_id = ? AND name = ?", (user_id, name))
        return deleted > 0

    def count_servers(self) -> int:
        """Every server in the database, all projects (for tests and operators)."""
        with self.db.read() as tx:
            count: int = tx.scalar("SELECT COUNT(*) FROM servers")
        return count
