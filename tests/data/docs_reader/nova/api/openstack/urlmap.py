"""``use = call:nova.api.openstack.urlmap:urlmap_factory``: nova's URL map, a Paste ``urlmap`` subclass."""

from __future__ import annotations

import importlib.metadata
from typing import Any

from wsgikit.types import WSGIApplication


def urlmap_factory(loader: Any, global_conf: dict[str, str], **local_conf: str) -> WSGIApplication:
    # nova subclasses Paste's URLMap; the stand-in builds the urlmap that replaces it (egg:wsgikit#urlmap)
    (entry,) = importlib.metadata.entry_points(group="paste.composite_factory", name="urlmap")
    factory = entry.load()
    app: WSGIApplication = factory(loader, global_conf, **local_conf)
    return app
