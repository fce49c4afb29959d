"""The compute example end to end, through the real ``paste-configs/nova-style.ini`` (WebTest ``config:``)."""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from wsgikit.testing import TestApp

CONFIGS = Path(__file__).resolve().parents[2] / "paste-configs"
NOVA = f"config:{CONFIGS / 'nova-style.ini'}"
EXAMPLE = f"config:{CONFIGS / 'example.ini'}"
DEMO = {"X-Auth-Token": "demo-token"}
READER = {"X-Auth-Token": "reader-token"}
ADMIN = {"X-Auth-Token": "admin-token"}
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGkMjF0Dk3mA7Th+Nwq6k0G6Jr4n0iD0M6pDyVNtUj1q demo@example"
VERSION_HEADER = "OpenStack-API-Version"


def v(version: str, **headers: str) -> dict[str, str]:
    return {**DEMO, VERSION_HEADER: f"compute {version}", **headers}


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "compute.sqlite3"
    monkeypatch.setenv("WSGIKIT_COMPUTE_DB", str(path))
    monkeypatch.delenv("WSGIKIT_COMPUTE_AUTH", raising=False)
    return path


@pytest.fixture
def app(db: Path) -> Iterator[TestApp]:
    yield TestApp(NOVA)


def create(app: TestApp, name: str = "web-1", prefix: str = "", **extra: Any) -> str:
    body = {"server": {"name": name, "flavorRef": "1", **extra.pop("server", {})}}
    res = app.post_json(f"/v2.1{prefix}/servers", body, headers=extra.pop("headers", DEMO), status=202)
    server_id: str = res.json["server"]["id"]
    assert res.headers["Location"].endswith(f"/v2.1{prefix}/servers/{server_id}")
    return server_id


def test_versions_document(app: TestApp) -> None:
    body = app.get("/").json
    (version,) = body["versions"]
    assert version["id"] == "v2.1"
    assert (version["min_version"], version["version"]) == ("2.1", "2.19")
    assert version["links"][0]["href"] == "http://localhost/v2.1/"
    assert app.get("/v2.1").json["version"]["id"] == "v2.1"
    inside = app.get("/v2.1/", headers=DEMO).json["version"]  # the API's own root, as in nova
    assert inside["links"][0]["href"] == "http://localhost/v2.1/"


def test_no_token_is_401_with_challenge(app: TestApp) -> None:
    res = app.get("/v2.1/servers", status=401)
    assert "WWW-Authenticate" in res.headers
    app.get("/v2.1/servers", headers={"X-Auth-Token": "wrong"}, status=401)


def test_bearer_token_is_accepted(app: TestApp) -> None:
    app.get("/v2.1/flavors", headers={"Authorization": "Bearer demo-token"}, status=200)


def test_reader_may_read_not_write(app: TestApp) -> None:
    server_id = create(app)
    assert app.get(f"/v2.1/servers/{server_id}", headers=READER).json["server"]["id"] == server_id
    body = {"server": {"name": "x", "flavorRef": "1"}}
    app.post_json("/v2.1/servers", body, headers=READER, status=403)
    app.delete(f"/v2.1/servers/{server_id}", headers=READER, status=403)


@pytest.mark.parametrize("prefix", ["", "/demo"], ids=["plain", "project_id"])
def test_server_lifecycle(app: TestApp, prefix: str) -> None:
    base = f"/v2.1{prefix}/servers"
    server_id = create(app, prefix=prefix, server={"metadata": {"role": "web"}})
    listed = app.get(base, headers=DEMO).json["servers"]
    assert [s["id"] for s in listed] == [server_id]
    assert listed[0]["links"][0]["href"] == f"http://localhost{base}/{server_id}"
    detail = app.get(f"{base}/detail", headers=DEMO).json["servers"]
    assert (detail[0]["status"], detail[0]["metadata"]) == ("ACTIVE", {"role": "web"})
    shown = app.get(f"{base}/{server_id}", headers=DEMO).json["server"]
    assert shown == detail[0]
    updated = app.put_json(f"{base}/{server_id}", {"server": {"name": "web-2"}}, headers=DEMO).json
    assert updated["server"]["name"] == "web-2"
    app.post_json(f"{base}/{server_id}/action", {"os-stop": None}, headers=DEMO, status=202)
    assert app.get(f"{base}/{server_id}", headers=DEMO).json["server"]["status"] == "SHUTOFF"
    app.post_json(f"{base}/{server_id}/action", {"os-start": None}, headers=DEMO, status=202)
    app.post_json(f"{base}/{server_id}/action", {"reboot": {"type": "HARD"}}, headers=DEMO, status=202)
    res = app.delete(f"{base}/{server_id}", headers=DEMO, status=204)
    assert res.body == b""
    app.get(f"{base}/{server_id}", headers=DEMO, status=404)


