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

import ipaddress
import os
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

__all__ = [
    "FLAVORS",
    "FLAVOR_EXTRA_SPECS",
    "IMAGES",
    "NETWORK",
    "SCHEMA_VERSION",
    "Address",
    "AddressPoolExhausted",
    "Flavor",
    "Image",
    "Keypair",
    "SchemaMismatch",
    "Server",
    "Store",
]

SCHEMA_VERSION = 2
"""Bumped whenever the schema changes; a database made by another version is refused at start-up."""

# Standard SQL that SQLite and PostgreSQL both accept. Invariants live here, as constraints, so that no
# code path (or concurrent writer) can break them.
SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS flavors (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    vcpus INTEGER NOT NULL CHECK (vcpus > 0),
    ram INTEGER NOT NULL CHECK (ram > 0),
    disk INTEGER NOT NULL CHECK (disk >= 0),
    ephemeral INTEGER NOT NULL DEFAULT 0 CHECK (ephemeral >= 0),
    swap INTEGER NOT NULL DEFAULT 0 CHECK (swap >= 0)
);
CREATE TABLE IF NOT EXISTS flavor_extra_specs (
    flavor_id TEXT NOT NULL REFERENCES flavors(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (flavor_id, key)
);
CREATE TABLE IF NOT EXISTS images (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'active', 'deactivated')),
    visibility TEXT NOT NULL CHECK (visibility IN ('public', 'private', 'shared', 'community')),
    disk_format TEXT NOT NULL,
    container_format TEXT NOT NULL,
    size INTEGER NOT NULL CHECK (size >= 0),
    min_disk INTEGER NOT NULL DEFAULT 0 CHECK (min_disk >= 0),
    min_ram INTEGER NOT NULL DEFAULT 0 CHECK (min_ram >= 0),
    checksum TEXT NOT NULL,
    created TEXT NOT NULL,
    updated TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS images_by_name ON images(name);
