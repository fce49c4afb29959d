"""The compute example's SQLite store: schema, WAL, per-thread connections, persistence."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from wsgikit_compute.storage import FLAVORS, Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A store on a new file; the test thread's connection is closed afterwards."""
    with Store(str(tmp_path / "c.db")) as store:
        yield store


def test_schema_created_and_flavors_seeded(tmp_path: Path) -> None:
    with Store(str(tmp_path / "sub" / "compute.sqlite3")) as store:
        assert [f.id for f in store.list_flavors()] == [f.id for f in FLAVORS]
        assert store.get_flavor("2") == FLAVORS[1]
        assert store.get_flavor("nope") is None


def test_wal_mode(tmp_path: Path) -> None:
    with Store(str(tmp_path / "c.db")) as store:
        assert store.connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_nothing_lost_on_restart(tmp_path: Path) -> None:
    path = str(tmp_path / "c.db")
    first = Store(path)
    server = first.create_server(project_id="p", user_id="u", name="web", flavor_id="1", metadata={"a": "b"})
    first.close()
    with Store(path) as second:  # a restart: schema creation must not wipe anything
        again = second.get_server("p", server.id)
        assert again is not None
        assert again.name == "web"
        assert again.metadata == {"a": "b"}
        assert len(second.list_flavors()) == len(FLAVORS)


def test_one_connection_per_thread(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "c.db"))
    seen: list[sqlite3.Connection] = []

    def grab() -> None:
        seen.append(store.connection)
        store.close()

    threads = [threading.Thread(target=grab) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len({id(c) for c in seen}) == 3
    with store:
        assert store.connection is store.connection


def test_close_closes_and_the_next_use_reconnects(tmp_path: Path) -> None:
    with Store(str(tmp_path / "c.db")) as store:
        first = store.connection
        store.close()
        store.close()  # idempotent
        with pytest.raises(sqlite3.ProgrammingError, match="closed"):
            first.execute("SELECT 1")
        second = store.connection
        assert second is not first
        assert len(store.list_flavors()) == len(FLAVORS)
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):  # the with block closed it
        second.execute("SELECT 1")


