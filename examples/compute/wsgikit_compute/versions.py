"""The versions documents
======================

``GET /`` lists the API versions the service offers and ``GET /v2.1`` describes one, in nova's format:
``id``, ``status``, ``links``, and the microversion range as ``min_version`` / ``version``. A client reads
this first to learn which ``OpenStack-API-Version: compute X.Y`` values it may send.

.. code-block:: python

    from wsgikit.testing import TestApp

    body = TestApp(versions_app).get("/").json
    assert body["versions"][0]["version"] == "2.19"
"""

from __future__ import annotations

from typing import Any

from wsgikit import Request, exc, wsgify

__all__ = ["MAX_VERSION", "MIN_VERSION", "version_app", "version_document", "versions_app"]

MIN_VERSION = "2.1"
MAX_VERSION = "2.19"
UPDATED = "2013-07-23T11:33:21Z"  # nova's date for v2.1; clients only compare it for equality


def version_document(base_url: str) -> dict[str, Any]:
    """The description of v2.1, with links under ``base_url`` (the service root, no trailing slash)."""
    return {
        "id": "v2.1",
        "status": "CURRENT",
        "version": MAX_VERSION,
        "min_version": MIN_VERSION,
        "updated": UPDATED,
        "links": [{"rel": "self", "href": f"{base_url}/v2.1/"}],
        "media-types": [
            {"base": "application/json", "type": "application/vnd.openstack.compute+json;version=2.1"}
        ],
    }


def _root(req: Request) -> str:
    # Mounted at "/" the root is application_url; mounted at "/v2.1" it is one segment up.
    url = req.application_url
    return url[: -len("/v2.1")] if url.endswith("/v2.1") else url


@wsgify
def versions_app(req: Request) -> dict[str, Any]:
    """``GET /``: every version (``{"versions": [...]}``)."""
    if req.path_info not in ("", "/"):
        raise exc.HTTPNotFound()
    if req.method not in ("GET", "HEAD"):
        raise exc.HTTPMethodNotAllowed(headers={"Allow": "GET, HEAD"})
    return {"versions": [version_document(_root(req))]}


@wsgify
def version_app(req: Request) -> dict[str, Any]:
    """``GET /v2.1``: one version (``{"version": {...}}``)."""
    if req.path_info not in ("", "/"):
        raise exc.HTTPNotFound()
    if req.method not in ("GET", "HEAD"):
        raise exc.HTTPMethodNotAllowed(headers={"Allow": "GET, HEAD"})
    return {"version": version_document(_root(req))}