@pytest.mark.parametrize("prefix", ["", "/demo"])
@pytest.mark.parametrize("listing", ["servers", "servers/detail"])
def test_server_lists_page_as_nova_pages_them(app: TestApp, prefix: str, listing: str) -> None:
    ids = [create(app, f"web-{n}") for n in range(5)]
    url = f"/v2.1{prefix}/{listing}"
    seen: list[str] = []
    next_url: str | None = f"{url}?limit=2&deleted=False"
    pages = 0
    while next_url is not None:  # what the OpenStack SDK does: follow rel=next until a page is not full
        page = app.get(next_url.removeprefix("http://localhost"), headers=DEMO).json
        seen += [server["id"] for server in page["servers"]]
        links = page.get("servers_links", [])
        assert len(links) == (1 if len(page["servers"]) == 2 else 0)
        next_url = links[0]["href"] if links else None
        if next_url:
            assert next_url.startswith(f"http://localhost{url}?deleted=False&limit=2&marker=")
        pages += 1
    assert (seen, pages) == (ids[::-1], 3)  # nova's default order: newest first
    assert [s["id"] for s in app.get(f"{url}?marker={ids[3]}", headers=DEMO).json["servers"]] == ids[2::-1]
    assert app.get(f"{url}?limit=0", headers=DEMO).json == {"servers": []}  # nova's database: nothing
    assert len(app.get(f"{url}?limit={'9' * 50}", headers=DEMO).json["servers"]) == 5  # clamped
    # nova reads limit with int(): a sign, spaces around it and underscores are fine
    for odd in ("%2B2", "%202%20", "0_2"):
        assert len(app.get(f"{url}?limit={odd}", headers=DEMO).json["servers"]) == 2, odd
    assert "servers_links" not in app.get(url, headers=DEMO).json


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("limit=abc", "Invalid input received: limit must be an integer"),
        ("limit=1.5", "Invalid input received: limit must be an integer"),
        ("limit=", "Invalid input received: limit must be an integer"),
        (f"limit={'9' * 5000}", "Invalid input received: limit must be an integer"),  # beyond int()'s digits
        ("limit=-1", "Invalid input received: limit must be >= 0"),
        (
            "marker=00000000-0000-0000-0000-000000000000",
            "marker [00000000-0000-0000-0000-000000000000] not found",
        ),
    ],
)
def test_bad_paging_parameters_are_400(app: TestApp, query: str, message: str) -> None:
    create(app)
    fault = app.get(f"/v2.1/servers?{query}", headers=DEMO, status=400).json["badRequest"]
    assert message in fault["message"]


