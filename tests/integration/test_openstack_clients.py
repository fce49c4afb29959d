"""The real OpenStack clients drive the compute example end to end.

python-openstackclient (the ``openstack`` command), python-novaclient's Python API and openstacksdk's
cloud layer, pinned and installed by ``make clients`` into ``.venv-clients``, talk to
``paste-configs/nova-style.ini`` served by gunicorn on 127.0.0.1, unchanged. Authentication is
keystoneauth's ``admin_token`` plugin with the demo token (no Keystone); the ``openstack`` command reads it
from the ``clouds.yaml`` that :func:`clouds_yaml` writes, the one ``docs/guide/openstack-clients.rst``
prints.

Without the clients' venv the tests skip (``make clients`` builds it); with ``CI=true`` they fail instead.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
CLIENTS_VENV = Path(os.environ.get("WSGIKIT_CLIENTS_VENV", ROOT / ".venv-clients"))
SCRIPTS = Path(__file__).parent / "openstack_clients"
TOKEN = "demo-token"
CIRROS = "cirros-0.6.2-x86_64-disk"
TIMEOUT = 120  # seconds for one client command (the CLI's start-up alone takes a few)
CLOUDS: dict[str, Path] = {}  # endpoint → its clouds.yaml


@pytest.fixture(scope="module")
def clients_bin() -> Path:
    """The clients' venv ``bin`` directory: skips when ``make clients`` has not run, fails when ``CI=true``
    (the policy of the ``tool`` fixture, module-scoped here so no server starts for skipped tests)."""
    binary = CLIENTS_VENV / "bin" / "openstack"
    if not os.access(binary, os.X_OK):
        message = f"the OpenStack clients are not installed in {CLIENTS_VENV} (make clients builds them)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}; CI=true: missing clients fail the run")
        pytest.skip(message)
    return binary.parent


@pytest.fixture(scope="module")
def endpoint(
    tmp_path_factory: pytest.TempPathFactory,
    clients_bin: Path,
    start_server: Callable[..., Any],
    port_factory: Callable[[], int],
) -> str:
    """``http://127.0.0.1:PORT/v2.1`` of nova-style.ini on a 2-worker gunicorn with a fresh database (the
    ``start_server`` fixture stops it after the module)."""
    tmp = tmp_path_factory.mktemp("openstack-clients")
    port = port_factory()
    argv = [sys.executable, "-m", "wsgikit", "serve", str(ROOT / "paste-configs" / "nova-style.ini")]
    argv += ["--server", "gunicorn", "--workers", "2", "--host", "127.0.0.1", "--port", str(port)]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WSGIKIT_COMPUTE_DB", str(tmp / "compute.sqlite3"))
        patch.delenv("WSGIKIT_COMPUTE_AUTH", raising=False)
        start_server("gunicorn-compute", argv, port=port)
    url = f"http://127.0.0.1:{port}/v2.1"
    CLOUDS[url] = clouds_yaml(tmp, url)
    return url


CLOUDS_YAML = """\
clouds:
  compute-example:
    auth_type: admin_token
    auth:
      endpoint: {endpoint}
      token: {token}
    # admin_token gives every service the one endpoint; without these two lines openstacksdk takes the
    # "v2.1" in it for the identity API's version, and commands that build an identity client
    # (server list) refuse to run. No identity request is made.
    identity_api_version: 3
    identity_endpoint_override: {endpoint}
"""


def clouds_yaml(directory: Path, endpoint: str) -> Path:
    path = directory / "clouds.yaml"
    path.write_text(CLOUDS_YAML.format(endpoint=endpoint, token=TOKEN))
    return path


def openstack(
    clients_bin: Path, endpoint: str, *args: str, expect_failure: bool = False, api_version: str | None = None
) -> subprocess.CompletedProcess[str]:
    """One ``openstack --os-cloud compute-example ...`` command, as the docs give it."""
    argv = [str(clients_bin / "openstack"), "--os-cloud", "compute-example"]
    if api_version:
        argv += ["--os-compute-api-version", api_version]
    env = _client_env()
    env["OS_CLIENT_CONFIG_FILE"] = str(CLOUDS[endpoint])
    result = subprocess.run(
        argv + list(args), capture_output=True, text=True, timeout=TIMEOUT, env=env, check=False
    )
    if expect_failure:
        assert result.returncode != 0, result.stdout
    else:
        assert result.returncode == 0, f"openstack {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result


def as_json(result: subprocess.CompletedProcess[str]) -> Any:
    return json.loads(result.stdout)


def _client_env() -> dict[str, str]:
    # no OS_* settings or clouds.yaml of the machine running the tests may leak in
    env = {key: value for key, value in os.environ.items() if not key.startswith("OS_")}
    env["HOME"] = env.get("WSGIKIT_CLIENTS_HOME", "/nonexistent")
    return env


def run_script(clients_bin: Path, script: str, *args: str) -> Any:
    result = subprocess.run(
        [str(clients_bin / "python"), str(SCRIPTS / script), *args],
        capture_output=True,
        text=True,
        timeout=TIMEOUT * 2,
        env=_client_env(),
        check=False,
    )
    assert result.returncode == 0, f"{script}:\n{result.stdout}\n{result.stderr}"
    return json.loads(result.stdout.strip().splitlines()[-1])


def public_key_file(directory: Path) -> Path:
    """An OpenSSH public key file as ``ssh-keygen`` writes it: one line ending in a newline."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    key = ed25519.Ed25519PrivateKey.generate().public_key()
    line = key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    path = directory / "id_ed25519.pub"
    path.write_text(line + " test@wsgikit\n")
    return path


