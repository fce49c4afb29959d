"""What nova's clients need from the compute example, through ``paste-configs/nova-style.ini``: nova's
fault bodies, the legacy microversion header, the server view members clients read, what ``server create``
sends, images, flavor extra specs, limits, availability zones and generated key pairs.

The real clients drive the same service in ``tests/integration/test_openstack_clients.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from wsgikit_compute.storage import IMAGES
from wsgikit_compute.validation import NETWORK_ID

from wsgikit.testing import TestApp

CONFIGS = Path(__file__).resolve().parents[2] / "paste-configs"
DEMO = {"X-Auth-Token": "demo-token"}
LEGACY = "X-OpenStack-Nova-API-Version"
CIRROS = IMAGES[0]

# what `openstack server create --flavor 1 --image cirros --wait` sends at microversion 2.1
OSC_CREATE = {
    "server": {
        "name": "cli-1",
        "imageRef": CIRROS.id,
        "flavorRef": "1",
        "min_count": 1,
        "max_count": 1,
        "networks": [],
        "block_device_mapping_v2": [
            {
                "uuid": CIRROS.id,
                "boot_index": 0,
                "source_type": "image",
                "destination_type": "local",
                "delete_on_termination": True,
            }
        ],
    }
}


VOLUME = {"source_type": "volume", "destination_type": "volume", "boot_index": 0, "uuid": "v"}


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TestApp:
    monkeypatch.setenv("WSGIKIT_COMPUTE_DB", str(tmp_path / "compute.sqlite3"))
    monkeypatch.delenv("WSGIKIT_COMPUTE_AUTH", raising=False)
    return TestApp(f"config:{CONFIGS / 'nova-style.ini'}")


def create(app: TestApp, body: dict[str, Any] = OSC_CREATE, **headers: str) -> str:
    server_id: str = app.post_json("/v2.1/servers", body, headers={**DEMO, **headers}, status=202).json[
        "server"
    ]["id"]
    return server_id


def test_server_create_as_openstackclient_sends_it(app: TestApp) -> None:
    server_id = create(app)
    server = app.get(f"/v2.1/servers/{server_id}", headers=DEMO).json["server"]
    assert server["image"]["id"] == CIRROS.id
    assert server["addresses"] == {
        "private": [
            {
                "version": 4,
                "addr": "10.0.0.3",
                "OS-EXT-IPS:type": "fixed",
                "OS-EXT-IPS-MAC:mac_addr": server["addresses"]["private"][0]["OS-EXT-IPS-MAC:mac_addr"],
            }
        ]
    }
    for member, value in {
        "accessIPv4": "",
        "accessIPv6": "",
        "OS-EXT-STS:vm_state": "active",
        "OS-EXT-STS:power_state": 1,
        "OS-EXT-STS:task_state": None,
        "OS-EXT-AZ:availability_zone": "nova",
        "key_name": None,
        "metadata": {},
        "tenant_id": "demo",
        "user_id": "demo",
        "progress": 0,
        "config_drive": "",
        "security_groups": [{"name": "default"}],
    }.items():
        assert server[member] == value, member
    assert len(server["hostId"]) == 56
    assert server["links"][0]["href"].endswith(f"/v2.1/servers/{server_id}")
    assert "locked" not in server and "description" not in server  # 2.9 and 2.19
    later = app.get(f"/v2.1/servers/{server_id}", headers={**DEMO, LEGACY: "2.9"}).json["server"]
    assert later["locked"] is False and "description" not in later
    latest = app.get(f"/v2.1/servers/{server_id}", headers={**DEMO, LEGACY: "2.19"}).json["server"]
    assert latest["locked"] is False and latest["description"] is None


def test_detail_list_carries_the_same_view(app: TestApp) -> None:
    server_id = create(app)
    (listed,) = app.get("/v2.1/servers/detail", headers=DEMO).json["servers"]
    assert listed == app.get(f"/v2.1/servers/{server_id}", headers=DEMO).json["server"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"min_count": 2}, "'min_count' must be 1"),
        ({"max_count": "3"}, "'max_count' must be 1"),
        ({"max_count": 0}, "'max_count' must be a positive integer"),
        ({"networks": [{"port": "p1"}]}, "'networks': port not supported"),
        ({"networks": [{"uuid": "nope"}]}, "network 'nope' not found"),
        ({"networks": "everything"}, "'networks' must be 'auto', 'none' or a list"),
        ({"block_device_mapping_v2": [VOLUME]}, "source_type='volume'"),
        ({"imageRef": "missing"}, "Image missing could not be found."),
        ({"availability_zone": "moon"}, "'availability_zone': 'moon' not found"),
        ({"security_groups": [{"name": "web"}]}, "'security_groups'"),
        ({"user_data": "IyEvYmluL3No"}, "unknown field(s) in 'server': user_data"),
        ({"config_drive": True}, "'config_drive' is not supported"),
    ],
    ids=["min-count", "max-count", "zero-count", "port", "unknown-network", "networks-word", "volume-bdm",
         "unknown-image", "unknown-az", "security-group", "user-data", "config-drive"],
)  # fmt: skip
def test_what_the_service_cannot_honour_is_a_400_naming_it(
    app: TestApp, change: dict[str, Any], message: str
) -> None:
    body = {"server": {**OSC_CREATE["server"], **change}}
    if "imageRef" in change:
        del body["server"]["block_device_mapping_v2"]
    fault = app.post_json("/v2.1/servers", body, headers=DEMO, status=400).json["badRequest"]
    assert fault["code"] == 400
    assert message in fault["message"]


def test_networks_none_and_the_named_network(app: TestApp) -> None:
    bare = create(app, {"server": {"name": "a", "flavorRef": "1", "imageRef": CIRROS.id, "networks": "none"}})
    assert app.get(f"/v2.1/servers/{bare}", headers=DEMO).json["server"]["addresses"] == {}
    named = {
        "server": {"name": "b", "flavorRef": "1", "imageRef": CIRROS.id, "networks": [{"uuid": NETWORK_ID}]}
    }
    server = app.get(f"/v2.1/servers/{create(app, named)}", headers=DEMO).json["server"]
    assert server["addresses"]["private"][0]["addr"] == "10.0.0.3"


def test_images_by_name_and_id(app: TestApp) -> None:
    images = app.get("/v2.1/images", headers=DEMO).json["images"]
    assert {image["name"] for image in images} == {image.name for image in IMAGES}
    (found,) = app.get("/v2.1/images", params={"name": CIRROS.name}, headers=DEMO).json["images"]
    assert (found["id"], found["status"], found["visibility"]) == (CIRROS.id, "active", "public")
    assert app.get("/v2.1/images", params={"name": "nope"}, headers=DEMO).json["images"] == []
    assert app.get(f"/v2.1/images/{CIRROS.id}", headers=DEMO).json["name"] == CIRROS.name
    assert app.get("/v2.1/images/nope", headers=DEMO, status=404).json["itemNotFound"]["code"] == 404


def test_flavor_views_and_extra_specs(app: TestApp) -> None:
    flavor = app.get("/v2.1/flavors/4", headers=DEMO).json["flavor"]
    assert (flavor["OS-FLV-EXT-DATA:ephemeral"], flavor["swap"], flavor["os-flavor-access:is_public"]) == (
        10,
        1024,
        True,
    )
    assert app.get("/v2.1/flavors/1", headers=DEMO).json["flavor"]["swap"] == ""  # nova's "no swap"
    specs = app.get("/v2.1/flavors/4/os-extra_specs", headers=DEMO).json
    assert specs == {"extra_specs": {"hw:cpu_policy": "dedicated", "hw:mem_page_size": "large"}}
    assert app.get("/v2.1/flavors/1/os-extra_specs", headers=DEMO).json == {"extra_specs": {}}
    assert app.get("/v2.1/flavors/4/os-extra_specs/hw:cpu_policy", headers=DEMO).json == {
        "hw:cpu_policy": "dedicated"
    }
    missing = app.get("/v2.1/flavors/99/os-extra_specs", headers=DEMO, status=404).json
    assert missing == {"itemNotFound": {"code": 404, "message": "Flavor 99 could not be found."}}
    not_allowed = app.post_json("/v2.1/flavors/4/os-extra_specs", {}, headers=DEMO, status=405)
    assert not_allowed.json["badMethod"]["code"] == 405 and "GET" in not_allowed.headers["Allow"]


def test_limits_report_usage(app: TestApp) -> None:
    create(app)
    absolute = app.get("/v2.1/limits", headers=DEMO).json["limits"]["absolute"]
    assert (absolute["totalInstancesUsed"], absolute["totalCoresUsed"], absolute["totalRAMUsed"]) == (
        1,
        1,
        512,
    )
    assert absolute["maxTotalInstances"] == -1  # not enforced: nova's "unlimited"
    assert absolute["maxServerMeta"] == 128


def test_availability_zones(app: TestApp) -> None:
    (zone,) = app.get("/v2.1/os-availability-zone", headers=DEMO).json["availabilityZoneInfo"]
    assert zone == {"zoneName": "nova", "zoneState": {"available": True}, "hosts": None}
    (detail,) = app.get("/v2.1/os-availability-zone/detail", headers=DEMO).json["availabilityZoneInfo"]
    assert detail["hosts"]["compute-1"]["nova-compute"]["available"] is True


def test_keypair_from_a_pub_file_and_generated(app: TestApp) -> None:
    key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGkMjF0Dk3mA7Th+Nwq6k0G6Jr4n0iD0M6pDyVNtUj1q demo@example"
    body = {"keypair": {"name": "file", "public_key": key + "\n"}}  # as ssh-keygen writes it
    assert app.post_json("/v2.1/os-keypairs", body, headers=DEMO).json["keypair"]["public_key"] == key
    made = app.post_json("/v2.1/os-keypairs", {"keypair": {"name": "gen"}}, headers=DEMO).json["keypair"]
    assert made["private_key"].startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert made["public_key"].startswith("ssh-rsa ")
    shown = app.get("/v2.1/os-keypairs/gen", headers=DEMO).json["keypair"]
    assert "private_key" not in shown
    again = app.post_json("/v2.1/os-keypairs", {"keypair": {"name": "gen"}}, headers=DEMO, status=409).json
    assert again == {"conflictingRequest": {"code": 409, "message": "Key pair 'gen' already exists."}}


@pytest.mark.parametrize(
    ("action", "state"), [("os-stop", "stopped"), ("os-start", "active"), ("reboot", "stopped")]
)
def test_state_conflicts_use_novas_words(app: TestApp, action: str, state: str) -> None:
    server_id = create(app)
    if state == "stopped":
        app.post_json(f"/v2.1/servers/{server_id}/action", {"os-stop": None}, headers=DEMO, status=202)
    body = {action: {"type": "SOFT"} if action == "reboot" else None}
    fault = app.post_json(f"/v2.1/servers/{server_id}/action", body, headers=DEMO, status=409).json
    verb = {"os-stop": "stop", "os-start": "start", "reboot": "reboot"}[action]
    message = f"Cannot '{verb}' instance {server_id} while it is in vm_state {state}"
    assert fault == {"conflictingRequest": {"code": 409, "message": message}}


def test_deleted_server_is_itemnotfound(app: TestApp) -> None:
    server_id = create(app)
    app.delete(f"/v2.1/servers/{server_id}", headers=DEMO, status=204)
    gone = app.get(f"/v2.1/servers/{server_id}", headers=DEMO, status=404)
    assert gone.json == {
        "itemNotFound": {"code": 404, "message": f"Instance {server_id} could not be found."}
    }


@pytest.mark.parametrize(
    ("headers", "status", "fault"),
    [
        ({}, 401, "unauthorized"),
        ({**DEMO, "OpenStack-API-Version": "compute 9.9"}, 406, "computeFault"),
        ({**DEMO, LEGACY: "9.9"}, 406, "computeFault"),
        ({**DEMO, LEGACY: "two"}, 400, "badRequest"),
    ],
    ids=["auth", "version", "legacy-version", "legacy-malformed"],
)
def test_pipeline_errors_are_nova_faults(
    app: TestApp, headers: dict[str, str], status: int, fault: str
) -> None:
    res = app.get("/v2.1/servers", headers=headers, status=status)
    assert res.content_type == "application/json"
    assert res.json[fault]["code"] == status
    assert res.headers["X-Compute-Request-ID"] == res.headers["X-OpenStack-Request-ID"]


def test_legacy_microversion_header_served_and_echoed(app: TestApp) -> None:
    res = app.get("/v2.1/servers", headers={**DEMO, LEGACY: "2.5"})
    assert res.headers[LEGACY] == "2.5"
    assert res.headers["OpenStack-API-Version"] == "compute 2.5"
    assert set(res.headers["Vary"].replace(" ", "").split(",")) >= {"OpenStack-API-Version", LEGACY}