def test_server_lists_filter_as_nova_filters_them(app: TestApp) -> None:
    web1, web2 = create(app, "web-1"), create(app, "web-2")
    db1 = create(app, "db-1", server={"flavorRef": "2"})
    app.post_json(f"/v2.1/servers/{web2}/action", {"os-stop": None}, headers=DEMO, status=202)

    def names(query: str) -> list[str]:
        return [s["name"] for s in app.get(f"/v2.1/servers/detail?{query}", headers=DEMO).json["servers"]]

    # nova's default order: newest first (created_at desc, then id desc)
    assert names("name=web") == ["web-2", "web-1"]  # a regular expression, searched
    assert names("name=^web-[0-9]$") == ["web-2", "web-1"]
    assert names("name=1") == ["db-1", "web-1"]
    assert names("status=SHUTOFF") == ["web-2"]
    assert names("status=active") == ["db-1", "web-1"]
    assert names("status=BOGUS") == []  # nova: a status no server can have matches nothing
    assert names("flavor=2") == ["db-1"]
    assert names("name=web&status=ACTIVE") == ["web-1"]
    assert names(f"name=web&limit=1&marker={web2}") == ["web-1"]
    assert names(f"name=web&marker={db1}") == ["web-2", "web-1"]  # the marker need not match the filter
    assert names(f"marker={web1}") == []
    assert names("image=nope") == []
    assert names("changes-since=2000-01-01T00:00:00Z") == ["db-1", "web-2", "web-1"]
    assert names(r"ip=^10\.0\.0\.3$") == ["web-1"]  # each server has one address from 10.0.0.3 up
    assert names("ip=10.0.0") == ["db-1", "web-2", "web-1"]
    assert names("ip6=.") == []  # IPv4 only here
    app.get("/v2.1/servers?ip=(1%2B)%2B", headers=DEMO, status=400)
    assert names("changes-since=2999-01-01T00:00:00") == []  # no zone: UTC, as in nova
    fault = app.get("/v2.1/servers?changes-since=yesterday", headers=DEMO, status=400).json["badRequest"]
    assert "changes-since" in fault["message"]


