"""wsgikit-compute: a small nova-style compute API built from wsgikit alone
=========================================================================

The pieces, outermost first, as ``paste-configs/nova-style.ini`` assembles them:

* :mod:`wsgikit_compute.versions` — ``GET /`` and ``GET /v2.1``, the versions documents;
* ``egg:wsgikit#...`` middleware — request id, errors, access log, size limit, microversions, auth;
* :mod:`wsgikit_compute.database` — the filter that opens the SQLite :mod:`~wsgikit_compute.storage`;
* :mod:`wsgikit_compute.api` — the controllers and the route table, served by ``egg:wsgikit#router``;
* :mod:`wsgikit_compute.service` and :mod:`~wsgikit_compute.validation` — the logic, with no HTTP in it.

Entry points (``use = egg:wsgikit-compute#NAME``): ``versions``, ``version`` (apps) and ``database``
(filter).
"""

from __future__ import annotations

from typing import Any

from wsgikit_compute.database import filter_factory as database_filter_factory

__all__ = ["database_filter_factory", "version_factory", "versions_factory"]


def _no_options(name: str, local_conf: dict[str, str]) -> None:
    extra = sorted(set(local_conf) - {"use", "here", "__file__"})
    if extra:
        raise ValueError(f"wsgikit-compute#{name} takes no options, got {extra}")


def versions_factory(global_conf: dict[str, Any], **local_conf: str) -> Any:
    """``use = egg:wsgikit-compute#versions``: the ``GET /`` versions list."""
    from wsgikit_compute.versions import versions_app

    _no_options("versions", local_conf)
    return versions_app


def version_factory(global_conf: dict[str, Any], **local_conf: str) -> Any:
    """``use = egg:wsgikit-compute#version``: the ``GET /v2.1`` version document."""
    from wsgikit_compute.versions import version_app

    _no_options("version", local_conf)
    return version_app
