"""The real OpenStack clients drive the compute example end to end.

python-openstackclient (the ``openstack`` command), python-novaclient's Python API and openstacksdk's
cloud layer, pinned and installed by ``make clients`` into ``.venv-clients``, talk to
``paste-configs/nova-style.ini`` served by gunicorn on 127.0.0.1, unchanged. Authentication is
keystoneauth's ``admin_token`` plugin with the demo token (no Keystone); the ``openstack`` command reads it
from ``paste-configs/clouds.yaml``, the file ``docs/guide/openstack-clients.rst`` shows, and every
``openstack`` command line that page prints is one this module runs.

Without the clients' venv the tests skip (``make clients`` builds it); with ``CI=true`` they fail instead.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

# dozens of client start-ups (a few seconds each on a busy machine) per test: more than the default timeout
pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

ROOT = Path(__file__).resolve().parents[2]
CLIENTS_VENV = Path(os.environ.get("WSGIKIT_CLIENTS_VENV", ROOT / ".venv-clients"))
SCRIPTS = Path(__file__).parent / "openstack_clients"
TOKEN = "demo-token"
CIRROS = "cirros-0.6.2-x86_64-disk"
TIMEOUT = 120  # seconds for one client command (the CLI's start-up alone takes a few)
WORKDIR: dict[str, Path] = {}  # endpoint → the directory with its clouds.yaml
RAN: list[str] = []  # every openstack command line, for the docs check


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
    ``start_server`` fixture stops it after the module). Its working directory holds the ``clouds.yaml``
    of ``paste-configs/`` (port replaced) and the ``id_ed25519.pub`` the docs' commands name."""
    tmp = tmp_path_factory.mktemp("openstack-clients")
    port = port_factory()
    argv = [sys.executable, "-m", "wsgikit", "serve", str(ROOT / "paste-configs" / "nova-style.ini")]
    argv += ["--server", "gunicorn", "--workers", "2", "--host", "127.0.0.1", "--port", str(port)]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WSGIKIT_COMPUTE_DB", str(tmp / "compute.sqlite3"))
        patch.delenv("WSGIKIT_COMPUTE_AUTH", raising=False)
        start_server("gunicorn-compute", argv, port=port)
    clouds = (ROOT / "paste-configs" / "clouds.yaml").read_text()
    assert clouds.count("endpoint: http://127.0.0.1:8080/v2.1") == 1
    (tmp / "clouds.yaml").write_text(clouds.replace("127.0.0.1:8080", f"127.0.0.1:{port}"))
    public_key_file(tmp)
    url = f"http://127.0.0.1:{port}/v2.1"
    WORKDIR[url] = tmp
    return url


def openstack(
    clients_bin: Path, endpoint: str, *args: str, expect_failure: bool = False
) -> subprocess.CompletedProcess[str]:
    """``openstack --os-cloud compute-example ARGS`` in the directory of the clouds.yaml, as the docs run it;
    the command line is recorded for :func:`test_the_docs_show_the_commands_run_here`."""
    argv = ["openstack", "--os-cloud", "compute-example", *args]
    RAN.append(" ".join(argv))
    env = _client_env()
    env["PATH"] = f"{clients_bin}{os.pathsep}{env.get('PATH', '')}"
    result = subprocess.run(
        argv, capture_output=True, text=True, timeout=TIMEOUT, env=env, cwd=WORKDIR[endpoint], check=False
    )
    if expect_failure:
        assert result.returncode != 0, result.stdout
    else:
        assert result.returncode == 0, f"{' '.join(argv)}:\n{result.stdout}\n{result.stderr}"
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
    first = as_json(openstack(clients_bin, endpoint, "flavor", "list", "--limit", "1", "-f", "json"))
    assert [f["Name"] for f in first] == ["m1.tiny"]
    shown = as_json(openstack(clients_bin, endpoint, "flavor", "show", "1", "-f", "json"))
    assert (shown["name"], shown["ram"], shown["vcpus"], shown["disk"]) == ("m1.tiny", 512, 1, 1)
    long = as_json(openstack(clients_bin, endpoint, "flavor", "list", "--long", "-f", "json"))
    assert {f["Name"]: f["Properties"] for f in long}["m1.large"] == {
        "hw:cpu_policy": "dedicated",
        "hw:mem_page_size": "large",
    }