def test_server_lists_sort_as_nova_sorts_them(app: TestApp) -> None:
    b, a, c = create(app, "b"), create(app, "a"), create(app, "c")
    app.put_json(f"/v2.1/servers/{b}", {"server": {"name": "z"}}, headers=DEMO)

    def names(query: str, **headers: str) -> list[str]:
        res = app.get(f"/v2.1/servers/detail?{query}", headers={**DEMO, **headers})
        return [s["name"] for s in res.json["servers"]]

    assert names("") == ["c", "a", "z"]  # created_at desc, id desc
    assert names("sort_key=display_name&sort_dir=asc") == ["a", "c", "z"]
    assert names("sort_key=display_name") == ["z", "c", "a"]  # no direction: desc
    assert names("sort_dir=asc") == ["z", "a", "c"]  # no key: created_at
    assert names("sort_key=display_name&sort_dir=%20asc%20") == ["a", "c", "z"]  # nova strips directions
    assert names("sort_key=uuid&sort_dir=asc") == [s["name"] for s in sorted(
        app.get("/v2.1/servers", headers=DEMO).json["servers"], key=lambda server: server["id"]
    )]  # fmt: skip
    # equal keys fall back to created_at and id in the first direction: the same order both ways round
    assert names("sort_key=vm_state&sort_dir=asc") == ["z", "a", "c"]
    assert names("sort_key=vm_state&sort_dir=desc") == ["c", "a", "z"]
    assert names("sort_key=vm_state&sort_key=display_name&sort_dir=asc&sort_dir=desc") == ["z", "c", "a"]
    # nova drops the keys it used to take unchecked, with their direction: nothing left is oldest first
    assert names("sort_key=id&sort_dir=desc") == ["z", "a", "c"]
    assert names("sort_key=id&sort_key=display_name&sort_dir=desc&sort_dir=asc") == ["a", "c", "z"]
    assert names("sort_key=locked&sort_dir=asc") == ["z", "a", "c"]  # ignored up to 2.72
    # the sort travels with the next page's link, and the marker is a position in that order
    page = app.get("/v2.1/servers?sort_key=display_name&sort_dir=asc&limit=2", headers=DEMO).json
    assert [s["id"] for s in page["servers"]] == [a, c]
    href = page["servers_links"][0]["href"]
    assert "sort_key=display_name" in href and f"marker={c}" in href
    following = app.get(href.removeprefix("http://localhost"), headers=DEMO).json["servers"]
    assert [s["id"] for s in following] == [b]


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("sort_key=bogus", 400, "sort_key"),
        # nova's schema sees each value as sent: a padded key is not a key
        (
            "sort_key=%20display_name",
            400,
            "Value:  display_name. ' display_name' is not one of ['access_ip_v4'",
        ),
        ("sort_key=", 400, "Value: . '' is not one of"),
        # nova's schema: these must compile as regular expressions, and an empty one does not, even for a
        # parameter nova then ignores (hostname, for a non-administrator)
        ("name=", 400, "query parameters name. Value: . '' is not a 'regex'"),
        ("name=%5B", 400, "query parameters name. Value: [. '[' is not a 'regex'"),
        ("flavor=", 400, "query parameters flavor. Value: . '' is not a 'regex'"),
        ("hostname=(", 400, "query parameters hostname. Value: (. '(' is not a 'regex'"),
        ("ip=1&ip=%5B", 400, "query parameters ip. Value: [."),  # every value
        # patterns whose compiling raises more than re.error (a 500 in nova, whose check catches only that)
        ("name=a%7B4294967296%7D", 400, "query parameters name. Value: a{4294967296}."),  # OverflowError
        ("hostname=" + "(" * 5000 + ")" * 5000, 400, "query parameters hostname."),  # RecursionError
        ("changes-since=yesterday", 400, "changes-since. Value: yesterday. 'yesterday' is not a 'date-time'"),
        # ... in the schema's order: name, sort_key, changes-since, ip
        ("sort_key=bogus&name=%5B", 400, "query parameters name."),
        ("ip=%5B&sort_key=bogus", 400, "query parameters sort_key."),
        ("ip=%5B&changes-since=yesterday", 400, "changes-since."),
        ("sort_key=display_name&sort_dir=up", 400, "Unknown sort direction"),
        ("sort_key=display_name&sort_dir=ASC", 400, "Unknown sort direction"),  # nova: lower case only
        ("sort_key=display_name&sort_dir=asc&sort_dir=asc", 400, "exceeds sort key size"),
        ("sort_key=host", 403, "Only administrators can sort servers by host"),
        ("sort_key=id&sort_key=node&sort_key=host", 403, "Only administrators can sort servers by node"),
        ("all_tenants=perhaps", 400, "Unrecognized value 'perhaps'"),
        ("all_tenants", 403, "os_compute_api:servers:index:get_all_tenants"),
        ("all_tenants=True", 403, "os_compute_api:servers:index:get_all_tenants"),
        # several faults at once: the one nova finds first (its query schema, then all_tenants and its
        # policy, then limit, then the sort keys' own rules)
        ("all_tenants=perhaps&sort_key=bogus", 400, "sort_key"),
        ("all_tenants=perhaps&limit=-1", 400, "Unrecognized value"),  # limit is read after the policy
        ("all_tenants=1&limit=-1", 403, "get_all_tenants"),
        ("limit=-1&sort_key=host", 400, "limit must be >= 0"),  # ... and before the sort keys' rules
        ("limit=-1&sort_dir=up", 400, "limit must be >= 0"),
        ("limit=-1&sort_key=bogus", 400, "sort_key"),  # the schema first
        ("all_tenants=perhaps&changes-since=yesterday", 400, "changes-since"),
        ("all_tenants=1&sort_key=host", 403, "get_all_tenants"),
        ("all_tenants=1&sort_dir=up", 403, "get_all_tenants"),
        ("all_tenants=perhaps&sort_key=host", 400, "Unrecognized value"),
        ("sort_key=host&sort_dir=up", 403, "Only administrators"),
        ("sort_key=bogus&sort_key=host", 400, "sort_key"),
    ],
)
def test_server_list_parameters_nova_refuses(app: TestApp, query: str, status: int, message: str) -> None:
    fault = app.get(f"/v2.1/servers?{query}", headers=DEMO, status=status).json
    assert message in next(iter(fault.values()))["message"]


def test_all_tenants_is_for_administrators(app: TestApp) -> None:
    mine = create(app, "mine")
    theirs = create(app, "theirs", headers=ADMIN)

    def ids(query: str, headers: dict[str, str]) -> set[str]:
        return {s["id"] for s in app.get(f"/v2.1/servers/detail?{query}", headers=headers).json["servers"]}

    assert ids("", DEMO) == {mine} and ids("", ADMIN) == {theirs}
    assert ids("all_tenants=0", DEMO) == {mine}  # false: the caller's project, as without it
    assert ids("project_id=admin", DEMO) == {mine}  # a project filter is heard beside all_tenants only
    for query in ("all_tenants", "all_tenants=1", "all_tenants=YES"):
        assert ids(query, ADMIN) == {mine, theirs}
    assert ids("all_tenants=true&project_id=demo", ADMIN) == {mine}
    assert ids("all_tenants=true&tenant_id=admin", ADMIN) == {theirs}
    fault = app.get("/v2.1/servers/detail?all_tenants=1", headers=DEMO, status=403).json["forbidden"]
    assert "servers:detail:get_all_tenants" in fault["message"]
    app.get("/v2.1/servers?sort_key=host&sort_key=node", headers=ADMIN)  # administrators may


