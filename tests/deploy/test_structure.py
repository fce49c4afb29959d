"""wsgikit.deploy.structure (``wsgikit show``): whole OpenStack-shaped files drawn from the INI alone, with
what cannot be imported marked and the walk carried on."""

from __future__ import annotations

import os

import pytest

from wsgikit.cli import main
from wsgikit.deploy.structure import Piece, structure

HERE = os.path.dirname(os.path.abspath(__file__))
OPENSTACK = os.path.join(os.path.dirname(HERE), "data", "openstack")
ROOT = os.path.dirname(os.path.dirname(HERE))


def path(name: str) -> str:
    return os.path.join(OPENSTACK, name)


def child(piece: Piece, label: str) -> Piece:
    found = [c for c in piece.children if c.label == label]
    assert found, f"{piece.name} has no child labelled {label!r}: {[c.label for c in piece.children]}"
    return found[0]


def names(pieces: list[Piece]) -> list[str]:
    return [piece.name.partition(":")[2] or piece.name for piece in pieces]


def test_nova_urlmap_with_plus_keys_and_pipeline_factory_choices() -> None:
    root = structure(path("nova-api-paste.ini") + "#osapi_compute")
    assert (root.kind, root.name, root.line) == ("composite", "composite:osapi_compute", 13)
    assert root.spec == "call:nova.api.openstack.urlmap:urlmap_factory"
    assert (
        root.problem is not None
        and "cannot import 'nova.api.openstack.urlmap:urlmap_factory'" in root.problem
    )
    assert [c.label for c in root.children] == ["/", "/v2", "/v2.1", "/v2/+", "/v2.1/+"]
    api = child(root, "/v2.1/+")
    assert (api.name, api.spec) == (
        "composite:openstack_compute_api_v21",
        "call:nova.api.auth:pipeline_factory_v21",
    )
    keystone, noauth2 = child(api, "keystone"), child(api, "noauth2")
    assert keystone.kind == noauth2.kind == "choice"
    assert names(keystone.children) == [
        "cors", "http_proxy_to_wsgi", "compute_req_id", "faultwrap", "request_log", "sizelimit",
        "osprofiler", "authtoken", "keystonecontext", "osapi_compute_app_v21",
    ]  # fmt: skip
    assert [c.kind for c in keystone.children] == ["filter"] * 9 + ["app"]
    assert "noauth2" in names(noauth2.children)
    # every piece is located, and every one that cannot be imported here says so
    for piece in root.walk():
        if piece.kind != "choice":
            assert piece.line is not None and piece.file == path("nova-api-paste.ini")
        if not piece.shared and piece.kind in ("filter", "app"):
            assert piece.problem is not None and piece.problem.startswith("cannot import")
    cors = keystone.children[0]
    assert cors.shared and cors.spec == "paste.filter_factory = oslo_middleware.cors:filter_factory"


def test_nova_metadata_composite_names_the_paste_replacement() -> None:
    root = structure(path("nova-api-paste.ini") + "#metadata")
    assert root.notes == ["egg:wsgikit#urlmap replaces it"]
    assert root.problem == "no installed distribution named 'Paste'"
    meta = child(root, "/")
    assert meta.name == "pipeline:meta" and names(meta.children) == ["cors", "http_proxy_to_wsgi", "metaapp"]


def test_cinder_four_pipelines_chosen_by_the_factory() -> None:
    root = structure(path("cinder-api-paste.ini") + "#osapi_volume")
    assert [c.label for c in root.children] == ["/", "/healthcheck", "/v3"]
    v3 = child(root, "/v3")
    assert [c.label for c in v3.children] == [
        "noauth",
        "noauth_include_project_id",
        "keystone",
        "keystone_nolimit",
    ]
    health = child(root, "/healthcheck")
    app = health.children[-1]
    assert app.name == "app:healthcheckapp"
    assert app.options == {
        "backends": "disable_by_file",
        "disable_by_file_path": "/etc/cinder/healthcheck_disable",
    }


def test_glance_composite_factory_key_nested_composites() -> None:
    root = structure(path("glance-api-paste.ini") + "#glance-api+caching".replace("+caching", ""))
    assert root.spec == "paste.composite_factory = glance.api:root_app_factory"
    api = child(root, "/")
    assert [c.label for c in api.children] == ["default", "caching", "keystone", "keystone+caching"]
    rootapp = child(api, "default").children[-1]
    assert rootapp.kind == "composite" and [c.label for c in rootapp.children] == ["/", "/v2"]
    keystone = structure(path("glance-api-paste.ini") + "#glance-api-keystone+caching")
    assert keystone.name == "composite:glance-api-keystone+caching"
    authtoken = [p for p in child(child(keystone, "/"), "keystone").children if p.name == "filter:authtoken"]
    assert authtoken[0].options == {"delay_auth_decision": "true"}


