"""The compute example's store, on SQLite and on a real PostgreSQL: schema, invariants held by the
database under concurrency, persistence; then what only one engine has (WAL and per-thread connections;
pools, start-up failures, an unreachable server)."""

from __future__ import annotations

import socket
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from wsgikit_compute.backends import (
    Conflict,
    DatabaseError,
    PostgresDatabase,
    SQLiteDatabase,
    Unavailable,
    mask_password,
    open_database,
)
from wsgikit_compute.storage import (
    FLAVOR_EXTRA_SPECS,
    FLAVORS,
    IMAGES,
    SCHEMA_VERSION,
    NameTaken,
    SchemaMismatch,
    Store,
)


@pytest.fixture
def opened() -> Iterator[Callable[..., Store]]:
    """``opened(location)`` → a Store closed after the test (its pool or connection released)."""
    stores: list[Store] = []

    def open_(location: str, **options: Any) -> Store:
        stores.append(Store(location, **options))
        return stores[-1]

    yield open_
    for store in stores:
        store.close()


def run_threads(count: int, target: Callable[[int], None], store: Store | None = None) -> list[BaseException]:
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            target(n)
        except BaseException as error:  # pragma: no cover - reported by the caller
            errors.append(error)
        finally:
            if store is not None and isinstance(store.db, SQLiteDatabase):
                store.close()  # this thread's connection

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return errors


# -- both engines ---------------------------------------------------------------------------------------


def test_schema_created_and_flavors_seeded(database_location: str, opened: Callable[..., Store]) -> None:
    store = opened(database_location)
    assert [f.id for f in store.list_flavors()] == [f.id for f in FLAVORS]
    assert store.get_flavor("2") == FLAVORS[1]
    assert store.get_flavor("nope") is None


def test_nothing_lost_on_restart(database_location: str, opened: Callable[..., Store]) -> None:
    first = opened(database_location)
    server = first.create_server(project_id="p", user_id="u", name="web", flavor_id="1", metadata={"a": "b"})
    first.close()
    second = opened(database_location)  # a restart: schema creation must not wipe anything
    again = second.get_server("p", server.id)
    assert again is not None
    assert again.name == "web"
    assert again.metadata == {"a": "b"}
    assert len(second.list_flavors()) == len(FLAVORS)


def test_schema_creation_is_safe_when_nodes_start_together(
    database_location: str, opened: Callable[..., Store]
) -> None:
    stores: list[Store] = []
    lock = threading.Lock()

    def start(_: int) -> None:
        store = Store(database_location)
        with lock:
            stores.append(store)

    try:
        assert run_threads(6, start) == []
        assert len(stores) == 6
        assert stores[0].list_flavors() == list(FLAVORS)  # seeded once, not six times
    finally:
        for store in stores:
            store.close()


def test_list_order_is_creation_order(database_location: str, opened: Callable[..., Store]) -> None:
    store = opened(database_location)
    names = [f"s{n}" for n in range(12)]  # created within one second: the insertion order decides
    for name in names:
        store.create_server(project_id="p", user_id="u", name=name, flavor_id="1")
    assert [s.name for s in store.list_servers("p")] == names


def test_concurrent_writers_lose_nothing(database_location: str, opened: Callable[..., Store]) -> None:
    store = opened(database_location)
    per_thread, threads = 20, 4

    def create(n: int) -> None:
        for i in range(per_thread):
            store.create_server(project_id="p", user_id="u", name=f"t{n}-{i}", flavor_id="1")

    assert run_threads(threads, create, store) == []
    assert store.count_servers() == per_thread * threads
    assert len({s.name for s in store.list_servers("p")}) == per_thread * threads