@pytest.mark.parametrize("pattern", ["(a+)+$", ".*a.*b.*c", "a?a?a?aaa", "(x)\\1", "[", "a" * 129])
def test_name_filters_that_could_run_for_minutes_are_400(app: TestApp, pattern: str) -> None:
    create(app)
    fault = app.get("/v2.1/servers", params={"name": pattern}, headers=DEMO, status=400).json["badRequest"]
    assert "query parameters name" in fault["message"]


def test_flavor_lists_page_and_filter(app: TestApp) -> None:
    def ids(query: str) -> list[str]:
        return [f["id"] for f in app.get(f"/v2.1/flavors/detail?{query}", headers=DEMO).json["flavors"]]

    assert ids("") == ["1", "2", "3", "4"]
    page = app.get("/v2.1/flavors?limit=2", headers=DEMO).json
    assert [f["id"] for f in page["flavors"]] == ["1", "2"]
    assert page["flavors_links"][0]["href"] == "http://localhost/v2.1/flavors?limit=2&marker=2"
    assert ids("limit=2&marker=2") == ["3", "4"]
    assert ids("limit=0") == []  # nova's database answers a page of nothing
    assert ids("limit=5&limit=1") == ["1"]  # the last
    assert ids("minRam=2048") == ["2", "3", "4"]
    assert ids("minDisk=40&minRam=2048") == ["3", "4"]
    for bad in ("minRam=abc", "minDisk=1.5", "marker=99", "sort_key=bogus", "sort_dir=up", "sort_dir=ASC"):
        app.get(f"/v2.1/flavors?{bad}", headers=DEMO, status=400)
    # nova reads minRam and minDisk with int(): a negative one passes every flavor
    assert ids("minDisk=-1") == ids("minRam=%2B0") == ["1", "2", "3", "4"]
    assert ids("minRam=%202048%20") == ["2", "3", "4"]
    fault = app.get("/v2.1/flavors?minRam=abc", headers=DEMO, status=400).json["badRequest"]
    assert fault["message"] == "Invalid minRam filter [abc]"
    # is_public is heard from administrators only (every flavor here is public)
    assert ids("is_public=bogus") == ["1", "2", "3", "4"]

    def admin_ids(query: str) -> list[str]:
        return [f["id"] for f in app.get(f"/v2.1/flavors?{query}", headers=ADMIN).json["flavors"]]

    assert admin_ids("is_public=false") == []
    assert admin_ids("is_public=None") == admin_ids("is_public=yes") == ["1", "2", "3", "4"]
    fault = app.get("/v2.1/flavors?is_public=bogus&minRam=abc", headers=ADMIN, status=400).json["badRequest"]
    assert fault["message"] == "Invalid is_public filter [bogus]"
    # nova's schema checks every value as sent (limit, then keys, then directions), before minRam/minDisk
    for bad, words in (
        ("limit=%205", "limit. Value:  5. ' 5' does not match '^[0-9]*$'"),
        ("limit=-1", "limit. Value: -1. '-1' does not match '^[0-9]*$'"),
        ("limit=", "limit. Value: . '' should be non-empty"),
        ("limit=x&limit=2", "limit. Value: x."),
        ("limit=x&sort_key=bogus", "limit. Value: x."),
        ("sort_key=", "sort_key. Value: . '' is not one of ['created_at', 'description',"),
        ("sort_key=%20name", "sort_key. Value:  name. ' name' is not one of"),
        ("sort_key=bogus&sort_key=name", "sort_key. Value: bogus."),
        ("sort_key=name&sort_dir=%20asc", "sort_dir. Value:  asc. ' asc' is not one of ['asc', 'desc']"),
        ("sort_dir=up&sort_key=bogus", "sort_key. Value: bogus."),
        ("minRam=abc&sort_dir=up", "sort_dir. Value: up. 'up' is not one of ['asc', 'desc']"),
        (f"minRam=abc&limit={'9' * 5000}", "Invalid input received: limit must be an integer"),
    ):
        fault = app.get(f"/v2.1/flavors?{bad}", headers=DEMO, status=400).json
        assert words in fault["badRequest"]["message"], bad
    # sorted as nova sorts them: by [sort_key, id], both in sort_dir; flavorid asc by default
    assert ids("sort_key=name") == ["4", "3", "2", "1"]  # m1.large, m1.medium, m1.small, m1.tiny
    assert ids("sort_key=vcpus&sort_key=name&sort_dir=desc&sort_dir=asc") == ["4", "3", "2", "1"]  # the last
    assert ids("sort_key=memory_mb&sort_dir=desc") == ["4", "3", "2", "1"]
    assert ids("sort_key=vcpus&sort_dir=asc") == ["1", "2", "3", "4"]
    assert ids("sort_key=vcpus&sort_dir=desc") == ["4", "3", "2", "1"]  # ties (1 and 2) in id order, desc
    assert ids("sort_key=flavorid&sort_dir=desc") == ["4", "3", "2", "1"]
    assert ids("sort_key=swap&sort_dir=desc&limit=2&marker=4") == ["3", "2"]


