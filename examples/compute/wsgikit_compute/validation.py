"""Request-body validation
=======================

Small, explicit checks that turn a decoded JSON body into clean values or raise ``400 Bad Request`` with a
message that says which field is wrong and why — the part of nova's JSON-schema validation a client sees.

.. code-block:: python

    fields = server_create({"server": {"name": "web-1", "flavorRef": "1"}}, version=(2, 1))
    assert fields == {"name": "web-1", "flavor_id": "1", "metadata": {}, "key_name": None}
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from typing import Any

from wsgikit import exc

__all__ = [
    "fingerprint",
    "keypair_create",
    "metadata_body",
    "metadata_item_body",
    "reboot_type",
    "server_create",
    "server_update",
]

NAME_MAX = 255
METADATA_ITEMS_MAX = 128
_KEY_TYPES = ("ssh-rsa", "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521")
_KEYPAIR_NAME = re.compile(r"^[A-Za-z0-9 _.@-]{1,255}$")


def _bad(message: str) -> exc.HTTPBadRequest:
    return exc.HTTPBadRequest(detail=message)


def _envelope(body: Any, key: str) -> dict[str, Any]:
    if not isinstance(body, dict) or key not in body:
        raise _bad(f"the request body must be a JSON object with a {key!r} member")
    inner = body[key]
    if not isinstance(inner, dict):
        raise _bad(f"{key!r} must be a JSON object")
    return inner


def _string(inner: dict[str, Any], field: str, *, required: bool, max_length: int = NAME_MAX) -> str | None:
    if field not in inner or inner[field] is None:
        if required:
            raise _bad(f"{field!r} is required")
        return None
    value = inner[field]
    if not isinstance(value, str):
        raise _bad(f"{field!r} must be a string, not {type(value).__name__}")
    if required and not value.strip():
        raise _bad(f"{field!r} must not be empty")
    if len(value) > max_length:
        raise _bad(f"{field!r} is longer than {max_length} characters")
    if any(ord(c) < 32 for c in value):
        raise _bad(f"{field!r} must not contain control characters")
    return value


def _only(inner: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(inner) - allowed)
    if unknown:
        raise _bad(f"unknown field(s) in {where!r}: {', '.join(unknown)}")


def _metadata(value: Any, where: str = "metadata") -> dict[str, str]:
    if not isinstance(value, dict):
        raise _bad(f"{where!r} must be a JSON object of strings")
    if len(value) > METADATA_ITEMS_MAX:
        raise _bad(f"{where!r} has more than {METADATA_ITEMS_MAX} items")
    for key, item in value.items():
        if not isinstance(item, str):
            raise _bad(f"{where!r} value for {key!r} must be a string")
        if not key or len(key) > NAME_MAX or len(item) > NAME_MAX:
            raise _bad(f"{where!r} keys must be 1-{NAME_MAX} characters and values at most {NAME_MAX}")
    return dict(value)


def server_create(body: Any, *, version: tuple[int, int]) -> dict[str, Any]:
    """``{"server": {"name", "flavorRef", "metadata"?, "key_name"?, "description"? (2.5+)}}``."""
    inner = _envelope(body, "server")
    allowed = {"name", "flavorRef", "metadata", "key_name", "imageRef", "networks"}
    if version >= (2, 5):
        allowed.add("description")
    _only(inner, allowed, "server")
    name = _string(inner, "name", required=True)
    flavor = inner.get("flavorRef")
    if isinstance(flavor, int) and not isinstance(flavor, bool):
        flavor = str(flavor)
    if not isinstance(flavor, str) or not flavor:
        raise _bad("'flavorRef' is required and must be a flavor id (string or integer)")
    fields: dict[str, Any] = {
        "name": name,
        "flavor_id": flavor.rstrip("/").rsplit("/", 1)[-1],  # nova also accepts a flavor URL
        "metadata": _metadata(inner.get("metadata", {})),
        "key_name": _string(inner, "key_name", required=False),
    }
    if "description" in inner:
        fields["description"] = _string(inner, "description", required=False)
    return fields


def server_update(body: Any, *, version: tuple[int, int]) -> dict[str, Any]:
    """``{"server": {"name"?, "description"? (2.5+)}}`` with at least one of them."""
    inner = _envelope(body, "server")
    allowed = {"name", "description"} if version >= (2, 5) else {"name"}
    _only(inner, allowed, "server")
    if not inner:
        raise _bad(f"nothing to update: give {' or '.join(repr(f) for f in sorted(allowed))}")
    fields: dict[str, Any] = {}
    if "name" in inner:
        fields["name"] = _string(inner, "name", required=True)
    if "description" in inner:
        fields["description"] = _string(inner, "description", required=False)
    return fields


def reboot_type(inner: Any) -> str:
    """The body of a ``reboot`` action: ``{"type": "SOFT" | "HARD"}``."""
    if not isinstance(inner, dict):
        raise _bad("'reboot' must be a JSON object")
    value = inner.get("type")
    if not isinstance(value, str) or value.upper() not in ("SOFT", "HARD"):
        raise _bad("'reboot' needs a 'type' of 'SOFT' or 'HARD'")
    return value.upper()


def metadata_body(body: Any) -> dict[str, str]:
    """``{"metadata": {key: value, ...}}``."""
    if not isinstance(body, dict) or "metadata" not in body:
        raise _bad("the request body must be a JSON object with a 'metadata' member")
    return _metadata(body["metadata"])


def metadata_item_body(body: Any, key: str) -> str:
    """``{"meta": {key: value}}`` whose single key matches the URL's."""
    if not isinstance(body, dict) or "meta" not in body:
        raise _bad("the request body must be a JSON object with a 'meta' member")
    meta = _metadata(body["meta"], "meta")
    if len(meta) != 1:
        raise _bad("'meta' must have exactly one item")
    if key not in meta:
        raise _bad("the key in 'meta' must match the key in the URL")
    return meta[key]


def fingerprint(public_key: str) -> str:
    """The MD5 fingerprint of an OpenSSH public key (``aa:bb:...``), or 400 if the key is malformed."""
    parts = public_key.strip().split()
    if len(parts) < 2 or parts[0] not in _KEY_TYPES:
        raise _bad(f"'public_key' must be an OpenSSH public key ({', '.join(_KEY_TYPES)})")
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except (binascii.Error, ValueError):
        raise _bad("'public_key' is not valid base64") from None
    if not blob:
        raise _bad("'public_key' is empty")
    digest = hashlib.md5(blob, usedforsecurity=False).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def keypair_create(body: Any, *, version: tuple[int, int]) -> dict[str, str]:
    """``{"keypair": {"name", "public_key", "type"? (2.2+)}}``; generating keys is left to ``ssh-keygen``."""
    inner = _envelope(body, "keypair")
    allowed = {"name", "public_key", "type"} if version >= (2, 2) else {"name", "public_key"}
    _only(inner, allowed, "keypair")
    name = _string(inner, "name", required=True)
    assert name is not None
    if not _KEYPAIR_NAME.match(name):
        raise _bad("'name' may contain only letters, digits, spaces and '_.@-'")
    public_key = _string(inner, "public_key", required=False, max_length=16384)
    if public_key is None:
        raise _bad("'public_key' is required: this service does not generate keys (use ssh-keygen)")
    key_type = _string(inner, "type", required=False) or "ssh"
    if key_type not in ("ssh", "x509"):
        raise _bad("'type' must be 'ssh' or 'x509'")
    return {
        "name": name,
        "public_key": public_key.strip(),
        "type": key_type,
        "fingerprint": fingerprint(public_key),
    }