def test_names_unique_per_project_under_a_race(database_location: str, opened: Callable[..., Store]) -> None:
    store = opened(database_location)
    won: list[str] = []
    lost: list[int] = []

    def create(n: int) -> None:
        try:
            won.append(store.create_server(project_id="p", user_id="u", name="same", flavor_id="1").id)
        except NameTaken:
            lost.append(n)

    assert run_threads(8, create, store) == []
    assert (len(won), len(lost)) == (1, 7)
    assert [s.id for s in store.list_servers("p")] == won
    # another project may use the name; a rename onto a taken name is refused too
    other = store.create_server(project_id="q", user_id="u", name="same", flavor_id="1")
    second = store.create_server(project_id="p", user_id="u", name="second", flavor_id="1")
    with pytest.raises(NameTaken):
        store.update_server("p", second.id, name="same")
    assert store.get_server("p", second.id).name == "second"  # type: ignore[union-attr]
    assert store.get_server("q", other.id) is not None


def test_one_transition_wins_a_race(database_location: str, opened: Callable[..., Store]) -> None:
    store = opened(database_location)
    server = store.create_server(project_id="p", user_id="u", name="a", flavor_id="1")
    seen: list[str | None] = []

    def stop(_: int) -> None:
        seen.append(store.transition("p", server.id, "ACTIVE", "SHUTOFF"))

    assert run_threads(8, stop, store) == []
    assert sorted(seen, key=str) == ["ACTIVE"] + ["SHUTOFF"] * 7  # exactly one did it
    assert store.get_server("p", server.id).status == "SHUTOFF"  # type: ignore[union-attr]


def test_server_lifecycle(database_location: str, opened: Callable[..., Store]) -> None:
    store = opened(database_location)
    server = store.create_server(project_id="p", user_id="u", name="a", flavor_id="1")
    assert store.get_server("other", server.id) is None  # scoped by project
    assert store.transition("p", server.id, "ACTIVE", "SHUTOFF") == "ACTIVE"
    assert store.transition("p", server.id, "ACTIVE", "SHUTOFF") == "SHUTOFF"  # no change: reported
    assert store.transition("p", "missing", "ACTIVE", "SHUTOFF") is None
    updated = store.update_server("p", server.id, name="b", description="d")
    assert updated is not None
    assert (updated.name, updated.description) == ("b", "d")
    assert store.update_server("p", "missing", name="c") is None
    assert store.set_metadata("p", server.id, {"x": "1", "y": "2"}, replace=False) == {"x": "1", "y": "2"}
    assert store.set_metadata("p", server.id, {"y": "3"}, replace=False) == {"x": "1", "y": "3"}
    assert store.set_metadata("p", server.id, {"z": "3"}, replace=True) == {"z": "3"}
    assert store.set_metadata("p", "missing", {"z": "3"}, replace=True) is None
    assert store.delete_metadata_item("p", server.id, "z") is True
    assert store.delete_metadata_item("p", server.id, "z") is False
    assert store.delete_metadata_item("p", "missing", "z") is None
    store.set_metadata("p", server.id, {"k": "v"}, replace=False)
    assert store.delete_server("p", server.id) is True
    assert store.delete_server("p", server.id) is False
    # metadata rows went with the server (foreign key cascade)
    with store.db.read() as tx:
        assert tx.scalar("SELECT COUNT(*) FROM server_metadata") == 0


def test_keypairs_unique_per_user(database_location: str, opened: Callable[..., Store]) -> None:
    store = opened(database_location)
    made = store.create_keypair(user_id="u", name="k", type="ssh", public_key="ssh-rsa AAAA", fingerprint="f")
    assert made is not None
    assert store.create_keypair(user_id="u", name="k", type="ssh", public_key="x", fingerprint="f") is None
    assert (
        store.create_keypair(user_id="v", name="k", type="ssh", public_key="x", fingerprint="f") is not None
    )
    assert [k.name for k in store.list_keypairs("u")] == ["k"]
    assert store.get_keypair("u", "k") == made
    assert store.delete_keypair("u", "k") is True
    assert store.delete_keypair("u", "k") is False
    assert store.get_keypair("u", "k") is None


def test_ping(database_location: str, opened: Callable[..., Store]) -> None:
    ok, message = opened(database_location).ping()
    assert ok is True
    assert message.startswith(("sqlite at /", "postgresql at postgresql://"))