def test_project_id_must_match_credentials(app: TestApp) -> None:
    app.get("/v2.1/someone-else/servers", headers=DEMO, status=403)


def test_state_conflict_is_409(app: TestApp) -> None:
    server_id = create(app)
    res = app.post_json(f"/v2.1/servers/{server_id}/action", {"os-start": None}, headers=DEMO, status=409)
    assert res.content_type == "application/json"  # nova's fault format: what the OpenStack clients read
    assert res.json == {
        "conflictingRequest": {
            "code": 409,
            "message": f"Cannot 'start' instance {server_id} while it is in vm_state active",
        }
    }


@pytest.mark.parametrize(
    "body",
    [
        {"os-explode": None},
        {},
        [],
        {"reboot": {"type": "GENTLE"}},
    ],
    ids=["unknown-action", "empty", "not-an-object", "bad-reboot-type"],
)
def test_bad_actions_are_400(app: TestApp, body: Any) -> None:
    server_id = create(app)
    app.post_json(f"/v2.1/servers/{server_id}/action", body, headers=DEMO, status=400)


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"server": {"flavorRef": "1"}}, "'name' is required"),
        ({"server": {"name": 7, "flavorRef": "1"}}, "must be a string"),
        ({"server": {"name": "a", "flavorRef": "42"}}, "Flavor 42 could not be found."),
        ({"server": {"name": "a"}}, "'flavorRef' is required"),
        ({"nothing": {}}, "'server' member"),
    ],
    ids=["missing-name", "wrong-type", "unknown-flavor", "missing-flavor", "no-envelope"],
)
def test_validation_400s(app: TestApp, body: Any, detail: str) -> None:
    res = app.post_json("/v2.1/servers", body, headers=DEMO, status=400)
    assert res.json["badRequest"]["code"] == 400
    assert detail in res.json["badRequest"]["message"]


def test_malformed_json_is_400(app: TestApp) -> None:
    headers = {**DEMO, "Content-Type": "application/json"}
    app.post("/v2.1/servers", b"{not json", headers=headers, status=400)


def test_unknown_ids_are_404(app: TestApp) -> None:
    for path in ("/v2.1/servers/nope", "/v2.1/flavors/99", "/v2.1/os-keypairs/nope", "/v2.1/nowhere"):
        app.get(path, headers=DEMO, status=404)


def test_wrong_method_is_405(app: TestApp) -> None:
    res = app.delete("/v2.1/flavors", headers=DEMO, status=405)
    assert "GET" in res.headers["Allow"]


def test_oversized_body_is_413(app: TestApp) -> None:
    body = {"server": {"name": "a", "flavorRef": "1", "metadata": {"k": "x" * 70_000}}}
    app.post_json("/v2.1/servers", body, headers=DEMO, status=413)


