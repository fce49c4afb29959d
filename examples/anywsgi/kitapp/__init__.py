"""A wsgikit router (``mapper = kitapp:make_mapper``)."""

from __future__ import annotations

from typing import Any

from wsgikit import Request, wsgify
from wsgikit.routing import Mapper, url_for


@wsgify
def show(req: Request, name: str) -> dict[str, Any]:
    return {
        "framework": "wsgikit",
        "name": name,
        "self": url_for(req.environ, "thing", name=name),  # SCRIPT_NAME included, as Routes does
        "script_name": req.script_name,
    }


def make_mapper() -> Mapper:
    mapper = Mapper()
    mapper.connect("thing", "/things/{name}", controller=show, conditions={"method": ["GET"]})
    return mapper
