"""The compute API's logic, without HTTP
======================================

Plain functions over a :class:`~wsgikit_compute.storage.Store` and a :class:`Context` (who asks, at which
microversion, under which base URL). They return the JSON documents nova returns and raise ``wsgikit.exc``
errors (404 unknown ids, 409 state conflicts, 403 for read-only callers); the controllers are thin shells
around them, so all of this is testable without WSGI.

.. code-block:: python

    ctx = Context(user_id="alice", project_id="demo", roles=("member",), version=(2, 5))
    created = create_server(store, ctx, {"server": {"name": "web-1", "flavorRef": "1"}})
    assert show_server(store, ctx, created["server"]["id"])["server"]["status"] == "ACTIVE"
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wsgikit import exc
from wsgikit_compute import validation
from wsgikit_compute.storage import Flavor, Keypair, NameTaken, Server, Store

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


# -- views ------------------------------------------------------------------------------------------------


def server_brief(ctx: Context, server: Server) -> dict[str, Any]:
    return {"id": server.id, "name": server.name, "links": _links(ctx, "servers", server.id)}


def server_view(ctx: Context, server: Server) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": server.id,
        "name": server.name,
        "status": server.status,
        "tenant_id": server.project_id,
        "user_id": server.user_id,
        "flavor": {"id": server.flavor_id, "links": _links(ctx, "flavors", server.flavor_id)},
        "key_name": server.key_name,
        "metadata": server.metadata,
        "created": server.created,
        "updated": server.updated,
        "links": _links(ctx, "servers", server.id),
    }
    if ctx.version >= (2, 5):
        view["description"] = server.description
    return view


def flavor_view(ctx: Context, flavor: Flavor, *, detail: bool) -> dict[str, Any]:
    view: dict[str, Any] = {"id": flavor.id, "name": flavor.name, "links": _links(ctx, "flavors", flavor.id)}
    if detail:
        view.update(vcpus=flavor.vcpus, ram=flavor.ram, disk=flavor.disk)
    return view


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


def _server_or_404(store: Store, ctx: Context, server_id: str) -> Server:
    server = store.get_server(ctx.project_id, server_id)
    if server is None:
        raise exc.HTTPNotFound(detail=f"server {server_id} could not be found")
    return server


def list_servers(store: Store, ctx: Context, *, detail: bool = False) -> dict[str, Any]:
    view = server_view if detail else server_brief
    return {"servers": [view(ctx, server) for server in store.list_servers(ctx.project_id)]}


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
        raise exc.HTTPBadRequest(detail=f"flavor {fields['flavor_id']} does not exist")
    if fields["key_name"] is not None and store.get_keypair(ctx.user_id, fields["key_name"]) is None:
        raise exc.HTTPBadRequest(detail=f"keypair {fields['key_name']} does not exist")
    try:
        server = store.create_server(project_id=ctx.project_id, user_id=ctx.user_id, **fields)
    except NameTaken:
        raise _name_taken(fields["name"]) from None
    return {"server": {"id": server.id, "links": _links(ctx, "servers", server.id)}}


def update_server(store: Store, ctx: Context, server_id: str, body: Any) -> dict[str, Any]:
    ctx.require_writer()
    fields = validation.server_update(body, version=ctx.version)
    try:
        server = store.update_server(ctx.project_id, server_id, **fields)
    except NameTaken:
        raise _name_taken(fields["name"]) from None
    if server is None:
        raise exc.HTTPNotFound(detail=f"server {server_id} could not be found")
    return {"server": server_view(ctx, server)}


def delete_server(store: Store, ctx: Context, server_id: str) -> None:
    ctx.require_writer()
    if not store.delete_server(ctx.project_id, server_id):
        raise exc.HTTPNotFound(detail=f"server {server_id} could not be found")


def _transition(store: Store, ctx: Context, server_id: str, expected: str, new: str, action: str) -> None:
    ctx.require_writer()
    status = store.transition(ctx.project_id, server_id, expected, new)
    if status is None:
        raise exc.HTTPNotFound(detail=f"server {server_id} could not be found")
    if status != expected:
        raise exc.HTTPConflict(detail=f"cannot {action} server {server_id} while it is {status}")


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
        raise exc.HTTPNotFound(detail=f"server {server_id} could not be found")
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
        raise exc.HTTPNotFound(detail=f"server {server_id} could not be found")
    return {"meta": {key: value}}


def delete_metadata_item(store: Store, ctx: Context, server_id: str, key: str) -> None:
    ctx.require_writer()
    deleted = store.delete_metadata_item(ctx.project_id, server_id, key)
    if deleted is None:
        raise exc.HTTPNotFound(detail=f"server {server_id} could not be found")
    if not deleted:
        raise exc.HTTPNotFound(detail=f"server {server_id} has no metadata item {key!r}")


# -- flavors ----------------------------------------------------------------------------------------------


def list_flavors(store: Store, ctx: Context, *, detail: bool = False) -> dict[str, Any]:
    return {"flavors": [flavor_view(ctx, flavor, detail=detail) for flavor in store.list_flavors()]}


def show_flavor(store: Store, ctx: Context, flavor_id: str) -> dict[str, Any]:
    flavor = store.get_flavor(flavor_id)
    if flavor is None:
        raise exc.HTTPNotFound(detail=f"flavor {flavor_id} could not be found")
    return {"flavor": flavor_view(ctx, flavor, detail=True)}


# -- keypairs ---------------------------------------------------------------------------------------------


def list_keypairs(store: Store, ctx: Context) -> dict[str, Any]:
    return {"keypairs": [{"keypair": keypair_view(ctx, kp)} for kp in store.list_keypairs(ctx.user_id)]}


def show_keypair(store: Store, ctx: Context, name: str) -> dict[str, Any]:
    keypair = store.get_keypair(ctx.user_id, name)
    if keypair is None:
        raise exc.HTTPNotFound(detail=f"keypair {name} could not be found")
    return {"keypair": keypair_view(ctx, keypair)}


def create_keypair(store: Store, ctx: Context, body: Any) -> dict[str, Any]:
    ctx.require_writer()
    fields = validation.keypair_create(body, version=ctx.version)
    keypair = store.create_keypair(user_id=ctx.user_id, **fields)
    if keypair is None:
        raise exc.HTTPConflict(detail=f"keypair {fields['name']} already exists")
    return {"keypair": keypair_view(ctx, keypair)}


def delete_keypair(store: Store, ctx: Context, name: str) -> None:
    ctx.require_writer()
    if not store.delete_keypair(ctx.user_id, name):
        raise exc.HTTPNotFound(detail=f"keypair {name} could not be found")
