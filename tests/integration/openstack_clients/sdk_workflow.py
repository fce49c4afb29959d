"""openstacksdk's cloud layer against the compute example.

Run with the clients' interpreter: ``python sdk_workflow.py ENDPOINT TOKEN IMAGE_NAME ADMIN_TOKEN``. The
connections use keystoneauth's ``admin_token`` plugin (no Keystone). Prints one JSON object of what the SDK
saw.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import openstack
from openstack import exceptions


def _connect(endpoint: str, token: str) -> Any:
    return openstack.connect(auth_type="admin_token", auth={"endpoint": endpoint, "token": token})


def main(endpoint: str, token: str, image_name: str, admin_token: str) -> dict[str, Any]:
    conn = _connect(endpoint, token)
    seen: dict[str, Any] = {}

    keypair = conn.create_keypair("sdk-key")
    seen["keypair"] = {"name": keypair.name, "private_key": (keypair.private_key or "")[:31]}

    server = conn.create_server("sdk-1", image=image_name, flavor="m1.tiny", key_name="sdk-key", wait=True)
    seen["created"] = {"status": server.status, "image": server.image.id, "flavor": server.flavor.id}
    seen["listed"] = [s.name for s in conn.list_servers()]
    # all_projects=True sends all_tenants: nova's 403 for a member, every project's servers for an admin
    try:
        conn.list_servers(all_projects=True)
    except exceptions.ForbiddenException as error:
        seen["all_projects_refused"] = {"status": error.status_code, "details": error.details}
    admin = _connect(endpoint, admin_token)
    seen["all_projects_admin"] = [s.name for s in admin.list_servers(all_projects=True)]
    got = conn.get_server("sdk-1")
    seen["got"] = {
        "id_matches": got.id == server.id,
        "status": got.status,
        "addresses": got.addresses,
        "az": got.location.zone,
        "public_v4": got.public_v4,
        "private_v4": got.private_v4,
    }
    try:
        conn.compute.start_server(got.id)  # it is ACTIVE: nova's 409 message comes through
    except exceptions.ConflictException as error:
        seen["conflict"] = {"status": error.status_code, "details": error.details}
    seen["deleted"] = conn.delete_server("sdk-1", wait=True)
    seen["after_delete"] = conn.get_server("sdk-1")
    seen["listed_after"] = [s.name for s in conn.list_servers()]
    conn.delete_keypair("sdk-key")
    return seen


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:5]), default=str))
