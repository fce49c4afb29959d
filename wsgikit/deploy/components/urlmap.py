"""``egg:wsgikit#urlmap``: :class:`~wsgikit.middleware.urlmap.URLMap`, Paste's and nova's URL map.

.. code-block:: ini

    [composite:main]
    use = egg:wsgikit#urlmap
    negotiate_version = true
    / = versions
    /v2.1 = versions_v21
    /v2.1/+ = api_v21
    domain admin.example.com /v2.1/+ = admin_api

Not :func:`~wsgikit.deploy.factory.app_factory_for`: a ``paste.composite_factory`` is called with
the loader, to load the applications its mount keys name; the table is the INI side's own (the mount keys
are not options of :class:`~wsgikit.middleware.urlmap.URLMap`, which takes the mounted applications).
"""

from __future__ import annotations

from typing import Any

from wsgikit.deploy.factory import declares
from wsgikit.deploy.loader import load_app
from wsgikit.deploy.options import ConfigError, Option, OptionTable, to_bool, to_list, to_str
from wsgikit.middleware.urlmap import URLMap, parse_mount_key


def is_mount_key(key: str) -> bool:
    """Keys that mount an application: ``/path``, ``domain ...``, ``port ...``, ``http://...``."""
    return key.startswith(("/", "domain ", "port ", "http://", "https://"))


OPTIONS = OptionTable(
    "urlmap",
    Option("not_found_app", to_str, None, "section answering when nothing matches (a bare 404 by default)"),
    Option("negotiate_version", to_bool, False, "nova-style version negotiation from Accept / Content-Type"),
    Option(
        "content_types", to_list, ["application/json"], "media types served, for .ext suffixes and Accept"
    ),
    accept_extra=is_mount_key,
)


def references(local_conf: dict[str, str]) -> list[tuple[str, str, str]]:
    """``(key, kind, name)`` of every section this map loads (for ``wsgikit check``)."""
    refs = [(key, "app", value.strip()) for key, value in local_conf.items() if is_mount_key(key)]
    if local_conf.get("not_found_app", "").strip():
        refs.append(("not_found_app", "app", local_conf["not_found_app"].strip()))
    return refs


def check_section(local_conf: dict[str, str]) -> list[ConfigError]:
    """Malformed mount keys (for ``wsgikit check``)."""
    errors = []
    for key in local_conf:
        if is_mount_key(key):
            try:
                parse_mount_key(key)
            except ValueError as error:
                errors.append(ConfigError(str(error), key=key))
    if not any(is_mount_key(key) for key in local_conf):
        errors.append(ConfigError("urlmap mounts nothing: add keys such as '/ = app' or '/v2 = api'"))
    return errors


@declares(OPTIONS)
def composite_factory(loader: Any, global_conf: dict[str, Any], **local_conf: str) -> URLMap:
    options = OPTIONS.convert(local_conf, global_conf)
    mounts: list[tuple[str, Any]] = []
    for key in [key for key in options if is_mount_key(key)]:
        name = str(options.pop(key)).strip()
        try:
            parse_mount_key(key)
        except ValueError as error:
            raise ConfigError(str(error), key=key) from None
        mounts.append((key, load_app(loader, name, global_conf, key=key)))
    if not mounts:
        raise ConfigError("urlmap mounts nothing: add keys such as '/ = app' or '/v2 = api'")
    not_found = options.pop("not_found_app", None)
    if not_found:
        options["not_found_app"] = load_app(loader, not_found, global_conf, key="not_found_app")
    return URLMap(mounts, **options)
