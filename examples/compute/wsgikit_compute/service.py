"""The compute API's logic, without HTTP
======================================

Plain functions over a :class:`~wsgikit_compute.storage.Store` and a :class:`Context` (who asks, at which
microversion, under which base URL). They return the JSON documents nova returns and raise ``wsgikit.exc``
errors (404 unknown ids, 409 state conflicts, 403 for read-only callers); the controllers are thin shells
around them, so all of this is testable without WSGI.

.. code-block:: python

    ctx = Context(user_id="alice", project_id="demo", roles=("member",), version=(2, 5))
    image = store.list_images(name="cirros-0.6.2-x86_64-disk")[0].id
    created = create_server(store, ctx, {"server": {"name": "web-1", "flavorRef": "1", "imageRef": image}})
    assert show_server(store, ctx, created["server"]["id"])["server"]["status"] == "ACTIVE"
"""

from __future__ import annotations

import hashlib
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlencode

from wsgikit import exc
from wsgikit_compute import validation
from wsgikit_compute.storage import AddressPoolExhausted, Flavor, Image, Keypair, NameTaken, Server, Store

T = TypeVar("T")
_ID = operator.attrgetter("id")

__all__ = ["Context"]

READ_ONLY_ROLES = frozenset({"reader"})


@dataclass(frozen=True)
class Context:
    """Who is asking and how.

    :param user_id: the authenticated user (keypairs belong to users).
    :param project_id: the project (servers belong to projects).
    :param roles: a caller whose roles are all read-only (``reader``) may not change anything.
    :param version: the negotiated microversion, e.g. ``(2, 5)``.
    :param base_url: the API root used in ``links`` (``http://host/v2.1`` or ``.../v2.1/<project>``).
    """

    user_id: str
    project_id: str
    roles: tuple[str, ...] = ("member",)
    version: tuple[int, int] = (2, 1)
    base_url: str = "http://localhost/v2.1"

    def require_writer(self) -> None:
        if not self.roles or set(self.roles) <= READ_ONLY_ROLES:
            raise exc.HTTPForbidden(detail="this action needs a role that may change resources")


def _links(ctx: Context, kind: str, ident: str) -> list[dict[str, str]]:
    return [{"rel": "self", "href": f"{ctx.base_url}/{kind}/{ident}"}]


HOST = "compute-1"
"""The one (pretend) compute host every server runs on."""

# nova's view of a status: (vm_state, power_state); power states 1 = RUNNING, 4 = SHUTDOWN
_STATES = {
    "BUILD": ("building", 0),
    "ACTIVE": ("active", 1),
    "SHUTOFF": ("stopped", 4),
    "ERROR": ("error", 0),
}


# -- views ------------------------------------------------------------------------------------------------


def server_brief(ctx: Context, server: Server) -> dict[str, Any]:
    return {"id": server.id, "name": server.name, "links": _links(ctx, "servers", server.id)}


def server_view(ctx: Context, server: Server) -> dict[str, Any]:
    """What nova's detail view returns at ``ctx.version`` (the members the clients read, all of them)."""
    vm_state, power_state = _STATES[server.status]
    addresses: dict[str, list[dict[str, Any]]] = {}
    for address in server.addresses:
        addresses.setdefault(address.network, []).append(
            {
                "version": address.version,
                "addr": address.address,
                "OS-EXT-IPS:type": "fixed",
                "OS-EXT-IPS-MAC:mac_addr": address.mac,
            }
        )
    view: dict[str, Any] = {
        "id": server.id,
        "name": server.name,
        "status": server.status,
        "tenant_id": server.project_id,
        "user_id": server.user_id,
        "metadata": server.metadata,
        # nova's hostId: an opaque per-project hash of the host name
        "hostId": hashlib.sha224((server.project_id + HOST).encode()).hexdigest(),
        "image": (
            {"id": server.image_id, "links": _links(ctx, "images", server.image_id)}
            if server.image_id
            else ""
        ),
        "flavor": {"id": server.flavor_id, "links": _links(ctx, "flavors", server.flavor_id)},
        "created": server.created,
        "updated": server.updated,
        "addresses": addresses,
        "accessIPv4": "",
        "accessIPv6": "",
        "links": _links(ctx, "servers", server.id),
        "OS-DCF:diskConfig": "MANUAL",
        "progress": 0,
        "OS-EXT-AZ:availability_zone": server.availability_zone,
        "config_drive": "",
        "key_name": server.key_name,
        "OS-SRV-USG:launched_at": server.created.replace("T", " ").rstrip("Z"),
        "OS-SRV-USG:terminated_at": None,
        "security_groups": [{"name": "default"}],
        "OS-EXT-STS:task_state": None,
        "OS-EXT-STS:vm_state": vm_state,
        "OS-EXT-STS:power_state": power_state,
        "os-extended-volumes:volumes_attached": [],
    }
    if ctx.version >= (2, 9):
        view["locked"] = False
    if ctx.version >= (2, 19):
        view["description"] = server.description
    return view


