"""``mapper = myservice.api:make_mapper``: the reader's routes."""

from __future__ import annotations

from typing import Any

from wsgikit import wsgify
from wsgikit.routing import Mapper


@wsgify
def show(req: Any, id: str) -> dict[str, Any]:
    return {"service": "myservice", "thing": id, "user": req.environ.get("REMOTE_USER")}


def make_mapper() -> Mapper:
    mapper = Mapper()
    mapper.connect("thing", "/things/{id}", controller=show, conditions={"method": ["GET"]})
    return mapper