def test_concurrent_writers_lose_nothing(store: Store) -> None:
    per_thread, threads = 20, 4
    errors: list[BaseException] = []

    def create(n: int) -> None:
        try:
            for i in range(per_thread):
                store.create_server(project_id="p", user_id="u", name=f"t{n}-{i}", flavor_id="1")
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            store.close()

    workers = [threading.Thread(target=create, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert errors == []
    assert store.count_servers() == per_thread * threads
    assert len({s.name for s in store.list_servers("p")}) == per_thread * threads


def test_server_lifecycle(store: Store) -> None:
    server = store.create_server(project_id="p", user_id="u", name="a", flavor_id="1")
    assert store.get_server("other", server.id) is None  # scoped by project
    assert store.transition("p", server.id, "ACTIVE", "SHUTOFF") == "ACTIVE"
    assert store.transition("p", server.id, "ACTIVE", "SHUTOFF") == "SHUTOFF"  # no change: reported
    assert store.transition("p", "missing", "ACTIVE", "SHUTOFF") is None
    updated = store.update_server("p", server.id, name="b", description="d")
    assert updated is not None
    assert (updated.name, updated.description) == ("b", "d")
    assert store.set_metadata("p", server.id, {"x": "1", "y": "2"}, replace=False) == {"x": "1", "y": "2"}
    assert store.set_metadata("p", server.id, {"z": "3"}, replace=True) == {"z": "3"}
    assert store.delete_metadata_item("p", server.id, "z") is True
    assert store.delete_metadata_item("p", server.id, "z") is False
    assert store.delete_server("p", server.id) is True
    assert store.delete_server("p", server.id) is False
    # metadata rows went with the server (foreign key cascade)
    assert store.connection.execute("SELECT COUNT(*) FROM server_metadata").fetchone()[0] == 0


def test_keypairs_unique_per_user(store: Store) -> None:
    made = store.create_keypair(user_id="u", name="k", type="ssh", public_key="ssh-rsa AAAA", fingerprint="f")
    assert made is not None
    assert store.create_keypair(user_id="u", name="k", type="ssh", public_key="x", fingerprint="f") is None
    assert (
        store.create_keypair(user_id="v", name="k", type="ssh", public_key="x", fingerprint="f") is not None
    )
    assert [k.name for k in store.list_keypairs("u")] == ["k"]
    assert store.delete_keypair("u", "k") is True
    assert store.get_keypair("u", "k") is None


def test_images_and_extra_specs_are_seeded(tmp_path: Path) -> None:
    from wsgikit_compute.storage import FLAVOR_EXTRA_SPECS, IMAGES

    store = Store(str(tmp_path / "c.db"))
    assert {i.name for i in store.list_images()} == {i.name for i in IMAGES}
    (cirros,) = store.list_images(name=IMAGES[0].name)
    assert store.get_image(cirros.id) == cirros
    assert store.list_images(name="nope") == []
    assert store.flavor_extra_specs("4") == FLAVOR_EXTRA_SPECS["4"]
    assert store.flavor_extra_specs("1") == {}
    assert store.flavor_extra_specs("nope") is None


def test_constraints_hold_in_the_database(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "c.db"))
    server = store.create_server(project_id="p", user_id="u", name="a", flavor_id="1")
    with pytest.raises(sqlite3.IntegrityError), store.write() as db:  # status is one of the known ones
        db.execute("UPDATE servers SET status = 'EXPLODED' WHERE id = ?", (server.id,))
    with pytest.raises(sqlite3.IntegrityError):  # the image must exist
        store.create_server(project_id="p", user_id="u", name="b", flavor_id="1", image_id="missing")
    with pytest.raises(sqlite3.IntegrityError):  # keypair types
        store.create_keypair(user_id="u", name="k", type="pgp", public_key="x", fingerprint="f")
    assert store.get_server("p", server.id).status == "ACTIVE"  # type: ignore[union-attr]


def test_addresses_are_unique_per_network_and_freed_on_delete(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "c.db"))
    first = store.create_server(project_id="p", user_id="u", name="a", flavor_id="1", network=True)
    second = store.create_server(project_id="q", user_id="v", name="b", flavor_id="1", network=True)
    bare = store.create_server(project_id="p", user_id="u", name="c", flavor_id="1")
    assert [a.address for a in first.addresses] == ["10.0.0.3"]
    assert [a.address for a in second.addresses] == ["10.0.0.4"]
    assert bare.addresses == ()
    with pytest.raises(sqlite3.IntegrityError), store.write() as db:  # UNIQUE (network, address)
        db.execute(
            "INSERT INTO server_addresses (server_id, network, address, version, mac)"
            " VALUES (?, 'private', '10.0.0.3', 4, 'fa:16:3e:00:00:00')",
            (bare.id,),
        )
    assert store.delete_server("p", first.id)
    third = store.create_server(project_id="p", user_id="u", name="d", flavor_id="1", network=True)
    assert [a.address for a in third.addresses] == ["10.0.0.3"]


def test_transition_is_one_conditional_update(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "c.db"))
    server = store.create_server(project_id="p", user_id="u", name="a", flavor_id="1")
    assert store.transition("p", server.id, "ACTIVE", "SHUTOFF") == "ACTIVE"
    assert store.transition("p", server.id, "ACTIVE", "SHUTOFF") == "SHUTOFF"
    assert store.transition("other", server.id, "SHUTOFF", "ACTIVE") is None
    assert store.transition("p", "missing", "ACTIVE", "SHUTOFF") is None


def test_a_database_from_an_older_example_is_refused(tmp_path: Path) -> None:
    from wsgikit_compute.storage import SchemaMismatch

    path = tmp_path / "old.db"
    old = sqlite3.connect(path)
    old.execute("CREATE TABLE servers (id TEXT PRIMARY KEY, name TEXT)")
    old.commit()
    old.close()
    with pytest.raises(SchemaMismatch, match="delete it"):
        Store(str(path))