def flavor_view(ctx: Context, flavor: Flavor, *, detail: bool) -> dict[str, Any]:
    view: dict[str, Any] = {"id": flavor.id, "name": flavor.name, "links": _links(ctx, "flavors", flavor.id)}
    if detail:
        view.update(
            vcpus=flavor.vcpus,
            ram=flavor.ram,
            disk=flavor.disk,
            swap=flavor.swap or "",  # nova's quirk: "" for no swap
            rxtx_factor=1.0,
        )
        view["OS-FLV-EXT-DATA:ephemeral"] = flavor.ephemeral
        view["OS-FLV-DISABLED:disabled"] = False
        view["os-flavor-access:is_public"] = True
    return view


def image_view(ctx: Context, image: Image) -> dict[str, Any]:
    """An image as the image API (glance v2) shows it: what ``openstack image list`` and
    ``server create --image NAME`` read."""
    return {
        "id": image.id,
        "name": image.name,
        "status": image.status,
        "visibility": image.visibility,
        "protected": False,
        "disk_format": image.disk_format,
        "container_format": image.container_format,
        "size": image.size,
        "min_disk": image.min_disk,
        "min_ram": image.min_ram,
        "checksum": image.checksum,
        "owner": None,
        "tags": [],
        "created_at": image.created,
        "updated_at": image.updated,
        "self": f"/v2/images/{image.id}",
        "file": f"/v2/images/{image.id}/file",
        "schema": "/v2/schemas/image",
    }


def keypair_view(ctx: Context, keypair: Keypair) -> dict[str, Any]:
    view: dict[str, Any] = {
        "name": keypair.name,
        "public_key": keypair.public_key,
        "fingerprint": keypair.fingerprint,
    }
    if ctx.version >= (2, 2):
        view["type"] = keypair.type
    return view


# -- servers ----------------------------------------------------------------------------------------------


def _not_found(server_id: str) -> exc.HTTPNotFound:
    return exc.HTTPNotFound(detail=f"Instance {server_id} could not be found.")


def _server_or_404(store: Store, ctx: Context, server_id: str) -> Server:
    server = store.get_server(ctx.project_id, server_id)
    if server is None:
        raise _not_found(server_id)
    return server


@dataclass(frozen=True)
class ServerFilter:
    """``GET /servers`` filters, as nova reads them: ``name`` a regular expression searched in the name,
    ``status`` a status in any case (one no server can have matches nothing, as in nova), ``image`` and
    ``flavor`` ids, ``changes_since`` the servers updated at or after that time, ``ip`` a regular
    expression searched in each IPv4 address (``ip6``: IPv6), a server matching when one address does;
    ``project`` a project id (nova's ``project_id`` or ``tenant_id``, heard with ``all_tenants`` only)."""

    name: re.Pattern[str] | None = None
    status: str | None = None
    image: str | None = None
    flavor: str | None = None
    changes_since: datetime | None = None
    ip: re.Pattern[str] | None = None
    ip6: re.Pattern[str] | None = None
    project: str | None = None

    def __call__(self, server: Server) -> bool:
        return (
            (self.project is None or server.project_id == self.project)
            and (self.name is None or self.name.search(server.name) is not None)
            and (self.ip is None or _any_address(server, 4, self.ip))
            and (self.ip6 is None or _any_address(server, 6, self.ip6))
            and (self.status is None or server.status == self.status.upper())
            and (self.image is None or server.image_id == self.image)
            and (self.flavor is None or server.flavor_id == self.flavor)
            and (self.changes_since is None or datetime.fromisoformat(server.updated) >= self.changes_since)
        )


def _any_address(server: Server, version: int, pattern: re.Pattern[str]) -> bool:
    return any(a.version == version and pattern.search(a.address) for a in server.addresses)