CREATE TABLE IF NOT EXISTS servers (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    flavor_id TEXT NOT NULL REFERENCES flavors(id),
    image_id TEXT REFERENCES images(id),
    key_name TEXT,
    availability_zone TEXT NOT NULL DEFAULT 'nova',
    status TEXT NOT NULL CHECK (status IN ('BUILD', 'ACTIVE', 'SHUTOFF', 'ERROR')),
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
CREATE TABLE IF NOT EXISTS server_addresses (
    server_id TEXT NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
    network TEXT NOT NULL,
    address TEXT NOT NULL,
    version INTEGER NOT NULL CHECK (version IN (4, 6)),
    mac TEXT NOT NULL,
    PRIMARY KEY (server_id, network, address),
    UNIQUE (network, address)
);
CREATE TABLE IF NOT EXISTS keypairs (
    user_id TEXT NOT NULL,
    name TEXT NOT NULL,
    type TEXT NOT NULL CHECK (type IN ('ssh', 'x509')),
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
    ephemeral: int = 0
    swap: int = 0


FLAVORS = (
    Flavor("1", "m1.tiny", 1, 512, 1),
    Flavor("2", "m1.small", 1, 2048, 20),
    Flavor("3", "m1.medium", 2, 4096, 40),
    Flavor("4", "m1.large", 4, 8192, 80, ephemeral=10, swap=1024),
)
"""The flavors seeded into a new database."""

FLAVOR_EXTRA_SPECS = {
    "3": {"hw:cpu_policy": "shared"},
    "4": {"hw:cpu_policy": "dedicated", "hw:mem_page_size": "large"},
}
"""Extra specs of the seeded flavors (``GET /flavors/{id}/os-extra_specs``)."""


@dataclass(frozen=True)
class Image:
    id: str
    name: str
    status: str
    visibility: str
    disk_format: str
    container_format: str
    size: int
    min_disk: int
    min_ram: int
    checksum: str
    created: str
    updated: str


_SEEDED = "2026-01-01T00:00:00Z"
IMAGES = (
    Image(
        "8c6b5d1e-3f0a-4a5e-9d33-6f1f1d9c2a01", "cirros-0.6.2-x86_64-disk", "active", "public", "qcow2",
        "bare", 21430272, 0, 0, "c8fc807773e5354afe61636071771906", _SEEDED, _SEEDED,
    ),
    Image(
        "2d7f4b0e-9a43-4c8e-8b6e-0a4a5f1c7b02", "debian-12-genericcloud-amd64", "active", "public", "qcow2",
        "bare", 343867392, 2, 256, "4f8e0c1c3a5b2d6e7f8091a2b3c4d5e6", _SEEDED, _SEEDED,
    ),
)  # fmt: skip
"""The image catalogue seeded into a new database (what ``--image NAME`` resolves against)."""


@dataclass(frozen=True)
class Address:
    network: str
    address: str
    version: int
    mac: str


@dataclass(frozen=True)
class Server:
    id: str
    project_id: str
    user_id: str
    name: str
    description: str | None
    flavor_id: str
    image_id: str | None
    key_name: str | None
    availability_zone: str
    status: str
    created: str
    updated: str
    metadata: dict[str, str] = field(default_factory=dict)
    addresses: tuple[Address, ...] = ()


@dataclass(frozen=True)
class Keypair:
    user_id: str
    name: str
    type: str
    public_key: str
    fingerprint: str
    created: str


class SchemaMismatch(RuntimeError):
    """The database file was made by another version of the example."""


class AddressPoolExhausted(Exception):
    """No free address is left on the network."""


NETWORK = "private"
_POOL = ipaddress.ip_network("10.0.0.0/24")
_FIRST_HOST = 3  # .1 is the router, .2 the DHCP server, as in a devstack "private" network


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
            self._check_version(connection)
            connection.executescript(SCHEMA)
            with self._transaction(connection) as db:
                if db.execute("SELECT version FROM schema_version").fetchone() is None:
                    db.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,))
                self._seed(db)
        finally:
            connection.close()

    def _check_version(self, connection: sqlite3.Connection) -> None:
        """Refuse a file made by another version of the example (its tables would not match)."""
        try:
            row = connection.execute("SELECT version FROM schema_version").fetchone()
        except sqlite3.OperationalError:  # no such table: a new file, or one from before versions
            try:
                connection.execute("SELECT id FROM servers WHERE 1 = 0")
            except sqlite3.OperationalError:
                return  # a new file
            row = {"version": 1}
        if row is not None and row["version"] != SCHEMA_VERSION:
            raise SchemaMismatch(
                f"{self.path} has schema version {row['version']}, this example needs {SCHEMA_VERSION}: "
                "delete it (or point WSGIKIT_COMPUTE_DB elsewhere) and start again"
            )

    @staticmethod
    def _seed(db: sqlite3.Connection) -> None:
        db.executemany(
            "INSERT INTO flavors (id, name, vcpus, ram, disk, ephemeral, swap) VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (id) DO NOTHING",
            [(f.id, f.name, f.vcpus, f.ram, f.disk, f.ephemeral, f.swap) for f in FLAVORS],
        )
        db.executemany(
            "INSERT INTO flavor_extra_specs (flavor_id, key, value) VALUES (?, ?, ?)"
            " ON CONFLICT (flavor_id, key) DO NOTHING",
            [(fid, key, value) for fid, specs in FLAVOR_EXTRA_SPECS.items() for key, value in specs.items()],
        )
        db.executemany(
            "INSERT INTO images (id, name, status, visibility, disk_format, container_format, size,"
            " min_disk, min_ram, checksum, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (id) DO NOTHING",
            [
                (i.id, i.name, i.status, i.visibility, i.disk_format, i.container_format, i.size,
                 i.min_disk, i.min_ram, i.checksum, i.created, i.updated)
                for i in IMAGES
            ],
        )  # fmt: skip

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
        with self._transaction(self.connection) as db:
            yield db

    @staticmethod
    @contextmanager
    def _transaction(connection: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
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

    def flavor_extra_specs(self, flavor_id: str) -> dict[str, str] | None:
        """The flavor's extra specs, or ``None`` if there is no such flavor."""
        if self.get_flavor(flavor_id) is None:
            return None
        rows = self.connection.execute(
            "SELECT key, value FROM flavor_extra_specs WHERE flavor_id = ? ORDER BY key", (flavor_id,)
        ).fetchall()
        return {row["key"]: row["value"] for row in rows}

    # -- images ---------------------------------------------------------------------------------------------

    def list_images(self, *, name: str | None = None) -> list[Image]:
        if name is None:
            rows = self.connection.execute("SELECT * FROM images ORDER BY name, id").fetchall()
        else:
            rows = self.connection.execute(
                "SELECT * FROM images WHERE name = ? ORDER BY id", (name,)
            ).fetchall()
        return [Image(**dict(row)) for row in rows]

    def get_image(self, image_id: str) -> Image | None:
        row = self.connection.execute("SELECT * FROM images WHERE id = ?", (image_id,)).fetchone()
        return Image(**dict(row)) if row else None

    # -- servers --------------------------------------------------------------------------------------------

    def _server(self, row: sqlite3.Row) -> Server:
        metadata = {
            item["key"]: item["value"]
            for item in self.connection.execute(
                "SELECT key, value FROM server_metadata WHERE server_id = ? ORDER BY key", (row["id"],)
            ).fetchall()
        }
        addresses = tuple(
            Address(**dict(item))
            for item in self.connection.execute(
                "SELECT network, address, version, mac FROM server_addresses WHERE server_id = ?"
                " ORDER BY network, address",
                (row["id"],),
            ).fetchall()
        )
        return Server(**dict(row), metadata=metadata, addresses=addresses)

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
        image_id: str | None = None,
        description: str | None = None,
        key_name: str | None = None,
        availability_zone: str = "nova",
        metadata: dict[str, str] | None = None,
        network: bool = False,
    ) -> Server:
        """A new ``ACTIVE`` server; with ``network``, one fixed IPv4 address on :data:`NETWORK`.

        :raises AddressPoolExhausted: ``network`` asked and no address is free.
        """
        server_id = str(uuid.uuid4())
        now = _now()
        with self.write() as db:
            db.execute(
                "INSERT INTO servers (id, project_id, user_id, name, description, flavor_id, image_id,"
                " key_name, availability_zone, status, created, updated)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'ACTIVE', ?, ?)",
                (server_id, project_id, user_id, name, description, flavor_id, image_id, key_name,
                 availability_zone, now, now),
            )  # fmt: skip
            db.executemany(
                "INSERT INTO server_metadata (server_id, key, value) VALUES (?, ?, ?)",
                [(server_id, key, value) for key, value in (metadata or {}).items()],
            )
            if network:
                self._allocate_address(db, server_id)
        server = self.get_server(project_id, server_id)
        assert server is not None
        return server

    @staticmethod
    def _allocate_address(db: sqlite3.Connection, server_id: str) -> None:
        """The lowest free address of the pool; UNIQUE (network, address) guarantees no address is handed
        out twice even if two writers picked the same one (the second insert fails)."""
        used = {
            row["address"]
            for row in db.execute("SELECT address FROM server_addresses WHERE network = ?", (NETWORK,))
        }
        for index, host in enumerate(_POOL.hosts()):
            if index + 1 < _FIRST_HOST or str(host) in used:
                continue
            mac = "fa:16:3e:" + ":".join(server_id.replace("-", "")[i : i + 2] for i in (0, 2, 4))
            db.execute(
                "INSERT INTO server_addresses (server_id, network, address, version, mac)"
                " VALUES (?, ?, ?, 4, ?)",
                (server_id, NETWORK, str(host), mac),
            )
            return
        raise AddressPoolExhausted(f"no free address on network {NETWORK!r} ({_POOL})")

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
        """Move a server from status ``expected`` to ``new`` atomically (one conditional ``UPDATE``).

        :returns: ``None`` if the server does not exist, else the status it had (equal to ``expected`` when
            the transition happened).
        """
        with self.write() as db:
            cursor = db.execute(
                "UPDATE servers SET status = ?, updated = ? WHERE id = ? AND project_id = ? AND status = ?",
                (new, _now(), server_id, project_id, expected),
            )
            if cursor.rowcount:
                return expected
            row = db.execute(
                "SELECT status FROM servers WHERE id = ? AND project_id = ?", (server_id, project_id)
            ).fetchone()
        if row is None:
            return None
        status: str = row["status"]
        return status

    # -- metadata -------------------------------------------------------------------------------------------

    def set_metadata(
        self, project_id: str, server_id: str, metadata: dict[str, str], *, replace: bool
    ) -> dict[str, str] | None:
        """Merge ``metadata`` into the server's (or replace it all). ``None`` if there is no such server."""
        with self.write() as db:
            cursor = db.execute(
                "UPDATE servers SET updated = ? WHERE id = ? AND project_id = ?",
                (_now(), server_id, project_id),
            )
            if not cursor.rowcount:
                return None
            if replace:
                db.execute("DELETE FROM server_metadata WHERE server_id = ?", (server_id,))
            db.executemany(
                "INSERT INTO server_metadata (server_id, key, value) VALUES (?, ?, ?)"
                " ON CONFLICT (server_id, key) DO UPDATE SET value = excluded.value",
                [(server_id, key, value) for key, value in metadata.items()],
            )
        server = self.get_server(project_id, server_id)
        return server.metadata if server else None

    def delete_metadata_item(self, project_id: str, server_id: str, key: str) -> bool | None:
        """``None`` if there is no such server, ``False`` if it has no such key."""
        with self.write() as db:
            cursor = db.execute(
                "DELETE FROM server_metadata WHERE key = ? AND server_id ="
                " (SELECT id FROM servers WHERE id = ? AND project_id = ?)",
                (key, server_id, project_id),
            )
            if cursor.rowcount:
                return True
            exists = db.execute(
                "SELECT 1 FROM servers WHERE id = ? AND project_id = ?", (server_id, project_id)
            ).fetchone()
        return False if exists else None

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
        """The new keypair, or ``None`` when the user already has one by that name (the primary key says so:
        two concurrent creates cannot both succeed)."""
        keypair = Keypair(user_id, name, type, public_key, fingerprint, _now())
        with self.write() as db:
            cursor = db.execute(
                "INSERT INTO keypairs (user_id, name, type, public_key, fingerprint, created)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, name) DO NOTHING",
                (user_id, name, type, public_key, fingerprint, keypair.created),
            )
        return keypair if cursor.rowcount else None

    def delete_keypair(self, user_id: str, name: str) -> bool:
        with self.write() as db:
            cursor = db.execute("DELETE FROM keypairs WHERE user_id = ? AND name = ?", (user_id, name))
        return cursor.rowcount > 0

    def count_servers(self) -> int:
        """Every server in the database, all projects (for tests and operators)."""
        count: int = self.connection.execute("SELECT COUNT(*) FROM servers").fetchone()[0]
        return count