def test_openstack_keypairs(clients_bin: Path, endpoint: str) -> None:
    key_file = WORKDIR[endpoint] / "id_ed25519.pub"
    imported = as_json(
        openstack(
            clients_bin,
            endpoint,
            "keypair",
            "create",
            "--public-key",
            "id_ed25519.pub",
            "mykey",
            "-f",
            "json",
        )
    )
    assert imported["name"] == "mykey" and imported["fingerprint"].count(":") == 15
    # openstackclient makes this key pair itself (nova stopped generating keys at 2.92) and prints the
    # private key; the server-generated kind is what novaclient and the SDK ask for, below
    generated = openstack(clients_bin, endpoint, "keypair", "create", "otherkey")
    assert generated.stdout.startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    listed = as_json(openstack(clients_bin, endpoint, "keypair", "list", "-f", "json"))
    assert {k["Name"] for k in listed} == {"mykey", "otherkey"}
    shown = as_json(openstack(clients_bin, endpoint, "keypair", "show", "mykey", "-f", "json"))
    assert shown["fingerprint"] == imported["fingerprint"]
    public = openstack(clients_bin, endpoint, "keypair", "show", "--public-key", "mykey").stdout
    assert public.strip() == key_file.read_text().strip()  # the file's trailing newline was stripped
    openstack(clients_bin, endpoint, "keypair", "delete", "otherkey")
    listed = as_json(openstack(clients_bin, endpoint, "keypair", "list", "-f", "json"))
    assert [k["Name"] for k in listed] == ["mykey"]


