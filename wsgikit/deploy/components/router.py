"""``egg:wsgikit#router``: the compiled router as a PasteDeploy application.

.. code-block:: ini

    [app:api]
    use = egg:wsgikit#router
    mapper = myservice.api:make_mapper
"""

from __future__ import annotations

from typing import Any

import routes

from wsgikit.deploy.factory import declares
from wsgikit.deploy.options import REQUIRED, Option, OptionTable, import_object, to_bool
from wsgikit.routing import Router


def to_mapper(value: str | routes.Mapper) -> routes.Mapper:
    """``package.module:make_mapper`` (called with no arguments) or ``package.module:MAPPER`` → a Mapper."""
    if isinstance(value, routes.Mapper):
        return value
    spec = value.strip()
    target = import_object(spec)
    if isinstance(target, routes.Mapper):
        return target
    if not callable(target):
        raise ValueError(f"{spec!r} is neither a Mapper nor a callable returning one")
    mapper = target()
    if not isinstance(mapper, routes.Mapper):
        raise ValueError(f"{spec}() returned {type(mapper).__name__}, not a Mapper")
    return mapper


to_mapper.__name__ = "module:callable"

OPTIONS = OptionTable(
    "router",
    Option("mapper", to_mapper, REQUIRED, "module:callable returning a Mapper, or a module-level Mapper"),
    Option("method_override", to_bool, False, "honour _method in form POST bodies (never in the query)"),
    Option("auto_head", to_bool, True, "serve HEAD with the GET route, body dropped"),
    Option("auto_options", to_bool, True, "answer OPTIONS with 204 and Allow when no route handles it"),
)


@declares(OPTIONS)
def app_factory(global_conf: dict[str, Any], **local_conf: str) -> Router:
    options = OPTIONS.convert(local_conf, global_conf)
    mapper = options.pop("mapper")
    return Router(mapper, **options)