def _page(
    items: list[T], key: Callable[[T], str], limit: int, marker: str | None, keep: Callable[[T], bool]
) -> list[T]:
    """The items after the one whose ``key`` is ``marker`` (a 400 when there is none: nova looks the
    marker up before filtering), that ``keep`` keeps, at most ``limit``."""
    if marker is not None:
        keys = [key(item) for item in items]
        if marker not in keys:
            raise exc.HTTPBadRequest(detail=f"marker [{marker}] not found")
        items = items[keys.index(marker) + 1 :]
    return [item for item in items if keep(item)][:limit]


def _collection(
    ctx: Context,
    name: str,
    views: list[dict[str, Any]],
    *,
    detail: bool,
    limit: int,
    query: list[tuple[str, str]] | None,
) -> dict[str, Any]:
    """``{name: views}``, and after a full page nova's ``<name>_links``: a ``next`` link to the page after
    the last item, with the request's other query parameters kept."""
    document: dict[str, Any] = {name: views}
    if views and len(views) == limit:
        kept = [(key, value) for key, value in query or [] if key not in ("limit", "marker")]
        params = urlencode([*kept, ("limit", str(limit)), ("marker", views[-1]["id"])])
        path = f"{name}/detail" if detail else name
        document[f"{name}_links"] = [{"rel": "next", "href": f"{ctx.base_url}/{path}?{params}"}]
    return document


# what each of nova's sort keys sorts by here; a key the example keeps no value for sorts every server alike
_SORT_VALUES: dict[str, Callable[[Server], Any]] = {
    "created_at": operator.attrgetter("created"),
    "updated_at": operator.attrgetter("updated"),
    "launched_at": operator.attrgetter("created"),
    "display_name": operator.attrgetter("name"),
    "hostname": operator.attrgetter("name"),
    "display_description": operator.attrgetter("description"),
    "uuid": _ID,
    "user_id": operator.attrgetter("user_id"),
    "project_id": operator.attrgetter("project_id"),
    "image_ref": operator.attrgetter("image_id"),
    "instance_type_id": operator.attrgetter("flavor_id"),
    "key_name": operator.attrgetter("key_name"),
    "availability_zone": operator.attrgetter("availability_zone"),
    "vm_state": lambda server: _STATES[server.status][0],
    "power_state": lambda server: _STATES[server.status][1],
    "host": lambda server: HOST,
    "node": lambda server: HOST,
}


def _none_first(value: Any) -> tuple[bool, Any]:
    # NULL sorts before any value, as in MySQL (nova's usual database)
    return (value is not None, "" if value is None else value)


def sort_servers(servers: list[Server], order: tuple[tuple[str, bool], ...]) -> list[Server]:
    """``servers`` (oldest first, as the store gives them) in ``order`` (:func:`validation.sort_params`):
    ``id`` is nova's row id, the order of creation."""
    ranked = list(servers)
    for key, descending in reversed(order):
        if key == "id":
            position = {server.id: index for index, server in enumerate(servers)}
            ranked.sort(key=lambda server: position[server.id], reverse=descending)
        elif key in _SORT_VALUES:
            value = _SORT_VALUES[key]
            ranked.sort(key=lambda server: _none_first(value(server)), reverse=descending)
    return ranked


def may_list_all_projects(ctx: Context, *, detail: bool) -> None:
    """nova's default policy for ``?all_tenants``: administrators only, else a 403 naming the rule."""
    if "admin" not in ctx.roles:
        rule = f"os_compute_api:servers:{'detail' if detail else 'index'}:get_all_tenants"
        raise exc.HTTPForbidden(detail=f"Policy doesn't allow {rule} to be performed.")


def list_servers(
    store: Store,
    ctx: Context,
    *,
    detail: bool = False,
    limit: int = validation.MAX_LIMIT,
    marker: str | None = None,
    where: ServerFilter = ServerFilter(),
    order: tuple[tuple[str, bool], ...] = validation.DEFAULT_SORT,
    all_projects: bool = False,
    query: list[tuple[str, str]] | None = None,
) -> dict[str, Any]:
    """A page of the project's servers that ``where`` keeps, in ``order`` (nova's default: newest
    first): at most ``limit``, after the server ``marker``. ``all_projects`` (``?all_tenants``) lists every
    project's servers, for an administrator only (403 otherwise), as nova's default policy says. A full
    page links to the next (``servers_links``), as nova's does; the client stops at a page that is not
    full."""
    if all_projects:
        may_list_all_projects(ctx, detail=detail)
    view = server_view if detail else server_brief
    servers = sort_servers(store.list_servers(None if all_projects else ctx.project_id), order)
    page = _page(servers, _ID, limit, marker, where)
    views = [view(ctx, server) for server in page]
    return _collection(ctx, "servers", views, detail=detail, limit=limit, query=query)


