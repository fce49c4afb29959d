"""JSON API: a small routed service built with :mod:`wsgikit.routing` and :func:`wsgikit.wsgify`.

=================  ==========================  ==============================================
method             path                        answer
=================  ==========================  ==============================================
GET                ``/``                       the service name and its routes
GET                ``/items``                  ``{"items": [...]}``
POST               ``/items``                  201 + the created item (``{"name": ..., "tags": [...]}`` in)
GET                ``/items/{id}``             ``{"item": {...}}`` or 404
POST, PUT          ``/upload``                 ``{"size": n, "sha256": "..."}`` of the request body
GET                ``/stream?chunks=N&size=M`` N lines of NDJSON, sent one chunk at a time
=================  ==========================  ==============================================

Anything else is the router's 404, or 405 with an ``Allow`` header when the path exists under another
method. Items live in the memory of one process (several gunicorn workers do not share them); an item's
id is derived from its name, so creating the same name twice answers the same id.

.. code-block:: ini

    [app:api]
    use = egg:wsgikit-jsonapi
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections.abc import Iterator
from typing import Any

from wsgikit import Request, Response, exc, wsgify
from wsgikit.routing import Mapper, Router

__all__ = ["ItemStore", "app_factory", "make_app", "make_mapper"]

_ID_NAMESPACE = uuid.UUID("5b6d7a0e-2f1c-4b8e-9a53-6d1f0c2e7a41")
SEED = ("alpha", "beta", "gamma")
MAX_CHUNKS = 1000
MAX_CHUNK_SIZE = 64 * 1024
READ_SIZE = 64 * 1024


class ItemStore:
    """Items by id, safe to share between the threads of one process."""

    def __init__(self, names: tuple[str, ...] = SEED) -> None:
        self._lock = threading.Lock()
        self._items: dict[str, dict[str, Any]] = {}
        for name in names:
            self.add(name, [])

    @staticmethod
    def item_id(name: str) -> str:
        return str(uuid.uuid5(_ID_NAMESPACE, name))

    def add(self, name: str, tags: list[str]) -> dict[str, Any]:
        item_id = self.item_id(name)
        item: dict[str, Any] = {"id": item_id, "name": name, "tags": tags}
        with self._lock:
            self._items[item_id] = item
        return item

    def get(self, item_id: str) -> dict[str, Any] | None:
        with self._lock:
            return self._items.get(item_id)

    def all(self) -> list[dict[str, Any]]:
        with self._lock:
            return sorted(self._items.values(), key=lambda item: item["name"])


def _parse_item(body: Any) -> tuple[str, list[str]]:
    if not isinstance(body, dict):
        raise exc.HTTPBadRequest("the body must be a JSON object")
    name = body.get("name")
    if not isinstance(name, str) or not 0 < len(name) <= 100:
        raise exc.HTTPBadRequest("name: a string of 1 to 100 characters is required")
    tags = body.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise exc.HTTPBadRequest("tags: expected a list of strings")
    return name, tags


def _bounded_int(req: Request, name: str, default: int, maximum: int) -> int:
    raw = req.GET.get(name)
    if raw is None:
        return default
    # ASCII digits only ("²".isdigit() is true, int("²") fails) and few enough for int() (5,000 digits fail)
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 9) or not 0 < int(raw) <= maximum:
        raise exc.HTTPBadRequest(f"{name}: expected an integer from 1 to {maximum}")
    return int(raw)


def make_mapper(store: ItemStore | None = None) -> Mapper:
    """The route table; each route's ``controller`` is a WSGI application."""
    store = store if store is not None else ItemStore()
    mapper = Mapper()

    @wsgify
    def index(req: Request) -> Any:
        return {"service": "jsonapi", "routes": ["/items", "/items/{id}", "/upload", "/stream"]}

    @wsgify
    def list_items(req: Request) -> Any:
        return {"items": store.all()}

    @wsgify
    def create_item(req: Request) -> Any:
        name, tags = _parse_item(req.json)
        item = store.add(name, tags)
        response = Response(json_body={"item": item}, status=201, charset=None)
        response.location = req.application_url + "/items/" + item["id"]
        return response

    @wsgify
    def show_item(req: Request, id: str) -> Any:
        item = store.get(id)
        if item is None:
            raise exc.HTTPNotFound(f"no item {id}")
        return {"item": item}

    @wsgify
    def upload(req: Request) -> Any:
        digest = hashlib.sha256()
        size = 0
        body = req.body_file
        while chunk := body.read(READ_SIZE):
            digest.update(chunk)
            size += len(chunk)
        return {"size": size, "sha256": digest.hexdigest()}

    @wsgify
    def stream(req: Request) -> Any:
        chunks = _bounded_int(req, "chunks", 8, MAX_CHUNKS)
        size = _bounded_int(req, "size", 1024, MAX_CHUNK_SIZE)

        def lines() -> Iterator[bytes]:
            for number in range(chunks):
                yield b'{"chunk": %d, "data": "%s"}\n' % (number, b"x" * size)

        return Response(app_iter=lines(), content_type="application/x-ndjson", charset=None)

    mapper.connect("index", "/", controller=index, conditions={"method": ["GET"]})
    mapper.connect("items", "/items", controller=list_items, conditions={"method": ["GET"]})
    mapper.connect("create_item", "/items", controller=create_item, conditions={"method": ["POST"]})
    mapper.connect("item", "/items/{id}", controller=show_item, conditions={"method": ["GET"]})
    mapper.connect("upload", "/upload", controller=upload, conditions={"method": ["POST", "PUT"]})
    mapper.connect("stream", "/stream", controller=stream, conditions={"method": ["GET"]})
    return mapper


def make_app() -> Router:
    """The JSON API as a WSGI application."""
    return Router(make_mapper())


def app_factory(global_conf: dict[str, str], **local_conf: str) -> Router:
    """PasteDeploy ``paste.app_factory``: ``use = egg:wsgikit-jsonapi``."""
    if local_conf:
        raise ValueError(f"jsonapi takes no options, got {sorted(local_conf)}")
    return make_app()
