"""python-novaclient's Python API against the compute example, over a keystoneauth session.

Run with the clients' interpreter (``.venv-clients/bin/python``), not the test's:
``python novaclient_workflow.py ENDPOINT TOKEN IMAGE_ID PUBLIC_KEY_FILE ADMIN_TOKEN``. Authentication is
``admin_token`` plugin (a fixed token and endpoint, no Keystone). Prints one JSON object of what the client
saw; the test asserts on it.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from keystoneauth1 import loading, session
from novaclient import client, exceptions


def _client(endpoint: str, token: str, version: str = "2.1") -> Any:
    auth = loading.get_plugin_loader("admin_token").load_from_options(endpoint=endpoint, token=token)
    return client.Client(version, session=session.Session(auth=auth))


def main(endpoint: str, token: str, image_id: str, public_key_file: str, admin_token: str) -> dict[str, Any]:
    nova = _client(endpoint, token)
    seen: dict[str, Any] = {}

    seen["flavors"] = sorted(flavor.name for flavor in nova.flavors.list())
    seen["flavors_by_ram_desc"] = [
        flavor.id for flavor in nova.flavors.list(sort_key="memory_mb", sort_dir="desc")
    ]
    tiny = nova.flavors.get("1")
    seen["flavor_1"] = {"name": tiny.name, "ram": tiny.ram, "extra_specs": nova.flavors.get("4").get_keys()}

    with open(public_key_file) as key_file:
        imported = nova.keypairs.create("nova-imported", public_key=key_file.read())
    generated = nova.keypairs.create("nova-generated")
    seen["keypairs"] = {
        "imported_fingerprint": imported.fingerprint,
        "generated_private_key": getattr(generated, "private_key", "")[:31],
        "listed": sorted(keypair.name for keypair in nova.keypairs.list()),
        "shown": nova.keypairs.get("nova-imported").public_key,
    }

    server = nova.servers.create("nova-1", image=image_id, flavor="1", key_name="nova-imported")
    got = nova.servers.get(server.id)
    seen["server"] = {
        "status": got.status,
        "image": got.image["id"],
        "flavor": got.flavor["id"],
        "addresses": got.addresses,
        "key_name": got.key_name,
        "listed": [s.name for s in nova.servers.list()],
        "networks": got.networks,
    }
    # sort_keys/sort_dirs become nova's sort_key/sort_dir; all_tenants is for administrators
    other = nova.servers.create("nova-0", image=image_id, flavor="1")
    seen["sorted"] = {
        "default": [s.name for s in nova.servers.list()],
        "name_asc": [s.name for s in nova.servers.list(sort_keys=["display_name"], sort_dirs=["asc"])],
        "name_desc": [s.name for s in nova.servers.list(sort_keys=["display_name"], sort_dirs=["desc"])],
    }
    try:
        nova.servers.list(search_opts={"all_tenants": True})
    except exceptions.Forbidden as error:
        seen["all_tenants_refused"] = {"code": error.code, "message": error.message}
    admin = _client(endpoint, admin_token)
    seen["all_tenants_admin"] = sorted(s.name for s in admin.servers.list(search_opts={"all_tenants": True}))
    nova.servers.delete(other)
    nova.servers.stop(server)
    try:
        nova.servers.stop(server)
    except exceptions.Conflict as error:
        seen["conflict"] = {"code": error.code, "message": error.message}
    try:
        nova.flavors.get("no-such-flavor")
    except exceptions.NotFound as error:
        seen["flavor_not_found"] = {"code": error.code, "message": error.message}
    nova.servers.delete(server)
    try:
        nova.servers.get(server.id)
    except exceptions.NotFound as error:
        seen["deleted"] = {"code": error.code, "message": error.message}

    # below 2.27 novaclient sends (and reads) only the legacy header
    nova25 = _client(endpoint, token, "2.5")
    response, _ = nova25.client.get("/servers")
    seen["v2_5"] = {
        "sent": response.request.headers.get("X-OpenStack-Nova-API-Version"),
        "served": response.headers.get("X-OpenStack-Nova-API-Version"),
        "served_standard": response.headers.get("OpenStack-API-Version"),
    }
    for name in ("nova-imported", "nova-generated"):
        nova.keypairs.delete(name)
    seen["keypairs_left"] = [keypair.name for keypair in nova.keypairs.list()]
    return seen


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:6])))
