"""Nova-style JSON documents for the benchmarks: a ``GET /servers/detail`` answer.

Deterministic (seeded), with the fields and shapes nova sends (UUIDs, links, addresses, metadata,
timestamps), so that compression ratios and codec speeds resemble a real compute API's.
"""

from __future__ import annotations

import json
import random
import uuid
from typing import Any


def server_list(count: int = 100, seed: int = 1) -> dict[str, Any]:
    """``{"servers": [...]}`` with ``count`` detailed servers (about 940 bytes each, compact)."""
    rng = random.Random(seed)

    def new_uuid() -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    servers = []
    for index in range(count):
        server_id, image_id = new_uuid(), new_uuid()
        servers.append(
            {
                "id": server_id,
                "name": f"web-{index}-{rng.randint(0, 99999)}",
                "status": rng.choice(["ACTIVE", "SHUTOFF", "BUILD", "ERROR"]),
                "tenant_id": "6f70656e737461636b20342065766572",
                "user_id": "admin",
                "hostId": f"{rng.getrandbits(224):056x}",
                "created": f"2026-09-{rng.randint(1, 28):02d}T04:{rng.randint(0, 59):02d}:32Z",
                "updated": "2026-11-03T04:01:33Z",
                "progress": 0 if index % 3 else 100,
                "accessIPv4": "",
                "accessIPv6": "",
                "flavor": {
                    "id": str(index % 5),
                    "links": [{"rel": "bookmark", "href": f"http://compute.example.com/flavors/{index % 5}"}],
                },
                "image": {
                    "id": image_id,
                    "links": [{"rel": "bookmark", "href": f"http://compute.example.com/images/{image_id}"}],
                },
                "addresses": {
                    "private": [
                        {
                            "addr": f"192.168.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
                            "version": 4,
                            "OS-EXT-IPS:type": "fixed",
                            "OS-EXT-IPS-MAC:mac_addr": "fa:16:3e:"
                            + ":".join(f"{rng.randint(0, 255):02x}" for _ in range(3)),
                        }
                    ]
                },
                "metadata": {"My Server Name": "Apache1", "environment": rng.choice(["prod", "staging"])},
                "OS-EXT-STS:power_state": 1,
                "OS-EXT-STS:vm_state": "active",
                "security_groups": [{"name": "default"}],
                "links": [
                    {"rel": "self", "href": f"http://compute.example.com/v2.1/servers/{server_id}"},
                    {"rel": "bookmark", "href": f"http://compute.example.com/servers/{server_id}"},
                ],
            }
        )
    return {"servers": servers}


def server_list_bytes(count: int = 100) -> bytes:
    return json.dumps(server_list(count), separators=(",", ":")).encode()
