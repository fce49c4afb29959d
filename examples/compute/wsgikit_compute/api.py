"""The /v2.1 API: controllers and routes
=====================================

Each controller is a :class:`wsgikit.routing.Controller`: public methods are actions, route variables arrive
as keyword arguments, a dict result becomes JSON, ``@response(...)`` sets the success status and
``@action("os-start")`` handles ``POST /servers/{id}/action`` bodies by their first key. The controllers only
translate HTTP into calls of :mod:`wsgikit_compute.service`.

:func:`make_mapper` builds the route table the way nova's ``ProjectMapper`` does: every route twice, with and
without a leading ``/{project_id}``. ``paste.ini`` points the router at it:

.. code-block:: ini

    [app:compute]
    use = egg:wsgikit#router
    mapper = wsgikit_compute.api:make_mapper
"""

from __future__ import annotations

from typing import Any

from wsgikit import Request, Response, exc
from wsgikit.routing import Controller, Mapper, action, response
from wsgikit_compute import service, validation
from wsgikit_compute.database import store_of
from wsgikit_compute.service import Context
from wsgikit_compute.storage import Store
from wsgikit_compute.versions import version_app

__all__ = [
    "AvailabilityZonesController",
    "FlavorExtraSpecsController",
    "FlavorsController",
    "ImagesController",
    "KeypairsController",
    "LimitsController",
    "MetadataController",
    "ServersController",
    "make_mapper",
]

VERSION_KEY = "wsgikit.api_version"
IDENTITY_KEY = "wsgikit.identity"


def api_version(req: Request) -> tuple[int, int]:
    """The microversion the versions middleware negotiated (2.1 when there is none in the pipeline)."""
    value = req.environ.get(VERSION_KEY)
    if value is None:
        return (2, 1)
    if isinstance(value, tuple):
        return (int(value[0]), int(value[1]))
    if isinstance(value, str):
        major, _, minor = value.partition(".")
        return (int(major), int(minor or 0))
    return (int(value.major), int(value.minor))


def context(req: Request, project_id: str | None = None) -> Context:
    """Who is asking (from the auth middleware's identity), at which version, under which URL."""
    identity = req.environ.get(IDENTITY_KEY)
    if identity is None:
        raise exc.HTTPUnauthorized(detail="no identity: the pipeline has no auth filter")
    if project_id is not None and project_id != identity.project_id:
        raise exc.HTTPForbidden(detail="the project in the URL is not the project of your credentials")
    base = req.application_url + (f"/{project_id}" if project_id is not None else "")
    return Context(
        user_id=identity.user_id,
        project_id=identity.project_id or identity.user_id,
        roles=tuple(identity.roles),
        version=api_version(req),
        base_url=base,
    )


def _store(req: Request) -> Store:
    return store_of(req.environ)


def _body(req: Request) -> Any:
    return req.json  # a malformed body is a 400, never a 500


def _list_servers(req: Request, project_id: str | None, *, detail: bool) -> Any:
    """``GET /servers`` and ``/servers/detail``, paged by ``?limit=`` and ``?marker=``, filtered, sorted by
    ``?sort_key=``/``?sort_dir=`` and widened by ``?all_tenants`` as nova does each."""
    ctx = context(req, project_id)
    query = req.GET
    # in nova's order: its query schema first, then all_tenants and its policy, then limit, then the sort
    # keys' rules
    validation.server_query_schema(query.getall)
    sort_keys, sort_dirs = query.getall("sort_key"), query.getall("sort_dir")
    name, ip, ip6 = query.get("name"), query.get("ip"), query.get("ip6")
    name_re = validation.name_pattern(name) if name is not None else None
    ip_re = validation.name_pattern(ip, "ip") if ip is not None else None
    ip6_re = validation.name_pattern(ip6, "ip6") if ip6 is not None else None
    changes_since = validation.timestamp(query.get("changes-since"), "changes-since")
    everyone = validation.all_tenants("all_tenants" in query, query.get("all_tenants"))
    if everyone:
        service.may_list_all_projects(ctx, detail=detail)
    limit, marker = validation.page_params(query.get("limit"), query.get("marker"))
    order = validation.sort_params(sort_keys, sort_dirs, admin="admin" in ctx.roles)
    where = service.ServerFilter(
        name=name_re,
        ip=ip_re,
        ip6=ip6_re,
        status=query.get("status"),
        image=query.get("image"),
        flavor=query.get("flavor"),
        changes_since=changes_since,
        # nova hears a project filter only beside all_tenants (lp:#1185290); tenant_id is its old name
        project=query.get("project_id", query.get("tenant_id")) if everyone else None,
    )
    return service.list_servers(
        _store(req), ctx, detail=detail, limit=limit, marker=marker, where=where, order=order,
        all_projects=everyone, query=list(query.items()),
    )  # fmt: skip