def test_openstack_server_lifecycle(clients_bin: Path, endpoint: str) -> None:
    images = as_json(openstack(clients_bin, endpoint, "image", "list", "-f", "json"))
    assert CIRROS in {image["Name"] for image in images}
    created = as_json(
        openstack(
            clients_bin, endpoint, "server", "create", "--flavor", "1", "--image", CIRROS,
            "--key-name", "mykey", "--property", "role=web", "--wait", "web-1", "-f", "json",
        )
    )  # fmt: skip
    assert created["status"] == "ACTIVE"
    assert created["image"].startswith(CIRROS)
    openstack(
        clients_bin,
        endpoint,
        "server",
        "create",
        "--flavor",
        "m1.small",
        "--image",
        CIRROS,
        "--wait",
        "web-2",
    )

    listed = as_json(openstack(clients_bin, endpoint, "server", "list", "-f", "json"))
    rows = {row["Name"]: row for row in listed}
    assert set(rows) == {"web-1", "web-2"}
    assert rows["web-1"]["Status"] == "ACTIVE"
    assert rows["web-1"]["Image"] == CIRROS and rows["web-1"]["Flavor"] == "m1.tiny"
    assert rows["web-1"]["Networks"] == {"private": ["10.0.0.3"]}

    assert [row["Name"] for row in listed] == ["web-2", "web-1"]  # nova's order: newest first
    # --limit and --marker go to the service, which pages as nova does
    first = as_json(openstack(clients_bin, endpoint, "server", "list", "--limit", "1", "-f", "json"))
    assert [row["Name"] for row in first] == ["web-2"]
    marker = ("--marker", first[0]["ID"])
    after = as_json(openstack(clients_bin, endpoint, "server", "list", "--limit", "1", *marker, "-f", "json"))
    assert [row["Name"] for row in after] == ["web-1"]
    # --all-projects (all_tenants) is for administrators, as nova's default policy says
    refused = openstack(clients_bin, endpoint, "server", "list", "--all-projects", expect_failure=True)
    assert "get_all_tenants" in refused.stderr and "403" in refused.stderr
    every = openstack(clients_bin, endpoint, "--os-token", "admin-token", "server", "list", "--all-projects",
                      "-f", "json")  # fmt: skip
    assert [row["Name"] for row in as_json(every)] == ["web-2", "web-1"]
    named = as_json(openstack(clients_bin, endpoint, "server", "list", "--name", "^web-2$", "-f", "json"))
    assert [row["Name"] for row in named] == ["web-2"]
    by_ip = as_json(openstack(clients_bin, endpoint, "server", "list", "--ip", "10.0.0.4", "-f", "json"))
    assert [row["Name"] for row in by_ip] == ["web-2"]

    shown = as_json(openstack(clients_bin, endpoint, "server", "show", "web-1", "-f", "json"))
    assert (shown["id"], shown["key_name"], shown["properties"]) == (created["id"], "mykey", {"role": "web"})
    assert shown["OS-EXT-STS:vm_state"] == "active" and shown["OS-EXT-AZ:availability_zone"] == "nova"

    openstack(clients_bin, endpoint, "server", "set", "--property", "owner=ops", "web-1")
    openstack(clients_bin, endpoint, "server", "unset", "--property", "role", "web-1")
    shown = as_json(openstack(clients_bin, endpoint, "server", "show", "web-1", "-f", "json"))
    assert shown["properties"] == {"owner": "ops"}
    assert shown["description"] is None  # a 2.19 member; openstackclient asks for 2.1 by default
    # the client refuses --description below 2.19 and checks that the service offers 2.19
    v2_19 = ("--os-compute-api-version", "2.19")
    openstack(clients_bin, endpoint, *v2_19, "server", "set", "--description", "web-tier", "web-1")
    described = as_json(openstack(clients_bin, endpoint, *v2_19, "server", "show", "web-1", "-f", "json"))
    assert described["description"] == "web-tier"

    openstack(clients_bin, endpoint, "server", "stop", "web-1")
    stopped = as_json(openstack(clients_bin, endpoint, "server", "show", "web-1", "-f", "json"))
    assert (stopped["status"], stopped["OS-EXT-STS:vm_state"], stopped["OS-EXT-STS:power_state"]) == (
        "SHUTOFF",
        "stopped",
        4,
    )
    stopped_only = as_json(
        openstack(clients_bin, endpoint, "server", "list", "--status", "SHUTOFF", "-f", "json")
    )
    assert [row["Name"] for row in stopped_only] == ["web-1"]
    # stopping a stopped server: the CLI prints nova's own message
    again = openstack(clients_bin, endpoint, "server", "stop", "web-1", expect_failure=True)
    assert f"Cannot 'stop' instance {created['id']} while it is in vm_state stopped" in again.stderr
    openstack(clients_bin, endpoint, "server", "start", "web-1")
    openstack(clients_bin, endpoint, "server", "reboot", "web-1")
    shown = as_json(openstack(clients_bin, endpoint, "server", "show", "web-1", "-f", "json"))
    assert shown["status"] == "ACTIVE"

    openstack(clients_bin, endpoint, "server", "delete", "--wait", "web-1", "web-2")
    assert as_json(openstack(clients_bin, endpoint, "server", "list", "-f", "json")) == []
    missing = openstack(clients_bin, endpoint, "server", "show", "web-1", expect_failure=True)
    assert "No Server found for web-1" in missing.stderr


def test_openstack_errors_print_a_message(clients_bin: Path, endpoint: str) -> None:
    # flavor show looks the flavor up by id, then by name, as against nova, and says so itself
    missing = openstack(clients_bin, endpoint, "flavor", "show", "99", expect_failure=True)
    assert "No Flavor found for 99" in missing.stderr
    # a direct call prints the server's message
    image = openstack(clients_bin, endpoint, "server", "create", "--flavor", "1", "--image", CIRROS,
                      "--boot-from-volume", "1", "vol-1", expect_failure=True)  # fmt: skip
    assert "this service has no volumes" in image.stderr


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
    result = openstack(clients_bin, endpoint, "--os-compute-api-version", "2.5", "--debug", "flavor", "list")
    requests = [
        line for line in result.stderr.splitlines() if line.startswith("REQ: ") and "/flavors" in line
    ]
    answers = "\n".join(line for line in result.stderr.splitlines() if line.startswith("RESP: "))
    versions = re.findall(r"OpenStack-API-Version: compute (\S+)", answers, re.IGNORECASE)
    assert requests and all("OpenStack-API-Version: compute 2.5" in line for line in requests)
    assert versions and set(versions) == {"2.5"}


