"""The compute example's logic and validation, without HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import webob.exc
from wsgikit_compute import service, validation
from wsgikit_compute.service import Context
from wsgikit_compute.storage import Store

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGkMjF0Dk3mA7Th+Nwq6k0G6Jr4n0iD0M6pDyVNtUj1q demo@example"


@pytest.fixture
def store(database_location: str) -> Iterator[Store]:
    with Store(database_location) as store:  # SQLite and PostgreSQL alike
        yield store


def ctx(
    version: tuple[int, int] = (2, 1), roles: tuple[str, ...] = ("member",), project: str = "demo"
) -> Context:
    return Context(
        user_id="alice", project_id=project, roles=roles, version=version, base_url="http://h/v2.1"
    )


def create(store: Store, context: Context | None = None, **server: Any) -> str:
    body = {"server": {"name": "web-1", "flavorRef": "1", **server}}
    server_id: str = service.create_server(store, context or ctx(), body)["server"]["id"]
    return server_id


def code_of(call: Any, *args: Any) -> int:
    with pytest.raises(webob.exc.HTTPException) as info:
        call(*args)
    return int(info.value.code)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (None, "'server' member"),
        ([], "'server' member"),
        ({"server": "x"}, "must be a JSON object"),
        ({"server": {"flavorRef": "1"}}, "'name' is required"),
        ({"server": {"name": "", "flavorRef": "1"}}, "must not be empty"),
        ({"server": {"name": 5, "flavorRef": "1"}}, "must be a string"),
        ({"server": {"name": "a\nb", "flavorRef": "1"}}, "control characters"),
        ({"server": {"name": "x" * 256, "flavorRef": "1"}}, "longer than"),
        ({"server": {"name": "a"}}, "'flavorRef' is required"),
        ({"server": {"name": "a", "flavorRef": True}}, "'flavorRef' must be an id"),
        ({"server": {"name": "a", "flavorRef": "1", "metadata": []}}, "'metadata'"),
        ({"server": {"name": "a", "flavorRef": "1", "metadata": {"k": 1}}}, "must be a string"),
        ({"server": {"name": "a", "flavorRef": "1", "bogus": 1}}, "unknown field"),
        ({"server": {"name": "a", "flavorRef": "1", "description": "d"}}, "unknown field"),  # before 2.19
    ],
    ids=lambda v: str(v)[:40],
)
def test_server_create_rejects(body: Any, message: str) -> None:
    with pytest.raises(webob.exc.HTTPBadRequest) as info:
        validation.server_create(body, version=(2, 1))
    assert message in str(info.value.detail)


def test_server_create_accepts_flavor_url_and_int() -> None:
    assert (
        validation.server_create({"server": {"name": "a", "flavorRef": 2}}, version=(2, 1))["flavor_id"]
        == "2"
    )
    body = {"server": {"name": "a", "flavorRef": "http://h/v2.1/flavors/3"}}
    assert validation.server_create(body, version=(2, 1))["flavor_id"] == "3"


def test_fingerprint() -> None:
    assert len(validation.fingerprint(KEY).split(":")) == 16
    for bad in ("", "ssh-rsa", "ssh-dss AAAA", "ssh-rsa !!!notbase64"):
        with pytest.raises(webob.exc.HTTPBadRequest):
            validation.fingerprint(bad)


def test_server_crud(store: Store) -> None:
    server_id = create(store, metadata={"role": "web"})
    listed = service.list_servers(store, ctx())["servers"]
    assert listed == [
        {
            "id": server_id,
            "name": "web-1",
            "links": [{"rel": "self", "href": f"http://h/v2.1/servers/{server_id}"}],
        }
    ]
    shown = service.show_server(store, ctx(), server_id)["server"]
    assert (shown["status"], shown["metadata"], shown["flavor"]["id"]) == ("ACTIVE", {"role": "web"}, "1")
    assert service.list_servers(store, ctx(), detail=True)["servers"] == [shown]
    updated = service.update_server(store, ctx(), server_id, {"server": {"name": "web-2"}})
    assert updated["server"]["name"] == "web-2"
    service.delete_server(store, ctx(), server_id)
    assert code_of(service.show_server, store, ctx(), server_id) == 404
    assert code_of(service.delete_server, store, ctx(), server_id) == 404


def test_description_appears_from_2_19_as_in_nova(store: Store) -> None:
    body = {"server": {"name": "web-0", "flavorRef": "1", "description": "front end"}}
    assert code_of(service.create_server, store, ctx((2, 18)), body) == 400
    server_id = create(store, ctx((2, 19)), description="front end")
    assert "description" not in service.show_server(store, ctx((2, 18)), server_id)["server"]
    assert service.show_server(store, ctx((2, 19)), server_id)["server"]["description"] == "front end"
    described = {"server": {"description": "x"}}
    assert code_of(service.update_server, store, ctx((2, 18)), server_id, described) == 400
    updated = service.update_server(store, ctx((2, 19)), server_id, {"server": {"description": None}})
    assert updated["server"]["description"] is None


def test_unknown_flavor_and_keypair_are_400(store: Store) -> None:
    assert code_of(service.create_server, store, ctx(), {"server": {"name": "a", "flavorRef": "99"}}) == 400
    body = {"server": {"name": "a", "flavorRef": "1", "key_name": "nope"}}
    assert code_of(service.create_server, store, ctx(), body) == 400


def test_projects_are_isolated(store: Store) -> None:
    server_id = create(store)
    assert service.list_servers(store, ctx(project="other"))["servers"] == []
    assert code_of(service.show_server, store, ctx(project="other"), server_id) == 404


def test_start_stop_reboot_state_machine(store: Store) -> None:
    server_id = create(store)
    assert code_of(service.start_server, store, ctx(), server_id) == 409  # already running
    service.reboot_server(store, ctx(), server_id, {"type": "SOFT"})
    service.stop_server(store, ctx(), server_id)
    assert service.show_server(store, ctx(), server_id)["server"]["status"] == "SHUTOFF"
    assert code_of(service.stop_server, store, ctx(), server_id) == 409
    assert code_of(service.reboot_server, store, ctx(), server_id, {"type": "HARD"}) == 409
    assert code_of(service.reboot_server, store, ctx(), server_id, {"type": "GENTLE"}) == 400
    service.start_server(store, ctx(), server_id)
    assert service.show_server(store, ctx(), server_id)["server"]["status"] == "ACTIVE"
    assert code_of(service.start_server, store, ctx(), "missing") == 404


def test_readers_cannot_write(store: Store) -> None:
    reader = ctx(roles=("reader",))
    assert code_of(service.create_server, store, reader, {"server": {"name": "a", "flavorRef": "1"}}) == 403
    server_id = create(store)
    assert service.show_server(store, reader, server_id)["server"]["id"] == server_id
    assert code_of(service.delete_server, store, reader, server_id) == 403


def test_metadata(store: Store) -> None:
    server_id = create(store, metadata={"a": "1"})
    assert service.set_metadata(store, ctx(), server_id, {"metadata": {"b": "2"}}, replace=False) == {
        "metadata": {"a": "1", "b": "2"}
    }
    assert service.set_metadata(store, ctx(), server_id, {"metadata": {"c": "3"}}, replace=True) == {
        "metadata": {"c": "3"}
    }
    assert service.set_metadata_item(store, ctx(), server_id, "d", {"meta": {"d": "4"}}) == {
        "meta": {"d": "4"}
    }
    assert service.show_metadata_item(store, ctx(), server_id, "d") == {"meta": {"d": "4"}}
    assert code_of(service.set_metadata_item, store, ctx(), server_id, "d", {"meta": {"e": "4"}}) == 400
    service.delete_metadata_item(store, ctx(), server_id, "d")
    assert code_of(service.show_metadata_item, store, ctx(), server_id, "d") == 404
    assert code_of(service.delete_metadata_item, store, ctx(), server_id, "d") == 404
    assert service.show_metadata(store, ctx(), server_id) == {"metadata": {"c": "3"}}
    assert code_of(service.show_metadata, store, ctx(), "missing") == 404


def test_flavors(store: Store) -> None:
    brief = service.list_flavors(store, ctx())["flavors"]
    assert brief[0] == {
        "id": "1",
        "name": "m1.tiny",
        "links": [{"rel": "self", "href": "http://h/v2.1/flavors/1"}],
    }
    assert service.show_flavor(store, ctx(), "3")["flavor"]["ram"] == 4096
    assert code_of(service.show_flavor, store, ctx(), "99") == 404


def test_keypairs(store: Store) -> None:
    made = service.create_keypair(store, ctx((2, 2)), {"keypair": {"name": "k1", "public_key": KEY}})
    assert made["keypair"]["type"] == "ssh"
    assert "type" not in service.show_keypair(store, ctx((2, 1)), "k1")["keypair"]
    assert (
        code_of(service.create_keypair, store, ctx(), {"keypair": {"name": "k1", "public_key": KEY}}) == 409
    )
    assert (
        code_of(service.create_keypair, store, ctx((2, 2)), {"keypair": {"name": "k2", "type": "x509"}})
        == 400
    )
    assert [k["keypair"]["name"] for k in service.list_keypairs(store, ctx())["keypairs"]] == ["k1"]
    body = {"server": {"name": "a", "flavorRef": "1", "key_name": "k1"}}
    assert service.create_server(store, ctx(), body)["server"]["id"]
    service.delete_keypair(store, ctx(), "k1")
    assert code_of(service.show_keypair, store, ctx(), "k1") == 404


def test_keypair_public_key_is_stripped(store: Store) -> None:
    made = service.create_keypair(store, ctx(), {"keypair": {"name": "k", "public_key": f"  {KEY}\n"}})
    assert made["keypair"]["public_key"] == KEY.strip()
    assert service.show_keypair(store, ctx(), "k")["keypair"]["public_key"] == KEY.strip()


def test_generated_keypair_returns_the_private_key_once(store: Store) -> None:
    from cryptography.hazmat.primitives import serialization

    made = service.create_keypair(store, ctx(), {"keypair": {"name": "gen"}})["keypair"]
    private = serialization.load_pem_private_key(made["private_key"].encode(), password=None)
    public = private.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    assert made["public_key"] == public.decode()  # the pair matches
    assert made["fingerprint"] == validation.fingerprint(made["public_key"])
    shown = service.show_keypair(store, ctx(), "gen")["keypair"]
    assert "private_key" not in shown and shown["public_key"] == made["public_key"]
    stored = store.get_keypair("alice", "gen")  # every column of the row
    assert stored is not None and "PRIVATE" not in repr(stored)