def show_server(store: Store, ctx: Context, server_id: str) -> dict[str, Any]:
    return {"server": server_view(ctx, _server_or_404(store, ctx, server_id))}


def _name_taken(name: str) -> exc.HTTPConflict:
    # Names are unique per project (nova's osapi_compute_unique_server_name_scope = project), enforced by
    # the database: a client that retries a create whose first answer it never got learns it exists.
    return exc.HTTPConflict(detail=f"a server named {name!r} already exists in this project")


def create_server(store: Store, ctx: Context, body: Any) -> dict[str, Any]:
    ctx.require_writer()
    fields = validation.server_create(body, version=ctx.version)
    if store.get_flavor(fields["flavor_id"]) is None:
        raise exc.HTTPBadRequest(detail=f"Flavor {fields['flavor_id']} could not be found.")
    if fields["image_id"] is not None:
        image = store.get_image(fields["image_id"])
        if image is None:
            raise exc.HTTPBadRequest(detail=f"Image {fields['image_id']} could not be found.")
        if image.status != "active":
            raise exc.HTTPBadRequest(detail=f"Image {image.id} is not active.")
    if fields["key_name"] is not None and store.get_keypair(ctx.user_id, fields["key_name"]) is None:
        raise exc.HTTPBadRequest(detail=f"Invalid key_name provided: keypair {fields['key_name']} not found.")
    try:
        server = store.create_server(project_id=ctx.project_id, user_id=ctx.user_id, **fields)
    except NameTaken:
        raise _name_taken(fields["name"]) from None
    except AddressPoolExhausted as error:
        raise exc.HTTPConflict(detail=str(error)) from None
    return {
        "server": {
            "id": server.id,
            "links": _links(ctx, "servers", server.id),
            "OS-DCF:diskConfig": "MANUAL",
            "security_groups": [{"name": "default"}],
        }
    }


def update_server(store: Store, ctx: Context, server_id: str, body: Any) -> dict[str, Any]:
    ctx.require_writer()
    fields = validation.server_update(body, version=ctx.version)
    try:
        server = store.update_server(ctx.project_id, server_id, **fields)
    except NameTaken:
        raise _name_taken(fields["name"]) from None
    if server is None:
        raise _not_found(server_id)
    return {"server": server_view(ctx, server)}


def delete_server(store: Store, ctx: Context, server_id: str) -> None:
    ctx.require_writer()
    if not store.delete_server(ctx.project_id, server_id):
        raise _not_found(server_id)


def _transition(store: Store, ctx: Context, server_id: str, expected: str, new: str, action: str) -> None:
    ctx.require_writer()
    status = store.transition(ctx.project_id, server_id, expected, new)
    if status is None:
        raise _not_found(server_id)
    if status != expected:
        vm_state = _STATES.get(status, (status.lower(), 0))[0]
        raise exc.HTTPConflict(
            detail=f"Cannot '{action}' instance {server_id} while it is in vm_state {vm_state}"
        )


def start_server(store: Store, ctx: Context, server_id: str) -> None:
    _transition(store, ctx, server_id, "SHUTOFF", "ACTIVE", "start")


def stop_server(store: Store, ctx: Context, server_id: str) -> None:
    _transition(store, ctx, server_id, "ACTIVE", "SHUTOFF", "stop")


def reboot_server(store: Store, ctx: Context, server_id: str, body: Any) -> None:
    validation.reboot_type(body)
    # A reboot leaves the server ACTIVE; it is only allowed from ACTIVE, as in nova.
    _transition(store, ctx, server_id, "ACTIVE", "ACTIVE", "reboot")


# -- server metadata --------------------------------------------------------------------------------------


def show_metadata(store: Store, ctx: Context, server_id: str) -> dict[str, Any]:
    return {"metadata": _server_or_404(store, ctx, server_id).metadata}


def set_metadata(store: Store, ctx: Context, server_id: str, body: Any, *, replace: bool) -> dict[str, Any]:
    ctx.require_writer()
    metadata = store.set_metadata(ctx.project_id, server_id, validation.metadata_body(body), replace=replace)
    if metadata is None:
        raise _not_found(server_id)
    return {"metadata": metadata}