# -- python-novaclient and openstacksdk ----------------------------------------------------------------------


def test_novaclient_python_api(clients_bin: Path, endpoint: str) -> None:
    images = as_json(openstack(clients_bin, endpoint, "image", "list", "--name", CIRROS, "-f", "json"))
    seen = run_script(
        clients_bin,
        "novaclient_workflow.py",
        endpoint,
        TOKEN,
        images[0]["ID"],
        str(WORKDIR[endpoint] / "id_ed25519.pub"),
        "admin-token",
    )
    assert seen["flavors"] == ["m1.large", "m1.medium", "m1.small", "m1.tiny"]
    assert seen["flavors_by_ram_desc"] == ["4", "3", "2", "1"]  # sorted by the service
    assert seen["flavor_1"]["ram"] == 512
    assert seen["keypairs"]["generated_private_key"] == "-----BEGIN RSA PRIVATE KEY-----"
    assert set(seen["keypairs"]["listed"]) >= {"nova-imported", "nova-generated"}
    assert not seen["keypairs"]["shown"].endswith("\n")
    assert seen["server"]["status"] == "ACTIVE" and seen["server"]["image"] == images[0]["ID"]
    assert "nova-1" in seen["server"]["listed"]
    assert seen["server"]["networks"]["private"][0].startswith("10.0.0.")
    assert seen["sorted"] == {
        "default": ["nova-0", "nova-1"],  # newest first, as nova lists
        "name_asc": ["nova-0", "nova-1"],
        "name_desc": ["nova-1", "nova-0"],
    }
    assert seen["all_tenants_refused"]["code"] == 403
    assert "get_all_tenants" in seen["all_tenants_refused"]["message"]
    assert seen["all_tenants_admin"] == ["nova-0", "nova-1"]
    assert seen["conflict"]["code"] == 409
    assert "while it is in vm_state stopped" in seen["conflict"]["message"]
    assert seen["flavor_not_found"] == {"code": 404, "message": "Flavor no-such-flavor could not be found."}
    assert seen["deleted"]["code"] == 404 and "could not be found" in seen["deleted"]["message"]
    assert seen["v2_5"] == {"sent": "2.5", "served": "2.5", "served_standard": "compute 2.5"}
    assert not {"nova-imported", "nova-generated"} & set(seen["keypairs_left"])


def test_openstacksdk_cloud_layer(clients_bin: Path, endpoint: str) -> None:
    seen = run_script(clients_bin, "sdk_workflow.py", endpoint, TOKEN, CIRROS, "admin-token")
    assert seen["keypair"] == {"name": "sdk-key", "private_key": "-----BEGIN RSA PRIVATE KEY-----"}
    assert seen["created"]["status"] == "ACTIVE"
    assert "sdk-1" in seen["listed"]
    assert seen["all_projects_refused"]["status"] == 403
    assert "get_all_tenants" in seen["all_projects_refused"]["details"]
    assert "sdk-1" in seen["all_projects_admin"]
    assert seen["got"]["id_matches"] and seen["got"]["status"] == "ACTIVE"
    assert seen["got"]["private_v4"].startswith("10.0.0.")
    assert seen["conflict"]["status"] == 409 and "vm_state active" in seen["conflict"]["details"]
    assert seen["deleted"] is True
    assert seen["after_delete"] is None
    assert "sdk-1" not in seen["listed_after"]


def test_the_docs_show_the_commands_run_here(request: pytest.FixtureRequest) -> None:
    """Every ``openstack`` line of the docs page is a command this module ran (``-f json`` aside)."""
    selected = {item.name for item in request.session.items}
    if not {name for name in globals() if name.startswith("test_openstack_")} <= selected:
        pytest.skip("only some of the openstack tests were selected")
    if not RAN:
        pytest.skip("no openstack command ran (the clients are not installed)")
    page = (ROOT / "docs" / "guide" / "openstack-clients.rst").read_text()
    shown = [
        line.strip().removeprefix("$ ")
        for line in page.splitlines()
        if line.strip().startswith("$ openstack ")
    ]
    ran = {command.replace(" -f json", "") for command in RAN}
    assert shown, "the page shows no openstack commands"
    assert [line for line in shown if line not in ran] == []
