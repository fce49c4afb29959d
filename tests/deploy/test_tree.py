from __future__ import annotations

import os

import pytest

from wsgikit.deploy.tree import find_routers, format_dot, format_tree, load_tree

CONFIGS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", "configs")
NOVA = os.path.join(CONFIGS, "nova-api-paste.ini")


@pytest.fixture(autouse=True)
def keystone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KIT_AUTH_STRATEGY", raising=False)


def test_nova_style_tree_names_every_piece_and_its_origin() -> None:
    _, session = load_tree(f"{NOVA}#osapi_compute")
    assert session.tree is not None
    text = format_tree(session.tree)
    lines = text.splitlines()
    assert lines[0] == "composite:osapi_compute  egg:wsgikit#urlmap  (nova-api-paste.ini:6)"
    assert "├── / → pipeline:oscomputeversions  (nova-api-paste.ini:50)" in lines
    assert (
        "└── /v2.1/+ → composite:openstack_compute_api_v21  egg:wsgikit#select  (nova-api-paste.ini:12)"
        "  [key = keystone]" in lines
    )
    # the selected pipeline, outermost first, ending in the router
    api = lines[lines.index(next(line for line in lines if "openstack_compute_api_v21" in line)) + 1 :]
    names = [line.split("── ")[1].split("  ")[0] for line in api]
    assert names == [
        "filter:cors",
        "filter:compute_req_id",
        "filter:faultwrap",
        "filter:request_log",
        "filter:sizelimit",
        "filter:authtoken",
        "app:osapi_compute_app_v21",
    ]
    assert "filter:cors  egg:wsgikit#cors  (nova-api-paste.ini:18)  (shared)" in text


def test_select_choice_changes_the_tree(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIT_AUTH_STRATEGY", "noauth2")
    _, session = load_tree(f"{NOVA}#osapi_compute")
    assert session.tree is not None
    text = format_tree(session.tree)
    assert "[key = noauth2]" in text and "filter:noauth2" in text and "filter:authtoken" not in text


def test_dot_output_shares_nodes() -> None:
    _, session = load_tree(f"{NOVA}#osapi_compute")
    assert session.tree is not None
    dot = format_dot(session.tree)
    assert dot.startswith("digraph pipeline {") and dot.endswith("}")
    cors_nodes = [line for line in dot.splitlines() if 'label="filter:cors' in line]
    assert len(cors_nodes) == 1  # one node, three incoming edges
    cors_id = cors_nodes[0].split()[0]
    assert sum(line.strip().endswith(f"-> {cors_id};") for line in dot.splitlines()) == 3
    assert '[label="/v2.1/+"]' in dot


def test_routers_are_found_with_their_mount_prefix() -> None:
    app, session = load_tree(os.path.join(CONFIGS, "side_by_side.ini"))
    ((prefix, node, router),) = find_routers(session.tree, app)
    assert prefix == "/api"
    assert node is not None and node.name == "app:api"
    assert router.mapper is not None


def test_routers_found_by_walking_objects_without_a_record() -> None:
    app, _ = load_tree(os.path.join(CONFIGS, "side_by_side.ini"))
    ((prefix, node, _router),) = find_routers(None, app)
    assert (prefix, node) == ("/api", None)