def show_metadata_item(store: Store, ctx: Context, server_id: str, key: str) -> dict[str, Any]:
    metadata = _server_or_404(store, ctx, server_id).metadata
    if key not in metadata:
        raise exc.HTTPNotFound(detail=f"server {server_id} has no metadata item {key!r}")
    return {"meta": {key: metadata[key]}}


def set_metadata_item(store: Store, ctx: Context, server_id: str, key: str, body: Any) -> dict[str, Any]:
    ctx.require_writer()
    value = validation.metadata_item_body(body, key)
    if store.set_metadata(ctx.project_id, server_id, {key: value}, replace=False) is None:
        raise _not_found(server_id)
    return {"meta": {key: value}}


def delete_metadata_item(store: Store, ctx: Context, server_id: str, key: str) -> None:
    ctx.require_writer()
    deleted = store.delete_metadata_item(ctx.project_id, server_id, key)
    if deleted is None:
        raise _not_found(server_id)
    if not deleted:
        raise exc.HTTPNotFound(detail=f"server {server_id} has no metadata item {key!r}")


# -- flavors ----------------------------------------------------------------------------------------------


# what each of nova's flavor sort keys sorts by here (the others: every flavor alike, then the row id)
_FLAVOR_SORT_VALUES: dict[str, Callable[[Flavor], Any]] = {
    "name": operator.attrgetter("name"),
    "memory_mb": operator.attrgetter("ram"),
    "root_gb": operator.attrgetter("disk"),
    "ephemeral_gb": operator.attrgetter("ephemeral"),
    "swap": operator.attrgetter("swap"),
    "vcpus": operator.attrgetter("vcpus"),
}


def sort_flavors(flavors: list[Flavor], key: str, descending: bool) -> list[Flavor]:
    """``flavors`` (by id, as the store gives them) sorted by ``key``, ties in id order, both in the one
    direction: nova sorts by ``[key, id]``."""
    ranked = flavors[::-1] if descending else list(flavors)
    if key in _FLAVOR_SORT_VALUES:
        ranked.sort(key=_FLAVOR_SORT_VALUES[key], reverse=descending)
    return ranked


def list_flavors(
    store: Store,
    ctx: Context,
    *,
    detail: bool = False,
    limit: int = validation.MAX_LIMIT,
    marker: str | None = None,
    min_ram: int | None = None,
    min_disk: int | None = None,
    public: bool | None = True,
    order: tuple[str, bool] = ("flavorid", False),
    query: list[tuple[str, str]] | None = None,
) -> dict[str, Any]:
    """A page of the flavors with at least ``min_ram`` MiB and ``min_disk`` GiB, public or private as
    ``public`` says (None: both; every flavor here is public), in ``order`` (:func:`validation.flavor_sort`;
    by id unless asked otherwise), after the flavor ``marker``; ``flavors_links`` after a full page."""

    def keep(flavor: Flavor) -> bool:
        return (
            public is not False
            and (min_ram is None or flavor.ram >= min_ram)
            and (min_disk is None or flavor.disk >= min_disk)
        )

    page = _page(sort_flavors(store.list_flavors(), *order), _ID, limit, marker, keep)
    views = [flavor_view(ctx, flavor, detail=detail) for flavor in page]
    return _collection(ctx, "flavors", views, detail=detail, limit=limit, query=query)


def show_flavor(store: Store, ctx: Context, flavor_id: str) -> dict[str, Any]:
    flavor = store.get_flavor(flavor_id)
    if flavor is None:
        raise exc.HTTPNotFound(detail=f"Flavor {flavor_id} could not be found.")
    return {"flavor": flavor_view(ctx, flavor, detail=True)}


def flavor_extra_specs(store: Store, ctx: Context, flavor_id: str) -> dict[str, Any]:
    specs = store.flavor_extra_specs(flavor_id)
    if specs is None:
        raise exc.HTTPNotFound(detail=f"Flavor {flavor_id} could not be found.")
    return {"extra_specs": specs}


def flavor_extra_spec(store: Store, ctx: Context, flavor_id: str, key: str) -> dict[str, Any]:
    specs = flavor_extra_specs(store, ctx, flavor_id)["extra_specs"]
    if key not in specs:
        raise exc.HTTPNotFound(detail=f"Flavor {flavor_id} has no extra specs with key {key}.")
    return {key: specs[key]}


# -- images -----------------------------------------------------------------------------------------------


