"""Storage for the compute service: SQLite or PostgreSQL
=====================================================

One :class:`Store` per process, over a :class:`~wsgikit_compute.backends.Database`: a SQLite file (the
embedded default) or a PostgreSQL database shared by several nodes (``postgresql://`` URL). Every query is
written once, for both. Connections are released at the end of each request (:meth:`Store.release`: a
SQLite thread's connection is closed; a PostgreSQL one went back to its pool when its transaction ended), and
:meth:`Store.close` — or the end of a ``with Store(location) as store:`` block — releases everything this
thread or process holds, so no connection is left for the garbage collector (Python 3.13 warns about those).

Several processes — gunicorn workers, or nodes on other machines — write at the same time, so the
invariants live in the database, never in a check-then-write in Python: server names are unique per
project and keypair names per user (``UNIQUE`` constraints; a duplicate raises :class:`NameTaken`, the API's
409), a state transition is one ``UPDATE … WHERE status = <expected>`` whose row count says whether it
happened, a delete is one ``DELETE`` whose row count says whether there was anything to delete, and
metadata writes lock their server's row first. Every write is one short transaction, so nothing
acknowledged is lost when a node dies; the schema is created at start-up, idempotently, by one process at
a time.

.. code-block:: python

    with Store("/tmp/compute.sqlite3") as store:
        server = store.create_server(project_id="demo", user_id="alice", name="web-1", flavor_id="1")
        assert store.get_server("demo", server.id).status == "ACTIVE"
"""

from __future__ import annotations

import ipaddress
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from wsgikit_compute.backends import Conflict, Database, DatabaseError, Transaction, open_database

__all__ = [
    "FLAVORS",
    "FLAVOR_EXTRA_SPECS",
    "IMAGES",
    "NETWORK",
    "SCHEMA",
    "SCHEMA_VERSION",
    "Address",
    "AddressPoolExhausted",
    "Flavor",
    "Image",
    "Keypair",
    "NameTaken",
    "SchemaMismatch",
    "Server",
    "Store",
]

SCHEMA_VERSION = 3
"""Bumped whenever the schema changes; a database made by another version is refused at start-up
(3: server names unique per project)."""