def test_images_and_extra_specs_are_seeded(database_location: str, opened: Callable[..., Store]) -> None:
    store = opened(database_location)
    assert {i.name for i in store.list_images()} == {i.name for i in IMAGES}
    (cirros,) = store.list_images(name=IMAGES[0].name)
    assert store.get_image(cirros.id) == cirros
    assert store.list_images(name="nope") == []
    assert store.flavor_extra_specs("4") == FLAVOR_EXTRA_SPECS["4"]
    assert store.flavor_extra_specs("1") == {}
    assert store.flavor_extra_specs("nope") is None


def test_constraints_hold_in_the_database(database_location: str, opened: Callable[..., Store]) -> None:
    store = opened(database_location)
    server = store.create_server(project_id="p", user_id="u", name="a", flavor_id="1")
    with pytest.raises(Conflict), store.db.transaction() as tx:  # status is one of the known ones
        tx.execute("UPDATE servers SET status = 'EXPLODED' WHERE id = ?", (server.id,))
    with pytest.raises(Conflict):  # the image must exist
        store.create_server(project_id="p", user_id="u", name="b", flavor_id="1", image_id="missing")
    with pytest.raises(Conflict):  # keypair types
        store.create_keypair(user_id="u", name="k", type="pgp", public_key="x", fingerprint="f")
    assert store.get_server("p", server.id).status == "ACTIVE"  # type: ignore[union-attr]
    assert [s.name for s in store.list_servers("p")] == ["a"]  # the failed creates left nothing behind


def test_addresses_are_unique_per_network_and_freed_on_delete(
    database_location: str, opened: Callable[..., Store]
) -> None:
    store = opened(database_location)
    first = store.create_server(project_id="p", user_id="u", name="a", flavor_id="1", network=True)
    second = store.create_server(project_id="q", user_id="v", name="b", flavor_id="1", network=True)
    bare = store.create_server(project_id="p", user_id="u", name="c", flavor_id="1")
    assert [a.address for a in first.addresses] == ["10.0.0.3"]
    assert [a.address for a in second.addresses] == ["10.0.0.4"]
    assert bare.addresses == ()
    with pytest.raises(Conflict), store.db.transaction() as tx:  # UNIQUE (network, address)
        tx.execute(
            "INSERT INTO server_addresses (server_id, network, address, version, mac)"
            " VALUES (?, 'private', '10.0.0.3', 4, 'fa:16:3e:00:00:00')",
            (bare.id,),
        )
    assert store.delete_server("p", first.id)
    third = store.create_server(project_id="p", user_id="u", name="d", flavor_id="1", network=True)
    assert [a.address for a in third.addresses] == ["10.0.0.3"]


def test_concurrent_creates_get_distinct_addresses(
    database_location: str, opened: Callable[..., Store]
) -> None:
    store = opened(database_location)

    def create(n: int) -> None:
        for i in range(5):
            store.create_server(project_id="p", user_id="u", name=f"{n}-{i}", flavor_id="1", network=True)

    assert run_threads(6, create, store) == []
    addresses = [a.address for s in store.list_servers("p") for a in s.addresses]
    assert len(addresses) == len(set(addresses)) == 30


def test_a_database_from_an_older_example_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = sqlite3.connect(path)
    old.execute("CREATE TABLE servers (id TEXT PRIMARY KEY, name TEXT)")
    old.commit()
    old.close()
    with pytest.raises(SchemaMismatch, match="schema version 1, this example needs"):
        Store(str(path))


def test_a_database_of_another_schema_version_is_refused(
    database_location: str, opened: Callable[..., Store]
) -> None:
    store = opened(database_location)
    with store.db.transaction() as tx:
        tx.execute("UPDATE schema_version SET version = 2")
    store.close()
    with pytest.raises(SchemaMismatch, match=f"has schema version 2, this example needs {SCHEMA_VERSION}"):
        Store(database_location)


# -- SQLite only ----------------------------------------------------------------------------------------