# -- python-openstackclient ----------------------------------------------------------------------------------


def test_openstack_flavors(clients_bin: Path, endpoint: str) -> None:
    flavors = as_json(openstack(clients_bin, endpoint, "flavor", "list", "-f", "json"))
    assert [f["Name"] for f in flavors] == ["m1.tiny", "m1.small", "m1.medium", "m1.large"]
    shown = as_json(openstack(clients_bin, endpoint, "flavor", "show", "1", "-f", "json"))
    assert (shown["name"], shown["ram"], shown["vcpus"], shown["disk"]) == ("m1.tiny", 512, 1, 1)
    long = as_json(openstack(clients_bin, endpoint, "flavor", "list", "--long", "-f", "json"))
    assert {f["Name"]: f["Properties"] for f in long}["m1.large"] == {
        "hw:cpu_policy": "dedicated",
        "hw:mem_page_size": "large",
    }


def test_openstack_keypairs(clients_bin: Path, endpoint: str, tmp_path: Path) -> None:
    key_file = public_key_file(tmp_path)
    imported = as_json(
        openstack(
            clients_bin,
            endpoint,
            "keypair",
            "create",
            "--public-key",
            str(key_file),
            "cli-imported",
            "-f",
            "json",
        )
    )
    assert imported["name"] == "cli-imported" and imported["fingerprint"].count(":") == 15
    # openstackclient makes this key pair itself (nova stopped generating keys at 2.92) and prints the
    # private key; the server-generated kind is what novaclient and the SDK ask for, below
    generated = openstack(clients_bin, endpoint, "keypair", "create", "cli-generated")
    assert generated.stdout.startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    listed = as_json(openstack(clients_bin, endpoint, "keypair", "list", "-f", "json"))
    assert {k["Name"] for k in listed} >= {"cli-imported", "cli-generated"}
    shown = as_json(openstack(clients_bin, endpoint, "keypair", "show", "cli-imported", "-f", "json"))
    assert shown["fingerprint"] == imported["fingerprint"]
    public = openstack(clients_bin, endpoint, "keypair", "show", "--public-key", "cli-imported").stdout
    assert public.strip() == key_file.read_text().strip()
    openstack(clients_bin, endpoint, "keypair", "delete", "cli-imported", "cli-generated")
    listed = as_json(openstack(clients_bin, endpoint, "keypair", "list", "-f", "json"))
    assert not {k["Name"] for k in listed} & {"cli-imported", "cli-generated"}


def test_openstack_server_lifecycle(clients_bin: Path, endpoint: str) -> None:
    images = as_json(openstack(clients_bin, endpoint, "image", "list", "-f", "json"))
    assert CIRROS in {image["Name"] for image in images}
    created = as_json(
        openstack(
            clients_bin, endpoint, "server", "create", "--flavor", "1", "--image", CIRROS, "--wait",
            "--property", "role=web", "cli-1", "-f", "json",
        )
    )  # fmt: skip
    server_id = created["id"]
    assert created["status"] == "ACTIVE"
    assert created["image"].startswith(CIRROS)
    openstack(clients_bin, endpoint, "server", "create", "--flavor", "m1.small", "--image", CIRROS, "cli-2")

    listed = as_json(openstack(clients_bin, endpoint, "server", "list", "-f", "json"))
    rows = {row["Name"]: row for row in listed}
    assert set(rows) >= {"cli-1", "cli-2"}
    assert rows["cli-1"]["Status"] == "ACTIVE"
    assert rows["cli-1"]["Image"] == CIRROS and rows["cli-1"]["Flavor"] == "m1.tiny"
    assert rows["cli-1"]["Networks"] == {"private": ["10.0.0.3"]} or "10.0.0." in str(
        rows["cli-1"]["Networks"]
    )

    shown = as_json(openstack(clients_bin, endpoint, "server", "show", server_id, "-f", "json"))
    assert shown["OS-EXT-STS:vm_state"] == "active" and shown["OS-EXT-AZ:availability_zone"] == "nova"
    assert shown["properties"] == {"role": "web"}

    openstack(
        clients_bin, endpoint, "server", "set", "--property", "owner=ops", "--property", "tier=1", server_id
    )
    openstack(clients_bin, endpoint, "server", "unset", "--property", "role", server_id)
    shown = as_json(openstack(clients_bin, endpoint, "server", "show", server_id, "-f", "json"))
    assert shown["properties"] == {"owner": "ops", "tier": "1"}

    openstack(clients_bin, endpoint, "server", "stop", server_id)
    stopped = as_json(openstack(clients_bin, endpoint, "server", "show", server_id, "-f", "json"))
    assert (stopped["status"], stopped["OS-EXT-STS:vm_state"], stopped["OS-EXT-STS:power_state"]) == (
        "SHUTOFF",
        "stopped",
        4,
    )
    # stopping a stopped server: the CLI prints nova's own message
    again = openstack(clients_bin, endpoint, "server", "stop", server_id, expect_failure=True)
    assert f"Cannot 'stop' instance {server_id} while it is in vm_state stopped" in again.stderr
    openstack(clients_bin, endpoint, "server", "start", server_id)
    openstack(clients_bin, endpoint, "server", "reboot", server_id)
    assert (
        as_json(openstack(clients_bin, endpoint, "server", "show", server_id, "-f", "json"))["status"]
        == "ACTIVE"
    )

    openstack(clients_bin, endpoint, "server", "delete", "--wait", server_id, "cli-2")
    assert as_json(openstack(clients_bin, endpoint, "server", "list", "-f", "json")) == []
    missing = openstack(clients_bin, endpoint, "server", "show", server_id, expect_failure=True)
    assert server_id in missing.stderr