def test_microversions(app: TestApp) -> None:
    res = app.get("/v2.1/flavors", headers=DEMO)
    assert res.headers[VERSION_HEADER] == "compute 2.1"
    assert "OpenStack-API-Version" in res.headers.get("Vary", "")
    server_id = create(app, server={"description": "front"}, headers=v("2.19"))
    assert "description" not in app.get(f"/v2.1/servers/{server_id}", headers=v("2.18")).json["server"]
    res = app.get(f"/v2.1/servers/{server_id}", headers=v("2.19"))
    assert res.json["server"]["description"] == "front"
    assert res.headers[VERSION_HEADER] == "compute 2.19"
    assert app.get("/v2.1/flavors", headers=v("latest")).headers[VERSION_HEADER] == "compute 2.19"
    for bad in ("2", "two.five", "2.5.1"):
        res = app.get("/v2.1/flavors", headers=v(bad), status=400)
    for out in ("2.20", "3.0", "1.9"):
        res = app.get("/v2.1/flavors", headers=v(out), status=406)
        assert res.headers[VERSION_HEADER].startswith("compute ")
    # errors carry the version too, auth failures included
    res = app.get("/v2.1/servers/nope", headers=v("2.3"), status=404)
    assert res.headers[VERSION_HEADER] == "compute 2.3"
    res = app.get("/v2.1/servers", headers={VERSION_HEADER: "compute 2.3"}, status=401)
    assert res.headers[VERSION_HEADER] == "compute 2.3"


def test_keypairs_and_their_microversions(app: TestApp) -> None:
    app.post_json(
        "/v2.1/os-keypairs", {"keypair": {"name": "k1", "public_key": KEY}}, headers=DEMO, status=200
    )
    res = app.post_json(
        "/v2.1/os-keypairs", {"keypair": {"name": "k2", "public_key": KEY}}, headers=v("2.2"), status=201
    )
    assert res.json["keypair"]["type"] == "ssh"
    names = [k["keypair"]["name"] for k in app.get("/v2.1/os-keypairs", headers=DEMO).json["keypairs"]]
    assert names == ["k1", "k2"]
    assert "type" not in app.get("/v2.1/os-keypairs/k1", headers=DEMO).json["keypair"]
    app.post_json(
        "/v2.1/os-keypairs", {"keypair": {"name": "k1", "public_key": KEY}}, headers=DEMO, status=409
    )
    app.post_json(
        "/v2.1/os-keypairs", {"keypair": {"name": "k3", "public_key": "nope"}}, headers=DEMO, status=400
    )
    app.delete("/v2.1/os-keypairs/k1", headers=DEMO, status=202)
    app.delete("/v2.1/os-keypairs/k2", headers=v("2.2"), status=204)
    app.delete("/v2.1/os-keypairs/k2", headers=DEMO, status=404)


def test_metadata(app: TestApp) -> None:
    server_id = create(app, server={"metadata": {"a": "1"}})
    base = f"/v2.1/servers/{server_id}/metadata"
    assert app.get(base, headers=DEMO).json == {"metadata": {"a": "1"}}
    assert app.post_json(base, {"metadata": {"b": "2"}}, headers=DEMO).json == {
        "metadata": {"a": "1", "b": "2"}
    }
    assert app.put_json(base, {"metadata": {"c": "3"}}, headers=DEMO).json == {"metadata": {"c": "3"}}
    assert app.put_json(f"{base}/d", {"meta": {"d": "4"}}, headers=DEMO).json == {"meta": {"d": "4"}}
    assert app.get(f"{base}/d", headers=DEMO).json == {"meta": {"d": "4"}}
    app.delete(f"{base}/d", headers=DEMO, status=204)
    app.get(f"{base}/d", headers=DEMO, status=404)
    app.put_json(f"{base}/x", {"meta": {"y": "1"}}, headers=DEMO, status=400)


