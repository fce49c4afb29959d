"""``paste.app_factory = nova.api.openstack.compute:APIRouterV21.factory``: nova's API router."""

from __future__ import annotations

from typing import Any

from wsgikit import wsgify
from wsgikit.routing import Mapper, Router


@wsgify
def list_flavors(req: Any) -> dict[str, Any]:
    return {"flavors": [{"id": "1", "name": "m1.tiny"}], "context": req.environ.get("nova.context")}


class APIRouterV21(Router):
    @classmethod
    def factory(cls, global_conf: dict[str, str], **local_conf: str) -> APIRouterV21:
        mapper = Mapper()
        mapper.connect("flavors", "/flavors", controller=list_flavors, conditions={"method": ["GET"]})
        return cls(mapper)