def _list_flavors(req: Request, project_id: str | None, *, detail: bool) -> Any:
    """``GET /flavors`` and ``/flavors/detail``: paged, filtered by ``minRam`` and ``minDisk``, and sorted by
    ``sort_key``/``sort_dir``."""
    ctx = context(req, project_id)
    query = req.GET
    # in nova's order: its query schema (limit, then the sort enums), then in its code limit, is_public
    # (heard from administrators only), minRam and minDisk
    validation.limit_schema(query.getall("limit"))
    order = validation.flavor_sort(query.getall("sort_key"), query.getall("sort_dir"))
    limit, marker = validation.page_params(query.get("limit"), query.get("marker"))
    public = validation.is_public(query.get("is_public")) if "admin" in ctx.roles else True
    min_ram = validation.flavor_filter(query.get("minRam"), "minRam")
    min_disk = validation.flavor_filter(query.get("minDisk"), "minDisk")
    return service.list_flavors(
        _store(req), ctx, detail=detail, limit=limit, marker=marker, min_ram=min_ram, min_disk=min_disk,
        public=public, order=order, query=list(query.items()),
    )  # fmt: skip


class ServersController(Controller):
    """``/servers``: list, detail, show, create, update, delete, and the ``action`` resource."""

    def index(self, req: Request, project_id: str | None = None) -> Any:
        return _list_servers(req, project_id, detail=False)

    def detail(self, req: Request, project_id: str | None = None) -> Any:
        return _list_servers(req, project_id, detail=True)

    def show(self, req: Request, id: str, project_id: str | None = None) -> Any:
        return service.show_server(_store(req), context(req, project_id), id)

    @response(202)
    def create(self, req: Request, project_id: str | None = None) -> Any:
        created = service.create_server(_store(req), context(req, project_id), _body(req))
        req.response.location = created["server"]["links"][0]["href"]
        return created

    def update(self, req: Request, id: str, project_id: str | None = None) -> Any:
        return service.update_server(_store(req), context(req, project_id), id, _body(req))

    @response(204)
    def delete(self, req: Request, id: str, project_id: str | None = None) -> None:
        service.delete_server(_store(req), context(req, project_id), id)

    @action("os-start")
    @response(202)
    def start(self, req: Request, id: str, body: Any, project_id: str | None = None) -> None:
        service.start_server(_store(req), context(req, project_id), id)

    @action("os-stop")
    @response(202)
    def stop(self, req: Request, id: str, body: Any, project_id: str | None = None) -> None:
        service.stop_server(_store(req), context(req, project_id), id)

    @action("reboot")
    @response(202)
    def reboot(self, req: Request, id: str, body: Any, project_id: str | None = None) -> None:
        service.reboot_server(_store(req), context(req, project_id), id, body["reboot"])


class MetadataController(Controller):
    """``/servers/{server_id}/metadata[/{key}]``."""

    def index(self, req: Request, server_id: str, project_id: str | None = None) -> Any:
        return service.show_metadata(_store(req), context(req, project_id), server_id)

    def create(self, req: Request, server_id: str, project_id: str | None = None) -> Any:
        ctx = context(req, project_id)
        return service.set_metadata(_store(req), ctx, server_id, _body(req), replace=False)

    def update_all(self, req: Request, server_id: str, project_id: str | None = None) -> Any:
        ctx = context(req, project_id)
        return service.set_metadata(_store(req), ctx, server_id, _body(req), replace=True)

    def show(self, req: Request, server_id: str, id: str, project_id: str | None = None) -> Any:
        return service.show_metadata_item(_store(req), context(req, project_id), server_id, id)

    def update(self, req: Request, server_id: str, id: str, project_id: str | None = None) -> Any:
        return service.set_metadata_item(_store(req), context(req, project_id), server_id, id, _body(req))

    @response(204)
    def delete(self, req: Request, server_id: str, id: str, project_id: str | None = None) -> None:
        service.delete_metadata_item(_store(req), context(req, project_id), server_id, id)


class FlavorsController(Controller):
    """``/flavors``: list, detail, show."""

    def index(self, req: Request, project_id: str | None = None) -> Any:
        return _list_flavors(req, project_id, detail=False)

    def detail(self, req: Request, project_id: str | None = None) -> Any:
        return _list_flavors(req, project_id, detail=True)

    def show(self, req: Request, id: str, project_id: str | None = None) -> Any:
        return service.show_flavor(_store(req), context(req, project_id), id)


class FlavorExtraSpecsController(Controller):
    """``/flavors/{flavor_id}/os-extra_specs[/{id}]``: read-only (changing them is for admins in nova)."""

    def index(self, req: Request, flavor_id: str, project_id: str | None = None) -> Any:
        return service.flavor_extra_specs(_store(req), context(req, project_id), flavor_id)

    def show(self, req: Request, flavor_id: str, id: str, project_id: str | None = None) -> Any:
        return service.flavor_extra_spec(_store(req), context(req, project_id), flavor_id, id)