def test_openstack_errors_print_the_servers_message(clients_bin: Path, endpoint: str) -> None:
    missing = openstack(clients_bin, endpoint, "flavor", "show", "99", expect_failure=True)
    assert "99" in missing.stderr
    nothing = openstack(clients_bin, endpoint, "server", "show", "no-such-server", expect_failure=True)
    assert "no-such-server" in nothing.stderr


def test_openstack_limits_and_availability_zones(clients_bin: Path, endpoint: str) -> None:
    limits = as_json(openstack(clients_bin, endpoint, "limits", "show", "--absolute", "-f", "json"))
    values = {row["Name"]: row["Value"] for row in limits}
    assert values["max_server_meta"] == 128 and values["max_total_instances"] == -1
    assert values["instances_used"] == 0  # the lifecycle test deleted its servers
    zones = as_json(
        openstack(clients_bin, endpoint, "availability", "zone", "list", "--compute", "-f", "json")
    )
    assert [(z["Zone Name"], z["Zone Status"]) for z in zones] == [("nova", "available")]


def test_openstack_compute_api_version_2_5(clients_bin: Path, endpoint: str) -> None:
    result = openstack(clients_bin, endpoint, "--debug", "flavor", "list", api_version="2.5")
    assert "compute 2.5" in result.stderr  # the request's header and the echo in the response
    assert (
        "Openstack-Api-Version: compute 2.5" in result.stderr
        or "OpenStack-API-Version: compute 2.5" in result.stderr
    )


# -- python-novaclient and openstacksdk ----------------------------------------------------------------------


def test_novaclient_python_api(clients_bin: Path, endpoint: str, tmp_path: Path) -> None:
    images = as_json(openstack(clients_bin, endpoint, "image", "list", "--name", CIRROS, "-f", "json"))
    seen = run_script(
        clients_bin,
        "novaclient_workflow.py",
        endpoint,
        TOKEN,
        images[0]["ID"],
        str(public_key_file(tmp_path)),
    )
    assert seen["flavors"] == ["m1.large", "m1.medium", "m1.small", "m1.tiny"]
    assert seen["flavor_1"]["ram"] == 512
    assert seen["keypairs"]["generated_private_key"] == "-----BEGIN RSA PRIVATE KEY-----"
    assert set(seen["keypairs"]["listed"]) >= {"nova-imported", "nova-generated"}
    assert not seen["keypairs"]["shown"].endswith("\n")
    assert seen["server"]["status"] == "ACTIVE" and seen["server"]["image"] == images[0]["ID"]
    assert "nova-1" in seen["server"]["listed"]
    assert seen["server"]["networks"]["private"][0].startswith("10.0.0.")
    assert seen["conflict"]["code"] == 409
    assert "while it is in vm_state stopped" in seen["conflict"]["message"]
    assert seen["flavor_not_found"] == {"code": 404, "message": "Flavor no-such-flavor could not be found."}
    assert seen["deleted"]["code"] == 404 and "could not be found" in seen["deleted"]["message"]
    assert seen["v2_5"] == {"sent": "2.5", "served": "2.5", "served_standard": "compute 2.5"}
    assert seen["keypairs_left"] == []


def test_openstacksdk_cloud_layer(clients_bin: Path, endpoint: str) -> None:
    seen = run_script(clients_bin, "sdk_workflow.py", endpoint, TOKEN, CIRROS)
    assert seen["keypair"] == {"name": "sdk-key", "private_key": "-----BEGIN RSA PRIVATE KEY-----"}
    assert seen["created"]["status"] == "ACTIVE"
    assert "sdk-1" in seen["listed"]
    assert seen["got"]["id_matches"] and seen["got"]["status"] == "ACTIVE"
    assert seen["got"]["private_v4"].startswith("10.0.0.")
    assert seen["conflict"]["status"] == 409 and "vm_state active" in seen["conflict"]["details"]
    assert seen["deleted"] is True
    assert seen["after_delete"] is None
    assert "sdk-1" not in seen["listed_after"]