def list_images(store: Store, ctx: Context, *, name: str | None = None) -> dict[str, Any]:
    """``GET /images[?name=...]`` in the image API's format (``images``, ``first``, ``schema``)."""
    images = [image_view(ctx, image) for image in store.list_images(name=name)]
    return {"images": images, "first": "/v2/images", "schema": "/v2/schemas/images"}


def show_image(store: Store, ctx: Context, image_id: str) -> dict[str, Any]:
    image = store.get_image(image_id)
    if image is None:
        raise exc.HTTPNotFound(detail=f"No image found with ID {image_id}")
    return image_view(ctx, image)


# -- limits and availability zones ------------------------------------------------------------------------


def limits(store: Store, ctx: Context) -> dict[str, Any]:
    """``GET /limits``: the enforced limits, ``-1`` (nova's "unlimited") for quotas this service does not
    enforce, and the project's usage."""
    servers = store.list_servers(ctx.project_id)
    flavors = {flavor.id: flavor for flavor in store.list_flavors()}
    used = [flavors[server.flavor_id] for server in servers if server.flavor_id in flavors]
    unlimited = -1
    absolute = {
        "maxServerMeta": validation.METADATA_ITEMS_MAX,
        "maxImageMeta": validation.METADATA_ITEMS_MAX,
        "maxPersonality": 0,
        "maxPersonalitySize": 0,
        "maxTotalInstances": unlimited,
        "maxTotalCores": unlimited,
        "maxTotalRAMSize": unlimited,
        "maxTotalKeypairs": unlimited,
        "maxSecurityGroups": unlimited,
        "maxSecurityGroupRules": unlimited,
        "maxTotalFloatingIps": unlimited,
        "maxServerGroups": unlimited,
        "maxServerGroupMembers": unlimited,
        "totalInstancesUsed": len(servers),
        "totalCoresUsed": sum(flavor.vcpus for flavor in used),
        "totalRAMUsed": sum(flavor.ram for flavor in used),
        "totalSecurityGroupsUsed": 0,
        "totalFloatingIpsUsed": 0,
        "totalServerGroupsUsed": 0,
    }
    return {"limits": {"rate": [], "absolute": absolute}}


def availability_zones(store: Store, ctx: Context, *, detail: bool = False) -> dict[str, Any]:
    """``GET /os-availability-zone[/detail]``: the one zone, ``nova``, and (detail) its one host."""
    zone: dict[str, Any] = {"zoneName": "nova", "zoneState": {"available": True}, "hosts": None}
    if detail:
        service = {"available": True, "active": True, "updated_at": None}
        zone["hosts"] = {HOST: {"nova-compute": service}}
    return {"availabilityZoneInfo": [zone]}


# -- keypairs ---------------------------------------------------------------------------------------------


def list_keypairs(store: Store, ctx: Context) -> dict[str, Any]:
    return {"keypairs": [{"keypair": keypair_view(ctx, kp)} for kp in store.list_keypairs(ctx.user_id)]}


def show_keypair(store: Store, ctx: Context, name: str) -> dict[str, Any]:
    keypair = store.get_keypair(ctx.user_id, name)
    if keypair is None:
        raise exc.HTTPNotFound(detail=f"Keypair {name} not found for user {ctx.user_id}")
    return {"keypair": keypair_view(ctx, keypair)}


def create_keypair(store: Store, ctx: Context, body: Any) -> dict[str, Any]:
    """Import a public key, or (without ``public_key``) generate a key pair and return its private key
    this once: it is never stored."""
    ctx.require_writer()
    fields = validation.keypair_create(body, version=ctx.version)
    private_key = None
    if fields["public_key"] is None:
        public_key, private_key = validation.generate_keypair()
        fields["public_key"], fields["fingerprint"] = public_key, validation.fingerprint(public_key)
    keypair = store.create_keypair(
        user_id=ctx.user_id,
        name=str(fields["name"]),
        type=str(fields["type"]),
        public_key=str(fields["public_key"]),
        fingerprint=str(fields["fingerprint"]),
    )
    if keypair is None:
        raise exc.HTTPConflict(detail=f"Key pair '{fields['name']}' already exists.")
    view = keypair_view(ctx, keypair)
    view["user_id"] = keypair.user_id
    if private_key is not None:
        view["private_key"] = private_key
    return {"keypair": view}


def delete_keypair(store: Store, ctx: Context, name: str) -> None:
    ctx.require_writer()
    if not store.delete_keypair(ctx.user_id, name):
        raise exc.HTTPNotFound(detail=f"Keypair {name} not found for user {ctx.user_id}")