def test_flavors(app: TestApp) -> None:
    flavors = app.get("/v2.1/flavors", headers=DEMO).json["flavors"]
    assert [f["name"] for f in flavors] == ["m1.tiny", "m1.small", "m1.medium", "m1.large"]
    assert app.get("/v2.1/flavors/detail", headers=DEMO).json["flavors"][1]["ram"] == 2048
    assert app.get("/v2.1/demo/flavors/2", headers=DEMO).json["flavor"]["vcpus"] == 1


def test_request_id_on_every_response(app: TestApp) -> None:
    for res in (app.get("/v2.1/flavors", headers=DEMO), app.get("/v2.1/servers", status=401)):
        assert res.headers["X-Request-ID"].startswith("req-")
        assert res.headers["X-OpenStack-Request-ID"] == res.headers["X-Request-ID"]


def test_nothing_lost_on_restart(db: Path) -> None:
    first = TestApp(NOVA)
    server_id = create(first, name="durable")
    del first
    second = TestApp(NOVA)  # a new load of the pipeline: a restarted service
    assert second.get(f"/v2.1/servers/{server_id}", headers=DEMO).json["server"]["name"] == "durable"
    assert db.exists()


def test_noauth_strategy(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WSGIKIT_COMPUTE_AUTH", "noauth")
    app = TestApp(NOVA)
    server_id = create(app, headers={})
    assert app.get(f"/v2.1/demo/servers/{server_id}").json["server"]["tenant_id"] == "demo"


# -- the "# try:" lines `make run` prints must work as printed ---------------------------------------------


def try_lines() -> list[str]:
    lines = (CONFIGS / "example.ini").read_text().splitlines()
    return [line[len("# try: ") :] for line in lines if line.startswith("# try: ")]


def curl_to_request(command: str) -> tuple[str, str, dict[str, str], bytes | None]:
    """(method, path, headers, body) of a ``curl`` command line — the options the try lines use."""
    words = shlex.split(command)
    assert words[0] == "curl"
    method, url, headers, body = None, None, {}, None
    args = iter(words[1:])
    for word in args:
        if word in ("-s", "--silent", "-i", "--include", "-S"):
            continue
        if word in ("-H", "--header"):
            name, _, value = next(args).partition(":")
            headers[name.strip()] = value.strip()
        elif word in ("-d", "--data", "--data-raw"):
            body = next(args).encode()
        elif word in ("-X", "--request"):
            method = next(args)
        else:
            assert url is None, f"unexpected argument {word!r} in {command!r}"
            url = word
    assert url is not None and url.startswith("http://127.0.0.1:8080/"), command
    return (
        method or ("POST" if body is not None else "GET"),
        url[len("http://127.0.0.1:8080") :],
        headers,
        body,
    )


def test_make_run_try_lines_work(db: Path) -> None:
    lines = try_lines()
    assert len(lines) == 3
    app = TestApp(EXAMPLE)
    for line in lines:
        method, path, headers, body = curl_to_request(line)
        if body is not None:
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")  # what curl -d sends
        if method == "POST":
            res = app.post(path, params=body, headers=headers, expect_errors=True)
        else:
            res = app.request(path, method=method, headers=headers, expect_errors=True)
        assert res.status_int < 300, (line, res.status, res.text)
        assert res.json  # every one answers a JSON document


def test_readme_shows_the_same_try_lines() -> None:
    readme = (CONFIGS.parent / "README.md").read_text()
    for line in try_lines():
        assert line in readme


def test_access_log_line_carries_request_id_user_and_microversion(
    app: TestApp, caplog: pytest.LogCaptureFixture
) -> None:
    """What nova's request_log writes by hand, from the stock filters: one line per request with the
    request id the client saw, the authenticated user and the negotiated microversion."""
    with caplog.at_level("INFO", logger="wsgikit.access"):
        res = app.get("/v2.1/servers", headers=v("2.5"))
    [record] = [r for r in caplog.records if r.name == "wsgikit.access"]
    line = record.getMessage()
    request_id = res.headers["X-OpenStack-Request-ID"]
    assert '"GET /v2.1/servers HTTP/1.0" 200 ' in line
    assert line.endswith(f" {request_id} 2.5")
    assert record.request_id == request_id  # type: ignore[attr-defined]
    assert line.split(" ")[2] == "demo"  # the user the token maps to