def test_wal_mode(tmp_path: Path, opened: Callable[..., Store]) -> None:
    store = opened(str(tmp_path / "sub" / "c.db"))
    assert isinstance(store.db, SQLiteDatabase)
    assert store.db.connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.path == str(tmp_path / "sub" / "c.db")


def test_one_sqlite_connection_per_thread(tmp_path: Path, opened: Callable[..., Store]) -> None:
    store = opened(str(tmp_path / "c.db"))
    db = store.db
    assert isinstance(db, SQLiteDatabase)
    seen: list[sqlite3.Connection] = []

    def grab(_: int) -> None:
        seen.append(db.connection)

    assert run_threads(3, grab, store) == []
    assert len({id(c) for c in seen}) == 3
    assert db.connection is db.connection


def test_empty_sqlite_path_is_refused() -> None:
    with pytest.raises(DatabaseError, match="must not be empty"):
        SQLiteDatabase("")


# -- locations that cannot be used fail at start-up -----------------------------------------------------


@pytest.mark.parametrize(
    ("location", "message"),
    [
        ("mysql://u:secret@h/db", "unsupported URL scheme 'mysql' in mysql://u:\\*\\*\\*@h/db"),
        ("sqlite://x", "unsupported URL scheme 'sqlite'"),
    ],
    ids=["mysql", "sqlite-url"],
)
def test_unusable_urls_fail_clearly(location: str, message: str, tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match=message):
        open_database(location)
    assert list(tmp_path.iterdir()) == []  # never taken for a relative file name


def test_mask_password() -> None:
    assert mask_password("postgresql://u:pw@h:5/d?x=1") == "postgresql://u:***@h:5/d?x=1"
    assert mask_password("postgresql://u@h/d") == "postgresql://u@h/d"


# -- PostgreSQL only ------------------------------------------------------------------------------------


def test_unreachable_postgres_fails_at_start_up(postgres_server: Any) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        url = f"postgresql://u:secret@127.0.0.1:{sock.getsockname()[1]}/compute"
    with pytest.raises(
        DatabaseError, match=r"cannot connect to postgresql://u:\*\*\*@127\.0\.0\.1:\d+/compute"
    ):
        Store(url)


def test_postgres_url_without_psycopg_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # what a machine without the extra has
    with pytest.raises(DatabaseError, match=r"postgresql://u:\*\*\*@db/c needs psycopg 3 .*\[postgres\]"):
        open_database("postgresql://u:pw@db/c")


def test_postgres_pool_is_per_process_and_bounded(postgres_url: str, opened: Callable[..., Store]) -> None:
    store = opened(postgres_url, pool_size=2)
    db = store.db
    assert isinstance(db, PostgresDatabase)
    assert db.pool is db.pool
    assert db.pool.max_size == 2

    def work(n: int) -> None:
        for i in range(5):
            store.create_server(project_id="p", user_id="u", name=f"{n}-{i}", flavor_id="1")

    assert run_threads(6, work, store) == []  # six threads share two connections, waiting their turn
    assert store.count_servers() == 30
    assert db.pool.get_stats()["connections_num"] <= 2


def test_unreachable_postgres_at_run_time_is_unavailable_then_recovers(
    postgres_server: Any, postgres_url: str, opened: Callable[..., Store]
) -> None:
    store = opened(postgres_url, timeout=1.0)
    assert store.ping()[0] is True
    name = postgres_url.rpartition("/")[2]
    with postgres_server.connect() as admin:
        # no new connections to this database, and the pool's current ones are cut
        admin.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS false")
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
        try:
            ok, message = store.ping()
            assert ok is False
            assert "postgresql at postgresql://postgres@127.0.0.1" in message
            with pytest.raises(Unavailable):
                store.list_servers("p")
        finally:
            admin.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")
    deadline = time.monotonic() + 30
    while not store.ping()[0]:  # the pool reconnects by itself, after its back-off delay
        assert time.monotonic() < deadline, "the pool did not reconnect within 30 s"
        time.sleep(0.2)
    assert store.list_servers("p") == []