# Standard SQL that SQLite and PostgreSQL both accept, one statement each. Invariants live here, as
# constraints, so that no code path (or concurrent writer, on any node) can break them. {row_order_column}
# is the dialect's insertion-order column (none in SQLite, which has rowid).
SCHEMA = [
    """
CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER NOT NULL
)""",
    """
CREATE TABLE IF NOT EXISTS flavors (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    vcpus INTEGER NOT NULL CHECK (vcpus > 0),
    ram INTEGER NOT NULL CHECK (ram > 0),
    disk INTEGER NOT NULL CHECK (disk >= 0),
    ephemeral INTEGER NOT NULL DEFAULT 0 CHECK (ephemeral >= 0),
    swap INTEGER NOT NULL DEFAULT 0 CHECK (swap >= 0)
)""",
    """
CREATE TABLE IF NOT EXISTS flavor_extra_specs (
    flavor_id TEXT NOT NULL REFERENCES flavors(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (flavor_id, key)
)""",
    """
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
)""",
    """
CREATE INDEX IF NOT EXISTS images_by_name ON images(name)""",
    """
CREATE TABLE IF NOT EXISTS servers (
    {row_order_column}
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
    updated TEXT NOT NULL,
    UNIQUE (project_id, name)
)""",
    """
CREATE INDEX IF NOT EXISTS servers_by_project ON servers(project_id, created)""",
    """
CREATE TABLE IF NOT EXISTS server_metadata (
    server_id TEXT NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (server_id, key)
)""",
    """
CREATE TABLE IF NOT EXISTS server_addresses (
    server_id TEXT NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
    network TEXT NOT NULL,
    address TEXT NOT NULL,
    version INTEGER NOT NULL CHECK (version IN (4, 6)),
    mac TEXT NOT NULL,
    PRIMARY KEY (server_id, network, address),
    UNIQUE (network, address)
)""",
    """
CREATE TABLE IF NOT EXISTS keypairs (
    user_id TEXT NOT NULL,
    name TEXT NOT NULL,
    type TEXT NOT NULL CHECK (type IN ('ssh', 'x509')),
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


class SchemaMismatch(DatabaseError):
    """The database was made by another version of the example (refused at start-up)."""


class NameTaken(Exception):
    """The project already has a server by that name (the database's unique constraint said so)."""


class AddressPoolExhausted(Exception):
    """No free address is left on the network."""


NETWORK = "private"
_POOL = ipaddress.ip_network("10.0.0.0/24")
_FIRST_HOST = 3  # .1 is the router, .2 the DHCP server, as in a devstack "private" network


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Store:
    """The compute service's database.

    :param location: a SQLite file path (its directory is created if missing) or a ``postgresql://`` URL.
    :param pool_size: PostgreSQL connections per process, at most.
    :param timeout: seconds a request waits for a connection (PostgreSQL) or a write lock (SQLite).
    :raises ~wsgikit_compute.backends.DatabaseError: when the location cannot be used (at start-up);
        :class:`SchemaMismatch` when the database was made by another version of the example.
    """

    def __init__(self, location: str, *, pool_size: int = 4, timeout: float = 10.0) -> None:
        self.db: Database = open_database(location, pool_size=pool_size, timeout=timeout)
        self.path = self.db.url
        """The SQLite file's absolute path, or the PostgreSQL URL (password masked)."""
        self.db.create_schema(SCHEMA, self._seed, check=self._check_version)

    def _check_version(self, tx: Transaction) -> None:
        """Refuse a database made by another version of the example (its tables would not match)."""
        if tx.succeeds("SELECT version FROM schema_version"):
            row = tx.one("SELECT version FROM schema_version")
        elif tx.succeeds("SELECT id FROM servers WHERE 1 = 0"):
            row = {"version": 1}  # a file from before schema_version existed
        else:
            return  # a new database
        if row is not None and row["version"] != SCHEMA_VERSION:
            raise SchemaMismatch(
                f"{self.path} has schema version {row['version']}, this example needs {SCHEMA_VERSION}: "
                "delete it (or point WSGIKIT_COMPUTE_DB elsewhere) and start again"
            )

    @staticmethod
    def _seed(tx: Transaction) -> None:
        if tx.one("SELECT version FROM schema_version") is None:
            tx.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,))
        tx.executemany(
            "INSERT INTO flavors (id, name, vcpus, ram, disk, ephemeral, swap) VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (id) DO NOTHING",
            [(f.id, f.name, f.vcpus, f.ram, f.disk, f.ephemeral, f.swap) for f in FLAVORS],
        )
        tx.executemany(
            "INSERT INTO flavor_extra_specs (flavor_id, key, value) VALUES (?, ?, ?)"
            " ON CONFLICT (flavor_id, key) DO NOTHING",
            [(fid, key, value) for fid, specs in FLAVOR_EXTRA_SPECS.items() for key, value in specs.items()],
        )
        tx.executemany(
            "INSERT INTO images (id, name, status, visibility, disk_format, container_format, size,"
            " min_disk, min_ram, checksum, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (id) DO NOTHING",
            [
                (i.id, i.name, i.status, i.visibility, i.disk_format, i.container_format, i.size,
                 i.min_disk, i.min_ram, i.checksum, i.created, i.updated)
                for i in IMAGES
            ],
        )  # fmt: skip

    def close(self) -> None:
        """Release this thread's (SQLite) or this process's (PostgreSQL) connections."""
        self.db.close()

    def release(self) -> None:
        """End of a request: close this thread's SQLite connection (the next use opens a new one); nothing
        to do for PostgreSQL, whose connections went back to the pool when their transaction ended."""
        self.db.release()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def ping(self) -> tuple[bool, str]:
        """``(ok, message)`` for the health check: can a query go through now?"""
        return self.db.ping()

    # -- flavors --------------------------------------------------------------------------------------------

    _FLAVOR_COLUMNS = "id, name, vcpus, ram, disk, ephemeral, swap"

    def list_flavors(self) -> list[Flavor]:
        with self.db.read() as tx:
            rows = tx.all(f"SELECT {self._FLAVOR_COLUMNS} FROM flavors ORDER BY CAST(id AS INTEGER), id")
        return [Flavor(**row) for row in rows]

    def get_flavor(self, flavor_id: str) -> Flavor | None:
        with self.db.read() as tx:
            row = tx.one(f"SELECT {self._FLAVOR_COLUMNS} FROM flavors WHERE id = ?", (flavor_id,))
        return Flavor(**row) if row else None

    def flavor_extra_specs(self, flavor_id: str) -> dict[str, str] | None:
        """The flavor's extra specs, or ``None`` if there is no such flavor."""
        with self.db.read() as tx:
            if tx.one("SELECT id FROM flavors WHERE id = ?", (flavor_id,)) is None:
                return None
            rows = tx.all(
                "SELECT key, value FROM flavor_extra_specs WHERE flavor_id = ? ORDER BY key", (flavor_id,)
            )
        return {row["key"]: row["value"] for row in rows}

    # -- images ---------------------------------------------------------------------------------------------

    _IMAGE_COLUMNS = (
        "id, name, status, visibility, disk_format, container_format, size, min_disk, min_ram, checksum,"
        " created, updated"
    )

    def list_images(self, *, name: str | None = None) -> list[Image]:
        with self.db.read() as tx:
            if name is None:
                rows = tx.all(f"SELECT {self._IMAGE_COLUMNS} FROM images ORDER BY name, id")
            else:
                rows = tx.all(f"SELECT {self._IMAGE_COLUMNS} FROM images WHERE name = ? ORDER BY id", (name,))
        return [Image(**row) for row in rows]

    def get_image(self, image_id: str) -> Image | None:
        with self.db.read() as tx:
            row = tx.one(f"SELECT {self._IMAGE_COLUMNS} FROM images WHERE id = ?", (image_id,))
        return Image(**row) if row else None

    # -- servers --------------------------------------------------------------------------------------------

    _SERVER_COLUMNS = (
        "id, project_id, user_id, name, description, flavor_id, image_id, key_name, availability_zone,"
        " status, created, updated"
    )

    def _servers(self, tx: Transaction, rows: list[dict[str, Any]]) -> list[Server]:
        """Servers from ``rows``, with their metadata and addresses read in the same transaction."""
        if not rows:
            return []
        ids = [row["id"] for row in rows]
        marks = ", ".join("?" for _ in ids)
        metadata: dict[str, dict[str, str]] = {server_id: {} for server_id in ids}
        for item in tx.all(
            f"SELECT server_id, key, value FROM server_metadata WHERE server_id IN ({marks}) ORDER BY key",
            ids,
        ):
            metadata[item["server_id"]][item["key"]] = item["value"]
        addresses: dict[str, list[Address]] = {server_id: [] for server_id in ids}
        for item in tx.all(
            "SELECT server_id, network, address, version, mac FROM server_addresses"
            f" WHERE server_id IN ({marks}) ORDER BY network, address",
            ids,
        ):
            server_id = item.pop("server_id")
            addresses[server_id].append(Address(**item))
        return [
            Server(**row, metadata=metadata[row["id"]], addresses=tuple(addresses[row["id"]])) for row in rows
        ]

    def list_servers(self, project_id: str | None) -> list[Server]:
        """The servers of ``project_id`` (``None``: of every project), oldest first."""
        where, args = ("WHERE project_id = ?", (project_id,)) if project_id is not None else ("", ())
        with self.db.read() as tx:
            order = f"ORDER BY created, {self.db.dialect.row_order}"
            rows = tx.all(f"SELECT {self._SERVER_COLUMNS} FROM servers {where} {order}", args)
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
        image_id: str | None = None,
        description: str | None = None,
        key_name: str | None = None,
        availability_zone: str = "nova",
        metadata: dict[str, str] | None = None,
        network: bool = False,
    ) -> Server:
        """A new ``ACTIVE`` server; with ``network``, one fixed IPv4 address on :data:`NETWORK`.

        :raises NameTaken: the project has a server called ``name`` already.
        :raises AddressPoolExhausted: ``network`` asked and no address is free.
        :raises ~wsgikit_compute.backends.Conflict: a constraint refused it (an unknown flavor or image).
        """
        server_id = str(uuid.uuid4())
        now = _now()
        with self.db.transaction() as tx:
            # ON CONFLICT (project_id, name) DO NOTHING: a taken name changes no row, in either engine,
            # without aborting the transaction (PostgreSQL aborts one on a constraint violation)
            inserted = tx.execute(
                "INSERT INTO servers (id, project_id, user_id, name, description, flavor_id, image_id,"
                " key_name, availability_zone, status, created, updated)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'ACTIVE', ?, ?)"
                " ON CONFLICT (project_id, name) DO NOTHING",
                (server_id, project_id, user_id, name, description, flavor_id, image_id, key_name,
                 availability_zone, now, now),
            )  # fmt: skip
            if inserted != 1:
                raise NameTaken(name)
            tx.executemany(
                "INSERT INTO server_metadata (server_id, key, value) VALUES (?, ?, ?)",
                [(server_id, key, value) for key, value in (metadata or {}).items()],
            )
            if network:
                self._allocate_address(tx, server_id)
            server = self._get_server(tx, project_id, server_id)
        assert server is not None
        return server

    @staticmethod
    def _allocate_address(tx: Transaction, server_id: str) -> None:
        """The lowest free address of the pool. Two writers on two nodes may pick the same one: UNIQUE
        (network, address) with ``ON CONFLICT DO NOTHING`` lets exactly one have it (the other's insert
        changes no row, having waited for the first to commit) and the loser tries the next address."""
        used = {
            row["address"]
            for row in tx.all("SELECT address FROM server_addresses WHERE network = ?", (NETWORK,))
        }
        mac = "fa:16:3e:" + ":".join(server_id.replace("-", "")[i : i + 2] for i in (0, 2, 4))
        for index, host in enumerate(_POOL.hosts()):
            if index + 1 < _FIRST_HOST or str(host) in used:
                continue
            if tx.execute(
                "INSERT INTO server_addresses (server_id, network, address, version, mac)"
                " VALUES (?, ?, ?, 4, ?) ON CONFLICT (network, address) DO NOTHING",
                (server_id, NETWORK, str(host), mac),
            ):
                return
        raise AddressPoolExhausted(f"no free address on network {NETWORK!r} ({_POOL})")

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
        except Conflict as error:  # UNIQUE (project_id, name)
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

    def set_metadata(
        self, project_id: str, server_id: str, metadata: dict[str, str], *, replace: bool
    ) -> dict[str, str] | None:
        """Merge ``metadata`` into the server's (or replace it all). ``None`` if there is no such server.

        The first statement updates the server's row, which also locks it until the commit: a concurrent
        delete waits, so metadata is never written for a server that is gone.
        """
        with self.db.transaction() as tx:
            if not tx.execute(
                "UPDATE servers SET updated = ? WHERE id = ? AND project_id = ?",
                (_now(), server_id, project_id),
            ):
                return None
            if replace:
                tx.execute("DELETE FROM server_metadata WHERE server_id = ?", (server_id,))
            tx.executemany(
                "INSERT INTO server_metadata (server_id, key, value) VALUES (?, ?, ?)"
                " ON CONFLICT (server_id, key) DO UPDATE SET value = excluded.value",
                [(server_id, key, value) for key, value in metadata.items()],
            )
            server = self._get_server(tx, project_id, server_id)
        return server.metadata if server else None

    def delete_metadata_item(self, project_id: str, server_id: str, key: str) -> bool | None:
        """``None`` if there is no such server, ``False`` if it has no such key."""
        with self.db.transaction() as tx:
            if tx.execute(
                "DELETE FROM server_metadata WHERE key = ? AND server_id ="
                " (SELECT id FROM servers WHERE id = ? AND project_id = ?)",
                (key, server_id, project_id),
            ):
                return True
            exists = tx.one("SELECT id FROM servers WHERE id = ? AND project_id = ?", (server_id, project_id))
        return False if exists else None

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
        """The new keypair, or ``None`` when the user already has one by that name (the primary key says so:
        two concurrent creates cannot both succeed)."""
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