def test_keystone_eggs_of_several_distributions() -> None:
    root = structure(path("keystone-paste.ini"))
    assert root.name == "composite:main" and root.notes == ["egg:wsgikit#urlmap replaces it"]
    v3 = child(root, "/v3")
    assert v3.children[0].spec == "egg:oslo.middleware#healthcheck"
    assert v3.children[0].problem == "no installed distribution named 'oslo.middleware'"
    assert v3.children[-1].problem == "no installed distribution named 'keystone'"


def test_neutron_paste_urlmap_then_factory_choices() -> None:
    root = structure(path("neutron-api-paste.ini") + "#neutron")
    assert [c.label for c in root.children] == ["/", "/healthcheck", "/v2.0"]
    versions = child(root, "/")
    assert [c.label for c in versions.children] == ["noauth", "keystone"]
    assert names(child(versions, "keystone").children) == ["cors", "http_proxy_to_wsgi", "neutronversions"]


def test_swift_long_filter_chain_with_a_filter_used_twice() -> None:
    root = structure(path("swift-proxy-server.conf"))
    assert root.name == "pipeline:main" and len(root.children) == 20  # 19 filters and the app
    assert names(root.children)[:3] == ["catch_errors", "gatekeeper", "healthcheck"]
    assert root.children[-1].name == "app:proxy-server" and root.children[-1].kind == "app"
    assert root.children[-1].options == {"account_autocreate": "true", "allow_account_management": "true"}
    logging = [p for p in root.children if p.name == "filter:proxy-logging"]
    assert [p.shared for p in logging] == [False, True]
    assert all(p.problem == "no installed distribution named 'swift'" for p in root.children if not p.shared)


def test_missing_sections_and_cycles_are_marked_not_fatal(tmp_path) -> None:
    config = tmp_path / "x.ini"
    config.write_text(
        "[pipeline:main]\npipeline = gz nothere loop\n\n[filter:gz]\nuse = egg:wsgikit#gzip\nlevel = 3\n\n"
        "[composite:loop]\nuse = egg:wsgikit#urlmap\n/ = main\n/x = gz\n",
        encoding="utf-8",
    )
    root = structure(str(config))
    gz, missing, loop = root.children
    assert gz.problem is None and gz.options == {"level": "3"}
    assert (missing.kind, missing.problem) == ("missing", "no such section")
    assert child(loop, "/").problem == "reference cycle"
    assert child(loop, "/x").problem == "is [filter:gz], not an app"


@pytest.mark.parametrize(
    "name",
    [
        "nova-api-paste.ini#osapi_compute",
        "cinder-api-paste.ini#osapi_volume",
        "glance-api-paste.ini#glance-api",
        "keystone-paste.ini",
        "neutron-api-paste.ini#neutron",
        "swift-proxy-server.conf",
    ],
)
def test_show_draws_every_openstack_file_in_text_and_dot(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["show", path(name)]) == 0
    text = capsys.readouterr().out
    lines = text.splitlines()
    assert len(lines) > 5 and "✗" in text
    assert main(["show", path(name), "--format", "dot"]) == 0
    dot = capsys.readouterr().out
    assert dot.startswith("digraph pipeline {") and dot.rstrip().endswith("}")
    assert dot.count(" -> ") >= len([line for line in lines[1:] if "(shared)" not in line])


def test_show_reports_a_missing_section_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", path("nova-api-paste.ini")]) == 1
    err = capsys.readouterr().err
    assert (
        err == f"wsgikit show: error: {path('nova-api-paste.ini')}: no section for 'main' (no such section)\n"
    )


def test_an_app_section_using_a_composite_of_another_file_follows_its_references() -> None:
    """``[app:main] use = config:shared.ini#main``: a urlmap whose names are sections of shared.ini."""
    configs = os.path.join(os.path.dirname(HERE), "data", "configs")
    root = structure(os.path.join(configs, "outer.ini"))
    assert (root.name, root.spec) == ("app:main", "config:shared.ini#main")
    assert [c.label for c in root.children] == ["/a", "/b", "/c"]
    assert all(c.file == os.path.join(configs, "shared.ini") for c in root.walk() if c is not root)
    assert names(child(root, "/c").children) == ["tag", "api"]
    assert root.options == {}  # the mount keys are references, not options