class ImagesController(Controller):
    """``/images[?name=...]`` and ``/images/{id}`` in the image API's format.

    With one endpoint for every service (``--os-endpoint``, the ``admin_token`` auth type) the clients send
    their image API requests to the compute endpoint: this answers them there.
    """

    def index(self, req: Request, project_id: str | None = None) -> Any:
        name = req.GET.get("name")
        return service.list_images(_store(req), context(req, project_id), name=name)

    def show(self, req: Request, id: str, project_id: str | None = None) -> Any:
        return service.show_image(_store(req), context(req, project_id), id)


class LimitsController(Controller):
    """``/limits``."""

    def index(self, req: Request, project_id: str | None = None) -> Any:
        return service.limits(_store(req), context(req, project_id))


class AvailabilityZonesController(Controller):
    """``/os-availability-zone`` and ``/os-availability-zone/detail``."""

    def index(self, req: Request, project_id: str | None = None) -> Any:
        return service.availability_zones(_store(req), context(req, project_id))

    def detail(self, req: Request, project_id: str | None = None) -> Any:
        return service.availability_zones(_store(req), context(req, project_id), detail=True)


class KeypairsController(Controller):
    """``/os-keypairs``: list, create, show, delete (201/204 from microversion 2.2, as in nova)."""

    def index(self, req: Request, project_id: str | None = None) -> Any:
        return service.list_keypairs(_store(req), context(req, project_id))

    def show(self, req: Request, id: str, project_id: str | None = None) -> Any:
        return service.show_keypair(_store(req), context(req, project_id), id)

    def create(self, req: Request, project_id: str | None = None) -> Any:
        ctx = context(req, project_id)
        created = service.create_keypair(_store(req), ctx, _body(req))
        req.response.status = 201 if ctx.version >= (2, 2) else 200
        return created

    def delete(self, req: Request, id: str, project_id: str | None = None) -> Response:
        ctx = context(req, project_id)
        service.delete_keypair(_store(req), ctx, id)
        # nova answers 202 before microversion 2.2 and 204 from it
        return Response(status=204 if ctx.version >= (2, 2) else 202, content_type=None)


def _connect_both(mapper: Mapper, path: str, **kwargs: Any) -> None:
    """Route ``path`` with and without the ``/{project_id}`` prefix, as nova's ProjectMapper does."""
    mapper.connect(path, **kwargs)
    mapper.connect("/{project_id}" + path, **kwargs)


def make_mapper() -> Mapper:
    """The route table of ``/v2.1`` (mounted under it by the urlmap)."""
    mapper = Mapper()
    servers, metadata = ServersController(), MetadataController()
    flavors, keypairs = FlavorsController(), KeypairsController()
    extra_specs, images, limits = FlavorExtraSpecsController(), ImagesController(), LimitsController()
    zones = AvailabilityZonesController()
    get, post, put, delete = (dict(method=[m]) for m in ("GET", "POST", "PUT", "DELETE"))
    table: list[tuple[str, Controller, str, dict[str, list[str]]]] = [
        ("/servers", servers, "index", get),
        ("/servers", servers, "create", post),
        ("/servers/detail", servers, "detail", get),
        ("/servers/{id}", servers, "show", get),
        ("/servers/{id}", servers, "update", put),
        ("/servers/{id}", servers, "delete", delete),
        ("/servers/{id}/action", servers, "action", post),
        ("/servers/{server_id}/metadata", metadata, "index", get),
        ("/servers/{server_id}/metadata", metadata, "create", post),
        ("/servers/{server_id}/metadata", metadata, "update_all", put),
        ("/servers/{server_id}/metadata/{id}", metadata, "show", get),
        ("/servers/{server_id}/metadata/{id}", metadata, "update", put),
        ("/servers/{server_id}/metadata/{id}", metadata, "delete", delete),
        ("/flavors", flavors, "index", get),
        ("/flavors/detail", flavors, "detail", get),
        ("/flavors/{id}", flavors, "show", get),
        ("/flavors/{flavor_id}/os-extra_specs", extra_specs, "index", get),
        ("/flavors/{flavor_id}/os-extra_specs/{id}", extra_specs, "show", get),
        ("/images", images, "index", get),
        ("/images/{id}", images, "show", get),
        ("/limits", limits, "index", get),
        ("/os-availability-zone", zones, "index", get),
        ("/os-availability-zone/detail", zones, "detail", get),
        ("/os-keypairs", keypairs, "index", get),
        ("/os-keypairs", keypairs, "create", post),
        ("/os-keypairs/{id}", keypairs, "show", get),
        ("/os-keypairs/{id}", keypairs, "delete", delete),
    ]
    for path, controller, action_name, conditions in table:
        _connect_both(mapper, path, controller=controller, action=action_name, conditions=conditions)
    # nova answers GET /v2.1/ (inside the API, behind auth) with the version document too
    mapper.connect("/", controller=version_app, conditions=get)
    return mapper
